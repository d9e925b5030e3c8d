// What mqttIndicator(client) costs, against real Mosquitto brokers:
//
// 1. the median (and p95) check time over 30 runs, after 5 warm-up runs, on the shared broker
//    (MQTT_URL, default mqtt://127.0.0.1:1883): state only (the default: nothing is sent), and
//    with the QoS 1 round trip (subscribe, publish, message back, unsubscribe); MQTT 3.1.1 and 5;
// 2. the connections opened per 1,000 runs (with the round trip): the `connect` events of the
//    app's client, and the broker's own count of connected clients, subscriptions and retained
//    messages ($SYS) before and after, on a private `mosquitto` started here on a free port with
//    `sys_interval 1` (the shared broker publishes $SYS every 10 s and has other clients).
//
//   node bench/builtin-mqtt.bench.mjs             (runs the library from its TypeScript sources)
//   npm run build:lib && node bench/builtin-mqtt.bench.mjs --dist   (the built library)
//
// Needs the `mqtt` package (a devDependency) and, for step 2, a `mosquitto` binary.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect as connectTcp, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const DIST = process.argv.includes('--dist');
const MQTT_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const RUNS = 30;
const WARMUP = 5;
const CONNECTION_RUNS = 1_000;

require('reflect-metadata');
if (!DIST) require(join(root, 'test/helpers/register-typescript.cjs'));
const { mqttIndicator } = DIST
  ? require(join(root, 'dist/libs/health/index.js'))
  : require(join(root, 'libs/health/src/index.ts'));
const { connectAsync } = require('mqtt');

function context(timeoutMs = 5_000) {
  return { signal: new AbortController().signal, name: 'bench', timeoutMs };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timeChecks(indicator) {
  for (let i = 0; i < WARMUP; i += 1) await indicator.check(context());
  const times = [];
  const roundTrips = [];
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    const result = await indicator.check(context());
    times.push(performance.now() - started);
    if (result.status !== 'up') throw new Error(`check ${result.status}: ${result.message}`);
    if (typeof result.data?.roundTripMs === 'number') roundTrips.push(result.data.roundTripMs);
  }
  times.sort((a, b) => a - b);
  roundTrips.sort((a, b) => a - b);
  return {
    medianMs: percentile(times, 50),
    p95Ms: percentile(times, 95),
    roundTripMedianMs: roundTrips.length ? percentile(roundTrips, 50) : undefined,
  };
}

const fmt = (ms) => (ms === undefined ? '-' : ms.toFixed(3));

async function medians() {
  console.log(`check time on ${MQTT_URL}, ${RUNS} runs after ${WARMUP} warm-up runs (ms)`);
  console.log('protocol  mode        median   p95      roundTripMs median');
  for (const protocolVersion of [4, 5]) {
    const client = await connectAsync(MQTT_URL, { protocolVersion });
    client.on('error', () => undefined);
    try {
      for (const [mode, options] of [
        ['state', {}],
        ['roundTrip', { roundTrip: true }],
      ]) {
        const indicator = mqttIndicator(client, options);
        const figures = await timeChecks(indicator);
        await indicator.close();
        console.log(
          `${protocolVersion === 4 ? '3.1.1' : '5    '}     ${mode.padEnd(10)}  ${fmt(figures.medianMs).padEnd(8)} ${fmt(figures.p95Ms).padEnd(8)} ${fmt(figures.roundTripMedianMs)}`,
        );
      }
    } finally {
      await client.endAsync(true);
    }
  }
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function mosquittoBinary() {
  return ['mosquitto', '/usr/sbin/mosquitto'].find(
    (bin) => spawnSync(bin, ['-h']).error === undefined,
  );
}

async function accepts(port) {
  return new Promise((resolve) => {
    const socket = connectTcp({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const SYS = {
  connected: '$SYS/broker/clients/connected',
  subscriptions: '$SYS/broker/subscriptions/count',
  retained: '$SYS/broker/retained messages/count',
};

/** The broker's counts as of now: after two $SYS passes (seen by their uptime) since the call. */
async function sysCounts(monitor) {
  const UPTIME = '$SYS/broker/uptime';
  let passes = -1; // the first message is the retained one, from a pass before this call
  const onUptime = (topic) => {
    if (topic === UPTIME) passes += 1;
  };
  monitor.on('message', onUptime);
  await monitor.subscribeAsync(UPTIME);
  while (passes < 2) await sleep(20);
  monitor.removeListener('message', onUptime);
  await monitor.unsubscribeAsync(UPTIME);
  const topics = Object.values(SYS);
  const values = {};
  const done = new Promise((resolve) => {
    const onMessage = (topic, payload) => {
      const key = Object.keys(SYS).find((k) => SYS[k] === topic);
      if (key) values[key] = Number(String(payload));
      if (Object.keys(values).length === topics.length) {
        monitor.removeListener('message', onMessage);
        resolve();
      }
    };
    monitor.on('message', onMessage);
  });
  await monitor.subscribeAsync(topics);
  await done;
  await monitor.unsubscribeAsync(topics);
  return values;
}

async function connections() {
  const binary = mosquittoBinary();
  if (!binary) {
    console.log('\nconnections per 1,000 runs: skipped (no mosquitto binary)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nest-health-bench-mqtt-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nsys_interval 1\nlog_dest none\n`,
  );
  const broker = spawn(binary, ['-c', config], { stdio: 'ignore' });
  try {
    while (!(await accepts(port))) await sleep(20);
    const url = `mqtt://127.0.0.1:${port}`;
    const monitor = await connectAsync(url);
    const client = await connectAsync(url);
    let connects = 0;
    client.on('connect', () => (connects += 1));
    const before = await sysCounts(monitor);
    const indicator = mqttIndicator(client, { roundTrip: true });
    const started = performance.now();
    for (let i = 0; i < CONNECTION_RUNS; i += 1) {
      const result = await indicator.check(context());
      if (result.status !== 'up') throw new Error(`check ${result.status}: ${result.message}`);
    }
    const elapsed = performance.now() - started;
    await indicator.close();
    const after = await sysCounts(monitor);
    console.log(`\n${CONNECTION_RUNS} runs with the round trip on a private mosquitto (${url})`);
    console.log(`  connect events of the app's client: ${connects}`);
    console.log(`  connected clients (broker): ${before.connected} -> ${after.connected}`);
    console.log(`  subscriptions (broker):     ${before.subscriptions} -> ${after.subscriptions}`);
    console.log(`  retained messages (broker): ${before.retained} -> ${after.retained}`);
    console.log(
      `  connections opened per 1,000 runs: ${connects + Math.max(0, after.connected - before.connected)}`,
    );
    console.log(`  mean check time: ${(elapsed / CONNECTION_RUNS).toFixed(3)} ms`);
    await client.endAsync(true);
    await monitor.endAsync(true);
  } finally {
    broker.kill('SIGKILL');
    await once(broker, 'exit').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await medians();
await connections();

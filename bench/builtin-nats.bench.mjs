// natsIndicator figures, on real servers: the median check time over 30 runs on the shared NATS
// (NATS_URL, default nats://127.0.0.1:4222, JetStream on) for each mode, and the connections
// opened on the server per 1,000 runs (counted by a private `nats-server -m` of its own, from its
// /varz `total_connections`; skipped when nats-server is not on the PATH).
//   node bench/builtin-nats.bench.mjs
// Runs the library from its TypeScript sources (test/helpers/register-typescript.cjs).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);
require('../test/helpers/register-typescript.cjs');
require('reflect-metadata');
const { natsIndicator } = require('nest-health');
const { AckPolicy, connect } = require('nats');

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const RUNS = 30;
const STREAM = `NEST_HEALTH_BENCH_${process.pid}`;

function context() {
  return { signal: AbortSignal.timeout(5_000), name: 'bench', timeoutMs: 5_000 };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function medianCheckMs(indicator) {
  for (let i = 0; i < 5; i += 1) await indicator.check(context()); // warm-up
  const times = [];
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    const result = await indicator.check(context());
    times.push(performance.now() - started);
    if (result.status !== 'up') throw new Error(`not up: ${JSON.stringify(result)}`);
  }
  return median(times);
}

function modes(nc) {
  return {
    'status only (default)': natsIndicator(nc),
    'roundTrip: true': natsIndicator(nc, { roundTrip: true }),
    'roundTrip + JetStream stream + consumer': natsIndicator(nc, {
      roundTrip: true,
      jetstream: { stream: STREAM, consumer: { stream: STREAM, name: 'bench' } },
    }),
  };
}

async function withStream(nc, use) {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: STREAM, subjects: [`${STREAM.toLowerCase()}.>`] });
  await jsm.consumers.add(STREAM, { durable_name: 'bench', ack_policy: AckPolicy.Explicit });
  try {
    return await use();
  } finally {
    await jsm.streams.delete(STREAM);
  }
}

async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

async function connectionsPer1000() {
  if (spawnSync('nats-server', ['--version']).status !== 0) return undefined;
  const [port, monitor] = [await freePort(), await freePort()];
  const store = mkdtempSync(join(tmpdir(), 'nest-health-nats-bench-'));
  const child = spawn(
    'nats-server',
    ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', store],
    { stdio: 'ignore' },
  );
  const varz = async () => (await fetch(`http://127.0.0.1:${monitor}/varz`)).json();
  try {
    for (let i = 0; ; i += 1) {
      if (
        await varz().then(
          () => true,
          () => false,
        )
      )
        break;
      if (i > 200) throw new Error('nats-server did not start');
      await sleep(25);
    }
    const nc = await connect({ servers: `nats://127.0.0.1:${port}` });
    try {
      return await withStream(nc, async () => {
        const figures = {};
        for (const [mode, indicator] of Object.entries(modes(nc))) {
          const before = (await varz()).total_connections;
          for (let i = 0; i < 1_000; i += 1) await indicator.check(context());
          figures[mode] = (await varz()).total_connections - before;
          await indicator.close();
        }
        return figures;
      });
    } finally {
      await nc.close();
    }
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
    rmSync(store, { recursive: true, force: true });
  }
}

const nc = await connect({ servers: NATS_URL });
const version = nc.info?.version ?? '?';
let medians;
try {
  medians = await withStream(nc, async () => {
    const figures = {};
    for (const [mode, indicator] of Object.entries(modes(nc))) {
      figures[mode] = await medianCheckMs(indicator);
      await indicator.close();
    }
    return figures;
  });
} finally {
  await nc.close();
}
const opened = await connectionsPer1000();

console.log(`natsIndicator on ${NATS_URL.replace(/\/\/[^@/]*@/, '//')} (nats-server ${version})`);
console.log(
  'mode'.padEnd(42),
  'median check (ms, 30 runs)'.padEnd(28),
  'connections opened / 1,000 runs',
);
for (const [mode, ms] of Object.entries(medians)) {
  console.log(
    mode.padEnd(42),
    ms.toFixed(3).padEnd(28),
    opened ? String(opened[mode]) : 'n/a (no nats-server)',
  );
}

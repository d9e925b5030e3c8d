// Fleet benchmark: what fleet health through Redis costs and how fast it is, against one private
// redis-server started here on a free port. Prints tables and the issue's targets (met or not),
// and writes bench/results/fleet-<time>.json with the machine.
//
//   npm run bench:fleet                    (full: 60 s steady windows, 200 flips, 10 s runs, 3 repeats)
//   npm run bench:fleet -- --quick         (10 s windows, 40 flips, 2 s runs, 1 repeat: proves it works)
//   npm run bench:fleet -- --sizes=10,100,1000 --steady=60 --flips=200 --duration=10 --warmup=3
//                          --repeats=3 --hosts=2 --cpu-prof --skip-probe   (--sizes=none: step 4 alone)
//
// 1. Steady state, at 10, 100 and 1,000 simulated replicas: each is the library's real
//    FleetPublisher with its own HealthStateStore (three indicators, up) and its own ioredis
//    connection (bench/fleet-replica.cjs), hosted by a few processes (at most 500 replicas each,
//    `--hosts` processes at most), started spread over one publish interval. Over a window where
//    nothing changes: Redis commands per replica per minute from `INFO commandstats` deltas (in
//    all and by command), round trips per replica per minute (EXEC calls: one MULTI … EXEC per
//    publish), and bytes in Redis per replica (`MEMORY USAGE` of the fleet's keys, and the
//    `used_memory` delta, which also holds the replicas' connections).
// 2. Transition latency, at each size with its replicas publishing in the background: a Nest app
//    (bench/fleet-server.cjs, a replica itself) serves /health/fleet/stream, read here by a plain
//    SSE client; a replica in this process flips an indicator `--flips` times (the state store's
//    `record()`, as a check's run does) and the time from the flip to the `transition` event's
//    arrival is measured on one clock (this process's).
// 3. GET /health/fleet, at each size: cold reads (sequential, 150 ms apart, past the reader's
//    100 ms reuse) and throughput under load (autocannon, 10 connections); beside it, the Redis
//    floor of a read (the same ZRANGEBYSCORE + MGET from here).
// 4. The local probe when Redis hangs: /health/ready of the app without the fleet, with the fleet
//    (publishIntervalMs 500) and Redis fine, and with Redis stopped (SIGSTOP), alternated in one
//    run, medians of `--repeats`, and their ratios. Its Redis is a second private redis-server.
//
// The Nest apps run pinned to core 0 and this load generator to core 1 where the machine has two
// cores; redis-server and the replicas' host processes may use both. `--cpu-prof` writes a CPU
// profile of the fleet app of each size into bench/results/cpu/. redis-server must be on the PATH;
// the library must be built (npm run bench:fleet builds it).
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ALL_CORES, LOAD_CORE, pinLoadGenerator, SERVER_CORE, twoCores } from './cores.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const QUICK = args.includes('--quick') || process.env.BENCH_QUICK === '1';
/** Replica counts; `--sizes=none` runs the probe comparison alone. */
const SIZES = (option('sizes') ?? '10,100,1000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
/** Steady window, in seconds. */
const STEADY_S = Number(option('steady') ?? (QUICK ? 10 : 60));
const FLIPS = Number(option('flips') ?? (QUICK ? 40 : 200));
/** Pause between the arrival of one flip and the next flip, in milliseconds. */
const FLIP_SPACING_MS = 100;
const DURATION_S = Number(option('duration') ?? (QUICK ? 2 : 10));
const WARMUP_S = Number(option('warmup') ?? (QUICK ? 1 : 3));
const REPEATS = Number(option('repeats') ?? (QUICK ? 1 : 3));
/** Most processes hosting the simulated replicas (at most 500 replicas each). */
const HOSTS = Number(option('hosts') ?? 2);
const COLD_READS = QUICK ? 20 : 60;
const CPU_PROF = args.includes('--cpu-prof');
const SKIP_PROBE = args.includes('--skip-probe');
/** The replicas' publish interval: the library's default. */
const PUBLISH_INTERVAL_MS = 5_000;
/** The probe app's publish interval in the hung-Redis comparison (a publish every 500 ms). */
const PROBE_PUBLISH_INTERVAL_MS = 500;
/** Connections of the probe runs (as probes.bench.mjs's throughput runs). */
const PROBE_CONNECTIONS = 50;
const SERVICE = 'bench';
const REQUEST_TIMEOUT_S = 10;

function log(line) {
  process.stderr.write(`${line}\n`);
}

await pinLoadGenerator();

const require = createRequire(import.meta.url);
if (!existsSync(join(root, 'dist', 'libs', 'health', 'fleet', 'fleet-publisher.js'))) {
  throw new Error('the library is not built: run `npm run build:lib` (npm run bench:fleet does)');
}
const { createReplica } = require('./fleet-replica.cjs');

// ---------------------------------------------------------------------------------------------
// Processes: every child is tracked and killed on the way out, whatever happens.

const children = new Set();
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(130));
}

/** Spawns `command` pinned to `cores` (when the machine has two), stdout piped. */
function spawnOn(cores, command, commandArgs) {
  const [file, list] = twoCores
    ? ['taskset', ['-c', cores, command, ...commandArgs]]
    : [command, commandArgs];
  // taskset execs the command: the child's pid is the command's.
  return track(spawn(file, list, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }));
}

/** Resolves with the number a child prints as "ready <n>". */
function readyLine(child, what, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), timeoutMs);
    const onData = (chunk) => {
      out += chunk;
      const match = /ready (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}`));
    });
  });
}

async function stop(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** CPU time of a process so far, in seconds. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks of 10 ms
}

// ---------------------------------------------------------------------------------------------
// Redis

async function startRedis() {
  const port = await freePort();
  const child = spawnOn(ALL_CORES, 'redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--maxclients',
    '10000',
  ]);
  for (let attempt = 0; !(await accepts(port)); attempt++) {
    if (attempt > 200) throw new Error(`redis-server on port ${port} did not start`);
    await sleep(25);
  }
  const client = new Redis({ port, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  await once(client, 'ready');
  return { child, port, client, url: `redis://127.0.0.1:${port}` };
}

/** Calls per command (`set`, `exec`, `client|setname`, …) as `INFO commandstats` counts them. */
async function commandStats(redis) {
  const info = await redis.client.info('commandstats');
  const calls = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls[match[1]] = Number(match[2]);
  }
  return calls;
}

/** `INFO memory`'s figures, in bytes. */
async function memoryInfo(redis) {
  const info = await redis.client.info('memory');
  const field = (name) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? NaN);
  return {
    used: field('used_memory'),
    dataset: field('used_memory_dataset'),
    clients: field('mem_clients_normal'),
  };
}

const KEYS = {
  index: `health:{${SERVICE}}:instances`,
  transitions: `health:{${SERVICE}}:transitions`,
  instance: (name) => `health:{${SERVICE}}:instance:${name}`,
};

/** `MEMORY USAGE` (exact: SAMPLES 0) of the fleet's keys, and the snapshots' lengths. */
async function keyMemory(redis) {
  const instanceKeys = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.client.scan(
      cursor,
      'MATCH',
      KEYS.instance('*'),
      'COUNT',
      1000,
    );
    cursor = next;
    instanceKeys.push(...found);
  } while (cursor !== '0');
  const pipeline = redis.client.pipeline();
  for (const key of instanceKeys) {
    pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    pipeline.strlen(key);
  }
  pipeline.call('MEMORY', 'USAGE', KEYS.index, 'SAMPLES', '0');
  pipeline.call('MEMORY', 'USAGE', KEYS.transitions, 'SAMPLES', '0');
  const replies = (await pipeline.exec()).map(([, value]) => Number(value ?? 0));
  let snapshots = 0;
  let lengths = 0;
  for (let i = 0; i < instanceKeys.length; i++) {
    snapshots += replies[2 * i];
    lengths += replies[2 * i + 1];
  }
  return {
    instanceKeys: instanceKeys.length,
    snapshotBytes: snapshots,
    snapshotJsonBytes: lengths,
    indexBytes: replies.at(-2),
    transitionsBytes: replies.at(-1),
  };
}

// ---------------------------------------------------------------------------------------------
// Simulated replicas and the fleet app

/** Starts `size` replicas in host processes; resolves once every one has published. */
async function startReplicas(redis, size) {
  const hostCount = Math.max(1, Math.min(HOSTS, Math.ceil(size / 500)));
  const hosts = [];
  let first = 0;
  for (let h = 0; h < hostCount; h++) {
    const count = Math.floor(size / hostCount) + (h < size % hostCount ? 1 : 0);
    const child = spawnOn(ALL_CORES, process.execPath, [
      join(here, 'fleet-replica.cjs'),
      JSON.stringify({
        redis: redis.url,
        service: SERVICE,
        first,
        count,
        total: size,
        publishIntervalMs: PUBLISH_INTERVAL_MS,
      }),
    ]);
    hosts.push({ child, count, ready: readyLine(child, `replica host ${h}`) });
    first += count;
  }
  for (const host of hosts) {
    const started = await host.ready;
    if (started !== host.count) throw new Error(`a host started ${started} of ${host.count}`);
  }
  return hosts;
}

/** Publishes done and failed by the hosts' replicas since they started. */
async function replicaCounts(hosts) {
  const counts = { published: 0, failed: 0 };
  for (const { child } of hosts) {
    const line = new Promise((resolve) => {
      let out = '';
      const onData = (chunk) => {
        out += chunk;
        const match = /counts (\{.*\})/.exec(out);
        if (!match) return;
        child.stdout.off('data', onData);
        resolve(JSON.parse(match[1]));
      };
      child.stdout.on('data', onData);
    });
    child.kill('SIGUSR2');
    const { published, failed } = await line;
    counts.published += published;
    counts.failed += failed;
  }
  return counts;
}

async function startFleetApp(spec, name) {
  const node = CPU_PROF
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${join(here, 'results', 'cpu')}`,
        `--cpu-prof-name=${name}.cpuprofile`,
      ]
    : [];
  const child = spawnOn(SERVER_CORE, process.execPath, [
    ...node,
    join(here, 'fleet-server.cjs'),
    JSON.stringify(spec),
  ]);
  const port = await readyLine(child, name);
  return { child, port, pid: child.pid, name };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One GET on a keep-alive connection: status, body size, milliseconds. */
function get(port, path) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let bytes = 0;
      const chunks = [];
      res.on('data', (chunk) => {
        bytes += chunk.length;
        chunks.push(chunk);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          bytes,
          ms: performance.now() - started,
          body: () => JSON.parse(Buffer.concat(chunks).toString('utf8')),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Waits until `path` answers `status`. */
async function settle(port, path, status, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await get(port, path).catch(() => ({ status: 0 }));
    if (got.status === status) return;
    if (Date.now() > deadline) throw new Error(`${path} answers ${got.status}, not ${status}`);
    await sleep(100);
  }
}

/**
 * A plain SSE client of `path`: `snapshot` resolves with the first snapshot event's data;
 * `waitFor(match, ms)` resolves with the arrival time (performance.now(), taken when the chunk
 * came) of the first `transition` event from now on that `match`es, or `null` after `ms`.
 */
function sseClient(port, path) {
  const waiters = new Set();
  const received = { snapshot: 0, transition: 0, instance: 0, bytes: 0 };
  let resolveSnapshot;
  let rejectSnapshot;
  const snapshot = new Promise((resolve, reject) => {
    resolveSnapshot = resolve;
    rejectSnapshot = reject;
  });
  const req = request(
    { host: '127.0.0.1', port, path, agent: false, headers: { Accept: 'text/event-stream' } },
    (res) => {
      if (res.statusCode !== 200) return rejectSnapshot(new Error(`status ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk) => {
        const arrivedAt = performance.now();
        received.bytes += Buffer.byteLength(chunk);
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!event || !data) continue;
          if (event in received) received[event] += 1;
          if (event === 'snapshot') resolveSnapshot(JSON.parse(data));
          if (event !== 'transition' || waiters.size === 0) continue;
          const transition = JSON.parse(data);
          for (const waiter of waiters) {
            if (!waiter.match(transition)) continue;
            waiters.delete(waiter);
            waiter.resolve(arrivedAt);
          }
        }
      });
      res.on('error', () => undefined);
    },
  );
  req.on('error', (error) => rejectSnapshot(error));
  req.end();
  return {
    snapshot,
    received,
    waitFor(match, ms) {
      return new Promise((resolve) => {
        const waiter = { match, resolve };
        waiters.add(waiter);
        setTimeout(() => {
          if (waiters.delete(waiter)) resolve(null);
        }, ms).unref();
      });
    },
    close: () => req.destroy(),
  };
}

// ---------------------------------------------------------------------------------------------
// Figures

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(values) {
  const list = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (list.length === 0) return NaN;
  const middle = Math.floor(list.length / 2);
  return list.length % 2 ? list[middle] : (list[middle - 1] + list[middle]) / 2;
}

function spread(values) {
  const sorted = Float64Array.from(values).sort();
  return {
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

const round = (value, digits = 2) =>
  Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : null;

/** Sends keep-alive GETs from `connections` connections for `seconds`; exact latencies. */
async function load(port, path, connections, seconds) {
  const latencies = [];
  const statuses = {};
  const instance = autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections,
    duration: seconds,
    timeout: REQUEST_TIMEOUT_S,
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    latencies.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await instance;
  for (let i = 0; i < result.timeouts; i++) latencies.push(REQUEST_TIMEOUT_S * 1000);
  return {
    requests: latencies.length - result.timeouts,
    requestsPerSecond: (latencies.length - result.timeouts) / result.duration,
    ...spread(latencies),
    timeouts: result.timeouts,
    errors: result.errors - result.timeouts,
    statuses,
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Steady state

/** Commands the replicas never send in steady state, which this benchmark sends to read. */
const OWN_COMMANDS = new Set(['info']);

async function steady(redis, size, hosts, memoryBefore) {
  // Every replica has published at least once (the hosts said ready); let them settle.
  await sleep(1_000);
  const countsBefore = await replicaCounts(hosts);
  const before = await commandStats(redis);
  const started = performance.now();
  await sleep(STEADY_S * 1000);
  const after = await commandStats(redis);
  const minutes = (performance.now() - started) / 60_000;
  const countsAfter = await replicaCounts(hosts);
  const perReplicaPerMinute = (calls) => calls / size / minutes;
  const byCommand = {};
  let total = 0;
  for (const [command, calls] of Object.entries(after)) {
    if (OWN_COMMANDS.has(command)) continue;
    const delta = calls - (before[command] ?? 0);
    if (delta === 0) continue;
    byCommand[command] = round(perReplicaPerMinute(delta), 3);
    total += delta;
  }
  const memoryAfter = await memoryInfo(redis);
  const keys = await keyMemory(redis);
  const row = {
    replicas: size,
    windowS: round(minutes * 60, 1),
    commandsPerReplicaPerMinute: round(perReplicaPerMinute(total), 3),
    roundTripsPerReplicaPerMinute: byCommand.exec ?? 0,
    byCommand,
    publishesPerReplicaPerMinute: round(
      perReplicaPerMinute(countsAfter.published - countsBefore.published),
      3,
    ),
    failedPublishes: countsAfter.failed - countsBefore.failed,
    instanceKeys: keys.instanceKeys,
    snapshotJsonBytes: round(keys.snapshotJsonBytes / keys.instanceKeys, 0),
    keyBytesPerReplica: round(
      (keys.snapshotBytes + keys.indexBytes + keys.transitionsBytes) / size,
      0,
    ),
    snapshotKeyBytes: round(keys.snapshotBytes / keys.instanceKeys, 0),
    indexBytesPerReplica: round(keys.indexBytes / size, 1),
    transitionsBytes: keys.transitionsBytes,
    usedMemoryPerReplica: round((memoryAfter.used - memoryBefore.used) / size, 0),
    datasetPerReplica: round((memoryAfter.dataset - memoryBefore.dataset) / size, 0),
    clientBuffersPerReplica: round((memoryAfter.clients - memoryBefore.clients) / size, 0),
  };
  log(
    `  ${size} replicas: ${row.commandsPerReplicaPerMinute} commands and ${row.roundTripsPerReplicaPerMinute} round trips per replica per minute; ${row.keyBytesPerReplica} bytes of keys, ${row.usedMemoryPerReplica} bytes of used_memory per replica`,
  );
  return row;
}

// ---------------------------------------------------------------------------------------------
// 2. Transition latency

async function transitionLatency(redis, size, app) {
  const sse = sseClient(app.port, '/health/fleet/stream');
  const first = await sse.snapshot;
  const flipper = await createReplica({
    redis: redis.url,
    service: SERVICE,
    instance: 'flipper',
    publishIntervalMs: PUBLISH_INTERVAL_MS,
    indicators: ['flip'],
  });
  const durations = [];
  const subscription = flipper.publisher.publishes.subscribe((event) => {
    if (event.ok) durations.push(event.durationMs);
  });
  try {
    const joined = await sse.waitFor(
      (t) => t.instance === 'flipper' && t.kind === 'instance' && t.current === 'joined',
      10_000,
    );
    if (joined === null) log('  (the flipper\'s "joined" never arrived on the stream)');
    durations.length = 0;
    const receivedBefore = { ...sse.received };
    const flipsStarted = performance.now();
    const latencies = [];
    let missed = 0;
    let status = 'up';
    for (let flip = 0; flip < FLIPS; flip++) {
      status = status === 'up' ? 'down' : 'up';
      const expected = status;
      const arrival = sse.waitFor(
        (t) =>
          t.instance === 'flipper' &&
          t.kind === 'indicator' &&
          t.name === 'flip' &&
          t.current === expected,
        2_000,
      );
      const flippedAt = performance.now();
      flipper.set('flip', status, status === 'down' ? 'flipped by the benchmark' : undefined);
      const arrivedAt = await arrival;
      if (arrivedAt === null) missed += 1;
      else latencies.push(arrivedAt - flippedAt);
      if (latencies.length === 0 && missed === 5) {
        // None arrives: counted as missed, without waiting for each.
        log(`  ${size} replicas: the first 5 transitions never arrived; the rest are not tried`);
        missed = FLIPS;
        break;
      }
      await sleep(FLIP_SPACING_MS);
    }
    const flipsS = (performance.now() - flipsStarted) / 1000;
    const during = (key) => sse.received[key] - receivedBefore[key];
    const row = {
      replicas: size,
      instancesInFirstSnapshot: first.summary?.instances ?? null,
      flips: FLIPS,
      missed,
      ...Object.fromEntries(Object.entries(spread(latencies)).map(([k, v]) => [k, round(v)])),
      publishP50Ms: round(percentile(Float64Array.from(durations).sort(), 50)),
      publishP99Ms: round(percentile(Float64Array.from(durations).sort(), 99)),
      // What the stream sent meanwhile: a transition per flip (two: the indicator and its
      // group), an `instance` event now and then, no snapshot (nothing became unavailable).
      eventsPerSecond: {
        transition: round(during('transition') / flipsS, 1),
        instance: round(during('instance') / flipsS, 1),
        snapshot: round(during('snapshot') / flipsS, 1),
      },
      streamMBPerSecond: round(during('bytes') / 2 ** 20 / flipsS),
    };
    log(
      `  ${size} replicas: flip → fleet stream p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, max ${row.maxMs} ms (${missed} missed); the flipper's MULTI p50 ${row.publishP50Ms} ms`,
    );
    return row;
  } finally {
    subscription.unsubscribe();
    await flipper.close();
    sse.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. GET /health/fleet

async function fleetRead(redis, size, app) {
  const cold = [];
  let bytes = 0;
  let instances = null;
  const statuses = {};
  await get(app.port, '/health/fleet'); // the connection, and the code warm
  for (let i = 0; i < COLD_READS; i++) {
    await sleep(150);
    const response = await get(app.port, '/health/fleet');
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    cold.push(response.ms);
    bytes = response.bytes;
    if (i === 0) instances = response.body().summary?.instances ?? null;
  }
  // The Redis floor: the reader's two commands, sent from here.
  const floor = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    const flat = await redis.client.zrangebyscore(
      KEYS.index,
      Date.now() - 300_000,
      '+inf',
      'WITHSCORES',
    );
    const names = flat.filter((_, index) => index % 2 === 0);
    if (names.length) await redis.client.mget(...names.map((name) => KEYS.instance(name)));
    floor.push(performance.now() - started);
    await sleep(20);
  }
  const cpuBefore = cpuSeconds(app.pid);
  const loaded = await load(app.port, '/health/fleet', 10, DURATION_S);
  const cpu = cpuSeconds(app.pid) - cpuBefore;
  const coldSpread = spread(cold);
  const row = {
    replicas: size,
    instancesShown: instances,
    bodyKB: round(bytes / 1024, 1),
    coldReads: cold.length,
    coldP50Ms: round(coldSpread.p50Ms),
    coldP99Ms: round(coldSpread.p99Ms),
    coldMaxMs: round(coldSpread.maxMs),
    redisFloorP50Ms: round(median(floor)),
    loadRequestsPerSecond: round(loaded.requestsPerSecond, 0),
    loadP50Ms: round(loaded.p50Ms),
    loadP99Ms: round(loaded.p99Ms),
    loadCpuMicrosPerRequest: loaded.requests ? round((cpu * 1e6) / loaded.requests, 0) : null,
    statuses: {
      ...statuses,
      ...Object.fromEntries(Object.entries(loaded.statuses).map(([k, v]) => [`load ${k}`, v])),
    },
  };
  log(
    `  ${size} replicas: GET /health/fleet cold p50 ${row.coldP50Ms} ms, p99 ${row.coldP99Ms} ms (${row.bodyKB} KB; Redis floor ${row.redisFloorP50Ms} ms); under load ${row.loadRequestsPerSecond} req/s, p99 ${row.loadP99Ms} ms`,
  );
  return row;
}

// ---------------------------------------------------------------------------------------------
// 4. The local probe when Redis hangs

async function probeWhenRedisHangs() {
  const redis = await startRedis();
  const off = await startFleetApp({ fleet: null }, 'probe-fleet-off');
  const on = await startFleetApp(
    {
      fleet: {
        redis: redis.url,
        service: 'probe',
        instance: 'probe-1',
        publishIntervalMs: PROBE_PUBLISH_INTERVAL_MS,
      },
    },
    'probe-fleet-on',
  );
  const runs = { off: [], fine: [], hung: [] };
  let publishesWhileFine = [];
  try {
    await settle(off.port, '/health/ready', 200);
    await settle(on.port, '/health/ready', 200);
    const states = ['off', 'fine', 'hung'];
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      const order = [...states.slice(repeat % 3), ...states.slice(0, repeat % 3)];
      for (const state of order) {
        const app = state === 'off' ? off : on;
        if (state === 'hung') {
          redis.child.kill('SIGSTOP');
          // Past the publish deadline (1 s): the publish in flight has failed, none is sent.
          await sleep(1_500);
        }
        const execBefore = state === 'fine' ? (await commandStats(redis)).exec : 0;
        await load(app.port, '/health/ready', PROBE_CONNECTIONS, WARMUP_S);
        const cpuBefore = cpuSeconds(app.pid);
        const measured = await load(app.port, '/health/ready', PROBE_CONNECTIONS, DURATION_S);
        const cpu = cpuSeconds(app.pid) - cpuBefore;
        if (state === 'fine') {
          const execs = (await commandStats(redis)).exec - execBefore;
          publishesWhileFine.push(execs / (WARMUP_S + DURATION_S));
        }
        if (state === 'hung') {
          redis.child.kill('SIGCONT');
          await sleep(1_500);
        }
        runs[state].push({
          ...measured,
          cpuMicrosPerRequest: measured.requests ? (cpu * 1e6) / measured.requests : NaN,
        });
        log(
          `  ${state === 'off' ? 'fleet off' : `fleet on, Redis ${state}`}: ${Math.round(measured.requestsPerSecond)} req/s, p99 ${measured.p99Ms.toFixed(2)} ms${measured.timeouts ? `, ${measured.timeouts} timeouts` : ''}`,
        );
      }
    }
  } finally {
    redis.child.kill('SIGCONT');
    await stop(off.child);
    await stop(on.child);
    redis.client.disconnect();
    await stop(redis.child);
  }
  const label = {
    off: 'fleet off',
    fine: 'fleet on, Redis fine',
    hung: 'fleet on, Redis hung (SIGSTOP)',
  };
  const rows = Object.entries(runs).map(([state, list]) => {
    const statuses = {};
    for (const run of list) {
      for (const [code, count] of Object.entries(run.statuses)) {
        statuses[code] = (statuses[code] ?? 0) + count;
      }
    }
    return {
      state,
      app: label[state],
      runs: list.length,
      requestsPerSecond: round(median(list.map((r) => r.requestsPerSecond)), 0),
      p50Ms: round(median(list.map((r) => r.p50Ms))),
      p99Ms: round(median(list.map((r) => r.p99Ms))),
      maxMs: round(Math.max(...list.map((r) => r.maxMs))),
      cpuMicrosPerRequest: round(median(list.map((r) => r.cpuMicrosPerRequest)), 1),
      timeouts: list.reduce((sum, r) => sum + r.timeouts, 0),
      statuses,
    };
  });
  const byState = Object.fromEntries(rows.map((row) => [row.state, row]));
  for (const row of rows) {
    row.vsOff = round(row.requestsPerSecond / byState.off.requestsPerSecond, 3);
    row.vsFine = round(row.requestsPerSecond / byState.fine.requestsPerSecond, 3);
  }
  return { rows, publishesPerSecondWhileFine: round(median(publishesWhileFine), 2) };
}

// ---------------------------------------------------------------------------------------------
// Run

const startedAt = new Date();
const machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  memoryGB: Math.round(totalmem() / 1024 ** 3),
  node: process.version,
  kernel: release(),
  pinned: twoCores
    ? `Nest apps on core ${SERVER_CORE}, load generator on core ${LOAD_CORE}, redis-server and replica hosts on ${ALL_CORES}`
    : 'not pinned',
  loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
  mode: QUICK ? 'quick' : 'full',
  sizes: SIZES,
  steadyS: STEADY_S,
  flips: FLIPS,
  durationS: DURATION_S,
  warmupS: WARMUP_S,
  repeats: REPEATS,
  publishIntervalMs: PUBLISH_INTERVAL_MS,
  startedAt: startedAt.toISOString(),
};
log(
  `fleet benchmark — ${machine.cpus}, ${machine.memoryGB} GB, Node ${machine.node}, ${machine.pinned}; ${machine.mode}: ${STEADY_S} s steady windows, ${FLIPS} flips, ${DURATION_S} s runs, ${REPEATS} repeat(s)`,
);
if (CPU_PROF) mkdirSync(join(here, 'results', 'cpu'), { recursive: true });

const steadyRows = [];
const latencyRows = [];
const readRows = [];
const redis = await startRedis();
try {
  for (const size of SIZES) {
    log(`${size} replicas: starting them (one ioredis connection each)`);
    await redis.client.flushall();
    const memoryBefore = await memoryInfo(redis);
    const hosts = await startReplicas(redis, size);
    try {
      steadyRows.push(await steady(redis, size, hosts, memoryBefore));
      const app = await startFleetApp(
        {
          fleet: {
            redis: redis.url,
            service: SERVICE,
            instance: 'reader',
            publishIntervalMs: PUBLISH_INTERVAL_MS,
          },
        },
        `fleet-app-${size}`,
      );
      try {
        await settle(app.port, '/health/fleet', 200);
        latencyRows.push(await transitionLatency(redis, size, app));
        readRows.push(await fleetRead(redis, size, app));
      } finally {
        await stop(app.child);
      }
    } finally {
      await Promise.all(hosts.map((host) => stop(host.child)));
    }
  }
} finally {
  redis.client.disconnect();
  await stop(redis.child);
}
let probe;
if (!SKIP_PROBE) {
  log('the local probe with Redis fine, hung, and without the fleet');
  probe = await probeWhenRedisHangs();
}

// ---------------------------------------------------------------------------------------------
// Report

console.log(
  `fleet benchmark — ${machine.cpus}, ${machine.memoryGB} GB, Node ${machine.node}, Linux ${machine.kernel}, ${machine.pinned}; ${machine.mode} mode; load average at start ${machine.loadAverageAtStart.join(', ')}`,
);
if (steadyRows.length > 0) {
  console.log(
    `\n1. Steady state (nothing changes, publishIntervalMs ${PUBLISH_INTERVAL_MS}), ${STEADY_S} s window; per replica per minute, and bytes per replica`,
  );
  console.table(
    steadyRows.map((row) => ({
      replicas: row.replicas,
      'cmds/min': row.commandsPerReplicaPerMinute,
      'round trips/min': row.roundTripsPerReplicaPerMinute,
      multi: row.byCommand.multi,
      exec: row.byCommand.exec,
      set: row.byCommand.set,
      zadd: row.byCommand.zadd,
      zremrangebyscore: row.byCommand.zremrangebyscore,
      pexpire: row.byCommand.pexpire,
      other: Object.entries(row.byCommand)
        .filter(
          ([c]) => !['multi', 'exec', 'set', 'zadd', 'zremrangebyscore', 'pexpire'].includes(c),
        )
        .map(([c, n]) => `${c} ${n}`)
        .join(', '),
      'failed publishes': row.failedPublishes,
      'JSON B': row.snapshotJsonBytes,
      'keys B/replica': row.keyBytesPerReplica,
      'used_memory Δ B/replica': row.usedMemoryPerReplica,
      'of it clients B/replica': row.clientBuffersPerReplica,
    })),
  );
}
if (latencyRows.length > 0) {
  console.log(
    `\n2. A transition on one replica → its arrival on another's /health/fleet/stream (${FLIPS} flips, ${FLIP_SPACING_MS} ms apart, one clock), with the replicas publishing in the background`,
  );
  console.table(
    latencyRows.map((row) => ({
      replicas: row.replicas,
      flips: row.flips,
      missed: row.missed,
      'p50 ms': row.p50Ms,
      'p99 ms': row.p99Ms,
      'max ms': row.maxMs,
      'its MULTI p50 ms': row.publishP50Ms,
      'its MULTI p99 ms': row.publishP99Ms,
      'snapshots/s': row.eventsPerSecond.snapshot,
      'transitions/s': row.eventsPerSecond.transition,
      'stream MB/s': row.streamMBPerSecond,
    })),
  );
}
if (readRows.length > 0) {
  console.log(
    `\n3. GET /health/fleet: cold (sequential, 150 ms apart, ${COLD_READS} reads) and under load (10 connections, ${DURATION_S} s)`,
  );
  console.table(
    readRows.map((row) => ({
      replicas: row.replicas,
      shown: row.instancesShown,
      'body KB': row.bodyKB,
      'cold p50 ms': row.coldP50Ms,
      'cold p99 ms': row.coldP99Ms,
      'cold max ms': row.coldMaxMs,
      'Redis floor p50 ms': row.redisFloorP50Ms,
      'load req/s': row.loadRequestsPerSecond,
      'load p50 ms': row.loadP50Ms,
      'load p99 ms': row.loadP99Ms,
      'CPU µs/req': row.loadCpuMicrosPerRequest,
      statuses: Object.entries(row.statuses)
        .map(([code, n]) => `${code}×${n}`)
        .join(' '),
    })),
  );
}
if (probe) {
  console.log(
    `\n4. /health/ready (${PROBE_CONNECTIONS} connections, ${WARMUP_S} s warm-up, ${DURATION_S} s runs, median of ${REPEATS}); the fleet publishes every ${PROBE_PUBLISH_INTERVAL_MS} ms (${probe.publishesPerSecondWhileFine} EXEC/s seen while fine)`,
  );
  console.table(
    probe.rows.map((row) => ({
      app: row.app,
      'req/s': row.requestsPerSecond,
      '× fleet off': row.vsOff,
      '× Redis fine': row.vsFine,
      'p50 ms': row.p50Ms,
      'p99 ms': row.p99Ms,
      'max ms': row.maxMs,
      'CPU µs/req': row.cpuMicrosPerRequest,
      timeouts: row.timeouts,
      statuses: Object.keys(row.statuses).join(','),
    })),
  );
}

const targets = [];
const target = (name, value, met, unit = '') =>
  value !== undefined &&
  value !== null &&
  Number.isFinite(value) &&
  targets.push({ name, value: round(value, 3), unit, met });
for (const row of steadyRows) {
  target(
    `${row.replicas} replicas: round trips per replica per minute when nothing changes ≤ 15`,
    row.roundTripsPerReplicaPerMinute,
    row.roundTripsPerReplicaPerMinute <= 15,
  );
  target(
    `${row.replicas} replicas: Redis commands per replica per minute when nothing changes`,
    row.commandsPerReplicaPerMinute,
    null,
  );
  target(`${row.replicas} replicas: bytes of keys per replica`, row.keyBytesPerReplica, null, 'B');
}
for (const row of latencyRows) {
  target(
    `${row.replicas} replicas: transition → another replica's fleet stream, p99 ≤ 250 ms`,
    row.p99Ms,
    row.p99Ms <= 250 && row.missed === 0,
    'ms',
  );
}
for (const row of readRows) {
  target(
    `${row.replicas} replicas: GET /health/fleet, cold read p99 < 50 ms`,
    row.coldP99Ms,
    row.coldP99Ms < 50,
    'ms',
  );
  target(
    `${row.replicas} replicas: GET /health/fleet under load (10 connections), p99 < 50 ms`,
    row.loadP99Ms,
    row.loadP99Ms < 50,
    'ms',
  );
}
if (probe) {
  const byState = Object.fromEntries(probe.rows.map((row) => [row.state, row]));
  // "Zero effect", within the noise of a run on this machine (5 %).
  target(
    '/health/ready req/s, Redis hung over Redis fine ≥ 0.95',
    byState.hung.vsFine,
    byState.hung.vsFine >= 0.95,
    '×',
  );
  target(
    '/health/ready req/s, Redis hung over the fleet off ≥ 0.95',
    byState.hung.vsOff,
    byState.hung.vsOff >= 0.95,
    '×',
  );
  target('/health/ready req/s, Redis fine over the fleet off', byState.fine.vsOff, null, '×');
}
console.log('\ntargets:');
for (const { name, value, unit, met } of targets) {
  const verdict = met === null ? '' : met ? '  met' : '  NOT MET';
  console.log(`  ${name}: ${value}${unit ? ` ${unit}` : ''}${verdict}`);
}

mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', `fleet-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  JSON.stringify(
    { machine, steady: steadyRows, latency: latencyRows, read: readRows, probe, targets },
    null,
    2,
  ),
);
console.log(`written to ${file}`);
process.exit(0);

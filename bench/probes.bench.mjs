// Probe benchmark: nest-health's probes side by side with the limit (a raw node:http server),
// the framework floor (a bare Nest route), the module's probe port (scenario probe-port) and
// @nestjs/terminus, in one run, on Express and Fastify. Prints a table and writes bench/results/probes-<time>.json with the machine.
//
//   npm run bench                       (full: warm-up 3 s, 10 s runs, 3 repeats, each in fresh processes)
//   npm run bench -- --quick            (warm-up 1 s, 2 s runs, 1 repeat: proves it works)
//   npm run bench -- --scenarios=steady,slow,hung,indicators --adapters=express,fastify
//                    --duration=10 --warmup=3 --repeats=3
//
// Each server is a process of its own pinned to core 0 (bench/raw-json-server.cjs, and
// bench/probe-server.ts compiled first into dist/bench by tsc -p bench/tsconfig.json); this load
// generator (autocannon, as a library) runs pinned to core 1, where the machine has two cores.
// Every Nest server gets a redis-server of its own (started here, on a free port) and a
// PostgreSQL database of its own (created here, dropped at the end), so that Redis
// `INFO commandstats` and `pg_stat_database` count that server's calls and nobody else's.
//
// Environment: BENCH_DATABASE_URL (a PostgreSQL URL whose user may create databases; default
// postgres://postgres@127.0.0.1:5432/postgres). redis-server must be on the PATH.
import autocannon from 'autocannon';
import Redis from 'ioredis';
import pg from 'pg';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
const SCENARIOS = (option('scenarios') ?? 'steady,probe-port,extras,slow,hung,indicators').split(
  ',',
);
const ADAPTERS = (option('adapters') ?? 'express,fastify').split(',');
const DURATION_S = Number(option('duration') ?? (QUICK ? 2 : 10));
const WARMUP_S = Number(option('warmup') ?? (QUICK ? 1 : 3));
const REPEATS = Number(option('repeats') ?? (QUICK ? 1 : 3));
/** Idle window for the scheduler's CPU share and background calls, in seconds. */
const IDLE_S = QUICK ? 3 : 10;
/** autocannon gives up on a request after this many seconds (it counts as a timeout). */
const REQUEST_TIMEOUT_S = 10;
/**
 * Runs against a hung dependency last at least this long, so that checks which wait for the
 * client's own timeout (the example's pg pool gives up connecting after 5 s) answer within a run.
 */
const HUNG_DURATION_S = Math.max(DURATION_S, 12);
/** Delay of the slow dependency, in milliseconds. */
const SLOW_MS = 50;
const INDICATOR_COUNTS = [1, 10, 100];
/** Fewer answers than this in a run are too few to divide calls or CPU time by. */
const MIN_REQUESTS = 100;
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function log(line) {
  process.stderr.write(`${line}\n`);
}

await pinLoadGenerator();

// The Nest servers run compiled JavaScript: a server running the TypeScript sources through a
// require hook would hold the TypeScript compiler in memory, and its RSS would say nothing.
log('compiling the servers (tsc -p bench/tsconfig.json)');
execFileSync(
  process.execPath,
  [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', join(here, 'tsconfig.json')],
  { cwd: root, stdio: 'inherit' },
);

// ---------------------------------------------------------------------------------------------
// Processes: every child is tracked and killed on the way out, whatever happens.

const children = new Set();
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
function killAll(signal = 'SIGKILL') {
  for (const child of children) child.kill(signal);
}
process.on('exit', () => killAll());
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Spawns `command` pinned to `cores` (when the machine has two), stdout piped. */
function spawnOn(cores, command, commandArgs) {
  const [file, list] = twoCores
    ? ['taskset', ['-c', cores, command, ...commandArgs]]
    : [command, commandArgs];
  // taskset execs the command: the child's pid is the command's.
  return track(spawn(file, list, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }));
}

/** Resolves with the port a child prints as "ready <port>". */
function readyPort(child, what, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start`)), timeoutMs);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /ready (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}`));
    });
  });
}

async function stop(child, graceMs = 5_000) {
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

// ---------------------------------------------------------------------------------------------
// Dependencies: a redis-server and a database per Nest server; a slow proxy; a hung server.

const admin = new pg.Client(ADMIN_URL);
const databases = [];
let databaseCount = 0;

async function createDatabase() {
  const name = `nest_health_bench_${process.pid}_${++databaseCount}`;
  await admin.query(`CREATE DATABASE ${name}`);
  databases.push(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

async function dropDatabases() {
  for (const name of databases.splice(0)) {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  }
}

/** Committed and rolled-back transactions of one database, as pg_stat_database counts them. */
async function pgTransactions(database) {
  const { rows } = await admin.query(
    'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
    [database],
  );
  return Number(rows[0]?.n ?? 0);
}

async function startRedis() {
  const port = await freePort();
  const child = track(
    spawn(
      twoCores ? 'taskset' : 'redis-server',
      [
        ...(twoCores ? ['-c', ALL_CORES, 'redis-server'] : []),
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    ),
  );
  for (let attempt = 0; !(await accepts(port)); attempt++) {
    if (attempt > 200) throw new Error(`redis-server on port ${port} did not start`);
    await sleep(25);
  }
  const client = new Redis({ port, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  await once(client, 'ready');
  return { child, port, client, url: `redis://127.0.0.1:${port}` };
}

/** Commands this Redis has run, all kinds together, less the INFO calls that read them. */
async function redisCommands(redis) {
  const info = await redis.client.info('commandstats');
  let calls = 0;
  for (const match of info.matchAll(/calls=(\d+)/g)) calls += Number(match[1]);
  redis.reads = (redis.reads ?? 0) + 1;
  // Each read counts itself in the next one.
  return calls - (redis.reads - 1);
}

async function startSlowProxy(upstreamPort) {
  const child = spawnOn(ALL_CORES, process.execPath, [
    join(here, 'latency-proxy.mjs'),
    String(upstreamPort),
    String(SLOW_MS),
  ]);
  return { child, port: await readyPort(child, 'latency proxy') };
}

/** A TCP server that accepts connections and never answers: a hung dependency. */
async function startHungServer() {
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Servers

/**
 * Starts one server: its own Redis and database (Nest servers), then the process.
 * `dependencies` changes what the app connects to: `{ slowRedis }`, `{ hungDatabasePort }`.
 */
async function startServer(definition, dependencies = {}) {
  const server = { ...definition, requests: 0, runs: [] };
  if (definition.role !== 'raw') {
    server.redis = await startRedis();
    server.database = await createDatabase();
    server.pgBefore = await pgTransactions(server.database.name);
    let redisUrl = server.redis.url;
    if (dependencies.slowRedis) {
      server.proxy = await startSlowProxy(server.redis.port);
      redisUrl = `redis://127.0.0.1:${server.proxy.port}`;
    }
    const databaseUrl = dependencies.hungDatabasePort
      ? `postgres://postgres@127.0.0.1:${dependencies.hungDatabasePort}/hung`
      : server.database.url;
    server.spec = {
      role: definition.role,
      adapter: definition.adapter,
      fastPath: definition.fastPath ?? false,
      probePort: definition.probePort ?? false,
      extras: definition.extras ?? false,
      indicators: definition.indicators,
      databaseUrl,
      redisUrl,
      queuePrefix: `bench-${process.pid}-${server.database.name.split('_').pop()}`,
    };
  }
  server.child = spawnOn(
    SERVER_CORE,
    process.execPath,
    definition.role === 'raw'
      ? ['--expose-gc', join(here, 'raw-json-server.cjs'), ...(definition.rawArgs ?? [])]
      : [
          '--expose-gc',
          '--require',
          join(here, 'compiled-paths.cjs'),
          join(root, 'dist', 'bench', 'bench', 'probe-server.js'),
          JSON.stringify(server.spec),
        ],
  );
  server.pid = server.child.pid;
  server.startedAt = performance.now(); // checks start while the app boots
  server.port = await readyPort(server.child, `${definition.name} (${definition.adapter})`);
  return server;
}

async function stopServer(server) {
  await stop(server.child);
  server.lifetimeS = (performance.now() - server.startedAt) / 1000;
  if (server.database) {
    // A backend flushes its statistics when it exits; idle ones only every 10 s.
    await sleep(500);
    server.pgCalls = (await pgTransactions(server.database.name)) - server.pgBefore;
  }
  if (server.proxy) await stop(server.proxy.child);
  if (server.redis) {
    server.redis.client.disconnect();
    await stop(server.redis.child);
  }
}

/** CPU time of a process so far, in seconds. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks of 10 ms
}

/** RSS after a full GC (the server runs with --expose-gc and collects on SIGUSR2). */
/**
 * Memory after a full GC: the server collects and prints process.memoryUsage() on SIGUSR2 (it
 * runs with --expose-gc). RSS moves by megabytes as V8 gives pages back, so this takes the least
 * of `samples` readings 500 ms apart, for RSS and for the heap in use.
 */
async function memoryAfterGc(server, samples = 3) {
  let least;
  for (let i = 0; i < samples; i++) {
    const line = new Promise((resolve) => {
      const onData = (chunk) => {
        const match = /memory (\{.*\})/.exec(String(chunk));
        if (!match) return;
        server.child.stdout.off('data', onData);
        resolve(JSON.parse(match[1]));
      };
      server.child.stdout.on('data', onData);
    });
    server.child.kill('SIGUSR2');
    const { rss, heapUsed } = await line;
    least = {
      rss: Math.min(rss, least?.rss ?? Infinity),
      heapUsed: Math.min(heapUsed, least?.heapUsed ?? Infinity),
    };
    await sleep(500);
  }
  return least;
}

async function get(port, path) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  await response.arrayBuffer();
  return response.status;
}

/** Waits until `path` answers `status` (the first checks have run). */
async function settle(server, path, status, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await get(server.port, path).catch(() => 0);
    if (got === status) return;
    if (Date.now() > deadline) {
      throw new Error(`${server.name} (${server.adapter}): ${path} answers ${got}, not ${status}`);
    }
    await sleep(100);
  }
}

/**
 * How often the background checks ran, from `GET /health` (loopback callers see the details): an
 * indicator up since its first run has run `consecutiveSuccesses` times between `since` and
 * `lastCheckedAt`. Returns the most runs per `intervalMs` of any background indicator, or `null`
 * for a server without them.
 */
async function checkRunsPerInterval(server, intervalMs = 5_000) {
  if (server.role !== 'health' && server.role !== 'indicators') return null;
  const response = await fetch(`http://127.0.0.1:${server.port}/health`);
  const { checks } = await response.json();
  let most = null;
  for (const check of Object.values(checks ?? {})) {
    if (check.mode !== 'background' || check.consecutiveSuccesses < 2) continue;
    const spanMs = Date.parse(check.lastCheckedAt) - Date.parse(check.since);
    const runs = (check.consecutiveSuccesses - 1) / (spanMs / intervalMs);
    most = Math.max(most ?? 0, runs);
  }
  return most;
}

/** Idle window: the process's CPU share and its dependencies' calls while nobody asks. */
async function idle(server) {
  const redisBefore = server.redis ? await redisCommands(server.redis) : 0;
  const cpuBefore = cpuSeconds(server.pid);
  const started = performance.now();
  await sleep(IDLE_S * 1000);
  const seconds = (performance.now() - started) / 1000;
  server.idleCpuPercent = ((cpuSeconds(server.pid) - cpuBefore) / seconds) * 100;
  if (server.redis) {
    server.idleRedisPerSecond = ((await redisCommands(server.redis)) - redisBefore) / seconds;
  }
}

// ---------------------------------------------------------------------------------------------
// Load

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

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
  // A request that timed out took at least the timeout.
  for (let i = 0; i < result.timeouts; i++) latencies.push(REQUEST_TIMEOUT_S * 1000);
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length - result.timeouts,
    requestsPerSecond: (latencies.length - result.timeouts) / result.duration,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
    timeouts: result.timeouts,
    errors: result.errors - result.timeouts,
    statuses,
  };
}

/** One measured run: warm-up, then the run, with the server's CPU and Redis calls. */
async function run(server, connections, seconds) {
  const warm = await load(server.port, server.path, connections, WARMUP_S);
  server.requests += warm.requests;
  const redisBefore = server.redis ? await redisCommands(server.redis) : 0;
  const cpuBefore = cpuSeconds(server.pid);
  const measured = await load(server.port, server.path, connections, seconds);
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  server.requests += measured.requests;
  const redisCalls = server.redis ? (await redisCommands(server.redis)) - redisBefore : undefined;
  const figures = {
    ...measured,
    serverCpuPercent: (cpu / seconds) * 100,
    // The server's own cost of an answer: unlike requests per second, it does not depend on
    // whether the server or the load generator is the bottleneck.
    cpuMicrosPerRequest:
      measured.requests >= MIN_REQUESTS ? (cpu * 1e6) / measured.requests : undefined,
    // Over a handful of answers (a hung dependency), the background calls would swamp it.
    redisCallsPerRequest:
      redisCalls === undefined || measured.requests < MIN_REQUESTS
        ? undefined
        : redisCalls / measured.requests,
  };
  server.runs.push({ connections, ...figures });
  return figures;
}

function median(values) {
  const list = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (list.length === 0) return NaN;
  const middle = Math.floor(list.length / 2);
  return list.length % 2 ? list[middle] : (list[middle - 1] + list[middle]) / 2;
}

/**
 * Runs every server at every connection count, `REPEATS` times, alternating servers within a
 * repeat (so that a slow moment of the machine is shared), and keeps medians.
 */
/** One measured run of each server at each connection count, servers alternated. */
async function measurePass(servers, connectionCounts, seconds) {
  for (const connections of connectionCounts) {
    for (const server of servers) {
      const figures = await run(server, connections, seconds);
      log(
        `  ${server.name} (${server.adapter}) ×${connections}: ${Math.round(figures.requestsPerSecond)} req/s, p99 ${figures.p99Ms.toFixed(2)} ms${figures.timeouts ? `, ${figures.timeouts} timeouts` : ''}`,
      );
    }
  }
}

function summarize(server, scenario, connections) {
  const runs = server.runs.filter((r) => r.connections === connections);
  const sum = (key) => runs.reduce((total, r) => total + (r[key] ?? 0), 0);
  const statuses = {};
  for (const r of runs) {
    for (const [code, count] of Object.entries(r.statuses)) {
      statuses[code] = (statuses[code] ?? 0) + count;
    }
  }
  return {
    scenario,
    adapter: server.role === 'raw' ? 'node:http' : server.adapter,
    server: server.name,
    path: server.path,
    connections,
    runs: runs.length,
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    maxMs: Math.max(...runs.map((r) => r.maxMs)),
    serverCpuPercent: median(runs.map((r) => r.serverCpuPercent)),
    cpuMicrosPerRequest: median(runs.map((r) => r.cpuMicrosPerRequest)),
    redisCallsPerRequest: server.redis ? median(runs.map((r) => r.redisCallsPerRequest)) : null,
    pgCallsPerRequest:
      server.database && server.requests > 0 ? server.pgCalls / server.requests : null,
    timeouts: sum('timeouts'),
    errors: sum('errors'),
    statuses,
    rssBootMB: server.memoryBoot.rss / 2 ** 20,
    heapBootMB: server.memoryBoot.heapUsed / 2 ** 20,
    rssAfterLoadMB: server.memoryAfterLoad.rss / 2 ** 20,
    idleCpuPercent: server.idleCpuPercent ?? null,
    idleRedisPerSecond: server.idleRedisPerSecond ?? null,
    pgCallsWhileUp: server.pgCalls ?? null,
    checkRunsPerInterval: server.checkRunsPerInterval ?? null,
    lifetimeS: server.lifetimeS,
  };
}

// ---------------------------------------------------------------------------------------------
// Scenarios

const rows = [];

/** Starts the servers of a scenario, waits for their first results, measures, stops them. */
/**
 * Runs one scenario: each repeat starts every server afresh, measures each in turn (alternated),
 * and stops them, so that one process's luck (where its heap and code land, what the JIT made of
 * it) counts once in the median rather than in every repeat. Memory, the idle window and check
 * runs per interval are read in the first repeat's processes.
 */
async function scenario(name, definitions, connectionCounts, dependencies = {}) {
  const records = [];
  const seconds = name === 'hung' ? HUNG_DURATION_S : DURATION_S;
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    log(`${name}: starting ${definitions.length} servers (repeat ${repeat + 1} of ${REPEATS})`);
    const first = repeat === 0;
    const servers = [];
    try {
      for (const definition of definitions) {
        servers.push(await startServer(definition, dependencies));
      }
      for (const server of servers) await settle(server, server.path, server.settleStatus ?? 200);
      if (first) {
        for (const server of servers) server.memoryBoot = await memoryAfterGc(server);
        if (name === 'indicators' || name === 'steady') {
          // All servers idle together: each one's CPU share and background calls.
          await Promise.all(servers.map((server) => idle(server)));
        }
      }
      await measurePass(servers, connectionCounts, seconds);
      if (first) {
        for (const server of servers) {
          server.memoryAfterLoad = await memoryAfterGc(server);
          server.checkRunsPerInterval = await checkRunsPerInterval(server);
        }
      }
    } finally {
      for (const server of servers) await stopServer(server);
    }
    servers.forEach((server, i) => {
      if (first) {
        records[i] = server;
        return;
      }
      records[i].runs.push(...server.runs);
      records[i].requests += server.requests;
      if (server.pgCalls !== undefined) records[i].pgCalls += server.pgCalls;
    });
  }
  for (const connections of connectionCounts) {
    for (const server of records) rows.push(summarize(server, name, connections));
  }
}

function steadyServers(adapter) {
  return [
    { name: 'nest route (floor)', role: 'floor', adapter, path: '/constant' },
    { name: 'nest-health', role: 'health', adapter, path: '/health/ready' },
    // The same constant route in the app with nest-health: what the probe's route costs against
    // a constant route of its own app, apart from what the app carrying the module costs.
    { name: 'nest route, app with nest-health', role: 'health', adapter, path: '/constant' },
    {
      name: 'nest-health fast path',
      role: 'health',
      adapter,
      fastPath: true,
      path: '/health/ready',
    },
    { name: 'terminus', role: 'terminus', adapter, path: '/terminus/ready' },
    { name: 'nest-health on-demand', role: 'on-demand', adapter, path: '/health/ready' },
  ];
}

const startedAt = new Date();
const machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  memoryGB: Math.round(totalmem() / 1024 ** 3),
  node: process.version,
  kernel: release(),
  pinned: twoCores
    ? `servers on core ${SERVER_CORE}, load generator on core ${LOAD_CORE}`
    : 'not pinned',
  loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
  mode: QUICK ? 'quick' : 'full',
  durationS: DURATION_S,
  warmupS: WARMUP_S,
  repeats: REPEATS,
  startedAt: startedAt.toISOString(),
};
log(
  `probe benchmark — ${machine.cpus}, ${machine.memoryGB} GB, Node ${machine.node}, ${machine.pinned}; ${machine.mode}: ${WARMUP_S} s warm-up, ${DURATION_S} s runs, ${REPEATS} repeat(s)`,
);

await admin.connect();
let hung;
try {
  if (SCENARIOS.includes('steady')) {
    await scenario(
      'steady',
      [{ name: 'node:http (limit)', role: 'raw', adapter: 'express', path: '/' }],
      [1, 50],
    );
    for (const adapter of ADAPTERS) await scenario('steady', steadyServers(adapter), [1, 50]);
  }
  if (SCENARIOS.includes('probe-port')) {
    // The probe port (server option) beside the limit, the framework floor and the app's route,
    // all in one scenario so that they share the machine's moments.
    await scenario(
      'probe-port',
      [
        { name: 'node:http (limit)', role: 'raw', adapter: 'express', path: '/' },
        {
          name: 'node:http (probe bytes)',
          role: 'raw',
          adapter: 'express',
          path: '/',
          rawArgs: ['probe-bytes'],
        },
        ...ADAPTERS.flatMap((adapter) => [
          { name: 'nest route (floor)', role: 'floor', adapter, path: '/constant' },
          { name: 'nest-health', role: 'health', adapter, path: '/health/ready' },
          {
            name: 'nest-health probe port',
            role: 'health',
            adapter,
            probePort: true,
            path: '/health/ready',
          },
        ]),
      ],
      [1, 50],
    );
  }
  if (SCENARIOS.includes('extras')) {
    // What the fast path skips, measured: a global guard, interceptor and middleware (no-ops).
    for (const adapter of ADAPTERS) {
      await scenario(
        'extras',
        [
          { name: 'nest route (floor)', role: 'floor', adapter, extras: true, path: '/constant' },
          { name: 'nest-health', role: 'health', adapter, extras: true, path: '/health/ready' },
          {
            name: 'nest-health fast path',
            role: 'health',
            adapter,
            extras: true,
            fastPath: true,
            path: '/health/ready',
          },
        ],
        [50],
      );
    }
  }
  if (SCENARIOS.includes('slow')) {
    for (const adapter of ADAPTERS) {
      await scenario(
        'slow',
        [
          { name: 'nest-health', role: 'health', adapter, path: '/health/ready' },
          { name: 'terminus', role: 'terminus', adapter, path: '/terminus/ready' },
          { name: 'nest-health on-demand', role: 'on-demand', adapter, path: '/health/ready' },
        ],
        [1, 50],
        { slowRedis: true },
      );
    }
  }
  if (SCENARIOS.includes('hung')) {
    hung = await startHungServer();
    for (const adapter of ADAPTERS) {
      await scenario(
        'hung',
        [
          {
            name: 'nest-health',
            role: 'health',
            adapter,
            path: '/health/ready',
            settleStatus: 503,
          },
          {
            name: 'nest-health fast path',
            role: 'health',
            adapter,
            fastPath: true,
            path: '/health/ready',
            settleStatus: 503,
          },
          {
            name: 'terminus',
            role: 'terminus',
            adapter,
            path: '/terminus/ready',
            settleStatus: 503,
          },
          {
            name: 'nest-health on-demand',
            role: 'on-demand',
            adapter,
            path: '/health/ready',
            settleStatus: 503,
          },
        ],
        [1, 50],
        { hungDatabasePort: hung.port },
      );
    }
  }
  if (SCENARIOS.includes('indicators')) {
    for (const adapter of ADAPTERS) {
      await scenario(
        'indicators',
        [
          ...INDICATOR_COUNTS.map((count) => ({
            name: `nest-health, ${count} indicator${count > 1 ? 's' : ''}`,
            role: 'indicators',
            indicators: count,
            adapter,
            path: '/health/ready',
          })),
          {
            name: `nest-health fast path, ${INDICATOR_COUNTS.at(-1)} indicators`,
            role: 'indicators',
            indicators: INDICATOR_COUNTS.at(-1),
            fastPath: true,
            adapter,
            path: '/health/ready',
          },
        ],
        [50],
      );
    }
  }
} finally {
  hung?.close();
  await dropDatabases();
  await admin.end();
}

// ---------------------------------------------------------------------------------------------
// Report

/** The row of `server` in the same scenario, or else (the floor) in the steady one. */
function peer(row, server) {
  const inScenario = (scenario) =>
    rows.find(
      (other) =>
        other.scenario === scenario &&
        other.adapter === row.adapter &&
        other.server === server &&
        other.connections === row.connections,
    );
  return (
    inScenario(row.scenario) ?? (server === 'nest route (floor)' ? inScenario('steady') : undefined)
  );
}
for (const row of rows) {
  const floor = peer(row, 'nest route (floor)');
  const terminus = peer(row, 'terminus');
  row.vsFloor = floor ? row.requestsPerSecond / floor.requestsPerSecond : null;
  row.vsTerminus = terminus ? row.requestsPerSecond / terminus.requestsPerSecond : null;
}

const fixed = (value, digits) =>
  value === null || !Number.isFinite(value) ? '' : value.toFixed(digits);
const table = rows.map((row) => ({
  scenario: row.scenario,
  adapter: row.adapter,
  server: row.server,
  conns: row.connections,
  'req/s': Math.round(row.requestsPerSecond),
  'p50 ms': fixed(row.p50Ms, 2),
  'p99 ms': fixed(row.p99Ms, 2),
  'max ms': fixed(row.maxMs, 1),
  '× floor': fixed(row.vsFloor, 2),
  '× terminus': fixed(row.vsTerminus, 2),
  'redis/req': fixed(row.redisCallsPerRequest, 3),
  'pg/req': fixed(row.pgCallsPerRequest, 3),
  'RSS MB': fixed(row.rssBootMB, 1),
  'CPU µs/req': fixed(row.cpuMicrosPerRequest, 1),
  'idle CPU %': fixed(row.idleCpuPercent, 2),
  failed:
    row.timeouts + row.errors > 0
      ? `${row.timeouts} timeouts, ${row.errors} errors`
      : Object.keys(row.statuses).join(','),
}));
console.log(
  `probe benchmark — ${machine.cpus}, ${machine.memoryGB} GB, Node ${machine.node}, Linux ${machine.kernel}, ${machine.pinned}; ${machine.mode} mode (${WARMUP_S} s warm-up, ${DURATION_S} s runs, median of ${REPEATS}); load average at start ${machine.loadAverageAtStart.join(', ')}`,
);
console.table(table);

// The issue's targets, from this run's rows.
const find = (scenario, adapter, server, connections = 50) =>
  rows.find(
    (row) =>
      row.scenario === scenario &&
      row.adapter === adapter &&
      row.server === server &&
      row.connections === connections,
  );
const targets = [];
const target = (name, value, met, unit = '') =>
  value !== undefined &&
  value !== null &&
  Number.isFinite(value) &&
  targets.push({ name, value: Math.round(value * 1000) / 1000, unit, met });
for (const adapter of ADAPTERS) {
  const floor = find('steady', adapter, 'nest route (floor)');
  const health = find('steady', adapter, 'nest-health');
  const fast = find('steady', adapter, 'nest-health fast path');
  target(
    `${adapter}: /health/ready ≥ 1.0× the bare Nest route`,
    health?.vsFloor,
    health?.vsFloor >= 1,
    '×',
  );
  target(`${adapter}: fast path ≥ 3× the bare Nest route`, fast?.vsFloor, fast?.vsFloor >= 3, '×');
  // The same in the server's CPU per answer, which holds when the load generator is the limit.
  const cpuRatio = floor?.cpuMicrosPerRequest / fast?.cpuMicrosPerRequest;
  target(
    `${adapter}: fast path, the Nest route's CPU per answer over its own`,
    cpuRatio,
    null,
    '×',
  );
  const healthCpuRatio = floor?.cpuMicrosPerRequest / health?.cpuMicrosPerRequest;
  target(
    `${adapter}: /health/ready, the Nest route's CPU per answer over its own`,
    healthCpuRatio,
    null,
    '×',
  );
  const own = find('steady', adapter, 'nest route, app with nest-health');
  target(
    `${adapter}: /health/ready over a constant route of the same app (req/s)`,
    health?.requestsPerSecond / own?.requestsPerSecond,
    null,
    '×',
  );
  target(
    `${adapter}: a constant route of the app with nest-health over the bare app's (req/s)`,
    own?.vsFloor,
    null,
    '×',
  );
  const calls = (health?.redisCallsPerRequest ?? NaN) + (health?.pgCallsPerRequest ?? NaN);
  target(
    `${adapter}: dependency calls per probe = 0 (background checks included)`,
    calls,
    calls < 0.01,
  );
  if (health && floor) {
    // The scheduler spaces runs by intervalMs ± 10 % (uniform jitter, so that replicas do not
    // check in step): at most one run per interval means a mean spacing of at least 0.9 × 5 s.
    target(
      `${adapter}: check runs per indicator per interval ≤ 1 (interval 5 s ± 10 % jitter)`,
      health.checkRunsPerInterval,
      health.checkRunsPerInterval <= 1 / 0.9,
    );
    const overheadMB = health.rssBootMB - floor.rssBootMB;
    target(
      `${adapter}: heap in use over the same app without the module`,
      health.heapBootMB - floor.heapBootMB,
      null,
      'MB',
    );
    target(
      `${adapter}: RSS over the same app without the module ≤ 5 MB`,
      overheadMB,
      overheadMB <= 5,
      'MB',
    );
  }
  const limit = find('probe-port', 'node:http', 'node:http (limit)');
  const probePort = find('probe-port', adapter, 'nest-health probe port');
  const portVsLimit = probePort?.requestsPerSecond / limit?.requestsPerSecond;
  target(
    `${adapter} app: probe port ≥ 0.8× a raw node:http constant answer (req/s)`,
    portVsLimit,
    portVsLimit >= 0.8,
    '×',
  );
  const portCpu = probePort?.cpuMicrosPerRequest / limit?.cpuMicrosPerRequest;
  target(
    `${adapter} app: probe port CPU per answer ≤ 1.3× raw node:http's`,
    portCpu,
    portCpu <= 1.3,
    '×',
  );
  // What the module adds to the answer itself: against node:http writing the same bytes.
  const sameBytes = find('probe-port', 'node:http', 'node:http (probe bytes)');
  target(
    `${adapter} app: probe port req/s over raw node:http writing the probe's bytes`,
    probePort?.requestsPerSecond / sameBytes?.requestsPerSecond,
    null,
    '×',
  );
  target(
    `${adapter} app: probe port CPU per answer over raw node:http writing the probe's bytes`,
    probePort?.cpuMicrosPerRequest / sameBytes?.cpuMicrosPerRequest,
    null,
    '×',
  );
  for (const server of [
    'nest-health',
    'nest-health fast path',
    'terminus',
    'nest-health on-demand',
  ]) {
    // One connection, as the kubelet probes: a probe's own latency, not a queue's.
    const hungRow = find('hung', adapter, server, 1);
    target(
      `${adapter}: hung dependency, ${server} p99 ≤ 5 ms (1 connection)`,
      hungRow?.p99Ms,
      server === 'terminus' ? null : hungRow?.p99Ms <= 5,
      'ms',
    );
  }
}
if (targets.length > 0) {
  console.log('targets:');
  for (const { name, value, unit, met } of targets) {
    const verdict = met === null ? '' : met ? '  met' : '  MISSED';
    console.log(`  ${name}: ${value}${unit ? ` ${unit}` : ''}${verdict}`);
  }
}

mkdirSync(join(here, 'results'), { recursive: true });
const file = join(here, 'results', `probes-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine, rows, targets }, null, 2));
const markdownFile = file.replace(/\.json$/, '.md');
writeFileSync(markdownFile, markdown());
console.log(`written to ${file} and ${markdownFile} (the README's table)`);

/** The README's table and targets, from this run. */
function markdown() {
  const number = (value, digits = 0) =>
    value === null || !Number.isFinite(value)
      ? ''
      : value.toLocaleString('en-US', {
          minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        });
  const header = [
    'scenario',
    'server',
    'adapter',
    'conns',
    'req/s',
    '× floor',
    '× Terminus',
    'p50 ms',
    'p99 ms',
    'max ms',
    'Redis / req',
    'PG / req',
    'RSS MB',
    'CPU µs / req',
    'idle CPU %',
  ];
  const lines = [
    `Measured with \`npm run bench${QUICK ? ' -- --quick' : ''}\` on ${machine.cpus}, ${machine.memoryGB} GB, Node ${machine.node.slice(1)}, Linux ${machine.kernel}; ${machine.pinned}; ${WARMUP_S} s warm-up, ${DURATION_S} s runs${REPEATS > 1 ? `, medians of ${REPEATS} repeats, each in fresh processes` : ''}; load average at start ${machine.loadAverageAtStart.join(', ')}.`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`,
  ];
  for (const row of rows) {
    const failed = row.timeouts > 0 ? ` (${row.timeouts} timed out)` : '';
    lines.push(
      `| ${[
        row.scenario,
        row.server,
        row.adapter,
        row.connections,
        number(row.requestsPerSecond),
        number(row.vsFloor, 2),
        number(row.vsTerminus, 2),
        number(row.p50Ms, 2),
        `${number(row.p99Ms, 2)}${failed}`,
        number(row.maxMs, 1),
        number(row.redisCallsPerRequest, 3),
        number(row.pgCallsPerRequest, 3),
        number(row.rssBootMB, 1),
        number(row.cpuMicrosPerRequest, 1),
        number(row.idleCpuPercent, 1),
      ].join(' | ')} |`,
    );
  }
  lines.push('', 'Targets:', '');
  for (const { name, value, unit, met } of targets) {
    const verdict = met === null ? '' : met ? ' — met' : ' — **missed**';
    lines.push(`- ${name}: ${value}${unit ? ` ${unit}` : ''}${verdict}`);
  }
  return `${lines.join('\n')}\n`;
}

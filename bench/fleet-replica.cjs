// Simulated replicas of the fleet benchmark (bench/fleet.bench.mjs), built from the library's real
// publishing code (the built library in dist/libs/health, `npm run build:lib`): each replica is a
// FleetPublisher with a HealthStateStore of its own (three indicators, up), a FleetConnection of
// its own (one ioredis connection, opened from the URL as the module does) and the options
// resolved as HealthModule.forRoot resolves them. No Nest application around it: the benchmark
// calls the lifecycle hooks itself, in Nest's order.
//
// As a module: `createReplica(spec)` (the benchmark's flipping replica).
// As a process: hosts many replicas and prints "ready <count>" once every one has started:
//
//   node bench/fleet-replica.cjs '{"redis":"redis://127.0.0.1:6379","service":"bench",
//     "first":0,"count":500,"total":1000,"publishIntervalMs":5000}'
//
// Replica i is named `replica-<i>` and starts at i × publishIntervalMs / total (the replicas of a
// real fleet do not publish in step). On SIGUSR2 it prints "counts {published, failed}" (summed
// over its replicas); on SIGTERM each replica leaves (deletes its keys), then the process exits.
'use strict';
require('reflect-metadata');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const lib = path.join(__dirname, '..', 'dist', 'libs', 'health');
const { HealthStateStore } = require(path.join(lib, 'engine', 'health-state.store'));
const { HealthLogger } = require(path.join(lib, 'logging', 'health-logger'));
const { FleetConnection } = require(path.join(lib, 'fleet', 'fleet-connection'));
const { FleetPublisher } = require(path.join(lib, 'fleet', 'fleet-publisher'));
const { resolveHealthModuleOptions } = require(path.join(lib, 'health-module-options'));

/** The indicators of a simulated replica: what a typical service checks. */
const INDICATORS = ['database', 'redis', 'queue'];

function definition(name) {
  return {
    name,
    groups: ['readiness'],
    critical: true,
    mode: 'background',
    timeoutMs: 1_000,
    intervalMs: 5_000,
    failureThreshold: 1,
    successThreshold: 1,
    cacheTtlMs: 0,
    check: () => ({ status: 'up' }),
    source: 'fleet benchmark',
  };
}

function result(status, message) {
  return {
    status,
    ...(message ? { message } : {}),
    durationMs: 0.42,
    timedOut: false,
    finishedAt: Date.now(),
  };
}

/**
 * One replica: `{ state, publisher, set(name, status), close() }`, started (its first publish
 * sent) and connected. `spec`: `{ redis, service, instance, publishIntervalMs, indicators? }`.
 */
async function createReplica(spec) {
  const options = resolveHealthModuleOptions({
    logger: false,
    fleet: {
      redis: spec.redis,
      service: spec.service,
      instance: spec.instance,
      version: '1.0.0',
      publishIntervalMs: spec.publishIntervalMs,
    },
  });
  const logger = new HealthLogger(options);
  const state = new HealthStateStore();
  const names = spec.indicators ?? INDICATORS;
  for (const name of names) state.track(definition(name));
  state.markBootstrapped();
  for (const name of names) state.record(name, result('up'));
  const connection = new FleetConnection(options, logger);
  connection.onModuleInit();
  await new Promise((resolve, reject) => {
    if (connection.redis.status === 'ready') return resolve();
    const timer = setTimeout(() => reject(new Error(`${spec.instance}: Redis not ready`)), 10_000);
    connection.redis.on('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const publisher = new FleetPublisher(state, connection, logger, options);
  publisher.onApplicationBootstrap();
  return {
    state,
    publisher,
    /** Records one run of `name` with `status` (a transition when the status changes). */
    set(name, status, message) {
      state.record(name, result(status, message));
    },
    async close() {
      publisher.onModuleDestroy();
      await publisher.onApplicationShutdown();
      state.onApplicationShutdown();
    },
  };
}

module.exports = { createReplica };

async function host(spec) {
  const replicas = [];
  let closing = false;
  process.on('SIGUSR2', () => {
    const counts = { published: 0, failed: 0 };
    for (const replica of replicas) {
      counts.published += replica.publisher.counts.published;
      counts.failed += replica.publisher.counts.failed;
    }
    process.stdout.write(`counts ${JSON.stringify(counts)}\n`);
  });
  process.on('SIGTERM', async () => {
    closing = true;
    await Promise.all(replicas.map((replica) => replica.close().catch(() => undefined)));
    process.exit(0);
  });
  const started = performance.now();
  const starting = [];
  for (let i = spec.first; i < spec.first + spec.count && !closing; i++) {
    const at = (i * spec.publishIntervalMs) / spec.total;
    const wait = at - (performance.now() - started);
    if (wait > 0) await sleep(wait);
    starting.push(
      createReplica({
        redis: spec.redis,
        service: spec.service,
        instance: `replica-${i}`,
        publishIntervalMs: spec.publishIntervalMs,
      }).then((replica) => replicas.push(replica)),
    );
  }
  await Promise.all(starting);
  process.stdout.write(`ready ${replicas.length}\n`);
}

if (require.main === module) {
  host(JSON.parse(process.argv[2])).catch((error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
}

// Soak: one example-app process answers a million probes and ten thousand stream connections;
// its memory, handles, listeners and subscribers must come back to where they were.
//
//   npm run soak -- [--probes 1000000] [--cycles 10000] [--adapter express|fastify]
//
// The app runs in a child process (`--expose-gc`) against the local PostgreSQL and Redis; this
// process sends the load over 16 keep-alive connections (every probe, per-check and group route,
// the aliases, `?verbose` and `GET /health`, in turn), then opens `/health/stream` and leaves
// after the first snapshot, 20 at a time. A warm-up (5,000 probes, 200 streams) comes before the
// baseline. Measurements are taken in the app after a forced GC, once every connection closed.
// Exits with 1 when RSS grew by more than 5 %, or handles, listeners or subscribers grew.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  probeLoad,
  SOAK_PATHS,
  SoakTarget,
  streamCycles,
  total,
  type SoakMeasurement,
} from '../test/helpers/soak';

const { values } = parseArgs({
  options: {
    probes: { type: 'string', default: '1000000' },
    cycles: { type: 'string', default: '10000' },
    adapter: { type: 'string', default: 'express' },
  },
});
const PROBES = Number(values.probes);
const CYCLES = Number(values.cycles);
const ADAPTER = values.adapter === 'fastify' ? 'fastify' : 'express';
/** Probes between two progress lines. */
const CHUNK = 100_000;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const print = (line: string) => process.stdout.write(`${line}\n`);

/** Measures once the load's connections and streams have closed (up to 10 s). */
async function settled(target: SoakTarget): Promise<SoakMeasurement> {
  for (let attempt = 0; ; attempt += 1) {
    const measurement = await target.measure();
    if ((measurement.connections === 0 && measurement.streamSubscribers === 0) || attempt >= 100) {
      return measurement;
    }
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const target = await SoakTarget.start({
    HTTP_ADAPTER: ADAPTER,
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `soak-${randomUUID().slice(0, 8)}`,
  });
  try {
    print(`soak: ${ADAPTER}, ${PROBES} probes, ${CYCLES} stream cycles, app at ${target.url}`);
    await probeLoad(target.url, SOAK_PATHS, 5_000);
    await streamCycles(target.url, 200);
    const before = await settled(target);
    print(`baseline: RSS ${mb(before.rssBytes)}, heap ${mb(before.heapUsedBytes)}`);

    const started = performance.now();
    const statuses: Record<string, number> = {};
    let errors = 0;
    for (let done = 0; done < PROBES; done += CHUNK) {
      const result = await probeLoad(target.url, SOAK_PATHS, Math.min(CHUNK, PROBES - done));
      errors += result.errors;
      for (const [code, count] of Object.entries(result.statuses)) {
        statuses[code] = (statuses[code] ?? 0) + count;
      }
      const now = await target.measure();
      print(
        `  ${done + result.requests} probes: ${result.requestsPerSecond}/s, RSS ${mb(now.rssBytes)}, heap ${mb(now.heapUsedBytes)}`,
      );
    }
    const probeSeconds = (performance.now() - started) / 1000;
    const cyclesStarted = performance.now();
    const failedCycles = await streamCycles(target.url, CYCLES);
    const cycleSeconds = (performance.now() - cyclesStarted) / 1000;
    const after = await settled(target);

    const growth = after.rssBytes / before.rssBytes - 1;
    const listenersBefore = total(before.listeners);
    const listenersAfter = total(after.listeners);
    print('');
    print(
      `probes:            ${PROBES} in ${probeSeconds.toFixed(0)} s, statuses ${JSON.stringify(statuses)}, errors ${errors}`,
    );
    print(
      `stream cycles:     ${CYCLES} in ${cycleSeconds.toFixed(0)} s, without a snapshot ${failedCycles}`,
    );
    print(
      `RSS:               ${mb(before.rssBytes)} → ${mb(after.rssBytes)} (${(growth * 100).toFixed(2)} %)`,
    );
    print(`heap used:         ${mb(before.heapUsedBytes)} → ${mb(after.heapUsedBytes)}`);
    print(
      `active handles:    ${total(before.handles)} → ${total(after.handles)} ${JSON.stringify(after.handles)}`,
    );
    print(`listeners:         ${listenersBefore} → ${listenersAfter}`);
    print(`stream subscribers: ${before.streamSubscribers} → ${after.streamSubscribers}`);
    print(`store observers:   ${before.storeObservers} → ${after.storeObservers}`);
    const failures = [
      growth > 0.05 && 'RSS grew by more than 5 %',
      total(after.handles) > total(before.handles) && 'active handles grew',
      listenersAfter > listenersBefore && 'listeners grew',
      after.streamSubscribers > 0 && 'stream subscribers left',
      after.storeObservers > before.storeObservers && 'store observers grew',
      errors > 0 && 'probes failed',
      failedCycles > 0 && 'stream cycles failed',
    ].filter(Boolean);
    print(failures.length === 0 ? 'soak: passed' : `soak: FAILED (${failures.join('; ')})`);
    process.exitCode = failures.length === 0 ? 0 : 1;
  } finally {
    await target.stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});

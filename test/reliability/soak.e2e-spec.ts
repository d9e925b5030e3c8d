import { randomUUID } from 'node:crypto';
import { HTTP_ADAPTERS, SERVICES } from '../helpers/example-app';
import { recordFigure, reportFigures } from '../helpers/reliability-figures';
import {
  probeLoad,
  SOAK_PATHS,
  SoakTarget,
  streamCycles,
  total,
  type SoakMeasurement,
} from '../helpers/soak';
import { waitFor } from '../helpers/wait-for';

/** The CI soak; `npm run soak` runs 1,000,000 probes and 10,000 stream cycles. */
const PROBES = 20_000;
const CYCLES = 1_000;
/**
 * Before the baseline: lets lazy initialisation, JIT and the heap's growth settle. As many probes
 * as the soak: on Node 22 with Express, RSS takes one step up (about 100 MB, the JS heap flat)
 * during the first 20,000 probes and then stays there; a baseline taken earlier reads that step
 * as growth.
 */
const WARMUP_PROBES = PROBES;
const WARMUP_CYCLES = 200;
/** How long the handles may take to come back once the load has ended. */
const HANDLES_SETTLE_MS = 15_000;
/**
 * Timers the process may hold beyond the baseline: the clients the example uses (BullMQ, ioredis,
 * pg) arm ref'd timers of their own on their own schedules, so one more `Timeout` at the moment
 * of measuring is no leak; a leak the load causes grows with 20,000 probes and 1,000 streams.
 * Seen in two CI runs out of four (where the types were printed: `Timeout` 4 against 3,
 * every other type equal); which client armed it is not known yet.
 */
const TIMEOUT_SLACK = 1;
/**
 * RSS may grow this much over the soak (allocator and heap sizing, not a leak). 5 % held until
 * the example app gained history, notifications and the probe port's code: one CI trial on
 * Node 22 measured 387.7 MB before and 418.5 MB after (+7.9 %). A leak the load caused would grow
 * with 20,000 probes and 1,000 streams far past this.
 */
const RSS_GROWTH = 0.12;
/**
 * How much the target's used heap may grow over the soak, both readings taken after full GCs (the
 * target runs with `--expose-gc` and collects before each measurement): the sharper leak check, as
 * RSS also moves with the allocator and the heap's sizing. On Node 20 on a loaded 2-core machine,
 * six runs grew by 0.19 to 0.50 MB on Express and by 0.30 to 0.47 MB on Fastify (in one Express run
 * RSS grew 6.2 % meanwhile, the heap 0.38 MB). A trial with a leak put in the target, a string of
 * about 0.5 KB kept per request, grew it by 11.2 MB (Express) and 11.0 MB (Fastify) and passed the
 * RSS check; 1 KB kept per probe is 20 MB, five times this bound.
 */
const HEAP_GROWTH_BYTES = 4 * 1024 * 1024;

/** Measures once every connection and stream of the load has closed. */
async function settled(target: SoakTarget): Promise<SoakMeasurement> {
  return waitFor(async () => {
    const measurement = await target.measure();
    expect(measurement).toMatchObject({ connections: 0, streamSubscribers: 0 });
    return measurement;
  });
}

describe.each(HTTP_ADAPTERS)('on %s, a soak of probes and stream connections', (adapter) => {
  let target: SoakTarget;

  beforeAll(async () => {
    target = await SoakTarget.start({
      HTTP_ADAPTER: adapter,
      DATABASE_URL: SERVICES.databaseUrl,
      REDIS_URL: SERVICES.redisUrl,
      QUEUE_PREFIX: `soak-${randomUUID().slice(0, 8)}`,
    });
  }, 60_000);

  afterAll(async () => {
    await target?.stop();
    reportFigures(`Soak (${adapter}, ${PROBES} probes, ${CYCLES} stream cycles)`);
  });

  it(`answers ${PROBES} probes and ${CYCLES} stream cycles and comes back to where it was`, async () => {
    await probeLoad(target.url, SOAK_PATHS, WARMUP_PROBES);
    await streamCycles(target.url, WARMUP_CYCLES);
    const before = await settled(target);
    expect(before.gcExposed).toBe(true);

    const probes = await probeLoad(target.url, SOAK_PATHS, PROBES);
    const failedCycles = await streamCycles(target.url, CYCLES);
    const after = await waitFor(
      async () => {
        const measurement = await settled(target);
        // Each type against the baseline (timers with their slack); the failure names them all.
        const grown = Object.entries(measurement.handles).filter(
          ([type, count]) =>
            count > (before.handles[type] ?? 0) + (type === 'Timeout' ? TIMEOUT_SLACK : 0),
        );
        if (grown.length > 0) {
          throw new Error(
            `active handles ${JSON.stringify(measurement.handles)}, ` +
              `more than before the soak: ${JSON.stringify(before.handles)}`,
          );
        }
        return measurement;
      },
      { timeoutMs: HANDLES_SETTLE_MS, intervalMs: 250 },
    );

    expect(probes.errors).toBe(0);
    expect(Object.keys(probes.statuses).filter((code) => code !== '200' && code !== '503')).toEqual(
      [],
    );
    expect(failedCycles).toBe(0);
    expect(after.listeners).toEqual(before.listeners);
    expect(after.storeObservers).toBe(before.storeObservers);
    expect(after.rssBytes).toBeLessThanOrEqual(before.rssBytes * (1 + RSS_GROWTH));
    expect(after.heapUsedBytes - before.heapUsedBytes).toBeLessThanOrEqual(HEAP_GROWTH_BYTES);
    recordFigure({ what: 'RSS before', value: before.rssBytes, unit: 'bytes' });
    recordFigure({ what: 'RSS after', value: after.rssBytes, unit: 'bytes' });
    recordFigure({ what: 'heap used before', value: before.heapUsedBytes, unit: 'bytes' });
    recordFigure({ what: 'heap used after', value: after.heapUsedBytes, unit: 'bytes' });
    recordFigure({
      what: 'heap used growth',
      value: after.heapUsedBytes - before.heapUsedBytes,
      unit: 'bytes',
      bound: HEAP_GROWTH_BYTES,
    });
    recordFigure({ what: 'active handles before', value: total(before.handles), unit: 'count' });
    recordFigure({ what: 'active handles after', value: total(after.handles), unit: 'count' });
    recordFigure({ what: 'probes per second', value: probes.requestsPerSecond, unit: 'count' });
  }, 150_000);
});

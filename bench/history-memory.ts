// History memory: the heap taken by the history of 1,000 indicators at the defaults (1,440
// one-minute buckets, 100 transitions), after a simulated day of runs.
//
//   npm run bench:history-memory -- [--indicators 1000] [--interval-ms 60000]
//
// Runs in this process with `--expose-gc`: the heap (and array buffers) is measured after a
// forced GC at the end of the day (each indicator has every bucket written, and 100 transitions
// with messages of 100 bytes, the most kept), then again once the history is dropped; the
// difference is divided by the number of indicators. The run
// is repeated with runs ten times as often (for a tenth of the indicators, to keep it short), to
// show the figure does not depend on the interval.
import { parseArgs } from 'node:util';
import { HealthRegistry } from '../libs/health/src/discovery/health.registry';
import { HealthStateStore } from '../libs/health/src/engine/health-state.store';
import { resolveHealthModuleOptions } from '../libs/health/src/health-module-options';
import { HealthHistory } from '../libs/health/src/history/health-history.service';
import { indicatorDefinition } from '../libs/health/spec-helpers/indicator-definition';

const { values } = parseArgs({
  options: {
    indicators: { type: 'string', default: '1000' },
    'interval-ms': { type: 'string', default: '60000' },
  },
});
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const DAY = 86_400_000;
const T0 = Date.parse('2030-01-01T00:00:00.000Z');

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
}

/** Bytes per indicator after a day of runs every `intervalMs`. */
function measure(count: number, intervalMs: number): { perIndicator: number; arrays: number } {
  const options = resolveHealthModuleOptions({});
  const store = new HealthStateStore();
  const names = Array.from({ length: count }, (_, i) => `indicator-${i}`);
  for (const name of names) store.track(indicatorDefinition(name));
  const realNow = Date.now;
  let now = T0;
  Date.now = () => now;
  let history: HealthHistory | undefined = new HealthHistory(
    store,
    new HealthRegistry(options),
    options,
  );
  history.onModuleInit();
  // A transition every ~14 minutes (100 in the day, the last 100 kept), each with a long message.
  const flipEvery = Math.floor(DAY / 100 / intervalMs) * intervalMs;
  const message = `connect ECONNREFUSED 10.0.0.1:5432 ${'x'.repeat(200)}`;
  for (let at = intervalMs; at <= DAY; at += intervalMs) {
    now = T0 + at;
    const status = Math.floor(at / flipEvery) % 2 === 0 ? 'up' : 'down';
    for (const name of names) {
      store.record(name, {
        status,
        durationMs: 1 + (at % 7),
        timedOut: false,
        finishedAt: now,
        message: status === 'down' ? message : undefined,
      });
    }
  }
  history.all('24h'); // every series read once, as an endpoint would
  const arrays = history.arrayBytes('indicator', names[0])!;
  const withHistory = heapUsed();
  // Then without it: the difference is what the history holds (the store's state stays).
  history.onApplicationShutdown();
  history = undefined;
  const without = heapUsed();
  Date.now = realNow;
  if (store.indicator(names[0]) === undefined) throw new Error('no state');
  store.onApplicationShutdown();
  // The histories of the groups (liveness, readiness, startup: 30.7 KB each) are counted too.
  return { perIndicator: Math.round((withHistory - without) / count), arrays };
}

const count = Number(values.indicators);
const interval = Number(values['interval-ms']);
for (const [indicators, intervalMs] of [
  [count, interval],
  [Math.max(1, Math.round(count / 10)), Math.max(100, interval / 10)],
]) {
  const { perIndicator, arrays } = measure(indicators, intervalMs);
  console.log(
    `${indicators} indicators, a run every ${intervalMs} ms for 24 h: ` +
      `${perIndicator} bytes per indicator on the heap (${(perIndicator / 1024).toFixed(1)} KB), ` +
      `typed arrays ${arrays} bytes`,
  );
}

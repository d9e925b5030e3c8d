import type { HealthStatus } from '../check';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthStateStore } from '../engine/health-state.store';
import { resolveHealthModuleOptions, type HealthModuleOptions } from '../health-module-options';
import { indicatorDefinition } from '../../spec-helpers/indicator-definition';
import { HealthHistory } from './health-history.service';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const iso = (ms: number) => new Date(T0 + ms).toISOString();

/** The real state store and history, on a fake clock; results are recorded as the runner does. */
function engine(options: HealthModuleOptions = {}) {
  const resolved = resolveHealthModuleOptions(options);
  const store = new HealthStateStore();
  const history = new HealthHistory(store, new HealthRegistry(resolved), resolved);
  return { store, history };
}

/** Records one run of `name` finishing at `T0 + at`, the clock moved there first. */
function run(
  store: HealthStateStore,
  name: string,
  at: number,
  status: HealthStatus,
  durationMs = 2,
  message?: string,
): void {
  jest.setSystemTime(T0 + at);
  store.record(name, { status, durationMs, timedOut: false, finishedAt: T0 + at, message });
}

/** The day: up, down 06:00–06:10, degraded 12:00–13:00, down 18:00–18:05, up again. */
function statusAt(at: number): HealthStatus {
  if (at >= 6 * HOUR && at < 6 * HOUR + 10 * MINUTE) return 'down';
  if (at >= 12 * HOUR && at < 13 * HOUR) return 'degraded';
  if (at >= 18 * HOUR && at < 18 * HOUR + 5 * MINUTE) return 'down';
  return 'up';
}

/** Durations of the six runs of the minute from 10:00: sorted 1, 2, 3, 5, 7, 9. */
const TEN_O_CLOCK = [5, 1, 9, 3, 7, 2];

describe('HealthHistory over a simulated day, with the real state store', () => {
  let store: HealthStateStore;
  let history: HealthHistory;

  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    ({ store, history } = engine());
    store.track(indicatorDefinition('db'));
    history.onModuleInit();
    store.markBootstrapped();
    // A run every 10 s from 00:00:30 to 24:00:00 (8,638 runs).
    for (let at = 30 * SECOND; at <= 24 * HOUR; at += 10 * SECOND) {
      const status = statusAt(at);
      const minute = at - 10 * HOUR;
      const duration = minute >= 0 && minute < MINUTE ? TEN_O_CLOCK[minute / (10 * SECOND)] : 2;
      run(store, 'db', at, status, duration, status === 'up' ? undefined : `db is ${status}`);
    }
  });

  afterEach(() => {
    history.onApplicationShutdown();
    store.onApplicationShutdown();
    jest.useRealTimers();
  });

  it('gives uptime over the observed time of whole buckets: 1 h and 24 h, up and up-or-degraded', () => {
    // 24 h = the open minute (24:00, empty so far) and the 1,439 before it: 00:01–24:00,
    // 86,340 s observed, 900 s down and 3,600 s degraded.
    expect(history.summary('db')?.uptime).toEqual({
      '1h': { up: 100, upOrDegraded: 100 },
      '24h': { up: 94.788, upOrDegraded: 98.958 }, // 81,840 / 86,340 and 85,440 / 86,340
    });
    expect(history.group('readiness', '24h')?.uptime?.['24h']).toEqual({
      up: 94.788,
      upOrDegraded: 98.958,
    });
    expect(history.group('liveness', '24h')?.uptime?.['24h']).toEqual({
      up: 100,
      upOrDegraded: 100,
    });
  });

  it('reports lastUp, lastDown, the streak and the mean time to recovery', () => {
    const day = history.indicator('db', '24h')!;
    expect(day.lastUp).toBe(iso(24 * HOUR)); // up now
    expect(day.lastDown).toBe(iso(18 * HOUR + 5 * MINUTE)); // left down at 18:05
    expect(day.streak).toEqual({
      status: 'up',
      since: iso(18 * HOUR + 5 * MINUTE),
      durationMs: 5 * HOUR + 55 * MINUTE,
    });
    expect(day).toMatchObject({ mttrMs: 450_000, recoveries: 2 }); // (600 s + 300 s) / 2
    expect(history.indicator('db', '1h')).toMatchObject({ mttrMs: null, recoveries: 0 });
  });

  it('keeps the transitions with the duration of the state left and the message', () => {
    const { transitions } = history.indicator('db', '24h')!;
    expect(transitions).toEqual([
      { from: 'unknown', to: 'up', at: iso(30 * SECOND), durationMs: 30_000, message: null },
      {
        from: 'up',
        to: 'down',
        at: iso(6 * HOUR),
        durationMs: 6 * HOUR - 30 * SECOND,
        message: 'db is down',
      },
      {
        from: 'down',
        to: 'up',
        at: iso(6 * HOUR + 10 * MINUTE),
        durationMs: 600_000,
        message: null,
      },
      {
        from: 'up',
        to: 'degraded',
        at: iso(12 * HOUR),
        durationMs: 5 * HOUR + 50 * MINUTE,
        message: 'db is degraded',
      },
      { from: 'degraded', to: 'up', at: iso(13 * HOUR), durationMs: HOUR, message: null },
      { from: 'up', to: 'down', at: iso(18 * HOUR), durationMs: 5 * HOUR, message: 'db is down' },
      {
        from: 'down',
        to: 'up',
        at: iso(18 * HOUR + 5 * MINUTE),
        durationMs: 300_000,
        message: null,
      },
    ]);
    expect(history.indicator('db', '1h')!.transitions).toEqual([]);
    expect(history.group('readiness', '24h')!.transitions!.map((t) => `${t.from}>${t.to}`)).toEqual(
      ['down>up', 'up>down', 'down>up', 'up>degraded', 'degraded>up', 'up>down', 'down>up'],
    );
  });

  it('folds the runs into one-minute buckets: runs, failures, worst, latency p50 / p95, time', () => {
    const { buckets } = history.indicator('db', '24h')!;
    expect(buckets).toMatchObject({ from: iso(MINUTE), bucketMs: 60_000, count: 1_440 });
    const at = (ms: number) => (ms - MINUTE) / MINUTE; // index of the bucket starting at ms
    const minute = (ms: number) => ({
      runs: buckets!.runs![at(ms)],
      failures: buckets!.failures![at(ms)],
      worst: buckets!.worst[at(ms)],
      latencyMs: buckets!.latencyMs![at(ms)],
      time: [buckets!.upMs[at(ms)], buckets!.degradedMs[at(ms)], buckets!.downMs[at(ms)]],
    });
    expect(minute(6 * HOUR - MINUTE)).toEqual({
      runs: 6,
      failures: 0,
      worst: 'up',
      latencyMs: { min: 2, p50: 2, p95: 2, max: 2 },
      time: [60_000, 0, 0],
    });
    expect(minute(6 * HOUR)).toMatchObject({ runs: 6, failures: 6, worst: 'down' });
    expect(minute(6 * HOUR).time).toEqual([0, 0, 60_000]);
    expect(minute(12 * HOUR)).toMatchObject({
      failures: 0,
      worst: 'degraded',
      time: [0, 60_000, 0],
    });
    // Nearest rank over 1, 2, 3, 5, 7, 9: the 3rd and the 6th.
    expect(minute(10 * HOUR).latencyMs).toEqual({ min: 1, p50: 3, p95: 9, max: 9 });
    // The open bucket: the run of 24:00:00, no time spent in it yet.
    expect(minute(24 * HOUR)).toMatchObject({ runs: 1, time: [0, 0, 0] });
    const sum = (list: readonly number[]) => list.reduce((a, b) => a + b, 0);
    expect(sum(buckets!.runs!)).toBe(8_638 - 3); // the three runs of 00:00 are before the window
    expect(sum(buckets!.downMs)).toBe(900_000);
    expect(sum(buckets!.degradedMs)).toBe(3_600_000);
    expect(history.indicator('db', '1h')!.buckets!.count).toBe(60);
  });

  it('keeps its memory within 64 KB per indicator, whatever the number of runs', () => {
    const day = history.arrayBytes('indicator', 'db')!;
    // 1,440 buckets × 33 bytes, 100 transitions × 119 bytes (messages included), 16 latency
    // samples × 4 bytes: 59,484 bytes, fixed when the indicator is first seen.
    expect(day).toBe(1_440 * 33 + 100 * 119 + 16 * 4);
    expect(day).toBeLessThanOrEqual(64 * 1024);
    expect(history.arrayBytes('group', 'readiness')).toBe(1_440 * 13 + 100 * 119 + 16 * 4);
    // Another day of runs: nothing grows.
    for (let at = 24 * HOUR + 10 * SECOND; at <= 48 * HOUR; at += 10 * SECOND) {
      run(store, 'db', at, at % (20 * SECOND) === 0 ? 'up' : 'down', 3, 'flapping');
    }
    expect(history.arrayBytes('indicator', 'db')).toBe(day);
    expect(history.indicator('db', '24h')!.transitions).toHaveLength(100); // the last 100 kept
  });
});

describe('HealthHistory buckets and windows', () => {
  afterEach(() => jest.useRealTimers());

  it('computes p50 and p95 from the open bucket only, and keeps them when it closes', () => {
    jest.useFakeTimers({ now: T0 });
    const { store, history } = engine();
    store.track(indicatorDefinition('api'));
    history.onModuleInit();
    for (let i = 1; i <= 100; i++) run(store, 'api', i * 500, 'up', 101 - i); // 1..100 ms
    run(store, 'api', MINUTE + 500, 'up', 1_000); // the next minute: one slow run
    jest.setSystemTime(T0 + 2 * MINUTE + 1);
    const latency = history.indicator('api')!.buckets!.latencyMs!;
    expect(latency).toEqual([
      { min: 1, p50: 50, p95: 95, max: 100 },
      { min: 1_000, p50: 1_000, p95: 1_000, max: 1_000 },
      null, // the open minute has no run
    ]);
  });

  it('leaves out the time before the first result, and counts idle buckets in the status held', () => {
    jest.useFakeTimers({ now: T0 });
    const { store, history } = engine({ history: { bucketMs: 10_000, retentionMs: HOUR } });
    store.track(indicatorDefinition('cache', { mode: 'on-demand' }));
    history.onModuleInit();
    expect(history.summary('cache')?.uptime['1h']).toEqual({ up: null, upOrDegraded: null });
    expect(history.summary('cache')).toMatchObject({ lastUp: null, lastDown: null });
    run(store, 'cache', 40 * SECOND, 'down');
    run(store, 'cache', 70 * SECOND, 'up'); // 30 s down, then no run for a while
    jest.setSystemTime(T0 + 100 * SECOND);
    // 60 s observed (40 s to 100 s): 30 s down, 30 s up.
    expect(history.summary('cache')).toEqual({
      uptime: { '1h': { up: 50, upOrDegraded: 50 }, '24h': { up: 50, upOrDegraded: 50 } },
      lastUp: iso(100 * SECOND),
      lastDown: iso(70 * SECOND),
    });
    const buckets = history.indicator('cache')!.buckets!;
    expect(buckets.count).toBe(11); // 0 s to 100 s in 10-second buckets
    expect(buckets.downMs.slice(4, 7)).toEqual([10_000, 10_000, 10_000]);
    expect(buckets.upMs.slice(7)).toEqual([10_000, 10_000, 10_000, 0]);
    expect(buckets.runs).toEqual([0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0]);
  });

  it('forgets an indicator that leaves the store, and answers nothing when off', () => {
    jest.useFakeTimers({ now: T0 });
    const { store, history } = engine();
    store.track(indicatorDefinition('gone'));
    history.onModuleInit();
    expect(history.has('gone')).toBe(true);
    store.untrack('gone');
    expect(history.has('gone')).toBe(false);
    expect(history.indicator('gone')).toBeUndefined();

    const off = engine({ history: false });
    off.store.track(indicatorDefinition('db'));
    off.history.onModuleInit();
    expect(off.history.enabled).toBe(false);
    expect(off.history.all()).toBeUndefined();
    expect(off.history.summary('db')).toBeUndefined();
  });

  it('shows a caller not admitted to details the status and streak only', () => {
    jest.useFakeTimers({ now: T0 });
    const { store, history } = engine();
    store.track(indicatorDefinition('db'));
    history.onModuleInit();
    run(store, 'db', 5 * SECOND, 'down', 2, 'password=hunter2 rejected');
    const withheld = history.all('1h', false)!;
    expect(withheld.details).toBe('withheld');
    expect(withheld.indicators.db).toEqual({
      status: 'down',
      streak: { status: 'down', since: iso(5 * SECOND), durationMs: 0 },
    });
    expect(JSON.stringify(withheld)).not.toContain('rejected');
    expect(history.indicator('db')!.transitions![0].message).toBe('password=hunter2 rejected');
  });

  it('keeps at most 100 bytes of a message, whole characters, ended with an ellipsis', () => {
    jest.useFakeTimers({ now: T0 });
    const { store, history } = engine();
    store.track(indicatorDefinition('db'));
    history.onModuleInit();
    run(store, 'db', SECOND, 'down', 2, `${'é'.repeat(60)}`); // 120 bytes of UTF-8
    const kept = history.indicator('db')!.transitions![0].message!;
    expect(kept).toBe(`${'é'.repeat(48)}…`); // 96 + 3 bytes
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(100);
  });
});

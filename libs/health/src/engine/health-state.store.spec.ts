import type { HealthStatus } from '../check';
import type { HealthRunResult } from './health-check.runner';
import { HealthStateStore } from './health-state.store';
import type {
  GroupChangeEvent,
  HealthChangeEvent,
  IndicatorChangeEvent,
} from './health-state.types';
import { indicatorDefinition } from '../../spec-helpers/indicator-definition';

const definition = indicatorDefinition;

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (seconds: number) => T0 + seconds * 1_000;
const iso = (seconds: number) => new Date(at(seconds)).toISOString();

function result(
  status: HealthStatus,
  seconds: number,
  extra: Partial<HealthRunResult> = {},
): HealthRunResult {
  return { status, durationMs: 1.5, timedOut: false, finishedAt: at(seconds), ...extra };
}

describe('HealthStateStore', () => {
  let store: HealthStateStore;
  let events: HealthChangeEvent[];

  beforeEach(() => {
    store = new HealthStateStore();
    events = [];
    store.changes.subscribe((event) => events.push(event));
  });

  afterEach(() => store.onApplicationShutdown());

  const summary = (list: readonly HealthChangeEvent[]) =>
    list.map((e) => `${e.type}:${e.name}:${e.previous}->${e.current}`);

  describe('track', () => {
    it('starts an indicator as unknown, with no result yet', () => {
      store.track(definition('db', { groups: ['readiness', 'liveness'], critical: false }));
      const state = store.indicator('db');
      expect(state).toEqual({
        name: 'db',
        status: 'unknown',
        observed: null,
        critical: false,
        groups: ['readiness', 'liveness'],
        mode: 'background',
        message: null,
        data: null,
        since: expect.any(String),
        lastCheckedAt: null,
        durationMs: null,
        timedOut: false,
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
      });
      expect(new Date(state!.since).toISOString()).toBe(state!.since);
      expect(Object.isFrozen(state)).toBe(true);
    });

    it('lists the member in its groups; unknown takes readiness down, not liveness', () => {
      store.track(definition('db', { groups: ['readiness', 'liveness'] }));
      expect(store.group('readiness')).toMatchObject({
        status: 'down',
        reason: null,
        checks: { db: { status: 'unknown' } },
      });
      expect(store.group('liveness')).toMatchObject({
        status: 'up',
        checks: { db: { status: 'unknown' } },
      });
    });

    it('emits the group transitions that a new member causes, once bootstrapped', () => {
      store.track(definition('db'));
      expect(events).toEqual([]); // groups are being composed before bootstrap
      store.markBootstrapped();
      events.length = 0;

      store.track(definition('cache'));
      expect(events).toEqual([]); // readiness was already down
      store.record('db', result('up', 1));
      store.record('cache', result('up', 1));
      events.length = 0;

      // A member added after bootstrap waits for its first result before it counts.
      store.track(definition('late'));
      expect(events).toEqual([]);
      store.record('late', result('down', 2));
      expect(summary(events)).toEqual(['indicator:late:unknown->down', 'group:readiness:up->down']);
    });
  });

  it('counts an indicator tracked before bootstrap at once: readiness fails closed until its first result', () => {
    jest.useFakeTimers();
    try {
      store.track(definition('db', { timeoutMs: 100 }));
      store.markBootstrapped();

      expect(store.isJoining('db')).toBe(false);
      expect(store.group('readiness')?.status).toBe('down');
      jest.advanceTimersByTime(1_000);
      expect(store.group('readiness')?.status).toBe('down');
      store.record('db', result('up', 1));
      expect(store.group('readiness')?.status).toBe('up');
    } finally {
      jest.useRealTimers();
    }
  });

  describe('an indicator tracked after bootstrap (a run-time registration)', () => {
    beforeEach(() => {
      jest.useFakeTimers();
      store.track(definition('db'));
      store.markBootstrapped();
      store.record('db', result('up', 1));
      events.length = 0;
    });

    afterEach(() => jest.useRealTimers());

    it('does not turn its groups down while its first check runs, and joins them at its first result', () => {
      store.track(definition('late', { timeoutMs: 2_000, groups: ['readiness', 'tenants'] }));

      expect(store.isJoining('late')).toBe(true);
      expect(store.group('readiness')).toMatchObject({
        status: 'up',
        checks: { db: { status: 'up' }, late: { status: 'unknown' } },
      });
      expect(store.group('tenants')?.status).toBe('up'); // no member counts yet
      expect(store.overallStatus()).toBe('up');
      expect(events).toEqual([]);

      store.record('late', result('up', 2));

      expect(store.isJoining('late')).toBe(false);
      expect(summary(events)).toEqual(['indicator:late:unknown->up']);
      expect(store.group('readiness')?.status).toBe('up');
    });

    it('counts its first result at once when it is down', () => {
      store.track(definition('late'));
      store.record('late', result('down', 2));

      expect(store.group('readiness')?.status).toBe('down');
      expect(summary(events)).toEqual(['indicator:late:unknown->down', 'group:readiness:up->down']);
    });

    it('joins after its timeoutMs when it has no result by then, and then counts as unknown', () => {
      store.track(definition('late', { timeoutMs: 1_500 }));

      jest.advanceTimersByTime(1_499);
      expect(store.group('readiness')?.status).toBe('up');
      expect(events).toEqual([]);

      jest.advanceTimersByTime(1);
      expect(store.isJoining('late')).toBe(false);
      expect(store.group('readiness')?.status).toBe('down');
      expect(summary(events)).toEqual(['group:readiness:up->down']);

      store.record('late', result('up', 3));
      expect(store.group('readiness')?.status).toBe('up');
    });

    it('unknown still counts as up for liveness after it joins', () => {
      store.track(definition('loop', { groups: ['liveness'], timeoutMs: 100 }));
      jest.advanceTimersByTime(100);
      expect(store.group('liveness')?.status).toBe('up');
      expect(events).toEqual([]);
    });

    it('forgets the wait when it is untracked, or tracked again', () => {
      store.track(definition('gone', { timeoutMs: 100 }));
      store.untrack('gone');
      store.track(definition('again', { timeoutMs: 100 }));
      store.untrack('again');
      store.track(definition('again', { timeoutMs: 500 }));

      jest.advanceTimersByTime(499);
      expect(events).toEqual([]);
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(1);
      expect(summary(events)).toEqual(['group:readiness:up->down']);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('stops waiting when the application shuts down', () => {
      store.track(definition('late', { timeoutMs: 100 }));
      store.onApplicationShutdown();
      expect(jest.getTimerCount()).toBe(0);
    });

    it('returns undefined for an unknown indicator or group', () => {
      expect(store.indicator('nope')).toBeUndefined();
      expect(store.group('nope')).toBeUndefined();
    });
  });

  describe('record', () => {
    beforeEach(() => {
      store.track(definition('db', { groups: ['readiness', 'liveness'] }));
      events.length = 0;
    });

    it('records the result and emits the indicator event, then the group events', () => {
      store.record('db', result('up', 1, { data: { responseTimeMs: 3 }, durationMs: 2.25 }));

      expect(store.indicator('db')).toMatchObject({
        status: 'up',
        observed: 'up',
        message: null,
        data: { responseTimeMs: 3 },
        since: iso(1),
        lastCheckedAt: iso(1),
        durationMs: 2.25,
        timedOut: false,
        consecutiveFailures: 0,
        consecutiveSuccesses: 1,
      });
      expect(summary(events)).toEqual(['indicator:db:unknown->up', 'group:readiness:down->up']);
      const [indicator, group] = events as [IndicatorChangeEvent, GroupChangeEvent];
      expect(indicator).toMatchObject({
        type: 'indicator',
        name: 'db',
        previous: 'unknown',
        current: 'up',
        since: iso(1),
        message: null,
        durationMs: 2.25,
        groups: { readiness: 'up', liveness: 'up' },
      });
      expect(indicator.state).toBe(store.indicator('db'));
      expect(group).toMatchObject({
        type: 'group',
        name: 'readiness',
        previous: 'down',
        current: 'up',
        since: iso(1),
        reason: null,
      });
      expect(group.state).toBe(store.group('readiness'));
      expect(store.group('readiness')?.checks).toEqual({ db: { status: 'up' } });
    });

    it('emits a transition to down with its message, for every group it moved', () => {
      store.record('db', result('up', 1));
      events.length = 0;

      store.record('db', result('down', 2, { message: 'connection refused', timedOut: true }));

      expect(summary(events)).toEqual([
        'indicator:db:up->down',
        'group:liveness:up->down',
        'group:readiness:up->down',
      ]);
      expect(events[0]).toMatchObject({
        message: 'connection refused',
        since: iso(2),
        groups: { readiness: 'down', liveness: 'down' },
      });
      expect(store.indicator('db')).toMatchObject({
        status: 'down',
        message: 'connection refused',
        timedOut: true,
      });
    });

    it('emits nothing more while the failure is steady, and keeps since', () => {
      store.record('db', result('up', 1));
      store.record('db', result('down', 2, { message: 'refused' }));
      events.length = 0;

      store.record('db', result('down', 3, { message: 'still refused' }));
      store.record('db', result('down', 4, { message: 'still refused' }));

      expect(events).toEqual([]);
      expect(store.indicator('db')).toMatchObject({
        status: 'down',
        message: 'still refused',
        since: iso(2),
        lastCheckedAt: iso(4),
        consecutiveFailures: 3,
      });
      expect(store.group('readiness')?.since).toBe(iso(2));
    });

    it('moves since only on transitions', () => {
      store.record('db', result('up', 1));
      store.record('db', result('up', 2));
      expect(store.indicator('db')?.since).toBe(iso(1));
      expect(store.indicator('db')?.lastCheckedAt).toBe(iso(2));
      store.record('db', result('degraded', 3, { message: 'slow' }));
      expect(store.indicator('db')?.since).toBe(iso(3));
      store.record('db', result('degraded', 4, { message: 'slower' }));
      expect(store.indicator('db')?.since).toBe(iso(3));
      expect(store.indicator('db')?.message).toBe('slower');
    });

    it('clears the message and data of an earlier run', () => {
      store.record('db', result('down', 1, { message: 'refused', data: { port: 5432 } }));
      store.record('db', result('up', 2));
      expect(store.indicator('db')).toMatchObject({ message: null, data: null });
    });

    it('applies the indicator thresholds before it reports a transition', () => {
      store.track(definition('cache', { failureThreshold: 2, successThreshold: 2 }));
      store.record('db', result('up', 1));
      store.record('cache', result('up', 1));
      events.length = 0;

      store.record('cache', result('down', 2, { message: 'blip' }));
      expect(events).toEqual([]);
      expect(store.indicator('cache')).toMatchObject({
        status: 'up',
        observed: 'down',
        consecutiveFailures: 1,
        message: 'blip',
      });

      store.record('cache', result('down', 3));
      expect(summary(events)).toEqual(['indicator:cache:up->down', 'group:readiness:up->down']);
      events.length = 0;

      store.record('cache', result('up', 4));
      expect(events).toEqual([]);
      store.record('cache', result('up', 5));
      expect(summary(events)).toEqual(['indicator:cache:down->up', 'group:readiness:down->up']);
    });

    it('turns a non-critical down into degraded for its groups', () => {
      store.track(definition('search', { critical: false }));
      store.record('db', result('up', 1));
      store.record('search', result('up', 1));
      expect(store.group('readiness')?.status).toBe('up');
      events.length = 0;

      store.record('search', result('down', 2, { message: 'index offline' }));

      expect(store.indicator('search')?.status).toBe('down');
      expect(store.group('readiness')?.status).toBe('degraded');
      expect(summary(events)).toEqual([
        'indicator:search:up->down',
        'group:readiness:up->degraded',
      ]);
      expect(events[0]).toMatchObject({ groups: { readiness: 'degraded' } });
    });

    it('ignores a result for an indicator it does not track', () => {
      store.record('ghost', result('down', 1));
      expect(store.indicator('ghost')).toBeUndefined();
      expect(events).toEqual([]);
    });
  });

  describe('results', () => {
    it('emits every recorded run, with the state after it, before the transitions it causes', () => {
      const order: string[] = [];
      store.results.subscribe((run) =>
        order.push(`run:${run.name}:${run.status}:${run.state.status}:${run.durationMs}`),
      );
      store.changes.subscribe((e) => order.push(`${e.type}:${e.name}:${e.previous}->${e.current}`));
      store.track(definition('db', { failureThreshold: 2 }));

      store.record('db', result('up', 1));
      store.record('db', result('down', 2, { message: 'refused', durationMs: 3 }));
      store.record('db', result('down', 3, { timedOut: true, durationMs: 1000 }));

      expect(order).toEqual([
        'run:db:up:up:1.5',
        'indicator:db:unknown->up',
        'group:readiness:down->up',
        'run:db:down:up:3', // below failureThreshold: a run, no transition
        'run:db:down:down:1000',
        'indicator:db:up->down',
        'group:readiness:up->down',
      ]);
    });

    it('carries the facts of the run: message, timeout, end time', () => {
      const runs: unknown[] = [];
      store.results.subscribe((run) => runs.push(run));
      store.track(definition('db'));
      store.record('db', result('down', 4, { message: 'timed out after 1000 ms', timedOut: true }));

      expect(runs).toEqual([
        {
          name: 'db',
          status: 'down',
          message: 'timed out after 1000 ms',
          durationMs: 1.5,
          timedOut: true,
          finishedAt: iso(4),
          state: store.indicator('db'),
        },
      ]);
    });

    it('ignores runs of indicators it does not track, and completes at shutdown', () => {
      const runs: unknown[] = [];
      let completed = false;
      store.results.subscribe({
        next: (run) => runs.push(run),
        complete: () => (completed = true),
      });
      store.record('ghost', result('up', 1));
      store.onApplicationShutdown();
      expect(runs).toEqual([]);
      expect(completed).toBe(true);
    });
  });

  describe('startup group', () => {
    it('is down with reason "starting" before bootstrap, even with every member up', () => {
      store.track(definition('migrations', { groups: ['startup'] }));
      store.record('migrations', result('up', 1));
      expect(store.group('startup')).toMatchObject({ status: 'down', reason: 'starting' });
      expect(summary(events)).toEqual(['indicator:migrations:unknown->up']);
    });

    it('is down with reason "starting" before bootstrap when empty, up after', () => {
      expect(store.group('startup')).toMatchObject({ status: 'down', reason: 'starting' });
      store.markBootstrapped();
      expect(store.group('startup')).toMatchObject({ status: 'up', reason: null });
      expect(summary(events)).toEqual(['group:startup:down->up']);
    });

    it('latches up once bootstrapped with members up, and stays up after a member goes down', () => {
      store.track(definition('migrations', { groups: ['startup'] }));
      store.record('migrations', result('up', 1));
      events.length = 0;

      store.markBootstrapped();
      expect(store.group('startup')).toMatchObject({ status: 'up', reason: null });
      expect(summary(events)).toEqual(['group:startup:down->up']);
      events.length = 0;

      store.record('migrations', result('down', 2, { message: 'lost' }));
      expect(store.indicator('migrations')?.status).toBe('down');
      expect(store.group('startup')).toMatchObject({
        status: 'up',
        checks: { migrations: { status: 'down' } },
      });
      expect(summary(events)).toEqual(['indicator:migrations:up->down']);
      expect(events[0]).toMatchObject({ groups: { startup: 'up' } });
    });

    it('waits, after bootstrap, for members that have no result yet', () => {
      store.track(definition('migrations', { groups: ['startup'] }));
      store.track(definition('cache-warm', { groups: ['startup'] }));
      store.markBootstrapped();
      expect(store.group('startup')).toMatchObject({ status: 'down', reason: null });

      store.record('migrations', result('up', 1));
      expect(store.group('startup')?.status).toBe('down');
      store.record('cache-warm', result('down', 2));
      expect(store.group('startup')?.status).toBe('down');
      events.length = 0;

      store.record('cache-warm', result('up', 3));
      expect(store.group('startup')?.status).toBe('up');
      expect(summary(events)).toEqual(['indicator:cache-warm:down->up', 'group:startup:down->up']);

      store.record('migrations', result('down', 4));
      store.record('cache-warm', result('down', 5));
      expect(store.group('startup')?.status).toBe('up');
    });

    it('latches with a degraded member: only down holds startup back', () => {
      store.track(definition('migrations', { groups: ['startup'] }));
      store.markBootstrapped();
      store.record('migrations', result('degraded', 1, { message: 'slow' }));
      expect(store.group('startup')?.status).toBe('up');
    });
  });

  describe('shutdown', () => {
    it('turns readiness down with reason "shutting_down" and leaves liveness alone', () => {
      store.track(definition('db', { groups: ['readiness'] }));
      store.track(definition('loop', { groups: ['liveness'] }));
      store.markBootstrapped();
      store.record('db', result('up', 1));
      store.record('loop', result('up', 1));
      events.length = 0;
      expect(store.isShuttingDown()).toBe(false);

      store.markShuttingDown();

      expect(store.isShuttingDown()).toBe(true);
      expect(store.group('readiness')).toMatchObject({ status: 'down', reason: 'shutting_down' });
      expect(store.group('liveness')).toMatchObject({ status: 'up', reason: null });
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        type: 'group',
        name: 'readiness',
        previous: 'up',
        current: 'down',
        reason: 'shutting_down',
      });

      events.length = 0;
      store.record('db', result('down', 2));
      store.record('db', result('up', 3));
      expect(store.group('readiness')).toMatchObject({ status: 'down', reason: 'shutting_down' });
      expect(summary(events)).toEqual(['indicator:db:up->down', 'indicator:db:down->up']);

      store.markShuttingDown();
      expect(events).toHaveLength(2);
    });
  });

  describe('custom groups', () => {
    it('appear with their members and disappear when the last member leaves', () => {
      expect(store.groupNames()).toEqual(['liveness', 'readiness', 'startup']);

      store.track(definition('stripe', { groups: ['payments'] }));
      store.track(definition('adyen', { groups: ['payments', 'readiness'] }));
      expect(store.groupNames()).toEqual(['liveness', 'readiness', 'startup', 'payments']);
      expect(store.group('payments')).toMatchObject({
        name: 'payments',
        status: 'down',
        checks: { stripe: { status: 'unknown' }, adyen: { status: 'unknown' } },
      });
      store.record('stripe', result('up', 1));
      store.record('adyen', result('degraded', 1));
      expect(store.group('payments')?.status).toBe('degraded');

      store.untrack('adyen');
      expect(store.indicator('adyen')).toBeUndefined();
      expect(store.group('payments')).toMatchObject({
        status: 'up',
        checks: { stripe: { status: 'up' } },
      });
      expect(store.group('readiness')?.checks).toEqual({});

      store.untrack('stripe');
      expect(store.group('payments')).toBeUndefined();
      expect(store.groupNames()).toEqual(['liveness', 'readiness', 'startup']);
    });

    it('emits the group transitions that leaving causes, once bootstrapped', () => {
      store.track(definition('db'));
      store.track(definition('flaky'));
      store.markBootstrapped();
      store.record('db', result('up', 1));
      events.length = 0;

      store.untrack('flaky');
      expect(summary(events)).toEqual(['group:readiness:down->up']);
      store.untrack('flaky');
      expect(events).toHaveLength(1);
    });
  });

  describe('snapshot and overallStatus', () => {
    it('returns every indicator and group', () => {
      store.track(definition('db', { groups: ['readiness'] }));
      store.track(definition('queue', { groups: ['jobs'] }));
      store.markBootstrapped();
      store.record('db', result('up', 1, { data: { responseTimeMs: 2 } }));

      const snapshot = store.snapshot();

      expect(Object.keys(snapshot).sort()).toEqual(['checks', 'groups', 'status', 'timestamp']);
      expect(new Date(snapshot.timestamp).toISOString()).toBe(snapshot.timestamp);
      expect(Object.keys(snapshot.checks)).toEqual(['db', 'queue']);
      expect(snapshot.checks.db).toBe(store.indicator('db'));
      expect(snapshot.checks.queue.status).toBe('unknown');
      expect(Object.keys(snapshot.groups)).toEqual(['liveness', 'readiness', 'startup', 'jobs']);
      expect(snapshot.groups.jobs).toMatchObject({ status: 'down', reason: null });
      expect(snapshot.status).toBe('down');
    });

    it('is the worst status of every group', () => {
      expect(store.overallStatus()).toBe('down'); // startup: starting
      store.markBootstrapped();
      expect(store.overallStatus()).toBe('up');

      store.track(definition('db'));
      expect(store.overallStatus()).toBe('up'); // a run-time member waits for its first result
      store.record('db', result('down', 1));
      expect(store.overallStatus()).toBe('down');
      store.record('db', result('up', 1));
      expect(store.overallStatus()).toBe('up');

      store.track(definition('loop', { groups: ['liveness'] }));
      expect(store.overallStatus()).toBe('up'); // unknown counts as up for liveness
      store.record('loop', result('degraded', 2));
      expect(store.overallStatus()).toBe('degraded');
      store.record('db', result('down', 3));
      expect(store.overallStatus()).toBe('down');
      expect(store.snapshot().status).toBe('down');
    });
  });

  it('completes the changes stream when the application shuts down', () => {
    let completed = false;
    store.changes.subscribe({ complete: () => (completed = true) });
    store.onApplicationShutdown();
    expect(completed).toBe(true);
  });
});

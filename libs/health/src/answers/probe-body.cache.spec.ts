import fc from 'fast-check';
import type { IndicatorStatus } from '../check';
import type { GroupState } from '../engine/health-state.types';
import { HealthStateStore } from '../engine/health-state.store';
import { toProbeBody } from './health-response';
import { indicatorDefinition } from '../../spec-helpers/indicator-definition';
import { ProbeBodyCache } from './probe-body.cache';

const TIMESTAMP = /"timestamp":"([^"]*)"/;

function groupState(overrides: Partial<GroupState> = {}): GroupState {
  return Object.freeze({
    name: 'readiness',
    status: 'up',
    since: '2026-11-21T10:00:00.000Z',
    reason: null,
    checks: Object.freeze({ database: Object.freeze({ status: 'up' as const }) }),
    ...overrides,
  });
}

/** The route's body with the timestamp of `rendered`, serialized as Nest serializes it. */
function routeBody(state: GroupState, rendered: string): string {
  const timestamp = TIMESTAMP.exec(rendered)?.[1] ?? '';
  return JSON.stringify({ ...toProbeBody(state), timestamp });
}

const statuses = fc.constantFrom<GroupState['status']>('up', 'degraded', 'down');
const memberStatuses = fc.constantFrom<IndicatorStatus>('up', 'degraded', 'down', 'unknown');
const anyState = fc
  .record({
    name: fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }),
    status: statuses,
    reason: fc.constantFrom<GroupState['reason']>(null, 'starting', 'shutting_down'),
    checks: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 30, unit: 'binary' }),
      memberStatuses.map((status) => ({ status })),
      { maxKeys: 20 },
    ),
  })
  .map((fields) => groupState(fields));

describe('ProbeBodyCache', () => {
  it('renders exactly the JSON of the Nest route, with the byte length of that text', () => {
    const cache = new ProbeBodyCache();
    fc.assert(
      fc.property(anyState, (state) => {
        const rendered = cache.render(state);
        expect(rendered.body).toBe(routeBody(state, rendered.body));
        expect(rendered.byteLength).toBe(Buffer.byteLength(rendered.body));
        expect(rendered.status).toBe(state.status);
      }),
    );
  });

  it('puts a reason of the module between the timestamp and the checks, as the route does', () => {
    const state = groupState({ status: 'down', reason: 'shutting_down' });
    const { body } = new ProbeBodyCache().render(state);
    expect(Object.keys(JSON.parse(body) as object)).toEqual([
      'status',
      'group',
      'timestamp',
      'reason',
      'checks',
    ]);
  });

  it('serializes a state once, and again only when the state changes', () => {
    const cache = new ProbeBodyCache();
    const first = groupState();
    expect(cache.prebuilt(first)).toBe(cache.prebuilt(first));
    const changed = groupState({ status: 'down', checks: { database: { status: 'down' } } });
    expect(cache.prebuilt(changed)).not.toBe(cache.prebuilt(first));
    expect(JSON.parse(cache.render(changed).body)).toMatchObject({
      status: 'down',
      checks: { database: { status: 'down' } },
    });
  });

  it('follows the state store: a new body after a transition, the same one in between', () => {
    const store = new HealthStateStore();
    const cache = new ProbeBodyCache();
    store.track(indicatorDefinition('database'));
    const run = (status: 'up' | 'down') => ({
      status,
      message: status === 'down' ? 'refused' : undefined,
      durationMs: 1,
      timedOut: false,
      finishedAt: Date.now(),
    });
    store.record('database', run('up'));
    const before = cache.prebuilt(store.group('readiness')!);
    store.record('database', run('up')); // no transition
    expect(cache.prebuilt(store.group('readiness')!)).toBe(before);
    store.record('database', run('down'));
    const after = cache.render(store.group('readiness')!);
    expect(JSON.parse(after.body)).toMatchObject({ status: 'down', group: 'readiness' });
  });

  it('stamps each answer with the current time, formatted once per millisecond', () => {
    const cache = new ProbeBodyCache();
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(Date.UTC(2026, 10, 21, 10, 0, 0, 1));
      const first = cache.now();
      expect(first).toBe('2026-11-21T10:00:00.001Z');
      expect(cache.now()).toBe(first);
      now.mockReturnValue(Date.UTC(2026, 10, 21, 10, 0, 0, 2));
      expect(cache.now()).toBe('2026-11-21T10:00:00.002Z');
      expect(JSON.parse(cache.render(groupState()).body)).toMatchObject({
        timestamp: '2026-11-21T10:00:00.002Z',
      });
    } finally {
      now.mockRestore();
    }
  });

  it('renders a state once per millisecond, and a changed state at once', () => {
    const cache = new ProbeBodyCache();
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(Date.UTC(2026, 10, 21, 10, 0, 0, 5));
      const state = groupState();
      const first = cache.render(state);
      expect(cache.render(state)).toBe(first);
      const changed = groupState({ status: 'down' });
      expect(JSON.parse(cache.render(changed).body)).toMatchObject({ status: 'down' });
      now.mockReturnValue(Date.UTC(2026, 10, 21, 10, 0, 0, 6));
      const next = cache.render(state);
      expect(next).not.toBe(first);
      expect(JSON.parse(next.body)).toMatchObject({ timestamp: '2026-11-21T10:00:00.006Z' });
      expect(next.byteLength).toBe(Buffer.byteLength(next.body));
    } finally {
      now.mockRestore();
    }
  });
});

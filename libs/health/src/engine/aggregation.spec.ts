import type { HealthStatus, IndicatorStatus } from '../check';
import {
  aggregateGroup,
  applyHysteresis,
  BUILT_IN_GROUPS,
  type GroupMember,
  type HysteresisState,
  worst,
} from './aggregation';

describe('worst', () => {
  it.each<[HealthStatus, HealthStatus, HealthStatus]>([
    ['up', 'up', 'up'],
    ['up', 'degraded', 'degraded'],
    ['degraded', 'up', 'degraded'],
    ['up', 'down', 'down'],
    ['down', 'up', 'down'],
    ['degraded', 'down', 'down'],
    ['down', 'degraded', 'down'],
    ['degraded', 'degraded', 'degraded'],
    ['down', 'down', 'down'],
  ])('worst(%s, %s) is %s', (a, b, expected) => {
    expect(worst(a, b)).toBe(expected);
  });
});

describe('aggregateGroup', () => {
  const member = (status: IndicatorStatus, critical = true): GroupMember => ({ status, critical });

  it('has the three built-in groups', () => {
    expect(BUILT_IN_GROUPS).toEqual(['liveness', 'readiness', 'startup']);
  });

  it.each(['liveness', 'readiness', 'startup', 'payments'])('is up for an empty %s group', (g) => {
    expect(aggregateGroup(g, [])).toBe('up');
  });

  it('is the worst of its members', () => {
    expect(aggregateGroup('readiness', [member('up'), member('up')])).toBe('up');
    expect(aggregateGroup('readiness', [member('up'), member('degraded')])).toBe('degraded');
    expect(aggregateGroup('readiness', [member('degraded'), member('down'), member('up')])).toBe(
      'down',
    );
  });

  it("turns a non-critical member's down into degraded", () => {
    expect(aggregateGroup('readiness', [member('up'), member('down', false)])).toBe('degraded');
    expect(aggregateGroup('liveness', [member('down', false)])).toBe('degraded');
  });

  it('keeps a critical down as down even beside a non-critical one', () => {
    expect(aggregateGroup('readiness', [member('down', false), member('down')])).toBe('down');
  });

  it('leaves non-critical up and degraded as they are', () => {
    expect(aggregateGroup('readiness', [member('up', false)])).toBe('up');
    expect(aggregateGroup('readiness', [member('degraded', false)])).toBe('degraded');
  });

  it('counts unknown as up for liveness', () => {
    expect(aggregateGroup('liveness', [member('unknown')])).toBe('up');
    expect(aggregateGroup('liveness', [member('unknown'), member('degraded')])).toBe('degraded');
  });

  it.each(['readiness', 'startup', 'payments'])('counts unknown as down for %s', (group) => {
    expect(aggregateGroup(group, [member('up'), member('unknown')])).toBe('down');
  });

  it('counts a non-critical unknown as degraded outside liveness', () => {
    expect(aggregateGroup('readiness', [member('unknown', false)])).toBe('degraded');
  });

  it('accepts any iterable of members', () => {
    const members = new Map([['a', member('degraded')]]);
    expect(aggregateGroup('readiness', members.values())).toBe('degraded');
  });
});

describe('applyHysteresis', () => {
  const start: HysteresisState = {
    status: 'unknown',
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
  };

  function run(
    observed: readonly HealthStatus[],
    thresholds = { failureThreshold: 3, successThreshold: 2 },
    from: HysteresisState = start,
  ): IndicatorStatus[] {
    const statuses: IndicatorStatus[] = [];
    let state = from;
    for (const status of observed) {
      state = applyHysteresis(state, status, thresholds);
      statuses.push(state.status);
    }
    return statuses;
  }

  it.each<[string, HealthStatus[], IndicatorStatus[]]>([
    ['first result up is taken as is', ['up'], ['up']],
    ['first result down is taken as is', ['down'], ['down']],
    ['first result degraded is taken as is', ['degraded'], ['degraded']],
    [
      'three consecutive failures turn up into down',
      ['up', 'down', 'down', 'down'],
      ['up', 'up', 'up', 'down'],
    ],
    [
      'a success resets the failure count',
      ['up', 'down', 'down', 'up', 'down', 'down', 'down'],
      ['up', 'up', 'up', 'up', 'up', 'up', 'down'],
    ],
    [
      'a degraded result resets the failure count too',
      ['up', 'down', 'down', 'degraded', 'down', 'down'],
      ['up', 'up', 'up', 'degraded', 'degraded', 'degraded'],
    ],
    ['two consecutive successes turn down into up', ['down', 'up', 'up'], ['down', 'down', 'up']],
    [
      'a failure resets the success count',
      ['down', 'up', 'down', 'up', 'up'],
      ['down', 'down', 'down', 'down', 'up'],
    ],
    [
      'recovery lands on what was observed last (degraded)',
      ['down', 'up', 'degraded'],
      ['down', 'down', 'degraded'],
    ],
    [
      'degraded counts as a success towards recovery',
      ['down', 'degraded', 'degraded'],
      ['down', 'down', 'degraded'],
    ],
    [
      'degraded turns down after three failures as well',
      ['degraded', 'down', 'down', 'down'],
      ['degraded', 'degraded', 'degraded', 'down'],
    ],
    ['up to degraded is immediate', ['up', 'degraded'], ['up', 'degraded']],
    ['degraded to up is immediate', ['degraded', 'up'], ['degraded', 'up']],
    [
      'a full outage and recovery',
      ['up', 'down', 'down', 'down', 'down', 'up', 'up', 'up'],
      ['up', 'up', 'up', 'down', 'down', 'down', 'up', 'up'],
    ],
  ])('with failureThreshold 3 / successThreshold 2: %s', (_label, observed, expected) => {
    expect(run(observed)).toEqual(expected);
  });

  it('with thresholds 1 / 1 follows every result (the kubelet default)', () => {
    const thresholds = { failureThreshold: 1, successThreshold: 1 };
    expect(run(['up', 'down', 'up', 'degraded', 'down', 'degraded'], thresholds)).toEqual([
      'up',
      'down',
      'up',
      'degraded',
      'down',
      'degraded',
    ]);
  });

  it('counts consecutive failures and successes', () => {
    const thresholds = { failureThreshold: 3, successThreshold: 2 };
    let state = applyHysteresis(start, 'up', thresholds);
    expect(state).toEqual({ status: 'up', consecutiveFailures: 0, consecutiveSuccesses: 1 });
    state = applyHysteresis(state, 'down', thresholds);
    expect(state).toEqual({ status: 'up', consecutiveFailures: 1, consecutiveSuccesses: 0 });
    state = applyHysteresis(state, 'down', thresholds);
    state = applyHysteresis(state, 'down', thresholds);
    expect(state).toEqual({ status: 'down', consecutiveFailures: 3, consecutiveSuccesses: 0 });
    state = applyHysteresis(state, 'down', thresholds);
    expect(state).toEqual({ status: 'down', consecutiveFailures: 4, consecutiveSuccesses: 0 });
    state = applyHysteresis(state, 'degraded', thresholds);
    expect(state).toEqual({ status: 'down', consecutiveFailures: 0, consecutiveSuccesses: 1 });
  });

  it('does not mutate the previous state', () => {
    const previous = Object.freeze({ ...start, status: 'up' as const });
    expect(() =>
      applyHysteresis(previous, 'down', { failureThreshold: 2, successThreshold: 2 }),
    ).not.toThrow();
    expect(previous.consecutiveFailures).toBe(0);
  });
});

import fc from 'fast-check';
import { violationsOfHealthJsonDraft } from '../../spec-helpers/health-json-draft';
import {
  acceptsHealthJson,
  toHealthJsonBody,
  type HealthJsonAnswer,
  type HealthJsonCheckInput,
} from './health-json.format';

const AT = '2026-11-21T10:00:00.000Z';

function check(overrides: Partial<HealthJsonCheckInput> & { name: string }): HealthJsonCheckInput {
  return {
    status: 'up',
    groups: ['readiness'],
    message: null,
    data: null,
    durationMs: 2.5,
    lastCheckedAt: AT,
    componentType: 'component',
    ...overrides,
  };
}

function answer(overrides: Partial<HealthJsonAnswer>): HealthJsonAnswer {
  return {
    group: 'readiness',
    status: 'up',
    passed: true,
    reasons: [],
    warnings: [],
    checks: [],
    admitted: true,
    ...overrides,
  };
}

const CHECKS = [
  check({ name: 'database', data: { responseTimeMs: 1.25, poolTotalCount: 3 } }),
  check({
    name: 'redis',
    status: 'down',
    message: 'connect ECONNREFUSED 127.0.0.1:6379',
    componentType: 'datastore',
  }),
  check({
    name: 'queue',
    status: 'degraded',
    message: 'waiting 1520 is above 1000',
    data: {
      waiting: 1520,
      usedMemoryBytes: 2048,
      usedMemoryPercent: 12.5,
      heapUsedPercent: 41.5,
      uptimeSeconds: 9,
    },
  }),
  check({ name: 'cache', status: 'unknown', durationMs: null, lastCheckedAt: null }),
];

describe('application/health+json bodies', () => {
  it('maps statuses, keys each check "<name>:responseTime" and conforms to the draft', () => {
    const body = toHealthJsonBody(answer({ status: 'down', passed: false, checks: CHECKS }));
    expect(body.status).toBe('fail');
    expect(body.description).toBe('readiness');
    expect(body.checks['database:responseTime']).toEqual([
      {
        componentId: 'database',
        componentType: 'component',
        observedValue: 1.25, // the check's own responseTimeMs, not the run's duration
        observedUnit: 'ms',
        status: 'pass',
        time: AT,
      },
    ]);
    expect(body.checks['redis:responseTime']).toEqual([
      {
        componentId: 'redis',
        componentType: 'datastore',
        observedValue: 2.5, // no responseTimeMs in its data: the run's duration
        observedUnit: 'ms',
        status: 'fail',
        time: AT,
        output: 'connect ECONNREFUSED 127.0.0.1:6379',
      },
    ]);
    expect(body.checks['queue:responseTime']?.[0]).toMatchObject({
      status: 'warn',
      output: 'waiting 1520 is above 1000',
    });
    expect(body.checks['cache:responseTime']).toEqual([
      { componentId: 'cache', componentType: 'component', status: 'fail', output: 'no result yet' },
    ]);
    expect(violationsOfHealthJsonDraft({ statusCode: 503, contentType: CT, body })).toEqual([]);
  });

  it('adds the history of GET /<path>: uptime per window, lastUp and lastDown, within the draft', () => {
    const history = {
      uptime: { '1h': { up: 97.5, upOrDegraded: 99 }, '24h': { up: null, upOrDegraded: null } },
      lastUp: '2026-11-21T09:59:00.000Z',
      lastDown: null,
    };
    const checks = [check({ name: 'database', history }), check({ name: 'redis' })];
    const body = toHealthJsonBody(answer({ group: null, checks, at: AT }));
    expect(Object.keys(body.checks)).toEqual([
      'database:responseTime',
      'database:uptime1h',
      'database:lastUp',
      'redis:responseTime',
    ]);
    expect(body.checks['database:uptime1h']).toEqual([
      {
        componentId: 'database',
        componentType: 'component',
        observedValue: 97.5,
        observedUnit: 'percent',
        time: AT,
      },
    ]);
    expect(body.checks['database:lastUp']).toEqual([
      {
        componentId: 'database',
        componentType: 'component',
        status: 'pass',
        time: '2026-11-21T09:59:00.000Z',
      },
    ]);
    expect(violationsOfHealthJsonDraft({ statusCode: 200, contentType: CT, body })).toEqual([]);
    // A data key of the same name keeps its whole key.
    const clash = toHealthJsonBody(
      answer({ checks: [check({ name: 'db', history, data: { uptime1hPercent: 5 } })], at: AT }),
    );
    expect(clash.checks['db:uptime1h']?.[0]).toMatchObject({ observedValue: 97.5 });
    expect(clash.checks['db:uptime1hPercent']?.[0]).toMatchObject({ observedValue: 5 });
    // Not for callers the details policy does not admit.
    const withheld = toHealthJsonBody(answer({ checks, admitted: false, at: AT }));
    expect(Object.keys(withheld.checks)).toEqual(['database:responseTime', 'redis:responseTime']);
  });

  it('adds a reading for each number in the data whose key names a unit', () => {
    const body = toHealthJsonBody(answer({ checks: CHECKS }));
    expect(Object.keys(body.checks).filter((key) => key.startsWith('queue:'))).toEqual([
      'queue:responseTime',
      'queue:usedMemory',
      'queue:usedMemoryPercent',
      'queue:heapUsed',
      'queue:uptime',
    ]);
    expect(body.checks['queue:usedMemory']).toEqual([
      {
        componentId: 'queue',
        componentType: 'component',
        observedValue: 2048,
        observedUnit: 'bytes',
        time: AT,
      },
    ]);
    expect(body.checks['queue:usedMemoryPercent']?.[0]).toMatchObject({
      observedValue: 12.5,
      observedUnit: 'percent',
    });
    expect(body.checks['queue:heapUsed']?.[0]).toMatchObject({ observedUnit: 'percent' });
    expect(body.checks['queue:uptime']?.[0]).toMatchObject({ observedValue: 9, observedUnit: 's' });
    // Counts without a unit, and responseTimeMs (reported as <name>:responseTime), add nothing.
    expect(Object.keys(body.checks)).not.toContain('queue:waiting');
    expect(Object.keys(body.checks)).not.toContain('database:poolTotalCount');
  });

  it('gives callers that are not admitted statuses and times, no observed values or outputs', () => {
    const body = toHealthJsonBody(
      answer({ status: 'down', passed: false, checks: CHECKS, admitted: false }),
    );
    expect(Object.keys(body.checks)).toEqual([
      'database:responseTime',
      'redis:responseTime',
      'queue:responseTime',
      'cache:responseTime',
    ]);
    expect(body.checks['redis:responseTime']).toEqual([
      { componentId: 'redis', componentType: 'datastore', status: 'fail', time: AT },
    ]);
    const text = JSON.stringify(body);
    expect(text).not.toContain('ECONNREFUSED');
    expect(text).not.toContain('observedValue');
    expect(text).not.toContain('output');
    expect(violationsOfHealthJsonDraft({ statusCode: 503, contentType: CT, body })).toEqual([]);
  });

  it('is pass only when the answer passes with every counted check up, warn when it passes otherwise', () => {
    expect(toHealthJsonBody(answer({ status: 'up' })).status).toBe('pass');
    expect(toHealthJsonBody(answer({ status: 'degraded' })).status).toBe('warn');
    // A group whose httpStatus maps down to 200 still answers 2xx: the draft's warn, not fail.
    expect(toHealthJsonBody(answer({ status: 'down', passed: true })).status).toBe('warn');
    // …and one that maps degraded to 503 answers fail.
    expect(toHealthJsonBody(answer({ status: 'degraded', passed: false })).status).toBe('fail');
  });

  it('counts a check with no result yet as a warning in liveness, where it does not fail the probe', () => {
    const cache = check({ name: 'cache', status: 'unknown', groups: ['liveness'] });
    expect(
      toHealthJsonBody(answer({ group: 'liveness', checks: [cache] })).checks['cache:responseTime'],
    ).toMatchObject([{ status: 'warn' }]);
    // GET /<path> has no group: an indicator only in liveness reads as liveness does.
    expect(
      toHealthJsonBody(answer({ group: null, checks: [cache] })).checks['cache:responseTime'],
    ).toMatchObject([{ status: 'warn' }]);
    expect(
      toHealthJsonBody(answer({ group: null, checks: [{ ...cache, groups: ['readiness'] }] }))
        .checks['cache:responseTime'],
    ).toMatchObject([{ status: 'fail' }]);
  });

  it('says in notes why the module holds a group down, and what in the request was ignored', () => {
    const body = toHealthJsonBody(
      answer({
        status: 'down',
        passed: false,
        reasons: ['shutting_down'],
        warnings: ['some health checks cannot be excluded: no matches for "x"'],
      }),
    );
    expect(body.notes).toEqual([
      'the application is shutting down',
      'some health checks cannot be excluded: no matches for "x"',
    ]);
    expect(toHealthJsonBody(answer({})).notes).toBeUndefined();
  });

  it('the draft validator does catch what breaks the draft (the checks above can fail)', () => {
    const bad = {
      status: 'pass',
      output: 'x',
      checks: {
        'a:b:c': [{ status: 'maybe', observedValue: 3, time: 'yesterday', output: 'y' }],
        'd:e': {},
      },
    };
    expect(
      violationsOfHealthJsonDraft({ statusCode: 503, contentType: 'application/json', body: bad }),
    ).toEqual([
      '§3: Content-Type is "application/json", not application/health+json',
      '§3.1: status "pass" with HTTP 503 (MUST be 2xx-3xx)',
      '§3.5: output SHOULD be omitted for "pass"',
      '§4: key "a:b:c" has more than one colon',
      '§4.2: checks["a:b:c"][0] has a componentName but no componentType',
      '§4.4: checks["a:b:c"][0] has an observedValue without an observedUnit',
      '§4.5: checks["a:b:c"][0].status "maybe" is not valid',
      '§4.7: checks["a:b:c"][0].time "yesterday" is not ISO 8601',
      '§4: checks["d:e"] is not an array',
    ]);
  });
});

const CT = 'application/health+json';

describe('Accept negotiation', () => {
  it.each([
    ['application/health+json', true],
    ['Application/Health+JSON', true],
    ['application/json, application/health+json', true],
    ['application/health+json;q=0.9, application/json;q=0.8', true],
    ['application/health+json; q=0.5, */*', false], // */* gives application/json q=1
    ['application/health+json;q=0.5, application/*;q=0.4', true],
    ['application/health+json;q=0', false],
    ['application/json;q=1, application/health+json;q=0.5', false],
    ['application/json', false],
    ['*/*', false],
    ['text/plain', false],
    ['', false],
  ])('%j → %s', (accept, expected) => {
    expect(acceptsHealthJson(accept)).toBe(expected);
  });

  it('is false for anything that is not a string naming health+json', () => {
    expect(acceptsHealthJson(undefined)).toBe(false);
    expect(acceptsHealthJson(['application/health+json'])).toBe(false);
    fc.assert(
      fc.property(fc.string(), (accept) => {
        fc.pre(!/health\+json/i.test(accept));
        expect(acceptsHealthJson(accept)).toBe(false);
      }),
    );
  });
});

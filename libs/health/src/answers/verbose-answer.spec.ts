import type { GroupState } from '../engine/health-state.types';
import { memberStatus, probeTitle, unmatchedWarning, viewGroup } from './probe-view';
import { formatVerbose, REASON_WITHHELD, type VerboseAnswer } from './verbose-answer';

function answer(overrides: Partial<VerboseAnswer>): VerboseAnswer {
  return {
    group: 'readiness',
    title: 'readyz',
    passed: true,
    reason: null,
    warnings: [],
    admitted: false,
    checks: [],
    ...overrides,
  };
}

describe('formatVerbose', () => {
  const checks = [
    { name: 'database', status: 'up', critical: true, message: null },
    {
      name: 'redis',
      status: 'down',
      critical: true,
      message: 'connect ECONNREFUSED 127.0.0.1:6379',
    },
    { name: 'queue', status: 'degraded', critical: true, message: '1520 jobs waiting' },
    { name: 'cache', status: 'down', critical: false, message: 'timed out after 500 ms' },
    { name: 'search', status: 'unknown', critical: true, message: null },
  ] as const;

  it('writes one line per check and the verdict, as the Kubernetes API server does', () => {
    expect(formatVerbose(answer({ checks, passed: false }))).toBe(
      [
        '[+]database ok',
        `[-]redis failed: ${REASON_WITHHELD}`,
        `[+]queue degraded: ${REASON_WITHHELD}`,
        `[+]cache failed (non-critical): ${REASON_WITHHELD}`,
        '[-]search failed: no result yet',
        'readyz check failed',
        '',
      ].join('\n'),
    );
  });

  it('gives the reasons to admitted callers', () => {
    const text = formatVerbose(answer({ checks, admitted: true, passed: false }));
    expect(text).toContain('[-]redis failed: connect ECONNREFUSED 127.0.0.1:6379\n');
    expect(text).toContain('[+]queue degraded: 1520 jobs waiting\n');
    expect(text).not.toContain(REASON_WITHHELD);
  });

  it('puts the module reason first, excluded checks as ok, and warnings before the verdict', () => {
    const text = formatVerbose(
      answer({
        reason: 'shutting_down',
        passed: false,
        checks: [{ name: 'redis', status: 'down', critical: true, message: 'x', excluded: true }],
        warnings: [unmatchedWarning(['nope'])],
      }),
    );
    expect(text).toBe(
      [
        '[-]shutdown failed: the application is shutting down',
        '[+]redis excluded: ok',
        'warn: some health checks cannot be excluded: no matches for "nope"',
        'readyz check failed',
        '',
      ].join('\n'),
    );
  });

  it('reads unknown as ok for liveness', () => {
    const text = formatVerbose(
      answer({
        group: 'liveness',
        title: 'livez',
        checks: [{ name: 'loop', status: 'unknown', critical: true, message: null }],
      }),
    );
    expect(text).toBe('[+]loop ok: no result yet\nlivez check passed\n');
  });

  it('reads a run-time indicator waiting for its first result as pending, not failed', () => {
    const text = formatVerbose(
      answer({
        checks: [
          { name: 'db', status: 'up', critical: true, message: null },
          { name: 'tenant', status: 'unknown', critical: true, message: null, joining: true },
        ],
      }),
    );
    expect(text).toBe(
      '[+]db ok\n[+]tenant pending: no result yet, not counted until its first\nreadyz check passed\n',
    );
  });
});

describe('viewGroup', () => {
  const readiness: GroupState = {
    name: 'readiness',
    status: 'down',
    since: '2026-11-21T10:00:00.000Z',
    reason: null,
    checks: {
      database: { status: 'up' },
      redis: { status: 'down' },
      queue: { status: 'degraded' },
    },
  };
  const critical = () => true;

  it('leaves excluded checks out of the status and the checks, and lists unmatched names', () => {
    const view = viewGroup(readiness, ['redis', 'nope', 'redis'], critical);
    expect(view).toEqual({
      status: 'degraded',
      reason: null,
      checks: { database: { status: 'up' }, queue: { status: 'degraded' } },
      excluded: ['redis'],
      unmatched: ['nope'],
    });
  });

  it('keeps the status of a group the module holds down, whatever is excluded', () => {
    const shuttingDown: GroupState = { ...readiness, reason: 'shutting_down' };
    expect(viewGroup(shuttingDown, ['redis'], critical).status).toBe('down');
  });

  it('keeps a latched startup group up', () => {
    const startup: GroupState = { ...readiness, name: 'startup', status: 'up' };
    expect(viewGroup(startup, ['queue'], critical).status).toBe('up');
  });

  it('answers the group as it is without exclusions', () => {
    expect(viewGroup(readiness, undefined, critical).checks).toBe(readiness.checks);
  });
});

describe('memberStatus and probeTitle', () => {
  it('softens a non-critical down, and reads unknown by group', () => {
    expect(memberStatus('readiness', 'down', false)).toBe('degraded');
    expect(memberStatus('readiness', 'unknown', true)).toBe('down');
    expect(memberStatus('liveness', 'unknown', true)).toBe('up');
  });

  it('names the built-in probes as the API server names its own', () => {
    expect([probeTitle('liveness'), probeTitle('readiness'), probeTitle('startup')]).toEqual([
      'livez',
      'readyz',
      'startupz',
    ]);
    expect(probeTitle('billing')).toBe('billing');
  });
});

import { toTerminusBody, type TerminusCheckInput } from './terminus.format';

const CHECKS: TerminusCheckInput[] = [
  { name: 'database', status: 'up', message: null, data: { responseTimeMs: 1.2 } },
  { name: 'queue', status: 'degraded', message: 'waiting 1520 is above 1000', data: null },
  { name: 'redis', status: 'down', message: 'connect ECONNREFUSED 127.0.0.1:6379', data: null },
  { name: 'cache', status: 'unknown', message: null, data: null },
];

describe('Terminus-shaped bodies', () => {
  it('puts up (and degraded) checks in info, down ones in error, all in details', () => {
    const body = toTerminusBody({ passed: false, reasons: [], checks: CHECKS, admitted: true });
    expect(body).toEqual({
      status: 'error',
      info: {
        database: { responseTimeMs: 1.2, status: 'up' },
        queue: { message: 'waiting 1520 is above 1000', status: 'up' },
      },
      error: {
        redis: { message: 'connect ECONNREFUSED 127.0.0.1:6379', status: 'down' },
        cache: { message: 'no result yet', status: 'down' },
      },
      details: {
        database: { responseTimeMs: 1.2, status: 'up' },
        queue: { message: 'waiting 1520 is above 1000', status: 'up' },
        redis: { message: 'connect ECONNREFUSED 127.0.0.1:6379', status: 'down' },
        cache: { message: 'no result yet', status: 'down' },
      },
    });
  });

  it('shows callers that are not admitted statuses only', () => {
    const body = toTerminusBody({ passed: false, reasons: [], checks: CHECKS, admitted: false });
    expect(body.details).toEqual({
      database: { status: 'up' },
      queue: { status: 'up' },
      redis: { status: 'down' },
      cache: { status: 'down' },
    });
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|responseTimeMs|message/);
  });

  it('is ok when the answer passes, and shutting_down once the app shuts down', () => {
    const up = [CHECKS[0]];
    expect(toTerminusBody({ passed: true, reasons: [], checks: up, admitted: true })).toMatchObject(
      {
        status: 'ok',
        error: {},
      },
    );
    expect(
      toTerminusBody({ passed: false, reasons: ['shutting_down'], checks: up, admitted: true }),
    ).toMatchObject({ status: 'shutting_down', info: { database: { status: 'up' } } });
    expect(
      toTerminusBody({ passed: false, reasons: ['starting'], checks: up, admitted: true }).status,
    ).toBe('error');
  });

  it('keeps status over a data key of that name, as Terminus reserves it', () => {
    const odd: TerminusCheckInput = {
      name: 'odd',
      status: 'down',
      message: 'm',
      data: { status: 'fine', message: 'data' },
    };
    const body = toTerminusBody({ passed: false, reasons: [], checks: [odd], admitted: true });
    expect(body.error.odd).toEqual({ status: 'down', message: 'm' });
  });
});

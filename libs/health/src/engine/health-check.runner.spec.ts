import { setTimeout as sleep } from 'node:timers/promises';
import { degraded, down, up, type HealthCheckContext, type HealthCheckFunction } from '../check';
import type { HealthIndicatorDefinition } from '../discovery/health-indicator.definition';
import { HealthCheckRunner, normalizeResult, timedOutMessage } from './health-check.runner';
import { MAX_MESSAGE_LENGTH } from './sanitize';
import { indicatorDefinition } from '../../spec-helpers/indicator-definition';

function definition(
  check: HealthCheckFunction,
  overrides: Partial<HealthIndicatorDefinition> = {},
): HealthIndicatorDefinition {
  return indicatorDefinition('db', { check, source: 'test', ...overrides });
}

/** A promise with its resolve and reject functions. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('HealthCheckRunner', () => {
  const runner = new HealthCheckRunner();

  it('passes the signal, name and time budget to the check', async () => {
    let seen: HealthCheckContext | undefined;
    const run = runner.run(
      definition(
        (context) => {
          seen = context;
          return up();
        },
        { name: 'cache', timeoutMs: 250 },
      ),
    );
    await run.result;
    expect(seen?.name).toBe('cache');
    expect(seen?.timeoutMs).toBe(250);
    expect(seen?.signal).toBeInstanceOf(AbortSignal);
    expect(seen?.signal.aborted).toBe(false);
  });

  describe('a check that never settles', () => {
    it('resolves down "timed out after N ms" at the deadline and aborts the signal', async () => {
      let signal: AbortSignal | undefined;
      const run = runner.run(
        definition(
          (context) => {
            signal = context.signal;
            return new Promise(() => {});
          },
          { timeoutMs: 30 },
        ),
      );
      expect(signal?.aborted).toBe(false);

      const result = await run.result;

      expect(result).toMatchObject({
        status: 'down',
        message: 'timed out after 30 ms',
        timedOut: true,
      });
      expect(result.message).toBe(timedOutMessage(30));
      expect(result.data).toBeUndefined();
      expect(signal?.aborted).toBe(true);
      const reason = signal?.reason as DOMException;
      expect(reason).toBeInstanceOf(DOMException);
      expect(reason.name).toBe('TimeoutError');
      expect(reason.message).toBe('timed out after 30 ms');
    });

    it('lets a co-operating check stop at the deadline', async () => {
      let aborted = false;
      const run = runner.run(
        definition(
          ({ signal }) =>
            new Promise((_, reject) => {
              signal.addEventListener('abort', () => {
                aborted = true;
                reject(signal.reason as Error);
              });
            }),
          { timeoutMs: 20 },
        ),
      );
      const result = await run.result;
      await run.settled;
      expect(aborted).toBe(true);
      expect(result.status).toBe('down');
      expect(result.timedOut).toBe(true);
      expect(result.message).toBe('timed out after 20 ms');
    });
  });

  it('reports a synchronous throw as down with its message', async () => {
    const run = runner.run(
      definition(() => {
        throw new Error('pool is closed');
      }),
    );
    const result = await run.result;
    expect(result).toMatchObject({ status: 'down', message: 'pool is closed', timedOut: false });
    await expect(run.settled).resolves.toBeUndefined();
  });

  it('reports a rejection as down with its message', async () => {
    const run = runner.run(definition(() => Promise.reject(new Error('ECONNRESET by peer'))));
    await expect(run.result).resolves.toMatchObject({
      status: 'down',
      message: 'ECONNRESET by peer',
      timedOut: false,
    });
  });

  it('reports a rejection with an empty AggregateError by its inner message', async () => {
    const error = Object.assign(
      new AggregateError(
        [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
        '',
      ),
      { code: 'ECONNREFUSED' },
    );
    const result = await runner.run(definition(() => Promise.reject(error))).result;
    expect(result.message).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });

  it.each([
    ['a string', 'redis went away', 'redis went away'],
    ['undefined', undefined, 'threw undefined'],
    ['an object', { reason: 'nope' }, 'threw a non-Error value'],
    ['a number', 7, 'threw number 7'],
  ])('reports a non-Error throw (%s) as down', async (_label, thrown, message) => {
    const sync = await runner.run(
      definition(() => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point of the test
        throw thrown;
      }),
    ).result;
    expect(sync).toMatchObject({ status: 'down', message, timedOut: false });
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the point of the test
    const async = await runner.run(definition(() => Promise.reject(thrown))).result;
    expect(async).toMatchObject({ status: 'down', message, timedOut: false });
  });

  it.each([
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a number', 42, 'number'],
    ['a string', 'up', 'string'],
    ['an array', [up()], 'an array'],
    ['an unknown status', { status: 'ok' }, 'status "ok"'],
    ['no status', { message: 'fine' }, 'no status'],
    ['data that is an array', { status: 'up', data: [1] }, 'data is not a plain object'],
    ['data that is a Date', { status: 'up', data: new Date(0) }, 'data is not a plain object'],
    ['a message that is not a string', { status: 'up', message: 5 }, 'message is not a string'],
  ])(
    'reports a garbage return (%s) as down "returned an invalid result"',
    async (_l, value, what) => {
      const result = await runner.run(definition(() => value as never)).result;
      expect(result.status).toBe('down');
      expect(result.timedOut).toBe(false);
      expect(result.message).toBe(
        `returned an invalid result (${what}); return up(), degraded(message) or down(message)`,
      );
      expect(result.data).toBeUndefined();
    },
  );

  it('reports down, never rejects, when what a check returns or throws cannot be read', async () => {
    const unreadable = {
      get status(): string {
        throw new Error('getter');
      },
      get message(): string {
        throw new Error('getter');
      },
    };
    const returned = await runner.run(definition(() => unreadable as never)).result;
    expect(returned).toMatchObject({
      status: 'down',
      message: 'returned a result that cannot be read',
      timedOut: false,
    });
    const thrown = await runner.run(
      definition(() => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point of the test
        throw unreadable;
      }),
    ).result;
    expect(thrown).toMatchObject({ status: 'down', message: 'threw a value that cannot be read' });

    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const revoked = await runner.run(definition(() => proxy as never)).result;
    expect(revoked.status).toBe('down');
  });

  it('sanitizes the status it quotes from an invalid result', () => {
    const { message } = normalizeResult({ status: 'token=abc\nsecret' });
    expect(message).not.toContain('abc');
    expect(message).not.toMatch(/\n/);
  });

  it.each([
    ['up', up({ responseTimeMs: 3.2 })],
    ['up without data', up()],
    ['degraded', degraded('1520 jobs waiting', { waiting: 1520 })],
    ['down', down('no worker attached', { workers: 0 })],
    ['down from a plain object', { status: 'down' as const, message: 'plain' }],
  ])('passes a valid result through (%s)', async (_label, returned) => {
    const result = await runner.run(definition(() => Promise.resolve(returned))).result;
    expect(result.status).toBe(returned.status);
    expect(result.message).toBe(returned.message);
    expect(result.data).toEqual(returned.data);
    expect(result.timedOut).toBe(false);
    expect('message' in result).toBe(returned.message !== undefined);
    expect('data' in result).toBe(returned.data !== undefined);
  });

  it('passes a synchronous return through', async () => {
    const result = await runner.run(definition(() => degraded('slow', { ms: 900 }))).result;
    expect(result).toMatchObject({ status: 'degraded', message: 'slow', data: { ms: 900 } });
  });

  it('drops an empty message', async () => {
    const result = await runner.run(definition(() => ({ status: 'up', message: '' }))).result;
    expect(result.message).toBeUndefined();
  });

  it('redacts, folds and truncates messages that checks return', async () => {
    const returned = await runner.run(
      definition(() => down('cannot reach postgres://app:hunter2@db:5432\n  at Socket.connect')),
    ).result;
    expect(returned.message).toBe('cannot reach postgres://app:***@db:5432 at Socket.connect');

    const bearer = await runner.run(definition(() => degraded('401 with Bearer abc.def.ghi')))
      .result;
    expect(bearer.message).toBe('401 with Bearer ***');

    const long = await runner.run(definition(() => down('x'.repeat(1_000)))).result;
    expect(long.message).toHaveLength(MAX_MESSAGE_LENGTH);
  });

  it('redacts messages of thrown errors', async () => {
    const result = await runner.run(
      definition(() => {
        throw new Error('auth failed: password=hunter2');
      }),
    ).result;
    expect(result.message).toBe('auth failed: password=***');
  });

  it('causes no unhandled rejection when a check rejects after its deadline', async () => {
    // Jest fails the running test on an unhandled rejection: jest-circus listens for
    // 'unhandledRejection' on the real process (a listener on the sandbox's `process` never
    // hears it), so a rejection that the runner left unhandled would fail this test.
    const late = deferred<never>();
    const run = runner.run(definition(() => late.promise, { timeoutMs: 20 }));
    const result = await run.result;
    expect(result.timedOut).toBe(true);
    late.reject(new Error('late failure'));
    await run.settled;
    // Unhandled rejections are reported once the microtask queue has drained.
    await sleep(20);
  });

  it('causes no unhandled rejection when a check throws synchronously after a timeout elsewhere', async () => {
    const results = await Promise.all([
      runner.run(definition(() => Promise.reject(new Error('a')), { timeoutMs: 20 })).result,
      runner.run(
        definition(
          () => {
            throw new Error('b');
          },
          { timeoutMs: 20 },
        ),
      ).result,
    ]);
    expect(results.map((r) => r.message)).toEqual(['a', 'b']);
    await sleep(20);
  });

  it('resolves settled only when the check itself settles', async () => {
    const underlying = deferred<ReturnType<typeof up>>();
    const run = runner.run(definition(() => underlying.promise, { timeoutMs: 20 }));
    let settled = false;
    void run.settled.then(() => {
      settled = true;
    });

    const result = await run.result;
    expect(result.timedOut).toBe(true);
    await sleep(10);
    expect(settled).toBe(false);

    underlying.resolve(up());
    await run.settled;
    expect(settled).toBe(true);
  });

  it('resolves settled for a check that completes in time', async () => {
    const run = runner.run(definition(() => up()));
    await expect(run.settled).resolves.toBeUndefined();
    await expect(run.result).resolves.toMatchObject({ status: 'up', timedOut: false });
  });

  it('measures durationMs as a non-negative number with at most two decimals', async () => {
    const result = await runner.run(
      definition(async () => {
        await sleep(5);
        return up();
      }),
    ).result;
    expect(typeof result.durationMs).toBe('number');
    expect(Number.isFinite(result.durationMs)).toBe(true);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(Math.round(result.durationMs * 100) / 100).toBe(result.durationMs);
    expect(typeof result.finishedAt).toBe('number');
    expect(result.finishedAt).toBeLessThanOrEqual(Date.now());
  });

  it('aborts the run signal when the stop signal aborts', async () => {
    const stop = new AbortController();
    let signal: AbortSignal | undefined;
    const run = runner.run(
      definition(
        (context) => {
          signal = context.signal;
          return new Promise((_, reject) => {
            context.signal.addEventListener('abort', () => reject(context.signal.reason as Error));
          });
        },
        { timeoutMs: 5_000 },
      ),
      stop.signal,
    );
    expect(signal?.aborted).toBe(false);

    const reason = new DOMException('the application is shutting down', 'AbortError');
    stop.abort(reason);

    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(reason);
    const result = await run.result;
    expect(result).toMatchObject({
      status: 'down',
      message: 'the application is shutting down',
      timedOut: false,
    });
  });

  it('hands an already aborted signal to a run started after stop', async () => {
    const stop = new AbortController();
    stop.abort(new Error('stopped'));
    let aborted: boolean | undefined;
    await runner.run(
      definition(({ signal }) => {
        aborted = signal.aborted;
        return up();
      }),
      stop.signal,
    ).result;
    expect(aborted).toBe(true);
  });
});

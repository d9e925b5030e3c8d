/**
 * What the module logs over time, with the real registry, scheduler, runner, state store and
 * logger in a Nest app, under Jest's fake clock: a minute of steady failure is a minute on the
 * clock, and every count below is exact (no jitter: Math.random is pinned).
 */
import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { performance } from 'node:perf_hooks';
import { down, up, type HealthCheckResult } from '../check';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthModule } from '../health.module';
import type { HealthModuleOptions } from '../health-module-options';
import { formatSpan } from './health-transition.logger';

interface Line {
  readonly level: 'log' | 'warn' | 'error';
  readonly message: string;
  readonly context: unknown;
}

/** A LoggerService that keeps every line it is given. */
class KeepingLogger implements LoggerService {
  readonly lines: Line[] = [];
  log(message: unknown, context?: unknown): void {
    this.lines.push({ level: 'log', message: String(message), context });
  }
  warn(message: unknown, context?: unknown): void {
    this.lines.push({ level: 'warn', message: String(message), context });
  }
  error(message: unknown, context?: unknown): void {
    this.lines.push({ level: 'error', message: String(message), context });
  }
  /** Messages at `level` that mention the indicator `name` (as `name: …`). */
  about(name: string, level: Line['level'] = 'warn'): string[] {
    return this.lines
      .filter((line) => line.level === level && line.message.startsWith(`${name}: `))
      .map((line) => line.message);
  }
}

const START = new Date('2026-11-21T10:00:00.000Z');
const MINUTE_MS = 60_000;

/** Spins (really) for `ms`: a check that is slow by the runner's own clock. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy
  }
}

describe('HealthTransitionLogger: what a failing or slow check logs over time', () => {
  let app: INestApplication | undefined;
  let appLogger: KeepingLogger;

  beforeEach(() => {
    jest.useFakeTimers({ now: START, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    // Pinned for the scheduler's jitter only: Nest's ids come from Math.random too (through
    // `uid`), and a constant there makes two modules' ids collide once uid refills its buffer.
    const random = Math.random.bind(Math);
    jest
      .spyOn(Math, 'random')
      .mockImplementation(() => (new Error().stack?.includes('health.scheduler') ? 0.5 : random()));
    appLogger = new KeepingLogger();
  });

  afterEach(async () => {
    jest.useRealTimers();
    jest.restoreAllMocks();
    await app?.close();
    app = undefined;
  });

  /** Boots an app whose only indicator is `check`, run every second. */
  async function boot(
    check: () => HealthCheckResult,
    options: HealthModuleOptions,
  ): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ defaults: { intervalMs: 1_000 }, ...options })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: appLogger });
    app.get(HealthRegistry).register(check, { name: 'payments' });
    await app.init();
    return app;
  }

  it('a minute of steady failure: one transition line and one reminder per reminderIntervalMs, never a line per run', async () => {
    const logger = new KeepingLogger();
    const check = jest.fn(() => down('connect ECONNREFUSED 10.0.0.7:5432'));
    await boot(check, { logger, reminderIntervalMs: 25_000 });

    await jest.advanceTimersByTimeAsync(MINUTE_MS);

    expect(check).toHaveBeenCalledTimes(61); // at 0 s, 1 s, …, 60 s
    expect(logger.about('payments')).toEqual([
      expect.stringMatching(
        /^payments: unknown → down \(connect ECONNREFUSED 10\.0\.0\.7:5432; check took [\d.]+ ms\)$/,
      ),
      'payments: still down since 2026-11-21T10:00:00.000Z (25 s; 25 runs since the last line; last: connect ECONNREFUSED 10.0.0.7:5432)',
      'payments: still down since 2026-11-21T10:00:00.000Z (50 s; 25 runs since the last line; last: connect ECONNREFUSED 10.0.0.7:5432)',
    ]);
    // Nothing else per run: besides those, only the startup group's latch at bootstrap.
    expect(logger.lines.map((line) => line.message)).toEqual([
      'group startup: down → up',
      expect.stringMatching(/^payments: unknown → down/),
      expect.stringMatching(/^payments: still down/),
      expect.stringMatching(/^payments: still down/),
    ]);
    expect(new Set(logger.lines.map((line) => line.context))).toEqual(new Set(['HealthModule']));
    // The custom logger got every line; the app's own logger none of the module's.
    expect(appLogger.lines.filter((line) => line.context === 'HealthModule')).toEqual([]);
  });

  it('a recovery logs once and ends the reminders', async () => {
    const logger = new KeepingLogger();
    let healthy = false;
    await boot(() => (healthy ? up() : down('HTTP 503')), { logger, reminderIntervalMs: 10_000 });

    await jest.advanceTimersByTimeAsync(15_000); // down at 0 s, a reminder at 10 s
    healthy = true;
    await jest.advanceTimersByTimeAsync(MINUTE_MS);

    expect(logger.about('payments', 'warn')).toEqual([
      expect.stringMatching(/^payments: unknown → down \(HTTP 503; check took/),
      expect.stringMatching(/^payments: still down since .* \(10 s; 10 runs since the last line/),
    ]);
    expect(logger.about('payments', 'log')).toEqual([
      expect.stringMatching(/^payments: down → up \(check took [\d.]+ ms\)$/),
    ]);
  });

  it('reminderIntervalMs: 0 turns reminders off', async () => {
    const logger = new KeepingLogger();
    await boot(() => down('refused'), { logger, reminderIntervalMs: 0 });

    await jest.advanceTimersByTimeAsync(MINUTE_MS);

    expect(logger.about('payments')).toEqual([expect.stringMatching(/^payments: unknown → down/)]);
  });

  it('a check slower than slowCheckMs warns once, then at most once per reminderIntervalMs while it stays slow', async () => {
    const logger = new KeepingLogger();
    let slow = true;
    const check = () => {
      if (slow) spin(4);
      return up();
    };
    await boot(check, { logger, slowCheckMs: 2, reminderIntervalMs: 25_000 });

    await jest.advanceTimersByTimeAsync(MINUTE_MS);

    expect(logger.about('payments')).toEqual([
      expect.stringMatching(/^payments: check took [\d.]+ ms, over slowCheckMs \(2 ms\)$/),
      expect.stringMatching(
        /^payments: checks still slow: 25 runs over slowCheckMs \(2 ms\) since the last warning, the slowest [\d.]+ ms$/,
      ),
      expect.stringMatching(/^payments: checks still slow: 25 runs over/),
    ]);

    // A fast run ends the slow spell; the next slow run warns at once again.
    slow = false;
    await jest.advanceTimersByTimeAsync(1_000);
    slow = true;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(logger.about('payments')).toHaveLength(4);
    expect(logger.about('payments')[3]).toMatch(
      /^payments: check took [\d.]+ ms, over slowCheckMs/,
    );
  });

  it('slowCheckMs: 0 never warns about slow checks', async () => {
    const logger = new KeepingLogger();
    await boot(() => (spin(3), up()), { logger, slowCheckMs: 0 });

    await jest.advanceTimersByTimeAsync(5_000);

    expect(logger.about('payments')).toEqual([]);
  });

  it('logger: true logs through Nest, so the app logger, with the context HealthModule', async () => {
    await boot(() => down('refused'), { logger: true });

    await jest.advanceTimersByTimeAsync(1_000);

    expect(appLogger.lines.filter((line) => line.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: expect.stringMatching(/^payments: unknown → down \(refused; check took/),
        context: 'HealthModule',
      },
    ]);
  });

  it('logger: false logs nothing at all', async () => {
    await boot(() => (spin(3), down('refused')), {
      logger: false,
      slowCheckMs: 1,
      reminderIntervalMs: 1_000,
    });

    await jest.advanceTimersByTimeAsync(10_000);

    expect(appLogger.lines.filter((line) => line.context === 'HealthModule')).toEqual([]);
  });

  // The message is redacted when recorded and the line again when logged: the second pass ate
  // the closing brace of `{"password":***}`, giving `{"password":***; check took …`.
  it('keeps the syntax of a redacted message in the line, with no secret', async () => {
    const logger = new KeepingLogger();
    await boot(() => down('rejected {"password":"hunter2"} (password=hunter2)'), {
      logger,
      reminderIntervalMs: 1_000,
    });

    await jest.advanceTimersByTimeAsync(1_000);

    const [transition, reminder] = logger.about('payments');
    expect(transition).toMatch(
      /^payments: unknown → down \(rejected \{"password":"\*\*\*"\} \(password=\*\*\*\); check took [\d.]+ ms\)$/,
    );
    expect(reminder).toMatch(/last: rejected \{"password":"\*\*\*"\} \(password=\*\*\*\)\)$/);
    expect(logger.lines.map((line) => line.message).join('\n')).not.toContain('hunter2');
  });

  it('leaves names that look like secret keys alone: only messages are redacted', async () => {
    const logger = new KeepingLogger();
    const running = await boot(() => up(), { logger });
    running.get(HealthRegistry).register(() => down('token=abc123'), {
      name: 'vault-secrets',
    });

    await jest.advanceTimersByTimeAsync(1_000);

    expect(logger.about('vault-secrets')).toEqual([
      expect.stringMatching(
        /^vault-secrets: unknown → down \(token=\*\*\*; check took [\d.]+ ms\)$/,
      ),
    ]);
  });

  it('formats spans for people', () => {
    expect(formatSpan(0)).toBe('0 s');
    expect(formatSpan(45_400)).toBe('45 s');
    expect(formatSpan(302_000)).toBe('5 min 2 s');
    expect(formatSpan(3 * 3_600_000 + 7 * 60_000)).toBe('3 h 7 min');
    expect(formatSpan(52 * 3_600_000)).toBe('2 d 4 h');
  });
});

import type { IndicatorStatus } from '../check';
import type { HealthChangeEvent } from '../engine/health-state.types';
import { HEALTH_NOTIFICATION_RETRY, retryDelayMs } from './notification-backoff';
import { SYSTEM_NOTIFICATION_CLOCK } from './notification-clock';
import { NotificationPipeline, type NotificationLock } from './notification-pipeline';
import type { HealthNotificationOutcome } from './notification-queue';
import {
  NotificationDeliveryError,
  type HealthNotification,
  type NotificationChannel,
} from './notification.types';
import {
  resolveNotificationsOptions,
  type HealthNotificationChannelOptions,
} from './notifications.options';

/** A channel that records what it is given; `answer` decides each attempt's fate. */
class RecordingChannel implements NotificationChannel {
  readonly type = 'recording';
  readonly target = 'recording://…';
  readonly received: HealthNotification[] = [];
  attempts = 0;
  answer: (attempt: number, signal: AbortSignal) => Promise<void> = () => Promise.resolve();
  constructor(readonly name = 'recording') {}
  async deliver(notification: HealthNotification, signal: AbortSignal): Promise<void> {
    this.attempts += 1;
    await this.answer(this.attempts, signal);
    this.received.push(notification);
  }
}

/** An attempt that never ends until its signal aborts. */
function hang(_attempt: number, signal: AbortSignal): Promise<void> {
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
  );
}

interface Harness {
  pipeline: NotificationPipeline;
  channels: RecordingChannel[];
  outcomes: Array<[string, HealthNotificationOutcome]>;
  warnings: string[];
  /** Moves an indicator (or group) to `to`, from what it was. */
  move(name: string, to: IndicatorStatus, type?: 'indicator' | 'group', reason?: string): void;
}

function harness(
  channels: Array<Partial<HealthNotificationChannelOptions>>,
  extra: { batchWindowMs?: number; lock?: NotificationLock } = {},
): Harness {
  const options = resolveNotificationsOptions(
    {
      batchWindowMs: extra.batchWindowMs ?? 2_000,
      service: 'orders',
      instance: 'pod-1',
      channels: channels.map((channel, index) => ({
        type: 'webhook',
        name: `c${index}`,
        ...channel,
      })),
    },
    undefined,
  );
  if (!options) throw new Error('no options');
  const recording = options.channels.map((channel) => new RecordingChannel(channel.name));
  const outcomes: Array<[string, HealthNotificationOutcome]> = [];
  const warnings: string[] = [];
  const pipeline = new NotificationPipeline(options, recording, {
    clock: SYSTEM_NOTIFICATION_CLOCK,
    random: () => 0.5,
    logger: { log: () => undefined, warn: (line) => warnings.push(line) },
    report: (channel, outcome) => outcomes.push([channel, outcome]),
    lock: extra.lock,
  });
  const status = new Map<string, IndicatorStatus>();
  return {
    pipeline,
    channels: recording,
    outcomes,
    warnings,
    move(name, to, type = 'indicator', reason) {
      const key = `${type}:${name}`;
      const previous = status.get(key) ?? (type === 'indicator' ? 'unknown' : 'up');
      status.set(key, to);
      pipeline.accept({
        type,
        name,
        previous,
        current: to,
        since: new Date().toISOString(),
        message: to === 'up' ? null : `${name} is ${to}`,
        reason: reason ?? null,
      } as unknown as HealthChangeEvent);
    },
  };
}

/** Lets the promise jobs of the pipeline (dispatch, queue) run under fake timers. */
async function settle(): Promise<void> {
  for (let i = 0; i < 100; i++) await Promise.resolve();
}

const summary = (notification: HealthNotification) =>
  notification.events.map(
    (event) => `${event.name}:${event.transition}${event.reminder ? '*' : ''}`,
  );

describe('NotificationPipeline', () => {
  beforeEach(() => jest.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('sends the transitions of one batching window as one message, after the window', async () => {
    const h = harness([{ minimumIntervalMs: 0 }]);
    for (let i = 1; i <= 6; i++) h.move(`db-${i}`, 'down');
    await jest.advanceTimersByTimeAsync(1_999);
    await settle();
    expect(h.channels[0].received).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    await settle();
    expect(h.channels[0].received).toHaveLength(1);
    const [message] = h.channels[0].received;
    expect(summary(message)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `db-${i}:down`));
    expect(message).toMatchObject({
      version: 1,
      service: 'orders',
      instance: 'pod-1',
      status: 'down',
    });
    expect(message.events[0]).toMatchObject({ from: 'unknown', to: 'down', reminder: false });
    expect(h.outcomes).toEqual([['c0', 'sent']]);
  });

  it('sends a transition after the window as a message of its own', async () => {
    const h = harness([{ minimumIntervalMs: 0 }]);
    h.move('db', 'down');
    await jest.advanceTimersByTimeAsync(2_000);
    await settle();
    h.move('cache', 'degraded');
    await jest.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(h.channels[0].received.map(summary)).toEqual([['db:down'], ['cache:degraded']]);
    expect(h.channels[0].received[1].status).toBe('degraded');
  });

  it('does not count a first result (unknown → up) as a recovery, but counts down → up', async () => {
    const h = harness([{ minimumIntervalMs: 0 }], { batchWindowMs: 0 });
    h.move('db', 'up');
    await settle();
    expect(h.channels[0].received).toHaveLength(0);
    h.move('db', 'down');
    h.move('db', 'up');
    await settle();
    expect(h.channels[0].received.map(summary)).toEqual([['db:down'], ['db:recovered']]);
    expect(h.channels[0].received[1].events[0]).toMatchObject({ from: 'down', to: 'up' });
  });

  it('sends no recovery of an outage the channel was not told of, nor with sendOnResolved: false', async () => {
    const h = harness(
      [
        { transitions: ['recovered'], minimumIntervalMs: 0 },
        { sendOnResolved: false, minimumIntervalMs: 0 },
      ],
      { batchWindowMs: 0 },
    );
    h.move('db', 'down');
    h.move('db', 'up');
    h.move('readiness', 'down', 'group');
    h.move('readiness', 'up', 'group');
    await settle();
    expect(h.channels[0].received).toHaveLength(0);
    expect(h.channels[1].received.map(summary)).toEqual([['db:down'], ['readiness:down']]);
  });

  it('forgets an unregistered indicator: no reminder, and its next outage is new', async () => {
    const h = harness([{ reminderIntervalMs: 60_000 }], { batchWindowMs: 0 });
    h.move('db', 'down');
    await settle();
    h.pipeline.forget('db');
    await jest.advanceTimersByTimeAsync(120_000);
    expect(h.channels[0].received.map(summary)).toEqual([['db:down']]);
  });

  it('ignores group transitions of the module (shutting_down, starting)', async () => {
    const h = harness([{ minimumIntervalMs: 0 }], { batchWindowMs: 0 });
    h.move('readiness', 'down', 'group', 'shutting_down');
    await settle();
    expect(h.channels[0].received).toHaveLength(0);
  });

  it("keeps to each channel's filter and transitions", async () => {
    const h = harness(
      [
        { filter: { indicator: 'db' }, minimumIntervalMs: 0 },
        { filter: { group: 'readiness' }, minimumIntervalMs: 0 },
        { transitions: ['down'], minimumIntervalMs: 0 },
      ],
      { batchWindowMs: 0 },
    );
    h.move('db', 'degraded');
    h.move('cache', 'down');
    h.move('readiness', 'down', 'group');
    await settle();
    expect(h.channels[0].received.map(summary)).toEqual([['db:degraded']]);
    expect(h.channels[1].received.map(summary)).toEqual([['readiness:down']]);
    expect(h.channels[2].received.map(summary)).toEqual([['cache:down'], ['readiness:down']]);
  });

  it('holds back a second alert within the minimum interval, and sends the state at its end if it lasts', async () => {
    const h = harness([{ minimumIntervalMs: 60_000 }], { batchWindowMs: 0 });
    h.move('db', 'down'); // t=0: sent
    await jest.advanceTimersByTimeAsync(1_000);
    h.move('db', 'up'); // recovery: sent
    await jest.advanceTimersByTimeAsync(1_000);
    h.move('db', 'down'); // t=2 s: held back
    await jest.advanceTimersByTimeAsync(1_000);
    h.move('db', 'up'); // nothing to resolve: the receiver was told it recovered
    await jest.advanceTimersByTimeAsync(1_000);
    h.move('db', 'down'); // t=4 s: held back, and still down at t=60 s
    await settle();
    expect(h.channels[0].received.map(summary)).toEqual([['db:down'], ['db:recovered']]);
    await jest.advanceTimersByTimeAsync(55_999);
    await settle();
    expect(h.channels[0].received).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1);
    await settle();
    expect(h.channels[0].received.map(summary)).toEqual([
      ['db:down'],
      ['db:recovered'],
      ['db:down'],
    ]);
  });

  it('sends nothing at the end of the minimum interval when the flapping ended up', async () => {
    const h = harness([{ minimumIntervalMs: 60_000 }], { batchWindowMs: 0 });
    h.move('db', 'down');
    h.move('db', 'up');
    h.move('db', 'down');
    h.move('db', 'up');
    await jest.advanceTimersByTimeAsync(120_000);
    await settle();
    expect(h.channels[0].received.map(summary)).toEqual([['db:down'], ['db:recovered']]);
  });

  it('reminds every reminderIntervalMs while the subject stays down, and stops at its recovery', async () => {
    const h = harness([{ reminderIntervalMs: 60_000 }], { batchWindowMs: 0 });
    h.move('db', 'down');
    await jest.advanceTimersByTimeAsync(60_000);
    await settle();
    await jest.advanceTimersByTimeAsync(60_000);
    await settle();
    expect(h.channels[0].received.map(summary)).toEqual([['db:down'], ['db:down*'], ['db:down*']]);
    expect(h.channels[0].received[1].events[0].at).toBe(h.channels[0].received[0].events[0].at);
    h.move('db', 'up');
    await jest.advanceTimersByTimeAsync(300_000);
    await settle();
    expect(h.channels[0].received.map(summary).slice(3)).toEqual([['db:recovered']]);
  });

  it('retries retryable failures with backoff, then delivers the same message', async () => {
    const h = harness([{ maxAttempts: 4 }], { batchWindowMs: 0 });
    h.channels[0].answer = (attempt) =>
      attempt < 3
        ? Promise.reject(
            new NotificationDeliveryError('HTTP 503', { retryable: true, statusCode: 503 }),
          )
        : Promise.resolve();
    h.move('db', 'down');
    await settle();
    expect(h.outcomes).toEqual([['c0', 'retried']]);
    // random() is 0.5: the first retry waits 500 ms, the second 1000 ms.
    await jest.advanceTimersByTimeAsync(499);
    await settle();
    expect(h.channels[0].attempts).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    await settle();
    expect(h.channels[0].attempts).toBe(2);
    await jest.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(h.channels[0].attempts).toBe(3);
    expect(h.outcomes.map(([, outcome]) => outcome)).toEqual(['retried', 'retried', 'sent']);
    expect(h.pipeline.queueDepths()).toEqual({ c0: 0 });
  });

  it('gives up at once on a non-retryable failure, and after maxAttempts on retryable ones', async () => {
    const h = harness([{ maxAttempts: 2 }, { maxAttempts: 2 }], { batchWindowMs: 0 });
    h.channels[0].answer = () =>
      Promise.reject(
        new NotificationDeliveryError('HTTP 404', { retryable: false, statusCode: 404 }),
      );
    h.channels[1].answer = () =>
      Promise.reject(
        new NotificationDeliveryError('HTTP 500', { retryable: true, statusCode: 500 }),
      );
    h.move('db', 'down');
    await settle();
    await jest.advanceTimersByTimeAsync(HEALTH_NOTIFICATION_RETRY.maxDelayMs);
    await settle();
    expect(h.channels[0].attempts).toBe(1);
    expect(h.channels[1].attempts).toBe(2);
    expect(h.outcomes).toEqual(
      expect.arrayContaining([
        ['c0', 'failed'],
        ['c1', 'retried'],
        ['c1', 'failed'],
      ]),
    );
    expect(h.outcomes).toHaveLength(3);
    expect(h.warnings.filter((line) => line.includes('gave up'))).toHaveLength(2);
  });

  it('times an attempt out after timeoutMs and retries it', async () => {
    const h = harness([{ timeoutMs: 5_000, maxAttempts: 2 }], { batchWindowMs: 0 });
    h.channels[0].answer = (attempt, signal) =>
      attempt === 1 ? hang(attempt, signal) : Promise.resolve();
    h.move('db', 'down');
    await settle();
    await jest.advanceTimersByTimeAsync(4_999);
    await settle();
    expect(h.channels[0].attempts).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    await settle();
    await jest.advanceTimersByTimeAsync(HEALTH_NOTIFICATION_RETRY.baseDelayMs);
    await settle();
    expect(h.channels[0].attempts).toBe(2);
    expect(h.outcomes.map(([, outcome]) => outcome)).toEqual(['retried', 'sent']);
  });

  it('drops the oldest waiting message when the queue is full, counts and logs it once', async () => {
    const h = harness([{ queueSize: 2, minimumIntervalMs: 0 }], { batchWindowMs: 0 });
    h.channels[0].answer = hang;
    for (let i = 1; i <= 5; i++) h.move(`db-${i}`, 'down');
    await settle();
    // db-1 in flight; db-2 and db-3 dropped in turn; db-4 and db-5 wait.
    expect(h.outcomes).toEqual([
      ['c0', 'dropped'],
      ['c0', 'dropped'],
    ]);
    expect(h.pipeline.queueDepths()).toEqual({ c0: 3 });
    expect(h.warnings.filter((line) => line.includes('queue is full'))).toHaveLength(1);
  });

  it('at close, sends the pending batch at once and reports what it could not deliver', async () => {
    const h = harness([{ minimumIntervalMs: 0 }, { minimumIntervalMs: 0 }], {
      batchWindowMs: 60_000,
    });
    h.channels[1].answer = hang;
    h.move('db', 'down');
    h.move('cache', 'down');
    let expire!: () => void;
    const deadline = new Promise<void>((resolve) => (expire = resolve));
    const closed = h.pipeline.close(deadline);
    await settle();
    expect(h.channels[0].received.map(summary)).toEqual([['db:down', 'cache:down']]);
    expire();
    await expect(closed).resolves.toEqual({ c1: 1 });
    expect(h.outcomes).toEqual(
      expect.arrayContaining([
        ['c0', 'sent'],
        ['c1', 'dropped'],
      ]),
    );
    h.move('db', 'up');
    await settle();
    expect(h.channels[0].received).toHaveLength(1);
  });

  it('sends only the events whose fleet lock it wins, and all of them when Redis cannot tell', async () => {
    const taken = new Set<string>();
    let available = true;
    const lock: NotificationLock = (channel, event, kind) => {
      if (!available) return Promise.resolve('unavailable');
      const key = `${channel.name}:${event.name}:${event.transition}:${kind}`;
      if (taken.has(key)) return Promise.resolve(false);
      taken.add(key);
      return Promise.resolve(true);
    };
    taken.add('c0:db:down:transition'); // another replica sent it
    const h = harness([{ minimumIntervalMs: 0 }], { batchWindowMs: 0, lock });
    h.move('db', 'down');
    h.move('cache', 'down');
    await settle();
    expect(h.channels[0].received.map(summary)).toEqual([['cache:down']]);
    available = false;
    h.move('queue', 'down');
    await settle();
    expect(h.channels[0].received.map(summary)).toEqual([['cache:down'], ['queue:down']]);
    expect(h.warnings.filter((line) => line.includes('fleet lock is unavailable'))).toHaveLength(1);
  });
});

describe('retryDelayMs', () => {
  it('draws from 0 up to min(30 s, 1 s × 2^(attempt − 1)) (full jitter)', () => {
    const { baseDelayMs, maxDelayMs } = HEALTH_NOTIFICATION_RETRY;
    for (let attempt = 1; attempt <= 10; attempt++) {
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      expect(retryDelayMs(attempt, {}, () => 0)).toBe(0);
      const top = retryDelayMs(attempt, {}, () => 0.999_999);
      expect(top).toBeLessThan(ceiling);
      expect(top).toBeGreaterThanOrEqual(ceiling - 1);
    }
    expect(retryDelayMs(3, {}, () => 0.5)).toBe(2_000);
  });

  it("honours the service's Retry-After, capped at 60 s", () => {
    expect(retryDelayMs(1, { retryAfterMs: 7_000 }, () => 0)).toBe(7_000);
    expect(retryDelayMs(1, { retryAfterMs: 3_600_000 }, () => 0)).toBe(
      HEALTH_NOTIFICATION_RETRY.maxRetryAfterMs,
    );
  });
});

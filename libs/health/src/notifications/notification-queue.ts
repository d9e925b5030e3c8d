import { sanitizeMessage } from '../engine/sanitize';
import { retryDelayMs } from './notification-backoff';
import { sleepOn, type NotificationClock } from './notification-clock';
import {
  NotificationDeliveryError,
  type HealthNotification,
  type NotificationChannel,
} from './notification.types';

/**
 * What happened to a message, as `health_notifications_total{outcome}` counts it:
 * - `sent`: the service accepted it;
 * - `retried`: an attempt failed with a retryable error and another follows (one per retry);
 * - `failed`: given up, after a non-retryable error or `maxAttempts` attempts;
 * - `dropped`: never delivered because the queue was full (the oldest waiting goes) or the app
 *   shut down before it could be.
 */
export type HealthNotificationOutcome = 'sent' | 'failed' | 'retried' | 'dropped';

/** What the pipeline's logs and metrics need of the module's logger. @internal */
export interface NotificationLogger {
  log(message: string): void;
  warn(message: string): void;
}

/** How one channel's queue delivers. @internal */
export interface NotificationQueuePolicy {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly capacity: number;
}

/** What a queue needs from its surroundings. @internal */
export interface NotificationQueueDeps {
  readonly clock: NotificationClock;
  readonly random: () => number;
  readonly logger: NotificationLogger;
  /** Aborts at shutdown's deadline: the attempt in flight and any wait end at once. */
  readonly shutdown: AbortSignal;
  readonly report: (channel: string, outcome: HealthNotificationOutcome) => void;
}

/**
 * The bounded delivery queue of one channel: one message in flight at a time, oldest first;
 * when full, a new message drops the oldest waiting one (counted, logged once until the queue
 * has room again). Each message gets at most `maxAttempts` attempts, each aborted after
 * `timeoutMs` (or at shutdown), with {@link retryDelayMs} between retryable failures. A failure
 * is logged once per run of failures (redacted: the channel's `target`, never its URL), and the
 * recovery once.
 * @internal
 */
export class NotificationQueue {
  private readonly waiting: HealthNotification[] = [];
  private inFlight = false;
  private worker?: Promise<void>;
  private failing = false;
  private overflowing = false;

  constructor(
    readonly channel: NotificationChannel,
    private readonly policy: NotificationQueuePolicy,
    private readonly deps: NotificationQueueDeps,
  ) {}

  /** Messages waiting, plus the one in flight. */
  get depth(): number {
    return this.waiting.length + (this.inFlight ? 1 : 0);
  }

  /** Queues a message, and starts delivering if idle. */
  push(notification: HealthNotification): void {
    if (this.deps.shutdown.aborted) {
      this.deps.report(this.channel.name, 'dropped');
      return;
    }
    if (this.waiting.length >= this.policy.capacity) {
      this.waiting.shift();
      this.deps.report(this.channel.name, 'dropped');
      if (!this.overflowing) {
        this.overflowing = true;
        this.deps.logger.warn(
          `Notifications: channel "${this.channel.name}" queue is full (${this.policy.capacity} messages); dropping the oldest`,
        );
      }
    } else {
      this.overflowing = false;
    }
    this.waiting.push(notification);
    this.worker ??= this.work().finally(() => (this.worker = undefined));
  }

  /** Resolves when nothing waits and nothing is in flight. */
  async idle(): Promise<void> {
    while (this.worker) await this.worker;
  }

  /** Drops what still waits (after shutdown aborted the one in flight); returns how many. */
  dropWaiting(): number {
    const dropped = this.waiting.length;
    this.waiting.length = 0;
    for (let i = 0; i < dropped; i++) this.deps.report(this.channel.name, 'dropped');
    return dropped;
  }

  private async work(): Promise<void> {
    for (;;) {
      const next = this.waiting.shift();
      if (!next) return;
      if (this.deps.shutdown.aborted) {
        this.deps.report(this.channel.name, 'dropped');
        continue;
      }
      this.inFlight = true;
      try {
        await this.deliver(next);
      } finally {
        this.inFlight = false;
      }
    }
  }

  private async deliver(notification: HealthNotification): Promise<void> {
    const { clock, random, shutdown, report, logger } = this.deps;
    const name = this.channel.name;
    for (let attempt = 1; ; attempt++) {
      let error: NotificationDeliveryError;
      try {
        await this.attempt(notification);
        report(name, 'sent');
        if (this.failing) {
          this.failing = false;
          logger.log(`Notifications: channel "${name}" (${this.channel.target}) delivers again`);
        }
        return;
      } catch (caught) {
        error = asDeliveryError(caught);
      }
      if (shutdown.aborted) {
        report(name, 'dropped');
        return;
      }
      if (!error.retryable || attempt >= this.policy.maxAttempts) {
        report(name, 'failed');
        if (!this.failing) {
          this.failing = true;
          logger.warn(
            `Notifications: channel "${name}" (${this.channel.target}) gave up on message ${notification.id} after ${attempt} attempt(s): ${error.message}`,
          );
        }
        return;
      }
      report(name, 'retried');
      await sleepOn(clock, retryDelayMs(attempt, error, random), shutdown);
      if (shutdown.aborted) {
        report(name, 'dropped');
        return;
      }
    }
  }

  /** One attempt, aborted after `timeoutMs` or at shutdown. */
  private async attempt(notification: HealthNotification): Promise<void> {
    const { clock, shutdown } = this.deps;
    const controller = new AbortController();
    const abort = (): void =>
      controller.abort(new DOMException('notification attempt aborted', 'AbortError'));
    const timer = clock.setTimeout(abort, this.policy.timeoutMs);
    shutdown.addEventListener('abort', abort, { once: true });
    try {
      // A channel that ignores its signal still cannot hold the queue past the deadline.
      await Promise.race([
        this.channel.deliver(notification, controller.signal),
        new Promise<never>((_, reject) =>
          controller.signal.addEventListener(
            'abort',
            () =>
              reject(
                new NotificationDeliveryError(
                  `${this.channel.target} did not answer within ${this.policy.timeoutMs} ms`,
                  { retryable: true },
                ),
              ),
            { once: true },
          ),
        ),
      ]);
    } finally {
      clock.clearTimeout(timer);
      shutdown.removeEventListener('abort', abort);
    }
  }
}

/** Any failure as a {@link NotificationDeliveryError}; an unexpected one is not retried. */
function asDeliveryError(error: unknown): NotificationDeliveryError {
  if (error instanceof NotificationDeliveryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new NotificationDeliveryError(`unexpected error: ${sanitizeMessage(message)}`, {
    retryable: false,
  });
}

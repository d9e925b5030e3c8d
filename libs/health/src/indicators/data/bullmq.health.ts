import { IsBoolean, IsOptional } from 'class-validator';
import { performance } from 'node:perf_hooks';
import { down, type HealthCheckContext, type HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import {
  abortable,
  BuiltInHealthIndicator,
  elapsedMs,
  Findings,
  hasMethods,
  IsUpperThreshold,
  kindOf,
  prepareOptions,
  requireArgument,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';

/**
 * A BullMQ `Queue`, by shape. The indicator reads counts through the queue's own connection.
 */
export interface BullMqQueueLike {
  /** The queue's name. */
  readonly name: string;
  /** BullMQ's `getJobCounts(...types)`. */
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
  /** BullMQ's `getWorkersCount()` (Redis `CLIENT LIST`). */
  getWorkersCount(): Promise<number>;
  /** BullMQ's `isPaused()`. */
  isPaused(): Promise<boolean>;
  /**
   * The queue's Redis connection, once it has connected; its `status` is ioredis's connection
   * status (`'ready'` when usable).
   */
  readonly client: Promise<{ readonly status: string }>;
}

/**
 * Options of {@link bullmqIndicator}: the usual indicator options (default name `'bullmq'`,
 * default groups `['readiness']`) and its own.
 */
export interface BullMqIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * `down` when no worker is connected to the queue. Turn it off when the workers run in
   * another deployment, or where Redis refuses `CLIENT LIST` (the workers are then not
   * counted: `workers` is `null`).
   * @default true
   */
  requireWorker?: boolean;
  /**
   * Levels for the jobs waiting for a worker (`waiting`).
   * @default none (a backlog's normal size depends on the app)
   */
  waiting?: UpperThreshold;
  /**
   * Levels for the failed jobs kept in the queue (`failed`).
   * @default none
   */
  failed?: UpperThreshold;
}

class BullMqIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  requireWorker?: boolean;

  @IsOptional()
  @IsUpperThreshold()
  waiting?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold()
  failed?: UpperThreshold;
}

/** @internal */
export class BullMqHealthIndicator extends BuiltInHealthIndicator {
  constructor(
    options: BuiltInIndicator['options'],
    private readonly queue: BullMqQueueLike,
    private readonly settings: Omit<BullMqIndicatorOptions, keyof BuiltInIndicatorOptions>,
  ) {
    super('bullmq', options);
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    signal.throwIfAborted();
    const started = performance.now();
    // Resolves once the queue has connected; while Redis is away the run ends at its deadline.
    const client = await abortable(this.queue.client, signal);
    if (client.status !== 'ready') return down(`Redis not connected (${client.status})`);
    const requireWorker = this.settings.requireWorker !== false;
    const [counts, isPaused, workers] = await abortable(
      Promise.all([
        this.queue.getJobCounts('waiting', 'prioritized', 'paused', 'active', 'delayed', 'failed'),
        this.queue.isPaused(),
        requireWorker ? this.queue.getWorkersCount() : Promise.resolve(null),
      ]),
      signal,
    );
    const count = (type: string) => counts[type] ?? 0;
    const data = {
      waiting: count('waiting') + count('prioritized') + count('paused'),
      active: count('active'),
      delayed: count('delayed'),
      failed: count('failed'),
      workers,
      isPaused,
      responseTimeMs: elapsedMs(started),
    };
    const findings = new Findings();
    if (requireWorker && workers === 0) findings.down('no worker is connected to the queue');
    if (isPaused) findings.degraded('the queue is paused');
    return findings
      .above('waiting', data.waiting, this.settings.waiting)
      .above('failed', data.failed, this.settings.failed)
      .result(data);
  }
}

/**
 * Checks a BullMQ queue through the `Queue` you already have: its Redis connection, job counts,
 * whether it is paused, and how many workers are connected. `down` when Redis is not connected
 * or (with `requireWorker`, the default) no worker is connected; `degraded` when the queue is
 * paused; levels on `waiting` and `failed`.
 *
 * Data: `waiting` (jobs waiting for a worker: BullMQ's waiting, prioritized and paused jobs),
 * `active`, `delayed`, `failed`, `workers` (`null` without `requireWorker`), `isPaused`,
 * `responseTimeMs`.
 *
 * @param queue - see {@link BullMqQueueLike}. It is never closed by the indicator.
 * @param options - see {@link BullMqIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when `queue` is not a BullMQ Queue or an option is
 *   invalid.
 *
 * @example
 * ```ts
 * bullmqIndicator(emailQueue, { name: 'email-queue', waiting: { degradedAbove: 1_000, downAbove: 10_000 } });
 * ```
 */
export function bullmqIndicator(
  queue: BullMqQueueLike,
  options?: BullMqIndicatorOptions,
): BuiltInIndicator {
  requireArgument(
    'bullmqIndicator()',
    'queue',
    kindOf(queue),
    hasMethods(queue, 'getJobCounts', 'getWorkersCount', 'isPaused'),
    'must be a BullMQ Queue',
  );
  const { registration, own } = prepareOptions(
    'bullmqIndicator()',
    BullMqIndicatorOptionsSchema,
    options,
    { name: 'bullmq' },
  );
  return new BullMqHealthIndicator(registration, queue, own);
}

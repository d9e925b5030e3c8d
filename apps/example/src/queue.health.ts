import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue, RedisClient as BullRedisClient } from 'bullmq';
import {
  bullmqIndicator,
  down,
  HealthIndicator,
  type BuiltInIndicator,
  type HealthCheckContext,
  type HealthIndicatorCheck,
} from 'nest-health';
import { DEMO_QUEUE } from './demo-queue';
import { EXAMPLE_CONFIG, type ExampleConfig } from './example-config';
import { firstConnectionAttempt } from './first-connection';
import { OutageLog } from './outage-log';

/**
 * The demo queue: its Redis answers and a worker consumes it, through the library's built-in
 * `bullmqIndicator`. Data: `waiting`, `active`, `failed`, `delayed` job counts, `workers` and
 * `isPaused`.
 *
 * Down when the queue's Redis connection is not ready (checked first, with the connection error,
 * so the check never waits for a reconnection) or when no worker is connected; degraded when
 * more jobs wait than `QUEUE_WAITING_THRESHOLD`, or when the queue is paused.
 */
@HealthIndicator({ name: 'queue', groups: ['readiness'] })
export class QueueHealth implements HealthIndicatorCheck, OnModuleInit {
  private readonly outage = new OutageLog(new Logger(QueueHealth.name), 'Redis (queue)');
  /** The queue's connection, once it has connected; BullMQ only hands it out then. */
  private client?: BullRedisClient;

  /** The library's BullMQ check: counts, workers, paused; down without a worker. */
  private readonly builtIn: BuiltInIndicator;

  constructor(
    @InjectQueue(DEMO_QUEUE) private readonly queue: Queue,
    @Inject(EXAMPLE_CONFIG) config: ExampleConfig,
  ) {
    this.builtIn = bullmqIndicator(queue, {
      requireWorker: true,
      waiting: { degradedAbove: config.queueWaitingThreshold },
    });
    // The queue re-emits its connection's errors; without a listener BullMQ prints them.
    queue.on('error', (error) => this.outage.failed(error));
    queue.waitUntilReady().then(
      (client) => {
        this.client = client;
        this.outage.recovered();
        client.on('ready', () => this.outage.recovered());
      },
      () => undefined, // initialisation failed: the queue emits that as an 'error' too
    );
  }

  /** Lets the queue's first connection attempt finish before the first check runs. */
  async onModuleInit(): Promise<void> {
    await firstConnectionAttempt(this.queue.waitUntilReady(), this.queue);
  }

  async check(context: HealthCheckContext) {
    // Checked first: a queue that never connected would make the built-in wait for it.
    const status = this.client?.status ?? 'connecting';
    if (status !== 'ready') {
      const reason = this.outage.error ? `: ${this.outage.error}` : '';
      return down(`Redis not connected (${status})${reason}`);
    }
    return this.builtIn.check(context);
  }
}

import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue, RedisClient as BullRedisClient } from 'bullmq';
import {
  degraded,
  down,
  HealthIndicator,
  up,
  type HealthCheckContext,
  type HealthIndicatorCheck,
} from 'nest-health';
import { abortable } from './abortable';
import { DEMO_QUEUE } from './demo-queue';
import { EXAMPLE_CONFIG, type ExampleConfig } from './example-config';
import { firstConnectionAttempt } from './first-connection';
import { OutageLog } from './outage-log';

/**
 * The demo queue: its Redis answers and a worker consumes it. Data: `waiting`, `active`,
 * `failed`, `delayed` job counts and `workers`.
 *
 * Down when the queue's Redis connection is not ready (checked first, so the check never waits
 * for a reconnection) or when no worker is connected; degraded when more jobs wait than
 * `QUEUE_WAITING_THRESHOLD`.
 */
@HealthIndicator({ name: 'queue', groups: ['readiness'] })
export class QueueHealth implements HealthIndicatorCheck, OnModuleInit {
  private readonly outage = new OutageLog(new Logger(QueueHealth.name), 'Redis (queue)');
  /** The queue's connection, once it has connected; BullMQ only hands it out then. */
  private client?: BullRedisClient;

  constructor(
    @InjectQueue(DEMO_QUEUE) private readonly queue: Queue,
    @Inject(EXAMPLE_CONFIG) private readonly config: ExampleConfig,
  ) {
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

  async check({ signal }: HealthCheckContext) {
    const status = this.client?.status ?? 'connecting';
    if (status !== 'ready') {
      const reason = this.outage.error ? `: ${this.outage.error}` : '';
      return down(`Redis not connected (${status})${reason}`);
    }
    const [counts, workers] = await abortable(
      Promise.all([
        this.queue.getJobCounts('waiting', 'active', 'failed', 'delayed'),
        this.queue.getWorkersCount(),
      ]),
      signal,
    );
    const data = {
      waiting: counts.waiting ?? 0,
      active: counts.active ?? 0,
      failed: counts.failed ?? 0,
      delayed: counts.delayed ?? 0,
      workers,
    };
    if (workers === 0) return down('no worker is connected to the queue', data);
    const threshold = this.config.queueWaitingThreshold;
    if (data.waiting > threshold) {
      return degraded(`${data.waiting} jobs waiting (threshold ${threshold})`, data);
    }
    return up(data);
  }
}

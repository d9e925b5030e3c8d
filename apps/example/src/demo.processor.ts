import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, type OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_QUEUE, type DemoJobData, type DemoJobResult } from './demo-queue';
import { firstConnectionAttempt } from './first-connection';
import { OutageLog } from './outage-log';

/**
 * The app's worker for {@link DEMO_QUEUE}: it "processes" a demo job in a few milliseconds.
 * BullMQ creates the worker when the app initialises and closes it when the app closes.
 */
@Processor(DEMO_QUEUE)
export class DemoProcessor extends WorkerHost implements OnModuleInit {
  private readonly logger = new Logger(DemoProcessor.name);
  private readonly outage = new OutageLog(this.logger, 'Redis (worker)');

  /**
   * Lets the worker's first connection attempt finish before the first health check runs, so
   * that the queue check counts it. (BullMQ has created the worker by now: its module
   * initialises first.)
   */
  async onModuleInit(): Promise<void> {
    await firstConnectionAttempt(this.worker.waitUntilReady(), this.worker);
  }

  async process(job: Job<DemoJobData>): Promise<DemoJobResult> {
    await sleep(10);
    return { message: job.data.message ?? 'hello', processedAt: new Date().toISOString() };
  }

  /** A worker emits 'error' on every failed reconnection: log once per outage. */
  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.outage.failed(error);
  }

  @OnWorkerEvent('ready')
  onReady(): void {
    this.outage.recovered();
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<DemoJobData> | undefined, error: Error): void {
    this.logger.warn(`job ${job?.id ?? '?'} failed: ${error.message}`);
  }
}

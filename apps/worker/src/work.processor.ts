import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { WORK_QUEUE } from './work-queue';

/** Consumes {@link WORK_QUEUE}: "processes" a job in a few milliseconds. */
@Processor(WORK_QUEUE)
export class WorkProcessor extends WorkerHost {
  private readonly logger = new Logger(WorkProcessor.name);
  private failing = false;

  async process(job: Job<{ message?: string }>): Promise<{ message: string; processedAt: string }> {
    await sleep(10);
    return { message: job.data.message ?? 'hello', processedAt: new Date().toISOString() };
  }

  /** A worker emits 'error' on every failed reconnection: log once per outage. */
  @OnWorkerEvent('error')
  onError(error: Error): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn(`Redis unavailable: ${error.message}`);
  }

  @OnWorkerEvent('ready')
  onReady(): void {
    if (this.failing) this.logger.log('Redis is back');
    this.failing = false;
  }
}

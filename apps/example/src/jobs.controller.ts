import { InjectQueue } from '@nestjs/bullmq';
import { Body, Controller, Post } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { CreateJobDto } from './create-job.dto';
import { DEMO_JOB, DEMO_QUEUE, type DemoJobData, type DemoJobResult } from './demo-queue';

/** Enqueues demo jobs for the worker. */
@Controller('jobs')
export class JobsController {
  constructor(@InjectQueue(DEMO_QUEUE) private readonly queue: Queue<DemoJobData, DemoJobResult>) {}

  /** `POST /jobs` (body optional: `{ "message": "hi" }`) → 201 `{ "id": "1" }`. */
  @Post()
  async create(@Body() body: CreateJobDto = {}): Promise<{ id: string }> {
    const job = await this.queue.add(DEMO_JOB, { message: body.message });
    return { id: job.id ?? '' };
  }
}

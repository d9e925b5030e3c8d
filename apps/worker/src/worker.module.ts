import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule } from 'nest-health';
import { QueueHealth } from './queue.health';
import { WORK_QUEUE, WORKER_CONFIG } from './work-queue';
import { WorkProcessor } from './work.processor';
import type { WorkerConfig } from './worker-config';

/**
 * A BullMQ worker with no HTTP server: the health module serves its probes on a probe port of
 * its own and over the gRPC health protocol, and finds the `queue` indicator by itself.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        HealthModule.forRoot(config.health),
        BullModule.forRoot({
          connection: {
            url: config.redisUrl,
            retryStrategy: (attempt: number) =>
              Math.min(250 * 2 ** Math.max(0, attempt - 1), 5_000),
          },
          prefix: config.queuePrefix,
        }),
        BullModule.registerQueue({ name: WORK_QUEUE }),
      ],
      providers: [{ provide: WORKER_CONFIG, useValue: config }, WorkProcessor, QueueHealth],
    };
  }
}

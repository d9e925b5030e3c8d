import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule } from 'nest-health';
import { DatabaseHealth } from './database.health';
import { DEMO_QUEUE } from './demo-queue';
import { DemoProcessor } from './demo.processor';
import { EXAMPLE_CONFIG, type ExampleConfig } from './example-config';
import { JobsController } from './jobs.controller';
import { QueueHealth } from './queue.health';
import { REDIS_CONNECTION_OPTIONS, RedisClient } from './redis.client';
import { RedisHealth } from './redis.health';
import { sqlClientProvider } from './sql-client';

/**
 * The example app: a SQL database, Redis, a BullMQ queue with its worker, and a health
 * indicator for each. The health module finds the three `@HealthIndicator` providers by itself.
 */
@Module({})
export class AppModule {
  static forRoot(config: ExampleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HealthModule.forRoot(config.health),
        BullModule.forRoot({
          connection: { url: config.redisUrl, ...REDIS_CONNECTION_OPTIONS },
          prefix: config.queuePrefix,
        }),
        BullModule.registerQueue({
          name: DEMO_QUEUE,
          defaultJobOptions: { removeOnComplete: 1_000, removeOnFail: 1_000 },
        }),
      ],
      controllers: [JobsController],
      providers: [
        { provide: EXAMPLE_CONFIG, useValue: config },
        sqlClientProvider,
        RedisClient,
        DemoProcessor,
        DatabaseHealth,
        RedisHealth,
        QueueHealth,
      ],
    };
  }
}

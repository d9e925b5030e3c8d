import { BullModule } from '@nestjs/bullmq';
import { Module, type DynamicModule } from '@nestjs/common';
import { HealthModule, rabbitmqIndicator, type HealthModuleOptions } from 'nest-health';
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
 * With `RABBITMQ_URL`, it also checks RabbitMQ through the built-in `rabbitmqIndicator`.
 */
@Module({})
export class AppModule {
  static forRoot(config: ExampleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HealthModule.forRoot(healthOptions(config)),
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

/**
 * The health module's options: the configured ones, plus the built-in RabbitMQ check when
 * `RABBITMQ_URL` is set. The indicator opens its own connection from the URL at its first run,
 * reconnects at the next run after a loss, and the module closes it on shutdown.
 */
function healthOptions(config: ExampleConfig): HealthModuleOptions {
  if (config.rabbitmqUrl === undefined) return config.health;
  return {
    ...config.health,
    indicators: [...(config.health.indicators ?? []), rabbitmqIndicator(config.rabbitmqUrl)],
  };
}

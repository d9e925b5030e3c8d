import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import Redis, { type RedisOptions } from 'ioredis';
import { once } from 'node:events';
import { EXAMPLE_CONFIG, type ExampleConfig } from './example-config';
import { firstConnectionAttempt } from './first-connection';
import { OutageLog } from './outage-log';

/**
 * Connection options shared by the app's client and BullMQ's connections:
 * - reconnect forever, 250 ms after a loss and doubling up to 5 s, so that everything is back
 *   within seconds of Redis;
 * - on close, give a socket 500 ms (not ioredis's 2 s) to end before destroying it.
 */
export const REDIS_CONNECTION_OPTIONS = {
  retryStrategy: (attempt: number) => Math.min(250 * 2 ** Math.max(0, attempt - 1), 5_000),
  disconnectTimeout: 500,
} as const satisfies RedisOptions;

/**
 * The app's Redis connection, one for the whole app (never one per request or per check).
 *
 * Commands fail at once while it is disconnected (no offline queue) instead of waiting for
 * Redis to come back, and it reconnects on its own. Closed with the app.
 */
@Injectable()
export class RedisClient implements OnModuleInit, OnApplicationShutdown {
  /** The ioredis client. */
  readonly redis: Redis;
  private readonly outage = new OutageLog(new Logger(RedisClient.name), 'Redis');

  constructor(@Inject(EXAMPLE_CONFIG) config: ExampleConfig) {
    this.redis = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5_000,
      ...REDIS_CONNECTION_OPTIONS,
    });
    // Without an 'error' listener, a refused connection would be an unhandled 'error' event.
    this.redis.on('error', (error) => this.outage.failed(error));
    this.redis.on('ready', () => this.outage.recovered());
  }

  /** Why the connection is down, when it is: the error that began the outage. */
  get lastError(): string | undefined {
    return this.outage.error;
  }

  /** Lets the first connection attempt finish before the first health check runs. */
  async onModuleInit(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await firstConnectionAttempt(once(this.redis, 'ready'), this.redis);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.redis.status === 'ready') {
      await this.redis.quit().catch(() => this.redis.disconnect());
    } else {
      this.redis.disconnect();
    }
  }
}

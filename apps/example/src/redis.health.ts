import {
  down,
  HealthIndicator,
  redisIndicator,
  type BuiltInIndicator,
  type HealthCheckContext,
  type HealthIndicatorCheck,
} from 'nest-health';
import { RedisClient } from './redis.client';

/**
 * Redis answers PING, through the library's built-in `redisIndicator` on the app's own client.
 * Data: `responseTimeMs`, `usedMemoryBytes` (and `usedMemoryPercent` of `maxmemory` when set).
 * While Redis is unreachable, the message says why the client cannot connect.
 */
@HealthIndicator({ name: 'redis', groups: ['readiness'] })
export class RedisHealth implements HealthIndicatorCheck {
  private readonly redis: BuiltInIndicator;

  constructor(private readonly client: RedisClient) {
    this.redis = redisIndicator(client.redis);
  }

  async check(context: HealthCheckContext) {
    const result = await this.redis.check(context);
    const { lastError } = this.client;
    return result.status === 'down' && lastError
      ? down(`${result.message}: ${lastError}`, result.data)
      : result;
  }
}

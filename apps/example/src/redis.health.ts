import { performance } from 'node:perf_hooks';
import {
  down,
  HealthIndicator,
  up,
  type HealthCheckContext,
  type HealthIndicatorCheck,
} from 'nest-health';
import { abortable } from './abortable';
import { elapsedMs } from './elapsed-ms';
import { RedisClient } from './redis.client';

/**
 * Redis answers PING. Data: `responseTimeMs`, and `usedMemoryBytes` from `INFO memory`.
 */
@HealthIndicator({ name: 'redis', groups: ['readiness'] })
export class RedisHealth implements HealthIndicatorCheck {
  constructor(private readonly client: RedisClient) {}

  async check({ signal }: HealthCheckContext) {
    const { redis } = this.client;
    if (redis.status !== 'ready') {
      const reason = this.client.lastError ? `: ${this.client.lastError}` : '';
      return down(`not connected (${redis.status})${reason}`);
    }
    const started = performance.now();
    await abortable(redis.ping(), signal);
    const responseTimeMs = elapsedMs(started);
    const info = await abortable(redis.info('memory'), signal);
    const usedMemory = /^used_memory:(\d+)/m.exec(info);
    return up({ responseTimeMs, usedMemoryBytes: usedMemory ? Number(usedMemory[1]) : null });
  }
}

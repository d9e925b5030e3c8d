import { IsOptional } from 'class-validator';
import { BooleanOption } from '../../options/option-rules';
import { performance } from 'node:perf_hooks';
import { down, type HealthCheckContext, type HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import {
  abortable,
  BuiltInHealthIndicator,
  elapsedMs,
  Findings,
  hasMethods,
  IsUpperThreshold,
  kindOf,
  prepareOptions,
  requireArgument,
  round2,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';

/**
 * A Redis client, by shape: an ioredis `Redis` or `Cluster` (which have `status`), or a
 * node-redis client (which has `isReady`). The indicator sends `PING` and `INFO memory` through
 * it and never opens a connection of its own.
 */
export interface RedisClientLike {
  /** Sends PING. */
  ping(): Promise<unknown>;
  /** Sends INFO for one section. */
  info(section: string): Promise<string>;
  /** ioredis: `'ready'` when connected; `'wait'` before a lazy client's first command. */
  readonly status?: string;
  /** node-redis: `true` when connected. */
  readonly isReady?: boolean;
}

/**
 * Default levels of `usedMemoryPercent`, applied only when Redis has a `maxmemory` and its
 * `maxmemory-policy` is `noeviction`: then writes fail with "OOM command not allowed" at 100 %.
 * With an eviction policy a full Redis is a working cache, so no default applies.
 *
 * - `degradedAbove: 90` — time to look before writes fail.
 * - `downAbove: 98` — writes are about to fail.
 */
export const REDIS_DEFAULT_USED_MEMORY_PERCENT: UpperThreshold = Object.freeze({
  degradedAbove: 90,
  downAbove: 98,
});

/**
 * Options of {@link redisIndicator}: the usual indicator options (default name `'redis'`,
 * default groups `['readiness']`) and its own.
 */
export interface RedisIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * Read `INFO memory` for used memory against `maxmemory`. Turn it off where INFO is disabled
   * (some managed services rename it).
   * @default true
   */
  memory?: boolean;
  /**
   * Levels for the PING round trip, in milliseconds.
   * @default none (the indicator's `timeoutMs` bounds it)
   */
  responseTimeMs?: UpperThreshold;
  /**
   * Levels for used memory as a percentage of `maxmemory`, 0–100. Applies whatever the eviction
   * policy; without it, {@link REDIS_DEFAULT_USED_MEMORY_PERCENT} applies under `noeviction`.
   * @default { degradedAbove: 90, downAbove: 98 } under `noeviction`, none otherwise
   */
  usedMemoryPercent?: UpperThreshold;
}

class RedisIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @BooleanOption()
  memory?: boolean;

  @IsOptional()
  @IsUpperThreshold()
  responseTimeMs?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold(100)
  usedMemoryPercent?: UpperThreshold;
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*?)\\r?$`, 'm').exec(info)?.[1];
}

/** @internal */
export class RedisHealthIndicator extends BuiltInHealthIndicator {
  constructor(
    options: BuiltInIndicator['options'],
    private readonly client: RedisClientLike,
    private readonly settings: Omit<RedisIndicatorOptions, keyof BuiltInIndicatorOptions>,
  ) {
    super('redis', options);
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    signal.throwIfAborted();
    const { status, isReady } = this.client;
    // A client that is not connected would queue the commands until it reconnects: say so at
    // once instead of waiting for the deadline. "wait" is a lazy client that has not connected
    // yet: a command makes it connect.
    if (
      (typeof status === 'string' && status !== 'ready' && status !== 'wait') ||
      isReady === false
    ) {
      return down(`not connected (${status ?? 'not ready'})`);
    }
    const started = performance.now();
    await abortable(this.client.ping(), signal);
    const responseTimeMs = elapsedMs(started);
    const data: Record<string, unknown> = { responseTimeMs };
    const findings = new Findings().above(
      'responseTimeMs',
      responseTimeMs,
      this.settings.responseTimeMs,
    );
    if (this.settings.memory !== false) {
      const info = await abortable(this.client.info('memory'), signal);
      const used = Number(infoField(info, 'used_memory'));
      const max = Number(infoField(info, 'maxmemory'));
      const policy = infoField(info, 'maxmemory_policy') ?? null;
      const usedMemoryPercent =
        max > 0 && Number.isFinite(used) ? round2((used / max) * 100) : null;
      Object.assign(data, {
        usedMemoryBytes: Number.isFinite(used) ? used : null,
        maxMemoryBytes: max > 0 ? max : null,
        usedMemoryPercent,
        maxMemoryPolicy: policy,
      });
      const levels =
        this.settings.usedMemoryPercent ??
        (policy === 'noeviction' ? REDIS_DEFAULT_USED_MEMORY_PERCENT : undefined);
      findings.above('usedMemoryPercent', usedMemoryPercent, levels);
    }
    return findings.result(data);
  }
}

/**
 * Checks Redis through a client you already have: PING (response time), and `INFO memory` for
 * used memory against `maxmemory` when one is set. It never opens a connection of its own
 * (Terminus's ioredis check used to leak one per check), and a client that is not connected is
 * `down` at once with its state, instead of queueing commands until the deadline.
 *
 * Works with ioredis (`Redis`, and `Cluster`, where PING and INFO go to one node ioredis picks)
 * and node-redis. Commands cannot be cancelled: when the run's signal aborts, the check stops
 * waiting.
 *
 * Data: `responseTimeMs`; with `memory` (the default) also `usedMemoryBytes`, `maxMemoryBytes`
 * (`null` when unlimited), `usedMemoryPercent` (`null` when unlimited) and `maxMemoryPolicy`.
 *
 * @param client - see {@link RedisClientLike}. It is never closed by the indicator.
 * @param options - see {@link RedisIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when `client` has no `ping` / `info` methods or an
 *   option is invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { Redis } from 'ioredis';
 * import { HealthModule, redisIndicator } from 'nest-health';
 *
 * declare const redis: Redis; // your client
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       indicators: [
 *         redisIndicator(redis, {
 *           name: 'cache',
 *           responseTimeMs: { degradedAbove: 50, downAbove: 500 },
 *         }),
 *       ],
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function redisIndicator(
  client: RedisClientLike,
  options?: RedisIndicatorOptions,
): BuiltInIndicator {
  requireArgument(
    'redisIndicator()',
    'client',
    kindOf(client),
    hasMethods(client, 'ping', 'info'),
    'must be a Redis client with ping() and info() methods (ioredis Redis or Cluster, node-redis)',
  );
  const { registration, own } = prepareOptions(
    'redisIndicator()',
    RedisIndicatorOptionsSchema,
    options,
    { name: 'redis' },
  );
  return new RedisHealthIndicator(registration, client, own);
}

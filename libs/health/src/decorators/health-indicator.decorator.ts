import { DiscoveryService } from '@nestjs/core';
import type { HealthIndicatorOptions } from './health-indicator.options';

/**
 * Marks a provider class as a health indicator. At boot the module finds every provider that
 * carries it, in any module of the app (class, `useClass`, `useFactory` and `useValue`
 * providers), and schedules its `check(context)` method.
 *
 * The class must implement {@link HealthIndicatorCheck} and be a singleton (the default scope).
 * Options are validated at boot.
 *
 * @param options - see {@link HealthIndicatorOptions}; every field is optional.
 * @throws at boot: `MissingHealthCheckMethodError` (no `check` method),
 *   `DuplicateHealthIndicatorError` (name taken), `InvalidHealthIndicatorOptionsError`,
 *   `HealthIndicatorScopeError` (request-scoped or transient).
 *
 * @example
 * ```ts
 * import { HealthIndicator, up, type HealthIndicatorCheck } from 'nest-health';
 * import { Pool } from 'pg';
 *
 * @HealthIndicator({ name: 'database', groups: ['readiness'], timeoutMs: 500 })
 * export class DatabaseHealth implements HealthIndicatorCheck {
 *   constructor(private readonly pool: Pool) {}
 *   async check() {
 *     const started = performance.now();
 *     await this.pool.query('SELECT 1'); // throwing means down
 *     return up({ responseTimeMs: performance.now() - started });
 *   }
 * }
 * ```
 */
export const HealthIndicator = DiscoveryService.createDecorator<HealthIndicatorOptions>();

const NAME_SUFFIXES = ['HealthIndicator', 'HealthCheck', 'Health', 'Indicator', 'Check'];

/**
 * The default indicator name for a class: the suffix `HealthIndicator`, `HealthCheck`, `Health`,
 * `Indicator` or `Check` is dropped and the rest is kebab-cased.
 *
 * @example deriveIndicatorName('RedisHealth') === 'redis'
 * @example deriveIndicatorName('MessageQueueHealthIndicator') === 'message-queue'
 * @example deriveIndicatorName('S3Health') === 's3'
 */
export function deriveIndicatorName(className: string): string {
  let base = className;
  for (const suffix of NAME_SUFFIXES) {
    if (base.length > suffix.length && base.endsWith(suffix)) {
      base = base.slice(0, -suffix.length);
      break;
    }
  }
  const kebab = base
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|-+$/g, '')
    .toLowerCase();
  return kebab.slice(0, 63) || 'indicator';
}

import type { HealthCheckResult } from './health-check.interface';

type Data = Readonly<Record<string, unknown>>;

/**
 * The dependency works.
 *
 * @param data - optional measurements, a plain JSON object with units in key names
 *   (`{ responseTimeMs: 3.2 }`).
 * @returns `{ status: 'up', data? }`
 *
 * @example
 * ```ts
 * import { HealthIndicator, down, up, type HealthCheckContext } from 'nest-health';
 *
 * @HealthIndicator({ name: 'payments' })
 * export class PaymentsHealth {
 *   async check({ signal }: HealthCheckContext) {
 *     const started = performance.now();
 *     const response = await fetch('https://payments.internal/health', { signal });
 *     if (!response.ok) return down(`HTTP ${response.status}`);
 *     return up({ responseTimeMs: performance.now() - started });
 *   }
 * }
 * ```
 */
export function up(data?: Data): HealthCheckResult {
  return data === undefined ? { status: 'up' } : { status: 'up', data };
}

/**
 * The dependency works but needs attention (slow, a backlog, close to a limit). Probes still
 * answer 200 for a degraded group unless the group's `httpStatus` mapping says otherwise.
 *
 * @param message - a short reason, e.g. `"1520 jobs waiting (threshold 1000)"`.
 * @param data - optional measurements.
 * @returns `{ status: 'degraded', message, data? }`
 */
export function degraded(message: string, data?: Data): HealthCheckResult {
  return data === undefined
    ? { status: 'degraded', message }
    : { status: 'degraded', message, data };
}

/**
 * The dependency does not work. Throwing from a check has the same effect; `down()` lets a
 * check attach measurements to the failure.
 *
 * @param message - a short reason, e.g. `"no worker attached"`. The engine redacts credentials
 *   and truncates it.
 * @param data - optional measurements.
 * @returns `{ status: 'down', message, data? }`
 */
export function down(message: string, data?: Data): HealthCheckResult {
  return data === undefined ? { status: 'down', message } : { status: 'down', message, data };
}

/**
 * The status a check reports.
 *
 * - `up`: the dependency works.
 * - `degraded`: it works, but something needs attention (slow, backlog, near a limit). Probes
 *   answer 200 for it by default, so Kubernetes keeps routing traffic.
 * - `down`: it does not work. Probes answer 503 for a group that is down.
 */
export type HealthStatus = 'up' | 'degraded' | 'down';

/**
 * The effective status of an indicator: a {@link HealthStatus}, or `unknown` before its first
 * result.
 */
export type IndicatorStatus = HealthStatus | 'unknown';

/**
 * What a check returns. Build it with {@link up}, {@link degraded} or {@link down}.
 *
 * `data` is a plain JSON object of measurements, with units in the key names
 * (`responseTimeMs`, `usedBytes`, `waiting`). It appears in `GET /health`.
 */
export interface HealthCheckResult {
  /** The observed status. */
  readonly status: HealthStatus;
  /** A short human-readable reason, sanitized and truncated by the engine. */
  readonly message?: string;
  /** Measurements as a plain JSON object. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * What the engine passes to every run of a check.
 */
export interface HealthCheckContext {
  /**
   * Aborts when the run times out (after `timeoutMs`) or when the application shuts down. Pass
   * it to what accepts one: `fetch(url, { signal })`, `setTimeout(ms, undefined, { signal })`
   * from `node:timers/promises`, `once(emitter, event, { signal })` from `node:events`. `pg` and
   * `ioredis` take none (their queries cannot be aborted). The engine does not wait for a check
   * that ignores it: the run is reported `down` at the deadline either way, and what the check
   * started goes on in the background.
   */
  readonly signal: AbortSignal;
  /** The indicator's name. */
  readonly name: string;
  /** The time budget of this run, in milliseconds. */
  readonly timeoutMs: number;
}

/**
 * The contract of an indicator: one method that checks a dependency once.
 *
 * Return {@link up}, {@link degraded} or {@link down}. Throwing anything (or rejecting) means
 * `down`, with the error's message, sanitized. Returning anything else is reported as `down`
 * with "returned an invalid result".
 *
 * @example
 * ```ts
 * import { HealthIndicator, up, type HealthIndicatorCheck } from 'nest-health';
 * import { Pool } from 'pg';
 *
 * @HealthIndicator({ name: 'database', timeoutMs: 500 })
 * export class DatabaseHealth implements HealthIndicatorCheck {
 *   constructor(private readonly pool: Pool) {}
 *   async check() {
 *     await this.pool.query('SELECT 1');
 *     return up();
 *   }
 * }
 * ```
 */
export interface HealthIndicatorCheck {
  /**
   * Checks the dependency once.
   *
   * @param context - the run's abort signal, name and time budget.
   * @returns the observed result, or a promise of it.
   */
  check(context: HealthCheckContext): HealthCheckResult | Promise<HealthCheckResult>;
}

/**
 * A check written as a function, for {@link HealthRegistry.register}.
 */
export type HealthCheckFunction = (
  context: HealthCheckContext,
) => HealthCheckResult | Promise<HealthCheckResult>;

import type { HealthCheckFunction, HealthIndicatorCheck } from '../check';
import type { HealthIndicatorMode } from '../decorators/health-indicator.options';

/**
 * An indicator as the engine sees it: its check and every option resolved against the module's
 * defaults. Read-only; replaced, never mutated.
 */
export interface HealthIndicatorDefinition {
  /** Unique name. */
  readonly name: string;
  /** Groups it belongs to, never empty. */
  readonly groups: readonly string[];
  /**
   * Whether its `down` takes its groups down; `false` makes it count as `degraded` (see {@link
   * HealthIndicatorOptions.critical}).
   */
  readonly critical: boolean;
  /** `'background'` or `'on-demand'` (see {@link HealthIndicatorOptions.mode}). */
  readonly mode: HealthIndicatorMode;
  /** Milliseconds. */
  readonly timeoutMs: number;
  /** Milliseconds. */
  readonly intervalMs: number;
  /**
   * Consecutive `down` results before it turns down (see {@link
   * HealthIndicatorTiming.failureThreshold}).
   */
  readonly failureThreshold: number;
  /**
   * Consecutive non-`down` results before it is up again after `down` (see {@link
   * HealthIndicatorTiming.successThreshold}).
   */
  readonly successThreshold: number;
  /** Milliseconds; on-demand mode only. */
  readonly cacheTtlMs: number;
  /** Runs the check once. */
  readonly check: HealthCheckFunction;
  /** Where it came from, for messages: a class name or "HealthRegistry.register(...)". */
  readonly source: string;
  /**
   * The module whose provider it is, by class name, for a discovered `@HealthIndicator()`
   * provider; `undefined` for a run-time registration.
   */
  readonly module?: string;
  /**
   * What was registered: the indicator object (a provider instance, a built-in) or the check
   * function. Lets the module release a built-in's resources when it is unregistered.
   */
  readonly target?: HealthIndicatorCheck | HealthCheckFunction;
}

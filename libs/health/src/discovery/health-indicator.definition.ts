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
  readonly critical: boolean;
  readonly mode: HealthIndicatorMode;
  /** Milliseconds. */
  readonly timeoutMs: number;
  /** Milliseconds. */
  readonly intervalMs: number;
  readonly failureThreshold: number;
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

/**
 * Where an indicator comes from, for the messages of `DuplicateHealthIndicatorError`: its
 * class name (or `HealthRegistry.register(…)`) and, for a discovered provider, its module.
 */
export interface HealthIndicatorOrigin {
  /** A class name, or `HealthRegistry.register(function named "…")`. */
  readonly source: string;
  /** The module that provides it, by class name; `undefined` for a run-time registration. */
  readonly module?: string;
}

import type { HealthIndicatorDefinition } from '../src/discovery/health-indicator.definition';

/**
 * A resolved indicator definition with the module's defaults, for specs of the engine: up, in
 * readiness, critical, background, 1 s timeout, 5 s interval, thresholds 1.
 */
export function indicatorDefinition(
  name: string,
  overrides: Partial<HealthIndicatorDefinition> = {},
): HealthIndicatorDefinition {
  return {
    name,
    groups: ['readiness'],
    critical: true,
    mode: 'background',
    timeoutMs: 1_000,
    intervalMs: 5_000,
    failureThreshold: 1,
    successThreshold: 1,
    cacheTtlMs: 1_000,
    check: () => ({ status: 'up' }),
    source: name,
    ...overrides,
  };
}

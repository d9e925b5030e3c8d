export { HealthRegistry, type HealthRegistryEvent } from './health.registry';
export { HealthIndicatorExplorer } from './health-indicator.explorer';
export type { HealthIndicatorDefinition } from './health-indicator.definition';

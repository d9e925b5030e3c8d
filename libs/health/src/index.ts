export { HealthModule } from './health.module';
export { HEALTH_MODULE_OPTIONS } from './health.module-definition';
export {
  HEALTH_MODULE_DEFAULTS,
  type HealthModuleOptions,
  type HealthModuleRouteOptions,
  type HealthHttpStatusMapping,
} from './health-module-options';
export {
  up,
  degraded,
  down,
  type HealthStatus,
  type IndicatorStatus,
  type HealthCheckResult,
  type HealthCheckContext,
  type HealthIndicatorCheck,
  type HealthCheckFunction,
} from './check';
export {
  HealthIndicator,
  deriveIndicatorName,
  type HealthIndicatorOptions,
  type HealthIndicatorTiming,
  type HealthIndicatorMode,
} from './decorators';
export {
  HealthRegistry,
  type HealthRegistryEvent,
  type HealthIndicatorDefinition,
} from './discovery';
export {
  HealthStateStore,
  redactSecrets,
  sanitizeMessage,
  MAX_MESSAGE_LENGTH,
  type IndicatorState,
  type GroupState,
  type GroupReason,
  type HealthSnapshot,
  type HealthChangeEvent,
  type IndicatorChangeEvent,
  type GroupChangeEvent,
} from './engine';
export type { HealthProbeBody, HealthDetailsBody, HealthCheckDetails } from './http';
export {
  HealthModuleError,
  InvalidHealthModuleOptionsError,
  InvalidHealthIndicatorOptionsError,
  MissingHealthCheckMethodError,
  DuplicateHealthIndicatorError,
  HealthIndicatorScopeError,
} from './errors';
export type { OptionProblem } from './options/validate-options';

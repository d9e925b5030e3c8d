export {
  HealthModuleError,
  InvalidHealthModuleOptionsError,
  InvalidHealthIndicatorOptionsError,
  MissingHealthCheckMethodError,
  DuplicateHealthIndicatorError,
  HealthIndicatorScopeError,
  MissingOptionalDependencyError,
  HealthModuleImportedTwiceError,
} from './health.errors';
export type { HealthIndicatorOrigin } from './health-indicator-origin';

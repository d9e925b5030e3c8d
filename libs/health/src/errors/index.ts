export {
  HealthModuleError,
  InvalidHealthModuleOptionsError,
  InvalidHealthIndicatorOptionsError,
  MissingHealthCheckMethodError,
  DuplicateHealthIndicatorError,
  HealthIndicatorScopeError,
  MissingOptionalDependencyError,
} from './health.errors';

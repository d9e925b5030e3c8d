export {
  HealthModuleError,
  InvalidHealthModuleOptionsError,
  InvalidHealthIndicatorOptionsError,
  MissingHealthCheckMethodError,
  DuplicateHealthIndicatorError,
  HealthIndicatorScopeError,
} from './health.errors';

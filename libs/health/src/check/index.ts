export type {
  HealthStatus,
  IndicatorStatus,
  HealthCheckResult,
  HealthCheckContext,
  HealthIndicatorCheck,
  HealthCheckFunction,
} from './health-check.interface';
export { up, degraded, down } from './health-check-result';

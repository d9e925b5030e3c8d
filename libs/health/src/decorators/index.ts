export { HealthIndicator, deriveIndicatorName } from './health-indicator.decorator';
export type {
  HealthIndicatorOptions,
  HealthIndicatorTiming,
  HealthIndicatorMode,
} from './health-indicator.options';

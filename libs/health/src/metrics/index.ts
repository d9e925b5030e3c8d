export {
  HEALTH_METRIC_NAMES,
  INDICATOR_METRIC_STATES,
  GROUP_METRIC_STATES,
  NOTIFICATION_METRIC_OUTCOMES,
} from './health-metric-names';
export {
  HEALTH_METRICS_DEFAULTS,
  type HealthMetricsOptions,
  type PrometheusRegistryLike,
} from './health-metrics.options';
export { HealthMetrics } from './health-metrics.service';

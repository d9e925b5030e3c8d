export { HealthHistory } from './health-history.service';
export { HEALTH_HISTORY_DEFAULTS, type HealthHistoryOptions } from './health-history.options';
export {
  HEALTH_HISTORY_WINDOWS,
  type HealthHistoryWindow,
  type HealthUptime,
  type HealthUptimeWindows,
  type HealthHistoryTransition,
  type HealthBucketLatency,
  type HealthHistoryBuckets,
  type HealthStreak,
  type HealthSubjectHistory,
  type HealthHistoryBody,
  type HealthIndicatorHistoryBody,
  type HealthGroupHistoryBody,
  type HealthCheckHistorySummary,
} from './health-history.types';

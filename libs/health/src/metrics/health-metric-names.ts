/**
 * The names of the Prometheus metrics the module exports (before `metrics.prefix`), by
 * Prometheus conventions: base units (seconds), `_total` for counters, an enum as one gauge
 * series per state.
 *
 * | metric                              | type      | labels                   |
 * | ----------------------------------- | --------- | ------------------------ |
 * | `health_indicator_status`           | gauge     | `indicator`, `state`     |
 * | `health_group_status`               | gauge     | `group`, `state`         |
 * | `health_check_duration_seconds`     | histogram | `indicator`              |
 * | `health_check_failures_total`       | counter   | `indicator`              |
 * | `health_check_timeouts_total`       | counter   | `indicator`              |
 * | `health_status_transitions_total`   | counter   | `indicator`, `from`, `to` |
 */
export const HEALTH_METRIC_NAMES = {
  /** 1 for the indicator's current effective status (`state`), 0 for the others. */
  indicatorStatus: 'health_indicator_status',
  /** 1 for the group's current status (`state`), 0 for the others. */
  groupStatus: 'health_group_status',
  /** Wall time of each run that started, in seconds. */
  checkDuration: 'health_check_duration_seconds',
  /** Runs whose own result was `down` (timeouts included), before thresholds. */
  checkFailures: 'health_check_failures_total',
  /** Runs that hit their `timeoutMs`. */
  checkTimeouts: 'health_check_timeouts_total',
  /** Effective transitions of an indicator, from one status to another. */
  statusTransitions: 'health_status_transitions_total',
} as const;

/** The states of `health_indicator_status`. */
export const INDICATOR_METRIC_STATES = ['up', 'degraded', 'down', 'unknown'] as const;

/** The states of `health_group_status`. */
export const GROUP_METRIC_STATES = ['up', 'degraded', 'down'] as const;

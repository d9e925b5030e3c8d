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
 *
 * With `fleet` set, also:
 *
 * | metric                                  | type      | labels   |
 * | --------------------------------------- | --------- | -------- |
 * | `health_fleet_instances`                | gauge     | `status` |
 * | `health_fleet_publish_duration_seconds` | histogram |          |
 * | `health_fleet_publish_failures_total`   | counter   |          |
 *
 * With `notifications` set, also:
 *
 * | metric                                       | type    | labels               |
 * | -------------------------------------------- | ------- | -------------------- |
 * | `health_notifications_total`                 | counter | `channel`, `outcome` |
 * | `health_notification_queue_depth`            | gauge   | `channel`            |
 * | `health_notification_lock_unavailable_total` | counter | `channel`            |
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
  /**
   * Replicas of the service per status (`up`, `degraded`, `down`, `unknown`; a stale replica is
   * `unknown`), as this replica reads the fleet when scraped (the last view read while Redis is
   * away). Every replica reports the whole fleet: aggregate with `max`, not `sum`.
   */
  fleetInstances: 'health_fleet_instances',
  /** Wall time of each publish of this replica's snapshot to Redis, in seconds. */
  fleetPublishDuration: 'health_fleet_publish_duration_seconds',
  /** Publishes that failed or passed `fleet.timeoutMs`. */
  fleetPublishFailures: 'health_fleet_publish_failures_total',
  /**
   * Notification messages per channel and outcome: `sent` (accepted by the service), `retried`
   * (one per failed attempt that another follows), `failed` (given up: a non-retryable error or
   * `maxAttempts`), `dropped` (queue overflow, or undelivered at shutdown).
   */
  notifications: 'health_notifications_total',
  /** Messages waiting for a channel, plus the one in flight. */
  notificationQueueDepth: 'health_notification_queue_depth',
  /**
   * Events a channel sent without the fleet lock because Redis could not be asked (with `fleet`
   * set): other replicas may have sent them too.
   */
  notificationLockUnavailable: 'health_notification_lock_unavailable_total',
} as const;

/**
 * The outcomes of `health_notifications_total` (`outcome` label): `sent` (the service accepted
 * the message), `retried` (an attempt failed and another is due), `failed` (no attempt left, or
 * an answer not worth retrying) and `dropped` (the channel's queue was full, or the message was
 * still undelivered when the shutdown's time ran out). Every channel starts with each outcome at
 * 0, so `increase()` sees the first one.
 */
export const NOTIFICATION_METRIC_OUTCOMES = ['sent', 'retried', 'failed', 'dropped'] as const;

/** The states of `health_indicator_status`. */
export const INDICATOR_METRIC_STATES = ['up', 'degraded', 'down', 'unknown'] as const;

/** The states of `health_group_status`. */
export const GROUP_METRIC_STATES = ['up', 'degraded', 'down'] as const;

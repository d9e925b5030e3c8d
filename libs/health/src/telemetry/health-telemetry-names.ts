/**
 * The OpenTelemetry metrics the module records (the `telemetry` option), named by OpenTelemetry's
 * conventions: dotted names, the unit in the instrument's `unit` (UCUM, `s` for seconds), never
 * in the name, and no `_total`. No semantic convention for health checks exists yet
 * (open-telemetry/semantic-conventions#1106 is an open proposal); the names follow that proposal
 * and .NET's `dotnet.health_check.*` metrics where they agree (see the docs' "OpenTelemetry"
 * page for where each comes from).
 *
 * | metric                    | instrument                | unit           | attributes |
 * | ------------------------- | ------------------------- | -------------- | ---------- |
 * | `health.check.duration`   | histogram                 | `s`            | `health.indicator.name`, `health.status`, `health.check.timed_out` |
 * | `health.indicator.status` | observable up-down counter | `1`           | `health.indicator.name`, `health.status` |
 * | `health.group.status`     | observable up-down counter | `1`           | `health.group.name`, `health.status` |
 * | `health.check.failures`   | counter                   | `{failure}`    | `health.indicator.name` |
 * | `health.check.timeouts`   | counter                   | `{timeout}`    | `health.indicator.name` |
 * | `health.transitions`      | counter                   | `{transition}` | `health.indicator.name`, `health.previous_status`, `health.status` |
 */
export const HEALTH_TELEMETRY_METRICS = {
  /** Wall time of each run that started, in seconds; the run's own status before thresholds. */
  checkDuration: 'health.check.duration',
  /**
   * One series per status of each indicator (`up`, `degraded`, `down`, `unknown`): 1 for its
   * effective status, 0 for the others, read from the state when the SDK collects.
   */
  indicatorStatus: 'health.indicator.status',
  /** One series per status of each group (`up`, `degraded`, `down`): 1 for its status, 0 else. */
  groupStatus: 'health.group.status',
  /** Runs whose own result was `down` (timeouts included), before thresholds. */
  checkFailures: 'health.check.failures',
  /** Runs that hit their `timeoutMs`. */
  checkTimeouts: 'health.check.timeouts',
  /** Effective transitions of an indicator, from one status to another. */
  transitions: 'health.transitions',
} as const;

/**
 * The attributes of the module's metrics and spans. Values are names and statuses only: never a
 * message, data or an error (those could hold a secret), except the span's status message, which
 * is the run's sanitized message.
 */
export const HEALTH_TELEMETRY_ATTRIBUTES = {
  /** The indicator's name, e.g. `database`. */
  indicatorName: 'health.indicator.name',
  /** The groups an indicator belongs to (a string array, on spans), e.g. `["readiness"]`. */
  indicatorGroups: 'health.indicator.groups',
  /** The group's name, e.g. `readiness`. */
  groupName: 'health.group.name',
  /**
   * A status: `up`, `degraded`, `down` (and `unknown` for an indicator before its first result).
   * On `health.check.duration` and spans, the run's own status; on the status metrics, the
   * series' status; on `health.transitions` and transition events, the status after it.
   */
  status: 'health.status',
  /** The status before a transition. */
  previousStatus: 'health.previous_status',
  /** Whether the run hit its timeout (a boolean). */
  timedOut: 'health.check.timed_out',
  /** The indicator's effective status after the run (after thresholds), on spans. */
  effectiveStatus: 'health.indicator.effective_status',
} as const;

/** The span of a check run is named `health.check <indicator>`. */
export const HEALTH_CHECK_SPAN_PREFIX = 'health.check';

/**
 * The span event of an effective transition caused by the run: one for the indicator, one per
 * group whose status changed with it.
 */
export const HEALTH_TRANSITION_EVENT = 'health.transition';

/** The statuses of `health.indicator.status`. */
export const INDICATOR_TELEMETRY_STATUSES = ['up', 'degraded', 'down', 'unknown'] as const;

/** The statuses of `health.group.status`. */
export const GROUP_TELEMETRY_STATUSES = ['up', 'degraded', 'down'] as const;

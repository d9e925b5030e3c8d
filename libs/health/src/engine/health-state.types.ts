import type { HealthStatus, IndicatorStatus } from '../check';
import type { HealthIndicatorMode } from '../decorators/health-indicator.options';

/**
 * The state of one indicator. Immutable: the store replaces it on every result, so a reader
 * may keep a reference.
 */
export interface IndicatorState {
  /** The indicator's name, unique in the app (see {@link HealthIndicatorOptions.name}). */
  readonly name: string;
  /** Effective status, after `failureThreshold` / `successThreshold`; `unknown` before the first result. */
  readonly status: IndicatorStatus;
  /** Status of the last run, before thresholds; `null` before the first result. */
  readonly observed: HealthStatus | null;
  /**
   * Whether its `down` takes its groups down; when `false` it counts as `degraded` for them (see
   * {@link HealthIndicatorOptions.critical}).
   */
  readonly critical: boolean;
  /** The groups it belongs to, never empty. */
  readonly groups: readonly string[];
  /**
   * How it runs: `'background'` (on its own timer) or `'on-demand'` (when asked, with a cache); see
   * {@link HealthIndicatorMode}.
   */
  readonly mode: HealthIndicatorMode;
  /** Message of the last run (sanitized), or `null`. */
  readonly message: string | null;
  /** Data of the last run, or `null`. */
  readonly data: Readonly<Record<string, unknown>> | null;
  /** ISO-8601 time of the last effective transition (or of registration). */
  readonly since: string;
  /** ISO-8601 end time of the last run, or `null` before the first result. */
  readonly lastCheckedAt: string | null;
  /** Duration of the last run in milliseconds, or `null`. */
  readonly durationMs: number | null;
  /** Whether the last run hit its timeout. */
  readonly timedOut: boolean;
  /**
   * Consecutive `down` runs up to the last one; 0 after a run that was not `down`. Compared with
   * `failureThreshold`.
   */
  readonly consecutiveFailures: number;
  /**
   * Consecutive runs that were not `down` (`up` or `degraded`) up to the last one; 0 after a `down`
   * run. Compared with `successThreshold`.
   */
  readonly consecutiveSuccesses: number;
}

/**
 * Why a group is down for a reason of the module's rather than of its members.
 * - `starting`: the startup group before bootstrap has finished.
 * - `shutting_down`: readiness after shutdown began.
 */
export type GroupReason = 'starting' | 'shutting_down';

/**
 * The state of one group. Immutable, replaced on every change.
 */
export interface GroupState {
  /** The group's name: `'liveness'`, `'readiness'`, `'startup'` or a custom group's. */
  readonly name: string;
  /**
   * The group's status: the worst of its members' (a non-critical member's `down` counts as
   * `degraded`), or `down` while it has a `reason`. An empty group is `up`.
   */
  readonly status: HealthStatus;
  /** ISO-8601 time of the group's last transition. */
  readonly since: string;
  /**
   * Why the group is down for a reason of the module's rather than of its members (see {@link
   * GroupReason}), or `null`.
   */
  readonly reason: GroupReason | null;
  /** Effective status of each member, by name. */
  readonly checks: Readonly<Record<string, { readonly status: IndicatorStatus }>>;
}

/** The state of everything, for the detailed endpoint. */
export interface HealthSnapshot {
  /** The worst of every group's status. */
  readonly status: HealthStatus;
  /** ISO-8601 time the snapshot was taken. */
  readonly timestamp: string;
  /** Every indicator's state, by name. */
  readonly checks: Readonly<Record<string, IndicatorState>>;
  /**
   * Every group's state, by name: the built-in groups always, a custom group while it has members.
   */
  readonly groups: Readonly<Record<string, GroupState>>;
}

/** An indicator's effective status changed. */
export interface IndicatorChangeEvent {
  /** Tells it from a {@link GroupChangeEvent}: an indicator changed. */
  readonly type: 'indicator';
  /** The indicator's name. */
  readonly name: string;
  /** Effective status before the transition (`unknown` before the first result). */
  readonly previous: IndicatorStatus;
  /** Effective status after the transition. */
  readonly current: IndicatorStatus;
  /** ISO-8601 time of the transition. */
  readonly since: string;
  /** Message of the run that caused the transition (sanitized), or `null`. */
  readonly message: string | null;
  /** Duration of the run that caused the transition, in milliseconds. */
  readonly durationMs: number | null;
  /** Status of each of the indicator's groups after the change. */
  readonly groups: Readonly<Record<string, HealthStatus>>;
  /** The indicator's state after the transition. */
  readonly state: IndicatorState;
}

/** A group's status changed. */
export interface GroupChangeEvent {
  /** Tells it from an {@link IndicatorChangeEvent}: a group changed. */
  readonly type: 'group';
  /** The group's name. */
  readonly name: string;
  /** The group's status before the transition. */
  readonly previous: HealthStatus;
  /** The group's status after the transition. */
  readonly current: HealthStatus;
  /** ISO-8601 time of the transition. */
  readonly since: string;
  /** Why the group is down for a reason of the module's (see {@link GroupReason}), or `null`. */
  readonly reason: GroupReason | null;
  /** The group's state after the transition. */
  readonly state: GroupState;
}

/** Every effective transition, as {@link HealthStateStore.changes} emits them. */
export type HealthChangeEvent = IndicatorChangeEvent | GroupChangeEvent;

/**
 * One recorded run of an indicator's check, as {@link HealthStateStore.results} emits it.
 */
export interface HealthRunEvent {
  /** The indicator's name. */
  readonly name: string;
  /** Status of this run, before `failureThreshold` / `successThreshold`. */
  readonly status: HealthStatus;
  /** Message of this run (sanitized), or `null`. */
  readonly message: string | null;
  /**
   * Wall time of the run in milliseconds. 0 for a run that never started because the previous
   * call of the check has not settled yet (it is recorded as timed out).
   */
  readonly durationMs: number;
  /** Whether the run hit its `timeoutMs` (or was skipped because the previous call hangs). */
  readonly timedOut: boolean;
  /** ISO-8601 end time of the run. */
  readonly finishedAt: string;
  /** The indicator's state after this run (its effective status, counts, since). */
  readonly state: IndicatorState;
}

import type { HealthStatus, IndicatorStatus } from '../check';
import type { HealthIndicatorMode } from '../decorators/health-indicator.options';

/**
 * The state of one indicator. Immutable: the store replaces it on every result, so a reader
 * may keep a reference.
 */
export interface IndicatorState {
  readonly name: string;
  /** Effective status, after `failureThreshold` / `successThreshold`; `unknown` before the first result. */
  readonly status: IndicatorStatus;
  /** Status of the last run, before thresholds; `null` before the first result. */
  readonly observed: HealthStatus | null;
  readonly critical: boolean;
  readonly groups: readonly string[];
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
  readonly consecutiveFailures: number;
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
  readonly name: string;
  readonly status: HealthStatus;
  /** ISO-8601 time of the group's last transition. */
  readonly since: string;
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
  readonly checks: Readonly<Record<string, IndicatorState>>;
  readonly groups: Readonly<Record<string, GroupState>>;
}

/** An indicator's effective status changed. */
export interface IndicatorChangeEvent {
  readonly type: 'indicator';
  readonly name: string;
  readonly previous: IndicatorStatus;
  readonly current: IndicatorStatus;
  /** ISO-8601 time of the transition. */
  readonly since: string;
  readonly message: string | null;
  readonly durationMs: number | null;
  /** Status of each of the indicator's groups after the change. */
  readonly groups: Readonly<Record<string, HealthStatus>>;
  readonly state: IndicatorState;
}

/** A group's status changed. */
export interface GroupChangeEvent {
  readonly type: 'group';
  readonly name: string;
  readonly previous: HealthStatus;
  readonly current: HealthStatus;
  /** ISO-8601 time of the transition. */
  readonly since: string;
  readonly reason: GroupReason | null;
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

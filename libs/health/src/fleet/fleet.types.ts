import type { HealthStatus, IndicatorStatus } from '../check';
import type { GroupReason } from '../engine/health-state.types';

/**
 * Version of the snapshot a replica publishes ({@link FleetInstanceSnapshot.v}). A reader skips
 * a snapshot of another version (a replica of a newer release during a rollout) rather than
 * misread it, and shows the replica with the status `unknown`.
 */
export const FLEET_SNAPSHOT_VERSION = 1;

/** One group of a replica, as published: its status, since when, and why (`reason`). */
export interface FleetGroupSnapshot {
  /** The group's status. */
  readonly status: HealthStatus;
  /** ISO-8601 time of the group's last transition. */
  readonly since: string;
  /** Why the group is down for a reason of the module's (`starting`, `shutting_down`), if any. */
  readonly reason?: GroupReason;
}

/**
 * One indicator of a replica, as published: what the details policy's `'always'` shows, and
 * its uptime on that replica when the replica keeps history.
 */
export interface FleetCheckSnapshot {
  /** The indicator's effective status. */
  readonly status: IndicatorStatus;
  /** ISO-8601 time of its last effective transition. */
  readonly since: string;
  /**
   * Wall time of its last run in milliseconds, or `null` before the first (and for a caller not
   * admitted to details).
   */
  readonly durationMs: number | null;
  /**
   * Percent of the last hour it spent `up` on this replica (of the time observed; three
   * decimals), or `null` before its first result. Present when the replica keeps history (the
   * `history` option, on by default) and for callers admitted to details; kept when messages
   * are left out for the byte cap.
   */
  readonly uptime1hPercent?: number | null;
  /** Percent of the last 24 hours it spent `up` on this replica, or `null`; as `uptime1hPercent`. */
  readonly uptime24hPercent?: number | null;
  /**
   * Message of its last run, sanitized and redacted as the engine records it; absent for a caller
   * not admitted to details.
   */
  readonly message?: string;
}

/** Facts about a replica's process. */
export interface FleetProcessSnapshot {
  /** The process id. */
  readonly pid: number;
  /** `os.hostname()`: the pod's name on Kubernetes. */
  readonly hostname: string;
  /** `process.version`, e.g. `"v20.19.0"`. */
  readonly node: string;
  /** Resident set size in bytes (`process.memoryUsage.rss()`). */
  readonly rssBytes: number;
  /** Seconds since the process started (`process.uptime()`), rounded down. */
  readonly uptimeSeconds: number;
}

/**
 * What one replica publishes to Redis, as JSON, under its instance key: on every change of its
 * own state and at least every `fleet.publishIntervalMs`.
 */
export interface FleetInstanceSnapshot {
  /** Snapshot version: {@link FLEET_SNAPSHOT_VERSION}. */
  readonly v: number;
  /** The service (`fleet.service`). */
  readonly service: string;
  /** The replica (`fleet.instance`). */
  readonly instance: string;
  /** Publish sequence number of this process, from 1; a reader tells a restart by it going back. */
  readonly seq: number;
  /** The replica's overall status: the worst of its groups'. */
  readonly status: HealthStatus;
  /** Whether its readiness group is not `down`: it takes traffic (EndpointSlice's `serving`). */
  readonly serving: boolean;
  /** Whether it is shutting down (EndpointSlice's `terminating`): still serving, leaving. */
  readonly terminating: boolean;
  /** ISO-8601 time of this publish. */
  readonly publishedAt: string;
  /** ISO-8601 time the process started. */
  readonly startedAt: string;
  /** The app's version (`fleet.version`), or `null` (also for a caller not admitted to details). */
  readonly version: string | null;
  /** Every group, by name. */
  readonly groups: Readonly<Record<string, FleetGroupSnapshot>>;
  /** Every indicator, by name; messages left out when the snapshot would pass its byte cap. */
  readonly checks: Readonly<Record<string, FleetCheckSnapshot>>;
  /** Facts about the process; absent for a caller the details policy does not admit. */
  readonly process?: FleetProcessSnapshot;
  /** Present and `true` when messages (then checks) were left out to stay within the byte cap. */
  readonly truncated?: boolean;
}

/**
 * One replica in the fleet view (`GET /<path>/fleet`): what it last published, and what the
 * reader makes of its age.
 */
export interface FleetInstanceView {
  /** The replica (`fleet.instance`). */
  readonly instance: string;
  /**
   * Its status: what it published, or `unknown` when its snapshot has expired (`stale`) or is of
   * another version.
   */
  readonly status: IndicatorStatus;
  /** Whether its readiness is not `down` and it is not stale: it takes traffic. */
  readonly ready: boolean;
  /** ISO-8601 time it last published. */
  readonly lastSeen: string;
  /** Milliseconds since it last published, when the view was read. */
  readonly ageMs: number;
  /** It has not published for longer than `fleet.ttlMs`: killed, frozen or cut off. */
  readonly stale: boolean;
  /** It published that it is shutting down. */
  readonly terminating: boolean;
  /** Its last snapshot, or `null` once that has expired (a stale replica). */
  readonly snapshot: FleetInstanceSnapshot | null;
}

/** Counts of the replicas in a fleet view. */
export interface FleetSummary {
  /** Every replica in the index (stale ones too). */
  readonly instances: number;
  /** Replicas that take traffic ({@link FleetInstanceView.ready}). */
  readonly ready: number;
  /** Replicas per status (`up`, `degraded`, `down`, `unknown`). */
  readonly byStatus: Readonly<Record<IndicatorStatus, number>>;
  /** Stale replicas. */
  readonly stale: number;
  /** Terminating replicas. */
  readonly terminating: number;
}

/**
 * The fleet view: every replica of the service that published within `fleet.retentionMs`, a
 * summary and a fleet status from `fleet.policy`.
 */
export interface FleetView {
  /** The service (`fleet.service`). */
  readonly service: string;
  /** The fleet's status under `fleet.policy`. */
  readonly status: HealthStatus;
  /** The policy the status comes from, e.g. `"default"`, `"all"`, `"any"`, `"quorum:0.5"`. */
  readonly policy: string;
  /** ISO-8601 time the view was read from Redis. */
  readonly timestamp: string;
  /** Whether Redis answered for this view; `false` when it is the last known view. */
  readonly available: boolean;
  /** Milliseconds since the view was read from Redis (0 when it was read for this answer). */
  readonly ageMs: number;
  /** Counts of the replicas. */
  readonly summary: FleetSummary;
  /** The replicas, sorted by name. */
  readonly instances: readonly FleetInstanceView[];
}

/**
 * One transition of one replica, as appended to the fleet's Redis Stream and sent on the fleet
 * stream as a `transition` event:
 * - `kind: 'indicator'` or `'group'`: an effective transition of its state;
 * - `kind: 'instance'`: the replica itself — `current` is `joined` (it started publishing),
 *   `terminating` (shutdown began) or `left` (it closed and removed its keys).
 */
export interface FleetTransition {
  /** The Redis Stream entry id (`<ms>-<n>`). */
  readonly id: string;
  /** The replica. */
  readonly instance: string;
  /** What changed. */
  readonly kind: 'indicator' | 'group' | 'instance';
  /** The indicator's or group's name; the replica's for `kind: 'instance'`. */
  readonly name: string;
  /** Status before (for `instance`: the previous lifecycle state, or `""`). */
  readonly previous: string;
  /** Status after (for `instance`: `joined`, `terminating` or `left`). */
  readonly current: string;
  /** ISO-8601 time of the transition. */
  readonly since: string;
  /** Message of the run that caused it (sanitized), if any. */
  readonly message?: string;
}

/**
 * The data of an `instance` event on the fleet stream: the reader saw a replica change in a way
 * its own transitions do not tell — it became stale, came back, or was dropped after
 * `fleet.retentionMs` (`view: null`).
 */
export interface FleetInstanceEvent {
  /** The replica. */
  readonly instance: string;
  /** The replica as the fleet view now shows it, or `null` when it is gone from the view. */
  readonly view: FleetInstanceView | null;
}

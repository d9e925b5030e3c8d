import type { HealthStatus, IndicatorStatus } from '../check';

/** The windows the history answers for: the last hour, or the last 24 hours. */
export type HealthHistoryWindow = '1h' | '24h';

/** Every {@link HealthHistoryWindow}, in order. */
export const HEALTH_HISTORY_WINDOWS: readonly HealthHistoryWindow[] = ['1h', '24h'];

/**
 * Uptime over one window, as percentages of the time observed in it (time before the first
 * result is not observed, and is left out rather than counted as down).
 */
export interface HealthUptime {
  /** Percent of the observed time spent `up` (0 to 100, three decimals), or `null` if none. */
  readonly up: number | null;
  /** Percent of the observed time spent `up` or `degraded`, or `null` if none was observed. */
  readonly upOrDegraded: number | null;
}

/** Uptime over the last hour and the last 24 hours. */
export type HealthUptimeWindows = Readonly<Record<HealthHistoryWindow, HealthUptime>>;

/** One effective transition of an indicator or a group, as the history keeps it. */
export interface HealthHistoryTransition {
  /** Effective status left (`unknown` before an indicator's first result). */
  readonly from: IndicatorStatus;
  /** Effective status entered. */
  readonly to: IndicatorStatus;
  /** ISO-8601 time of the transition. */
  readonly at: string;
  /**
   * Milliseconds spent in the status left: since the previous transition, or since the history
   * began to follow it (the indicator's registration, the module's start).
   */
  readonly durationMs: number;
  /**
   * Message of the run that caused it (sanitized; at most 100 bytes of UTF-8 kept, cut with `…`),
   * or `null`; absent for groups and for callers the details policy does not admit.
   */
  readonly message?: string | null;
}

/** The latency of the runs of one bucket, in milliseconds (two decimals). */
export interface HealthBucketLatency {
  /** Fastest run. */
  readonly min: number;
  /** Median (nearest rank) of the bucket's runs. */
  readonly p50: number;
  /** 95th percentile (nearest rank) of the bucket's runs. */
  readonly p95: number;
  /** Slowest run. */
  readonly max: number;
}

/**
 * The buckets of a window, oldest first, by column (an array per field, one entry per bucket):
 * a day of one-minute buckets is about 60 KB of JSON this way, four times less than one object
 * per bucket. The last bucket is the open one (figures so far). Buckets before the history
 * began to follow the indicator or group are left out.
 */
export interface HealthHistoryBuckets {
  /** ISO-8601 start of the first bucket; bucket `i` starts `i × bucketMs` later. */
  readonly from: string;
  /** Width of a bucket in milliseconds (`history.bucketMs`). */
  readonly bucketMs: number;
  /** Number of buckets (the length of every array below). */
  readonly count: number;
  /** Runs per bucket (indicators only; at most 65535 counted per bucket). */
  readonly runs?: readonly number[];
  /** Runs whose own status was `down`, per bucket (indicators only). */
  readonly failures?: readonly number[];
  /**
   * Worst status per bucket, or `null`: for an indicator, the worst status of its runs (before
   * thresholds; `null` without runs); for a group, the worst status it held (`null` when not
   * observed).
   */
  readonly worst: readonly (HealthStatus | null)[];
  /**
   * Latency of the runs per bucket (indicators only), or `null` for a bucket without runs. p50
   * and p95 are exact while a bucket holds at most 2048 runs, from a uniform sample of 2048 runs
   * beyond that; min and max are always exact.
   */
  readonly latencyMs?: readonly (HealthBucketLatency | null)[];
  /** Milliseconds spent `up` (effective status) per bucket. */
  readonly upMs: readonly number[];
  /** Milliseconds spent `degraded` per bucket. */
  readonly degradedMs: readonly number[];
  /** Milliseconds spent `down` per bucket. */
  readonly downMs: readonly number[];
}

/** The current streak: the effective status now, and since when. */
export interface HealthStreak {
  /** The effective status now. */
  readonly status: IndicatorStatus;
  /** ISO-8601 time it entered that status (or the history began to follow it). */
  readonly since: string;
  /** Milliseconds from `since` to the answer. */
  readonly durationMs: number;
}

/**
 * The history of one indicator or group, over a window. For callers the details policy does not
 * admit, only `status` and `streak` (see {@link HealthHistoryBody.details}).
 */
export interface HealthSubjectHistory {
  /** The effective status now. */
  readonly status: IndicatorStatus;
  /** The current streak. */
  readonly streak: HealthStreak;
  /** Uptime over the last hour and the last 24 hours, whatever the window asked. */
  readonly uptime?: HealthUptimeWindows;
  /**
   * ISO-8601: the last time its effective status was `up` (the answer's time while it is up),
   * or `null` if never since the history began.
   */
  readonly lastUp?: string | null;
  /** ISO-8601: the last time its effective status was `down`, or `null`; as `lastUp`. */
  readonly lastDown?: string | null;
  /**
   * Mean time to recovery in the window: the mean duration, in milliseconds, of the `down`
   * periods that ended in it; `null` when none ended.
   */
  readonly mttrMs?: number | null;
  /** How many `down` periods ended in the window. */
  readonly recoveries?: number;
  /** The transitions kept (`history.maxTransitions`) that happened in the window, oldest first. */
  readonly transitions?: readonly HealthHistoryTransition[];
  /** The window's buckets. */
  readonly buckets?: HealthHistoryBuckets;
}

/** The body of `GET /<path>/history`: every indicator and group. */
export interface HealthHistoryBody {
  /** ISO-8601 time of the answer. */
  readonly timestamp: string;
  /** The window of the buckets, transitions and MTTR (`?window=`, default `1h`). */
  readonly window: HealthHistoryWindow;
  /**
   * `'full'`, or `'withheld'` for a caller the details policy does not admit: it gets each
   * indicator's and group's `status` and `streak` only, as `GET /<path>` shows it statuses only.
   */
  readonly details: 'full' | 'withheld';
  /** Every indicator, by name. */
  readonly indicators: Readonly<Record<string, HealthSubjectHistory>>;
  /** Every group, by name. */
  readonly groups: Readonly<Record<string, HealthSubjectHistory>>;
}

/** The body of `GET /<path>/history/:indicator`: one indicator. */
export interface HealthIndicatorHistoryBody extends HealthSubjectHistory {
  /** The indicator's name. */
  readonly name: string;
  /** ISO-8601 time of the answer. */
  readonly timestamp: string;
  /** The window (`?window=`, default `1h`). */
  readonly window: HealthHistoryWindow;
  /** `'full'`, or `'withheld'` (status and streak only); see {@link HealthHistoryBody.details}. */
  readonly details: 'full' | 'withheld';
}

/** The body of `GET /<path>/history/group/:name`: one group (no runs, failures nor latency). */
export interface HealthGroupHistoryBody extends HealthSubjectHistory {
  /** The group's name. */
  readonly name: string;
  /** ISO-8601 time of the answer. */
  readonly timestamp: string;
  /** The window (`?window=`, default `1h`). */
  readonly window: HealthHistoryWindow;
  /** `'full'`, or `'withheld'` (status and streak only); see {@link HealthHistoryBody.details}. */
  readonly details: 'full' | 'withheld';
}

/** What `GET /<path>` adds to each indicator for admitted callers, with history on. */
export interface HealthCheckHistorySummary {
  /** Uptime over the last hour and the last 24 hours. */
  readonly uptime: HealthUptimeWindows;
  /** ISO-8601: the last time it was `up`, or `null`. */
  readonly lastUp: string | null;
  /** ISO-8601: the last time it was `down`, or `null`. */
  readonly lastDown: string | null;
}

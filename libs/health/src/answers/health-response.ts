import type { HealthStatus, IndicatorStatus } from '../check';
import type {
  HealthCheckHistorySummary,
  HealthUptimeWindows,
} from '../history/health-history.types';
import { NAME_PATTERN } from '../options/option-rules';
import type {
  ContainerFacts,
  HealthProcessContainerMemoryFacts,
  HealthProcessCpuFacts,
} from './process-facts';
import type {
  GroupReason,
  GroupState,
  HealthSnapshot,
  IndicatorState,
} from '../engine/health-state.types';

/**
 * The body of a probe (`GET /health/live`, `/health/ready`, `/health/startup`,
 * `/health/group/:name`, the `/livez`-style aliases, and the per-check routes such as
 * `/health/ready/:check`). The same for every caller: statuses only.
 *
 * @example
 * ```json
 * { "status": "up", "group": "readiness", "timestamp": "2026-11-21T10:00:00.000Z",
 *   "checks": { "database": { "status": "up" }, "redis": { "status": "up" } } }
 * ```
 */
export interface HealthProbeBody {
  /**
   * The status answered: the group's (without the checks named in `?exclude=`), or on a per-check
   * route what the check contributes to the group (a non-critical check's `down` is `degraded`).
   */
  readonly status: HealthStatus;
  /** The group's name, e.g. `readiness`. */
  readonly group: string;
  /** ISO-8601 time of the answer. */
  readonly timestamp: string;
  /** Present when the group is down for a reason of the module's (`starting`, `shutting_down`). */
  readonly reason?: GroupReason;
  /**
   * Each member's effective status; messages and data are only in `GET /health`. Without the
   * checks named in `?exclude=`; only the one check on a per-check route.
   */
  readonly checks: Readonly<Record<string, { readonly status: IndicatorStatus }>>;
  /** On a per-check route (`/health/ready/:check`): the check answered for. */
  readonly check?: string;
  /**
   * Present when something in the request was ignored, e.g. `some health checks cannot be
   * excluded: no matches for "x"` for an `?exclude=` name that is not a member of the group.
   */
  readonly warnings?: readonly string[];
}

/** One indicator in {@link HealthDetailsBody}. */
export interface HealthCheckDetails {
  /** Effective status (after thresholds). */
  readonly status: IndicatorStatus;
  /** Status of the last run, before thresholds; `null` before the first result. */
  readonly observed: HealthStatus | null;
  /** Whether its `down` takes its groups down; when `false` it counts as `degraded`. */
  readonly critical: boolean;
  /** The groups it belongs to. */
  readonly groups: readonly string[];
  /** How it runs: `'background'` (on its own timer) or `'on-demand'` (when asked, with a cache). */
  readonly mode: 'background' | 'on-demand';
  /** Milliseconds; `null` before the first result. */
  readonly durationMs: number | null;
  /** ISO-8601 end of the last run, or `null`. */
  readonly lastCheckedAt: string | null;
  /** ISO-8601 time of the last effective transition. */
  readonly since: string;
  /** Whether the last run hit its timeout. */
  readonly timedOut: boolean;
  /** Consecutive `down` runs up to the last one; 0 after a run that was not `down`. */
  readonly consecutiveFailures: number;
  /** Consecutive runs that were not `down` up to the last one; 0 after a `down` run. */
  readonly consecutiveSuccesses: number;
  /** Sanitized message of the last run; only for callers the details policy admits. */
  readonly message?: string;
  /** Data of the last run; only for callers the details policy admits. */
  readonly data?: Readonly<Record<string, unknown>>;
  /**
   * Uptime over the last hour and the last 24 hours: `{ '1h': { up, upOrDegraded }, '24h': … }`,
   * percentages of the time observed (see `HealthHistory`); only with `history` on, for callers
   * the details policy admits.
   */
  readonly uptime?: HealthUptimeWindows;
  /**
   * ISO-8601: the last time its effective status was `up` (the answer's time while it is up), or
   * `null`; only with `history` on, for callers the details policy admits.
   */
  readonly lastUp?: string | null;
  /** ISO-8601: the last time its effective status was `down`, or `null`; as `lastUp`. */
  readonly lastDown?: string | null;
}

/** The history figures of an indicator for `GET /<path>`, by name. @internal */
export type CheckHistoryLookup = (name: string) => HealthCheckHistorySummary | undefined;

/**
 * The body of `GET /health`: every indicator with its data and timings, every group, and process
 * facts. Answered with HTTP 200 whatever the status.
 *
 * One shape for every caller: for callers that the details policy (`details`, `authorize`)
 * does not admit, `details` is `'withheld'` and `message`, `data` and `process` are left out.
 */
export interface HealthDetailsBody {
  /** The worst of every group's status. */
  readonly status: HealthStatus;
  /** ISO-8601 time of the answer. */
  readonly timestamp: string;
  /** `'full'`, or `'withheld'` when the caller is not admitted to the details. */
  readonly details: 'full' | 'withheld';
  /** Every indicator, by name. */
  readonly checks: Readonly<Record<string, HealthCheckDetails>>;
  /**
   * Every group, by name: its status, `since` (ISO-8601 time of its last transition) and, when it
   * is down for a reason of the module's, `reason` (see {@link GroupReason}).
   */
  readonly groups: Readonly<
    Record<string, { status: HealthStatus; since: string; reason?: GroupReason }>
  >;
  /** Facts about the process; only for callers the details policy admits. */
  readonly process?: {
    /** The process id. */
    readonly pid: number;
    /** Seconds since the process started (`process.uptime()`), to the millisecond. */
    readonly uptimeSeconds: number;
    /** The Node.js version (`process.version`), e.g. `v20.20.2`. */
    readonly nodeVersion: string;
    /** The process's memory (`process.memoryUsage()`), in bytes. */
    readonly memory: {
      /** Resident set size: all the memory the process holds. */
      readonly rssBytes: number;
      /** V8 heap in use. */
      readonly heapUsedBytes: number;
      /** V8 heap allocated. */
      readonly heapTotalBytes: number;
      /** Memory of C++ objects bound to JavaScript objects, `Buffer`s among them. */
      readonly externalBytes: number;
    } & HealthProcessContainerMemoryFacts;
    /**
     * The process's CPU use and its cgroup's throttling, over the window since the previous
     * figures; `null` when they could not be read.
     */
    readonly cpu: HealthProcessCpuFacts | null;
  };
}

/**
 * The probe body of a group, or of what a request shows of it (`view`: status and members
 * after `?exclude=`, warnings).
 *
 * @internal
 */
export function toProbeBody(
  group: GroupState,
  view?: {
    readonly status: HealthStatus;
    readonly checks: HealthProbeBody['checks'];
    readonly check?: string;
    readonly warnings?: readonly string[];
  },
): HealthProbeBody {
  if (view) {
    const body: Record<string, unknown> = {
      status: view.status,
      group: group.name,
      timestamp: new Date().toISOString(),
    };
    if (group.reason && view.check === undefined) body.reason = group.reason;
    if (view.check !== undefined) body.check = view.check;
    body.checks = view.checks;
    if (view.warnings && view.warnings.length > 0) body.warnings = view.warnings;
    return body as unknown as HealthProbeBody;
  }
  return group.reason
    ? {
        status: group.status,
        group: group.name,
        timestamp: new Date().toISOString(),
        reason: group.reason,
        checks: group.checks,
      }
    : {
        status: group.status,
        group: group.name,
        timestamp: new Date().toISOString(),
        checks: group.checks,
      };
}

/**
 * One indicator in `GET /health`; `message` and `data` only when `admitted`.
 *
 * @internal
 */
export function toCheckDetails(
  state: IndicatorState,
  admitted = true,
  history?: CheckHistoryLookup,
): HealthCheckDetails {
  const details: HealthCheckDetails = {
    status: state.status,
    observed: state.observed,
    critical: state.critical,
    groups: state.groups,
    mode: state.mode,
    durationMs: state.durationMs,
    lastCheckedAt: state.lastCheckedAt,
    since: state.since,
    timedOut: state.timedOut,
    consecutiveFailures: state.consecutiveFailures,
    consecutiveSuccesses: state.consecutiveSuccesses,
  };
  if (!admitted) return details;
  if (state.message !== null) Object.assign(details, { message: state.message });
  if (state.data !== null) Object.assign(details, { data: state.data });
  const summary = history?.(state.name);
  if (summary) Object.assign(details, summary);
  return details;
}

/**
 * The body of `GET /health`; without messages, data, process facts and history figures unless
 * `admitted`. `history` gives each indicator's uptime, `lastUp` and `lastDown` (history on);
 * `container` the CPU and cgroup memory facts ({@link HealthProcessFacts}).
 *
 * @internal
 */
export function toDetailsBody(
  snapshot: HealthSnapshot,
  admitted = true,
  history?: CheckHistoryLookup,
  container: ContainerFacts = { cpu: null, memory: NO_CONTAINER_MEMORY },
): HealthDetailsBody {
  const checks: Record<string, HealthCheckDetails> = {};
  for (const [name, state] of Object.entries(snapshot.checks)) {
    checks[name] = toCheckDetails(state, admitted, history);
  }
  const groups: Record<string, { status: HealthStatus; since: string; reason?: GroupReason }> = {};
  for (const [name, group] of Object.entries(snapshot.groups)) {
    groups[name] = group.reason
      ? { status: group.status, since: group.since, reason: group.reason }
      : { status: group.status, since: group.since };
  }
  if (!admitted) {
    return {
      status: snapshot.status,
      timestamp: snapshot.timestamp,
      details: 'withheld',
      checks,
      groups,
    };
  }
  const memory = process.memoryUsage();
  return {
    status: snapshot.status,
    timestamp: snapshot.timestamp,
    details: 'full',
    checks,
    groups,
    process: {
      pid: process.pid,
      uptimeSeconds: Math.round(process.uptime() * 1000) / 1000,
      nodeVersion: process.version,
      memory: {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        heapTotalBytes: memory.heapTotal,
        externalBytes: memory.external,
        ...container.memory,
      },
      cpu: container.cpu,
    },
  };
}

const NO_CONTAINER_MEMORY = Object.freeze({
  cgroupUsageBytes: null,
  workingSetBytes: null,
  limitBytes: null,
  limitSource: null,
});

/**
 * A name from the request as a message shows it: as it is when it could be a name (letters,
 * digits, `.`, `_`, `-`), percent-encoded otherwise (as in the URL), so that an answer never
 * carries a request's markup back; at most 64 characters.
 *
 * @internal
 */
export function shownName(name: string): string {
  let shown = name;
  if (!NAME_PATTERN.test(name)) {
    try {
      shown = encodeURIComponent(name);
    } catch {
      shown = '(unreadable)'; // a lone surrogate
    }
  }
  return shown.length > 64 ? `${shown.slice(0, 63)}…` : shown;
}

/** Body of a 404 for an unknown group. @internal */
export function unknownGroupBody(name: string): {
  statusCode: 404;
  error: 'Not Found';
  message: string;
} {
  return {
    statusCode: 404,
    error: 'Not Found',
    message: `No health group is named "${shownName(name)}".`,
  };
}

/** Body of a 404 for a check that is not a member of the group. @internal */
export function unknownCheckBody(
  group: string,
  name: string,
): { statusCode: 404; error: 'Not Found'; message: string } {
  return {
    statusCode: 404,
    error: 'Not Found',
    message: `No health check named "${shownName(name)}" in group "${shownName(group)}".`,
  };
}

import type { GroupReason, IndicatorState } from '../engine/health-state.types';

/** The overall status of a Terminus-shaped answer: `ok` → 200, `error` and `shutting_down` → 503. */
export type TerminusStatus = 'ok' | 'error' | 'shutting_down';

/**
 * One check in a Terminus-shaped answer, as a Terminus indicator reports it: `status`, and, for
 * callers the details policy admits, the check's data (spread in, as Terminus indicators spread
 * theirs) and its `message`.
 */
export interface TerminusCheckEntry {
  /** `up` for a check that is up or degraded, `down` for one that is down or has no result yet. */
  readonly status: 'up' | 'down';
  /** The check's last message (sanitized); only for admitted callers. */
  readonly message?: string;
  /** The check's data; only for admitted callers. */
  readonly [key: string]: unknown;
}

/**
 * The body of a health endpoint with `format: 'terminus'`: what `@nestjs/terminus`'s
 * `HealthCheckService.check()` answers (its `HealthCheckResult`), so that dashboards and tests
 * written against a Terminus endpoint keep working.
 *
 * @example
 * ```json
 * { "status": "error",
 *   "info": { "database": { "status": "up" } },
 *   "error": { "redis": { "status": "down", "message": "connect ECONNREFUSED 127.0.0.1:6379" } },
 *   "details": { "database": { "status": "up" },
 *                "redis": { "status": "down", "message": "connect ECONNREFUSED 127.0.0.1:6379" } } }
 * ```
 */
export interface TerminusHealthBody {
  /**
   * `ok` when the endpoint answers below 400, `error` otherwise, `shutting_down` once the app
   * shuts down (readiness, and `GET /<path>`), as Terminus reports after
   * `beforeApplicationShutdown`.
   */
  readonly status: TerminusStatus;
  /** The checks that are `up`. */
  readonly info: Readonly<Record<string, TerminusCheckEntry>>;
  /** The checks that are `down`. */
  readonly error: Readonly<Record<string, TerminusCheckEntry>>;
  /** Every check. */
  readonly details: Readonly<Record<string, TerminusCheckEntry>>;
}

/** What {@link toTerminusBody} needs of one check. @internal */
export type TerminusCheckInput = Pick<IndicatorState, 'name' | 'status' | 'message' | 'data'>;

/** What {@link toTerminusBody} answers about. @internal */
export interface TerminusAnswer {
  /** Whether the HTTP code is below 400. */
  readonly passed: boolean;
  /** Reasons of the module's that hold a group down. */
  readonly reasons: readonly GroupReason[];
  readonly checks: readonly TerminusCheckInput[];
  /** Whether the caller sees messages and data. */
  readonly admitted: boolean;
}

/**
 * The Terminus-shaped body of an answer.
 *
 * @internal
 */
export function toTerminusBody(answer: TerminusAnswer): TerminusHealthBody {
  const info: Record<string, TerminusCheckEntry> = {};
  const error: Record<string, TerminusCheckEntry> = {};
  const details: Record<string, TerminusCheckEntry> = {};
  for (const check of answer.checks) {
    const status = check.status === 'up' || check.status === 'degraded' ? 'up' : 'down';
    const entry: Record<string, unknown> = answer.admitted ? { ...(check.data ?? {}) } : {};
    if (answer.admitted) {
      const message = check.message ?? (check.status === 'unknown' ? 'no result yet' : null);
      if (message !== null) entry.message = message;
    }
    entry.status = status; // as Terminus: `status` wins over a data key of that name
    (status === 'up' ? info : error)[check.name] = entry as TerminusCheckEntry;
    details[check.name] = entry as TerminusCheckEntry;
  }
  let status: TerminusStatus = answer.passed ? 'ok' : 'error';
  if (answer.reasons.includes('shutting_down')) status = 'shutting_down';
  return { status, info, error, details };
}

import type { IndicatorStatus } from '../check';
import { LIVENESS } from '../engine/aggregation';
import type { GroupReason } from '../engine/health-state.types';

/** The failure reason shown to callers that the details policy does not admit. */
export const REASON_WITHHELD = 'reason withheld';

/** One check in a verbose answer. @internal */
export interface VerboseCheck {
  readonly name: string;
  readonly status: IndicatorStatus;
  readonly critical: boolean;
  /** The last run's sanitized message, or `null`. */
  readonly message: string | null;
  /** Left out at the caller's request (`?exclude=`). */
  readonly excluded?: boolean;
  /** Registered at run time and not counted in its groups until its first result. */
  readonly joining?: boolean;
}

/** What a verbose answer says. @internal */
export interface VerboseAnswer {
  /** The group the checks belong to (decides how `unknown` reads). */
  readonly group: string;
  /** `readyz`, `livez`, `startupz`, a custom group's name, or a check's name. */
  readonly title: string;
  readonly passed: boolean;
  readonly reason: GroupReason | null;
  readonly checks: readonly VerboseCheck[];
  readonly warnings: readonly string[];
  /** Whether failure reasons may be shown; otherwise they read "reason withheld". */
  readonly admitted: boolean;
}

const MODULE_REASONS: Readonly<Record<GroupReason, string>> = {
  starting: '[-]bootstrap failed: the application is starting',
  shutting_down: '[-]shutdown failed: the application is shutting down',
};

/**
 * The plain-text answer of a probe asked with `?verbose`, in the format of the Kubernetes API
 * server's `/readyz?verbose`:
 *
 * ```text
 * [+]database ok
 * [-]redis failed: reason withheld
 * [+]queue degraded: reason withheld
 * [+]cache excluded: ok
 * warn: some health checks cannot be excluded: no matches for "x"
 * readyz check failed
 * ```
 *
 * `[+]` marks a check that does not fail the probe by itself, `[-]` one that does. A reason of
 * the module's comes first (`[-]shutdown failed: the application is shutting down`, `[-]bootstrap
 * failed: the application is starting`). Messages were sanitized when recorded.
 *
 * @internal
 */
export function formatVerbose(answer: VerboseAnswer): string {
  const lines: string[] = [];
  if (answer.reason) lines.push(MODULE_REASONS[answer.reason]);
  for (const check of answer.checks) lines.push(checkLine(check, answer));
  for (const warning of answer.warnings) lines.push(`warn: ${warning}`);
  lines.push(`${answer.title} check ${answer.passed ? 'passed' : 'failed'}`);
  return `${lines.join('\n')}\n`;
}

function checkLine(check: VerboseCheck, answer: VerboseAnswer): string {
  const { name } = check;
  if (check.excluded) return `[+]${name} excluded: ok`;
  const reason = answer.admitted ? (check.message ?? 'no reason given') : REASON_WITHHELD;
  switch (check.status) {
    case 'up':
      return `[+]${name} ok`;
    case 'degraded':
      return `[+]${name} degraded: ${reason}`;
    case 'down':
      return check.critical
        ? `[-]${name} failed: ${reason}`
        : `[+]${name} failed (non-critical): ${reason}`;
    case 'unknown':
      if (check.joining) return `[+]${name} pending: no result yet, not counted until its first`;
      return answer.group === LIVENESS
        ? `[+]${name} ok: no result yet`
        : `[-]${name} failed: no result yet`;
  }
}

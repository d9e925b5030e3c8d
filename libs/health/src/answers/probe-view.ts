import type { HealthStatus, IndicatorStatus } from '../check';
import { aggregateGroup, LIVENESS, READINESS, STARTUP } from '../engine/aggregation';
import type { GroupReason, GroupState } from '../engine/health-state.types';

/**
 * What one probe answer shows of a group: its status once the `exclude`d checks are left out,
 * the members it shows, and the names that matched no member.
 *
 * @internal
 */
export interface GroupView {
  readonly status: HealthStatus;
  readonly reason: GroupReason | null;
  /** Members shown, by name, in the group's order. */
  readonly checks: Readonly<Record<string, { readonly status: IndicatorStatus }>>;
  /** Members left out at the caller's request. */
  readonly excluded: readonly string[];
  /** Names to exclude that are not members of the group. */
  readonly unmatched: readonly string[];
}

/**
 * The view of `group` without the checks named in `exclude`, as the Kubernetes API server
 * applies `?exclude=`: excluded checks do not count towards the status. A reason of the
 * module's (`starting`, `shutting_down`) holds whatever is excluded, and a latched startup
 * group stays up.
 *
 * @param isCritical - whether a member is critical (its `down` is not softened to `degraded`).
 * @internal
 */
export function viewGroup(
  group: GroupState,
  exclude: readonly string[] | undefined,
  isCritical: (name: string) => boolean,
): GroupView {
  if (!exclude || exclude.length === 0) {
    return {
      status: group.status,
      reason: group.reason,
      checks: group.checks,
      excluded: [],
      unmatched: [],
    };
  }
  const wanted = new Set(exclude);
  const checks: Record<string, { readonly status: IndicatorStatus }> = {};
  const excluded: string[] = [];
  for (const [name, check] of Object.entries(group.checks)) {
    if (wanted.has(name)) excluded.push(name);
    else checks[name] = check;
  }
  const unmatched = [...wanted].filter((name) => !(name in group.checks));
  let status = group.status;
  if (
    excluded.length > 0 &&
    group.reason === null &&
    !(group.name === STARTUP && status === 'up')
  ) {
    status = aggregateGroup(
      group.name,
      Object.entries(checks).map(([name, check]) => ({
        status: check.status,
        critical: isCritical(name),
      })),
    );
  }
  return { status, reason: group.reason, checks, excluded, unmatched };
}

/**
 * What one member contributes to its group, as a status: `unknown` counts as `up` for liveness
 * and `down` elsewhere; a non-critical member's `down` counts as `degraded`.
 *
 * @internal
 */
export function memberStatus(
  group: string,
  status: IndicatorStatus,
  critical: boolean,
): HealthStatus {
  return aggregateGroup(group, [{ status, critical }]);
}

/**
 * The warning the Kubernetes API server gives for `?exclude=` names that match no check.
 *
 * @internal
 */
export function unmatchedWarning(unmatched: readonly string[]): string {
  return `some health checks cannot be excluded: no matches for ${unmatched.map((name) => `"${name}"`).join(', ')}`;
}

/**
 * The name a probe goes by in the last line of a verbose answer: `livez`, `readyz` and
 * `startupz` for the built-in groups (as the Kubernetes API server names its own), the group's
 * name otherwise.
 *
 * @internal
 */
export function probeTitle(group: string): string {
  if (group === LIVENESS) return 'livez';
  if (group === READINESS) return 'readyz';
  if (group === STARTUP) return 'startupz';
  return group;
}

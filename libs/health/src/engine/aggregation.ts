import type { HealthStatus, IndicatorStatus } from '../check';

/** The liveness group: is the process worth keeping? A failing liveness probe restarts the pod. */
export const LIVENESS = 'liveness';
/** The readiness group: may the pod receive traffic? A failing readiness probe takes it out. */
export const READINESS = 'readiness';
/** The startup group: has the app started? It latches up once, then stays up. */
export const STARTUP = 'startup';
/** The groups that always exist, whether or not an indicator names them. */
export const BUILT_IN_GROUPS: readonly string[] = [LIVENESS, READINESS, STARTUP];

const SEVERITY: Readonly<Record<HealthStatus, number>> = { up: 0, degraded: 1, down: 2 };

/** The worse of two statuses: down > degraded > up. */
export function worst(a: HealthStatus, b: HealthStatus): HealthStatus {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

/** What an indicator contributes to a group. */
export interface GroupMember {
  readonly status: IndicatorStatus;
  readonly critical: boolean;
}

/**
 * The status of a group: the worst of its members' contributions. A non-critical member's `down`
 * counts as `degraded`. `unknown` (no result yet) counts as `up` for liveness (a process that
 * has not checked yet is alive) and as `down` for every other group (fail closed until the
 * first result). An empty group is `up`.
 */
export function aggregateGroup(group: string, members: Iterable<GroupMember>): HealthStatus {
  const unknownAs: HealthStatus = group === LIVENESS ? 'up' : 'down';
  let status: HealthStatus = 'up';
  for (const member of members) {
    let contribution: HealthStatus = member.status === 'unknown' ? unknownAs : member.status;
    if (contribution === 'down' && !member.critical) contribution = 'degraded';
    status = worst(status, contribution);
    if (status === 'down') break;
  }
  return status;
}

/** The counters that hysteresis keeps per indicator. */
export interface HysteresisState {
  readonly status: IndicatorStatus;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
}

/**
 * Applies one observed result to an indicator's effective status, as the kubelet applies probe
 * results: `failureThreshold` consecutive `down` results turn an up (or degraded) indicator
 * `down`; `successThreshold` consecutive non-down results turn a down indicator up (or degraded,
 * as observed). Between up and degraded the change is immediate, and the first result after
 * `unknown` is taken as it is.
 */
export function applyHysteresis(
  previous: HysteresisState,
  observed: HealthStatus,
  thresholds: { readonly failureThreshold: number; readonly successThreshold: number },
): HysteresisState {
  if (observed === 'down') {
    const consecutiveFailures = previous.consecutiveFailures + 1;
    const turnsDown =
      previous.status === 'unknown' ||
      previous.status === 'down' ||
      consecutiveFailures >= thresholds.failureThreshold;
    return {
      status: turnsDown ? 'down' : previous.status,
      consecutiveFailures,
      consecutiveSuccesses: 0,
    };
  }
  const consecutiveSuccesses = previous.consecutiveSuccesses + 1;
  const staysDown =
    previous.status === 'down' && consecutiveSuccesses < thresholds.successThreshold;
  return {
    status: staysDown ? 'down' : observed,
    consecutiveFailures: 0,
    consecutiveSuccesses,
  };
}

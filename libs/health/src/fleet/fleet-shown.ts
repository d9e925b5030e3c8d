import type {
  FleetCheckSnapshot,
  FleetInstanceView,
  FleetTransition,
  FleetView,
} from './fleet.types';

/**
 * What a caller the details policy does not admit sees of the fleet: every replica's name,
 * status, readiness and age, and the statuses of its groups and indicators; no messages,
 * latencies, versions or process facts (as `GET /<path>` shows such a caller statuses only).
 *
 * @internal
 */
export function withheldFleetView(view: FleetView): FleetView {
  return { ...view, instances: view.instances.map(withheldInstance) };
}

/** A replica as a caller not admitted to details sees it (see {@link withheldFleetView}). @internal */
export function withheldInstance(instance: FleetInstanceView): FleetInstanceView {
  const snapshot = instance.snapshot;
  if (snapshot === null) return instance;
  const checks: Record<string, FleetCheckSnapshot> = {};
  for (const [name, check] of Object.entries(snapshot.checks)) {
    checks[name] = { status: check.status, since: check.since, durationMs: null };
  }
  const shown = { ...snapshot, version: null, checks };
  delete shown.process;
  return { ...instance, snapshot: shown };
}

/** A transition without its message, for a caller not admitted to details. @internal */
export function withheldTransition(transition: FleetTransition): FleetTransition {
  if (transition.message === undefined) return transition;
  const shown = { ...transition };
  delete shown.message;
  return shown;
}

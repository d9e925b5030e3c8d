import type { HealthStatus, IndicatorStatus } from '../check';
import { policyName, type ResolvedFleetPolicy } from './fleet.options';
import {
  FLEET_SNAPSHOT_VERSION,
  type FleetInstanceSnapshot,
  type FleetInstanceView,
  type FleetSummary,
  type FleetView,
} from './fleet.types';

/** One entry of the index with its snapshot's JSON (or `null` once it expired). @internal */
export interface FleetIndexEntry {
  readonly instance: string;
  /** Last publish, milliseconds since the epoch (the index's score). */
  readonly lastSeenMs: number;
  readonly json: string | null;
}

/**
 * The fleet view from the index and the snapshots read with it.
 *
 * @param ttlMs - a replica that has not published for this long is stale.
 * @param nowMs - the time of the read.
 * @internal
 */
export function buildFleetView(
  service: string,
  entries: readonly FleetIndexEntry[],
  policy: ResolvedFleetPolicy,
  ttlMs: number,
  nowMs: number,
  parse: (json: string | null) => FleetInstanceSnapshot | null = parseSnapshot,
): FleetView {
  const instances = entries
    .map((entry) => instanceView(entry, ttlMs, nowMs, parse))
    .sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
  const summary = summarize(instances);
  return {
    service,
    status: fleetStatus(instances, summary, policy),
    policy: policyName(policy),
    timestamp: new Date(nowMs).toISOString(),
    available: true,
    ageMs: 0,
    summary,
    instances,
  };
}

function instanceView(
  entry: FleetIndexEntry,
  ttlMs: number,
  nowMs: number,
  parse: (json: string | null) => FleetInstanceSnapshot | null,
): FleetInstanceView {
  const snapshot = parse(entry.json);
  const ageMs = Math.max(0, nowMs - entry.lastSeenMs);
  const stale = snapshot === null || ageMs > ttlMs;
  const terminating = snapshot?.terminating === true;
  return {
    instance: entry.instance,
    status: stale || snapshot === null ? 'unknown' : snapshot.status,
    ready: !stale && snapshot !== null && snapshot.serving && !terminating,
    lastSeen: new Date(entry.lastSeenMs).toISOString(),
    ageMs,
    stale,
    terminating,
    snapshot: stale ? null : snapshot,
  };
}

/**
 * A snapshot of this version, or `null` for none, unreadable JSON or another version.
 *
 * @internal
 */
export function parseSnapshot(json: string | null): FleetInstanceSnapshot | null {
  if (json === null) return null;
  try {
    const parsed = JSON.parse(json) as Partial<FleetInstanceSnapshot> | null;
    if (parsed === null || typeof parsed !== 'object' || parsed.v !== FLEET_SNAPSHOT_VERSION) {
      return null;
    }
    return parsed as FleetInstanceSnapshot;
  } catch {
    return null;
  }
}

function summarize(instances: readonly FleetInstanceView[]): FleetSummary {
  const byStatus: Record<IndicatorStatus, number> = { up: 0, degraded: 0, down: 0, unknown: 0 };
  let ready = 0;
  let stale = 0;
  let terminating = 0;
  for (const instance of instances) {
    byStatus[instance.status] += 1;
    if (instance.ready) ready += 1;
    if (instance.stale) stale += 1;
    if (instance.terminating) terminating += 1;
  }
  return { instances: instances.length, ready, byStatus, stale, terminating };
}

/**
 * The fleet's status under `policy` (see `FleetPolicy`). A fleet with no replica is `down`: no
 * replica takes traffic.
 *
 * @internal
 */
export function fleetStatus(
  instances: readonly FleetInstanceView[],
  summary: FleetSummary,
  policy: ResolvedFleetPolicy,
): HealthStatus {
  const total = instances.length;
  if (total === 0) return 'down';
  const allUp = instances.every((instance) => instance.status === 'up' && !instance.terminating);
  switch (policy.kind) {
    case 'all':
      if (instances.some((instance) => instance.status === 'down' || instance.stale)) return 'down';
      return allUp ? 'up' : 'degraded';
    case 'any':
      if (instances.some((instance) => instance.status === 'up' && instance.ready)) return 'up';
      return summary.ready > 0 ? 'degraded' : 'down';
    case 'quorum':
      if (summary.ready < policy.share * total) return 'down';
      return allUp ? 'up' : 'degraded';
    default:
      if (summary.ready === 0) return 'down';
      return allUp ? 'up' : 'degraded';
  }
}

/**
 * The view narrowed by the `?indicator=` and `?status=` filters. `indicator` keeps, of each
 * replica that has it, only that indicator (replicas without it, and stale ones, are left out);
 * `status` keeps the replicas of that status, or with `indicator` the replicas whose indicator
 * has that status. The summary and the fleet's status stay those of the whole fleet.
 *
 * @internal
 */
export function filterFleetView(
  view: FleetView,
  filter: { readonly indicator?: string; readonly status?: IndicatorStatus },
): FleetView {
  const { indicator, status } = filter;
  if (indicator === undefined && status === undefined) return view;
  const instances: FleetInstanceView[] = [];
  for (const instance of view.instances) {
    if (indicator === undefined) {
      if (instance.status === status) instances.push(instance);
      continue;
    }
    const check = instance.snapshot?.checks[indicator];
    if (instance.snapshot === null || check === undefined) continue;
    if (status !== undefined && check.status !== status) continue;
    instances.push({
      ...instance,
      snapshot: { ...instance.snapshot, checks: { [indicator]: check } },
    });
  }
  return { ...view, instances };
}

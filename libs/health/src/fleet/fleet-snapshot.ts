import { hostname } from 'node:os';
import type { HealthSnapshot } from '../engine/health-state.types';
import { MAX_DATA_BYTES } from '../engine/sanitize';
import {
  FLEET_SNAPSHOT_VERSION,
  type FleetCheckSnapshot,
  type FleetGroupSnapshot,
  type FleetInstanceSnapshot,
} from './fleet.types';

/** Who publishes: the replica's identity and the facts that do not change. @internal */
export interface FleetIdentity {
  readonly service: string;
  readonly instance: string;
  readonly version: string | null;
  readonly startedAt: string;
}

/** A replica's uptime percentages of one indicator (see {@link FleetCheckSnapshot}). @internal */
export interface FleetCheckUptime {
  readonly uptime1hPercent: number | null;
  readonly uptime24hPercent: number | null;
}

/** The most bytes of one published snapshot: the cap of one indicator's data. @internal */
export const MAX_SNAPSHOT_BYTES = MAX_DATA_BYTES;

/**
 * The JSON a replica publishes, from its state: statuses, since, latency, messages (already
 * sanitized and redacted by the engine) and, with history on, each check's uptime over 1 h and
 * 24 h (`uptime`); never data. Within {@link MAX_SNAPSHOT_BYTES}: past it, messages are left
 * out, then checks (the groups and counts stay), and `truncated` says so.
 *
 * @internal
 */
export function fleetSnapshotJson(
  identity: FleetIdentity,
  state: HealthSnapshot,
  seq: number,
  terminating: boolean,
  now: Date,
  uptime?: (name: string) => FleetCheckUptime | undefined,
): string {
  const groups: Record<string, FleetGroupSnapshot> = {};
  for (const [name, group] of Object.entries(state.groups)) {
    groups[name] = group.reason
      ? { status: group.status, since: group.since, reason: group.reason }
      : { status: group.status, since: group.since };
  }
  const checks: Record<string, FleetCheckSnapshot> = {};
  for (const [name, check] of Object.entries(state.checks)) {
    checks[name] = {
      status: check.status,
      since: check.since,
      durationMs: check.durationMs === null ? null : Math.round(check.durationMs * 10) / 10,
      ...uptime?.(name),
      ...(check.message === null ? {} : { message: check.message }),
    };
  }
  const readiness = state.groups.readiness;
  const snapshot: FleetInstanceSnapshot = {
    v: FLEET_SNAPSHOT_VERSION,
    service: identity.service,
    instance: identity.instance,
    seq,
    status: state.status,
    serving: readiness === undefined || readiness.status !== 'down',
    terminating,
    publishedAt: now.toISOString(),
    startedAt: identity.startedAt,
    version: identity.version,
    groups,
    checks,
    process: {
      pid: process.pid,
      hostname: hostname(),
      node: process.version,
      rssBytes: process.memoryUsage.rss(),
      uptimeSeconds: Math.floor(process.uptime()),
    },
  };
  const json = JSON.stringify(snapshot);
  if (Buffer.byteLength(json) <= MAX_SNAPSHOT_BYTES) return json;
  const bare: Record<string, FleetCheckSnapshot> = {};
  for (const [name, check] of Object.entries(checks)) {
    const kept: FleetCheckSnapshot = { ...check };
    delete (kept as { message?: string }).message;
    bare[name] = kept;
  }
  const withoutMessages = JSON.stringify({ ...snapshot, checks: bare, truncated: true });
  if (Buffer.byteLength(withoutMessages) <= MAX_SNAPSHOT_BYTES) return withoutMessages;
  return JSON.stringify({ ...snapshot, checks: {}, truncated: true });
}

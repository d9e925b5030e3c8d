import type { HealthStatus } from '../check';
import { buildFleetView, filterFleetView, type FleetIndexEntry } from './fleet-view';
import type { ResolvedFleetPolicy } from './fleet.options';
import type { FleetInstanceSnapshot } from './fleet.types';

const NOW = Date.parse('2026-12-06T10:00:00.000Z');
const TTL = 15_000;

function snapshot(
  instance: string,
  status: HealthStatus,
  more: Partial<FleetInstanceSnapshot> = {},
): string {
  const value: FleetInstanceSnapshot = {
    v: 1,
    service: 'orders',
    instance,
    seq: 1,
    status,
    serving: status !== 'down',
    terminating: false,
    publishedAt: new Date(NOW).toISOString(),
    startedAt: new Date(NOW - 60_000).toISOString(),
    version: '1.0.0',
    groups: { readiness: { status, since: new Date(NOW).toISOString() } },
    checks: {
      database: { status, since: new Date(NOW).toISOString(), durationMs: 1.5 },
      cache: { status: 'up', since: new Date(NOW).toISOString(), durationMs: 0.4 },
    },
    process: { pid: 1, hostname: instance, node: 'v20', rssBytes: 1, uptimeSeconds: 60 },
    ...more,
  };
  return JSON.stringify(value);
}

function entry(instance: string, json: string | null, ageMs = 1_000): FleetIndexEntry {
  return { instance, lastSeenMs: NOW - ageMs, json };
}

function view(entries: FleetIndexEntry[], policy: ResolvedFleetPolicy = { kind: 'default' }) {
  return buildFleetView('orders', entries, policy, TTL, NOW);
}

describe('the fleet view', () => {
  it('shows each replica with its age, sorted by name, and counts them', () => {
    const built = view([entry('b', snapshot('b', 'down')), entry('a', snapshot('a', 'up'), 2_500)]);
    expect(
      built.instances.map((instance) => [instance.instance, instance.status, instance.ageMs]),
    ).toEqual([
      ['a', 'up', 2_500],
      ['b', 'down', 1_000],
    ]);
    expect(built.summary).toEqual({
      instances: 2,
      ready: 1,
      byStatus: { up: 1, degraded: 0, down: 1, unknown: 0 },
      stale: 0,
      terminating: 0,
    });
    expect(built).toMatchObject({
      service: 'orders',
      available: true,
      ageMs: 0,
      policy: 'default',
    });
    expect(built.instances[0].lastSeen).toBe('2026-12-06T09:59:57.500Z');
  });

  it('marks a replica stale past the TTL, or when its snapshot expired, and never ready', () => {
    const built = view([
      entry('expired', null, 16_000),
      entry('late', snapshot('late', 'up'), TTL + 1),
      entry('just-in-time', snapshot('just-in-time', 'up'), TTL),
    ]);
    const byName = Object.fromEntries(
      built.instances.map((instance) => [instance.instance, instance]),
    );
    expect(byName.expired).toMatchObject({
      stale: true,
      status: 'unknown',
      ready: false,
      snapshot: null,
    });
    expect(byName.late).toMatchObject({
      stale: true,
      status: 'unknown',
      ready: false,
      snapshot: null,
    });
    expect(byName['just-in-time']).toMatchObject({ stale: false, status: 'up', ready: true });
    expect(built.summary.stale).toBe(2);
  });

  it('reads a snapshot of another version, or unreadable JSON, as unknown', () => {
    const built = view([
      entry('next', snapshot('next', 'up', { v: 2 })),
      entry('garbage', '{not json'),
    ]);
    expect(built.instances.map((instance) => instance.status)).toEqual(['unknown', 'unknown']);
    expect(built.instances.every((instance) => instance.stale && !instance.ready)).toBe(true);
  });

  it('counts a terminating replica as not ready', () => {
    const built = view([entry('leaving', snapshot('leaving', 'up', { terminating: true }))]);
    expect(built.instances[0]).toMatchObject({ terminating: true, ready: false, status: 'up' });
    expect(built.summary.terminating).toBe(1);
  });
});

describe('the fleet status', () => {
  const fleet = (...statuses: Array<HealthStatus | 'stale' | 'terminating'>) =>
    statuses.map((status, index) => {
      const name = `r${index}`;
      if (status === 'stale') return entry(name, null, TTL + 1);
      if (status === 'terminating') return entry(name, snapshot(name, 'up', { terminating: true }));
      return entry(name, snapshot(name, status));
    });
  const statusOf = (policy: ResolvedFleetPolicy, ...statuses: Parameters<typeof fleet>) =>
    view(fleet(...statuses), policy).status;

  it('is down with no replica at all, whatever the policy', () => {
    for (const kind of ['default', 'all', 'any'] as const) expect(statusOf({ kind })).toBe('down');
    expect(statusOf({ kind: 'quorum', share: 0.5 })).toBe('down');
  });

  it('default: down only when no replica is ready, degraded when any is not up', () => {
    const policy = { kind: 'default' } as const;
    expect(statusOf(policy, 'up', 'up')).toBe('up');
    expect(statusOf(policy, 'up', 'down')).toBe('degraded');
    expect(statusOf(policy, 'up', 'stale')).toBe('degraded');
    expect(statusOf(policy, 'up', 'terminating')).toBe('degraded');
    expect(statusOf(policy, 'degraded', 'down')).toBe('degraded');
    expect(statusOf(policy, 'down', 'stale', 'terminating')).toBe('down');
  });

  it('all: down when any replica is down or stale, degraded when any is degraded or terminating', () => {
    const policy = { kind: 'all' } as const;
    expect(statusOf(policy, 'up', 'up')).toBe('up');
    expect(statusOf(policy, 'up', 'down')).toBe('down');
    expect(statusOf(policy, 'up', 'stale')).toBe('down');
    expect(statusOf(policy, 'up', 'degraded')).toBe('degraded');
    expect(statusOf(policy, 'up', 'terminating')).toBe('degraded');
  });

  it('any: up when any replica is up and ready, degraded when one is ready, else down', () => {
    const policy = { kind: 'any' } as const;
    expect(statusOf(policy, 'up', 'down')).toBe('up');
    expect(statusOf(policy, 'degraded', 'down')).toBe('degraded');
    expect(statusOf(policy, 'terminating', 'down')).toBe('down');
    expect(statusOf(policy, 'down', 'stale')).toBe('down');
  });

  it('quorum: down below the share of ready replicas (stale ones counted in the whole)', () => {
    const policy = { kind: 'quorum', share: 0.5 } as const;
    expect(statusOf(policy, 'up', 'up', 'down', 'down')).toBe('degraded');
    expect(statusOf(policy, 'up', 'down', 'down')).toBe('down');
    expect(statusOf(policy, 'up', 'stale', 'stale')).toBe('down');
    expect(statusOf(policy, 'up', 'up')).toBe('up');
    expect(view(fleet('up'), policy).policy).toBe('quorum:0.5');
  });
});

describe('the fleet filters', () => {
  const built = view([
    entry('a', snapshot('a', 'up')),
    entry('b', snapshot('b', 'down')),
    entry('c', snapshot('c', 'up', { checks: {} })),
    entry('gone', null, TTL + 1),
  ]);

  it('keep everything without a filter', () => {
    expect(filterFleetView(built, {})).toBe(built);
  });

  it('keep the replicas of a status', () => {
    const filtered = filterFleetView(built, { status: 'up' });
    expect(filtered.instances.map((instance) => instance.instance)).toEqual(['a', 'c']);
    expect(filterFleetView(built, { status: 'unknown' }).instances.map((i) => i.instance)).toEqual([
      'gone',
    ]);
  });

  it('keep one indicator of the replicas that have it, by its status with status', () => {
    const filtered = filterFleetView(built, { indicator: 'database' });
    expect(filtered.instances.map((instance) => instance.instance)).toEqual(['a', 'b']);
    expect(Object.keys(filtered.instances[0].snapshot!.checks)).toEqual(['database']);
    const down = filterFleetView(built, { indicator: 'database', status: 'down' });
    expect(down.instances.map((instance) => instance.instance)).toEqual(['b']);
    // The cache is up on b: filtering by its status looks at the cache, not at b.
    const cacheUp = filterFleetView(built, { indicator: 'cache', status: 'up' });
    expect(cacheUp.instances.map((instance) => instance.instance)).toEqual(['a', 'b']);
  });

  it('keep the summary and status of the whole fleet', () => {
    const filtered = filterFleetView(built, { status: 'down' });
    expect(filtered.summary).toEqual(built.summary);
    expect(filtered.status).toBe(built.status);
  });
});

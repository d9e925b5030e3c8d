import type { HealthSnapshot, IndicatorState } from '../engine/health-state.types';
import { fleetSnapshotJson, MAX_SNAPSHOT_BYTES } from './fleet-snapshot';
import { withheldInstance } from './fleet-shown';
import type { FleetInstanceSnapshot } from './fleet.types';

const IDENTITY = {
  service: 'orders',
  instance: 'orders-1',
  version: '1.0.0',
  startedAt: '2026-12-06T09:00:00.000Z',
};
const NOW = new Date('2026-12-06T10:00:00.000Z');

function indicator(name: string, message: string | null): IndicatorState {
  return {
    name,
    status: message === null ? 'up' : 'down',
    observed: message === null ? 'up' : 'down',
    critical: true,
    groups: ['readiness'],
    mode: 'background',
    message,
    data: { secretive: 'never published' },
    since: '2026-12-06T09:59:00.000Z',
    lastCheckedAt: '2026-12-06T09:59:59.000Z',
    durationMs: 12.345,
    timedOut: false,
    consecutiveFailures: 0,
    consecutiveSuccesses: 1,
  };
}

function state(checks: IndicatorState[], readiness: 'up' | 'down' = 'up'): HealthSnapshot {
  return {
    status: readiness,
    timestamp: NOW.toISOString(),
    checks: Object.fromEntries(checks.map((check) => [check.name, check])),
    groups: {
      liveness: {
        name: 'liveness',
        status: 'up',
        since: NOW.toISOString(),
        reason: null,
        checks: {},
      },
      readiness: {
        name: 'readiness',
        status: readiness,
        since: NOW.toISOString(),
        reason: readiness === 'down' ? 'shutting_down' : null,
        checks: {},
      },
    },
  };
}

const parse = (json: string) => JSON.parse(json) as FleetInstanceSnapshot;

describe('the published snapshot', () => {
  it('holds statuses, since, latency and messages, never data', () => {
    const json = fleetSnapshotJson(
      IDENTITY,
      state([indicator('database', 'timed out')]),
      7,
      false,
      NOW,
    );
    const snapshot = parse(json);
    expect(snapshot).toMatchObject({
      v: 1,
      service: 'orders',
      instance: 'orders-1',
      seq: 7,
      status: 'up',
      serving: true,
      terminating: false,
      publishedAt: NOW.toISOString(),
      startedAt: IDENTITY.startedAt,
      version: '1.0.0',
      checks: {
        database: {
          status: 'down',
          since: '2026-12-06T09:59:00.000Z',
          durationMs: 12.3,
          message: 'timed out',
        },
      },
      groups: { readiness: { status: 'up' }, liveness: { status: 'up' } },
      process: { pid: process.pid, node: process.version },
    });
    expect(json).not.toContain('secretive');
    expect(snapshot.truncated).toBeUndefined();
  });

  it('says why readiness is down, and that the replica no longer serves', () => {
    const snapshot = parse(fleetSnapshotJson(IDENTITY, state([], 'down'), 1, true, NOW));
    expect(snapshot.groups.readiness).toEqual({
      status: 'down',
      since: NOW.toISOString(),
      reason: 'shutting_down',
    });
    expect(snapshot).toMatchObject({ serving: false, terminating: true });
  });

  it('stays within the byte cap: messages go first, then indicators', () => {
    const long = 'x'.repeat(290);
    const many = Array.from({ length: 80 }, (_, index) => indicator(`check-${index}`, long));
    const withoutMessages = parse(fleetSnapshotJson(IDENTITY, state(many), 1, false, NOW));
    expect(withoutMessages.truncated).toBe(true);
    expect(Object.keys(withoutMessages.checks)).toHaveLength(80);
    expect(
      Object.values(withoutMessages.checks).every((check) => check.message === undefined),
    ).toBe(true);
    const huge = Array.from({ length: 400 }, (_, index) =>
      indicator(`a-rather-long-check-name-${index}`, long),
    );
    const json = fleetSnapshotJson(IDENTITY, state(huge), 1, false, NOW);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(MAX_SNAPSHOT_BYTES);
    expect(parse(json)).toMatchObject({
      truncated: true,
      checks: {},
      groups: { readiness: { status: 'up' } },
    });
  });

  it("carries each check's uptime over 1 h and 24 h, kept when messages go for the cap", () => {
    const uptime = (name: string) =>
      name === 'database' ? { uptime1hPercent: 98.5, uptime24hPercent: 99.931 } : undefined;
    const snapshot = parse(
      fleetSnapshotJson(IDENTITY, state([indicator('database', 'slow')]), 1, false, NOW, uptime),
    );
    expect(snapshot.checks.database).toEqual({
      status: 'down',
      since: '2026-12-06T09:59:00.000Z',
      durationMs: 12.3,
      uptime1hPercent: 98.5,
      uptime24hPercent: 99.931,
      message: 'slow',
    });
    const long = 'x'.repeat(290);
    const many = Array.from({ length: 80 }, (_, index) => indicator(`check-${index}`, long));
    const all = () => ({ uptime1hPercent: 100, uptime24hPercent: null });
    const capped = parse(fleetSnapshotJson(IDENTITY, state(many), 1, false, NOW, all));
    expect(capped.truncated).toBe(true);
    expect(capped.checks['check-0']).toEqual({
      status: 'down',
      since: '2026-12-06T09:59:00.000Z',
      durationMs: 12.3,
      uptime1hPercent: 100,
      uptime24hPercent: null,
    });
    // A caller the details policy does not admit sees statuses only.
    const shown = withheldInstance({
      instance: 'orders-1',
      status: 'up',
      ready: true,
      lastSeen: NOW.toISOString(),
      ageMs: 0,
      stale: false,
      terminating: false,
      snapshot,
    });
    expect(shown.snapshot?.checks.database).toEqual({
      status: 'down',
      since: '2026-12-06T09:59:00.000Z',
      durationMs: null,
    });
  });
});

import { FleetBodies } from './fleet-body';
import { buildFleetView } from './fleet-view';

const NOW = Date.parse('2026-12-06T10:00:00.000Z');

function snapshotJson(instance: string, status: 'up' | 'down'): string {
  return JSON.stringify({
    v: 1,
    service: 'orders',
    instance,
    seq: 3,
    status,
    serving: status === 'up',
    terminating: false,
    publishedAt: new Date(NOW).toISOString(),
    startedAt: new Date(NOW - 1_000).toISOString(),
    version: '2.0.0',
    groups: { readiness: { status, since: new Date(NOW).toISOString() } },
    checks: { db: { status, since: new Date(NOW).toISOString(), durationMs: 2, message: 'm' } },
    process: { pid: 7, hostname: instance, node: 'v20', rssBytes: 1, uptimeSeconds: 1 },
  });
}

const view = buildFleetView(
  'orders',
  [
    { instance: 'a', lastSeenMs: NOW - 10, json: snapshotJson('a', 'up') },
    { instance: 'b', lastSeenMs: NOW - 20, json: snapshotJson('b', 'down') },
  ],
  { kind: 'default' },
  15_000,
  NOW,
);

describe('the fleet bodies', () => {
  it('serialize the view as it is, with its age when sent', () => {
    const bodies = new FleetBodies();
    const body = JSON.parse(bodies.json(view, {}, true, NOW + 42)) as Record<string, unknown>;
    expect(body).toEqual({ ...JSON.parse(JSON.stringify(view)), ageMs: 42 });
    // The replicas' own ages are those of the read.
    expect((body.instances as Array<{ ageMs: number }>).map((i) => i.ageMs)).toEqual([10, 20]);
  });

  it('narrow and withhold as the caller and the filter say', () => {
    const bodies = new FleetBodies();
    const down = JSON.parse(bodies.json(view, { status: 'down' }, true, NOW)) as {
      instances: Array<{ instance: string }>;
    };
    expect(down.instances.map((i) => i.instance)).toEqual(['b']);
    const withheld = bodies.json(view, {}, false, NOW);
    expect(withheld).not.toContain('"message"');
    expect(withheld).not.toContain('"process"');
    expect(bodies.json(view, {}, true, NOW)).toContain('"message":"m"');
  });

  it('serialize a view once per caller kind and filter, and again for a new view', () => {
    const bodies = new FleetBodies();
    const stringify = jest.spyOn(JSON, 'stringify');
    try {
      bodies.json(view, {}, true, NOW);
      bodies.json(view, {}, true, NOW + 50);
      bodies.json(view, {}, true, NOW + 99);
      expect(stringify).toHaveBeenCalledTimes(1);
      bodies.json(view, {}, false, NOW);
      bodies.json(view, { indicator: 'db' }, true, NOW);
      expect(stringify).toHaveBeenCalledTimes(3);
      bodies.json({ ...view }, {}, true, NOW);
      expect(stringify).toHaveBeenCalledTimes(4);
    } finally {
      stringify.mockRestore();
    }
  });

  it('name each answer with a weak tag that changes with the view, the caller and the age', () => {
    const bodies = new FleetBodies();
    const tag = (v: typeof view, admitted: boolean, now: number) =>
      bodies.answer(v, {}, admitted, now).etag;
    expect(tag(view, true, NOW + 5)).toMatch(/^W\/"fleet-[0-9a-z]+-a-5"$/);
    expect(tag(view, true, NOW + 5)).toBe(tag(view, true, NOW + 5));
    expect(tag(view, false, NOW + 5)).not.toBe(tag(view, true, NOW + 5));
    expect(tag(view, true, NOW + 6)).not.toBe(tag(view, true, NOW + 5));
    const later = { ...view, timestamp: new Date(NOW + 1_000).toISOString() };
    expect(tag(later, true, NOW + 1_005)).not.toBe(tag(view, true, NOW + 5));
  });
});

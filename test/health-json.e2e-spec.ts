import { down } from 'nest-health';
import type { Response } from 'supertest';
import { violationsOfHealthJsonDraft } from '../libs/health/spec-helpers/health-json-draft';
import { exampleApp, PROBE_TARGETS, type RunningExampleApp } from './helpers/example-app';
import { waitFor } from './helpers/wait-for';

const HEALTH_JSON = 'application/health+json';
const REASON = 'upstream unreachable: connect ECONNREFUSED 10.0.0.9:443';

/** What the specs read of an application/health+json answer. */
interface HealthJson {
  readonly status: string;
  readonly description: string;
  readonly notes?: string[];
  readonly checks: Record<string, Record<string, unknown>[]>;
}

/** The body of an answer, after checking it against every rule of the draft. */
function conforming(answer: Response): HealthJson {
  const body: unknown = JSON.parse(answer.text);
  const violations = violationsOfHealthJsonDraft({
    statusCode: answer.status,
    contentType: answer.headers['content-type'],
    body,
  });
  expect(violations).toEqual([]);
  expect(answer.headers['cache-control']).toBe('no-store');
  return body as HealthJson;
}

describe.each(PROBE_TARGETS)('on %s, Accept: application/health+json', (target) => {
  describe('from loopback (admitted to the details by the default policy)', () => {
    let app: RunningExampleApp;

    beforeAll(async () => {
      app = await exampleApp(target).start();
      app.registry.register(() => down(REASON, { attempts: 3 }), {
        name: 'upstream',
        intervalMs: 60_000,
      });
      await app.waitForCheck('upstream', 'down');
      await app.waitForCheck('redis', 'up');
      await app.waitForCheck('queue', 'up');
      await app.waitForCheck('database', 'up');
    });

    afterAll(async () => {
      await app?.close();
    });

    it('answers a failing probe 503 in the draft format, with readings and the reason', async () => {
      const answer = await app.get('/health/ready').set('Accept', HEALTH_JSON).expect(503);
      const body = conforming(answer);
      expect(body.status).toBe('fail');
      expect(body.description).toBe('readiness');
      expect(body.checks['upstream:responseTime']).toEqual([
        {
          componentId: 'upstream',
          componentType: 'component',
          observedValue: expect.any(Number),
          observedUnit: 'ms',
          status: 'fail',
          time: expect.any(String),
          output: REASON,
        },
      ]);
      expect(body.checks['database:responseTime']).toEqual([
        {
          componentId: 'database',
          componentType: 'component',
          observedValue: expect.any(Number),
          observedUnit: 'ms',
          status: 'pass',
          time: expect.any(String),
        },
      ]);
      // Redis's measurements from its data, with their units.
      expect(body.checks['redis:usedMemory']).toEqual([
        expect.objectContaining({ observedValue: expect.any(Number), observedUnit: 'bytes' }),
      ]);
    });

    it('answers 200 with pass once the failing check is excluded', async () => {
      const answer = await app
        .get('/health/ready?exclude=upstream&exclude=nope')
        .set('Accept', HEALTH_JSON)
        .expect(200);
      const body = conforming(answer);
      expect(body.status).toBe('pass');
      expect(Object.keys(body.checks)).not.toContain('upstream:responseTime');
      expect(body.notes).toEqual(['some health checks cannot be excluded: no matches for "nope"']);
    });

    it('answers the per-check routes, the aliases and liveness too', async () => {
      const check = conforming(
        await app.get('/readyz/database').set('Accept', HEALTH_JSON).expect(200),
      );
      expect(check.status).toBe('pass');
      expect(Object.keys(check.checks)).toEqual(['database:responseTime']);
      const live = conforming(await app.get('/health/live').set('Accept', HEALTH_JSON).expect(200));
      expect(live).toMatchObject({ status: 'pass', description: 'liveness', checks: {} });
    });

    it('answers GET /health 503 while anything is down: fail is never 2xx', async () => {
      const body = conforming(await app.get('/health').set('Accept', HEALTH_JSON).expect(503));
      expect(body).toMatchObject({ status: 'fail', description: 'every group' });
      expect(Object.keys(body.checks)).toEqual(
        expect.arrayContaining([
          'database:responseTime',
          'redis:responseTime',
          'queue:responseTime',
          'upstream:responseTime',
        ]),
      );
    });

    it("adds to GET /health each check's uptime, lastUp and lastDown from the history", async () => {
      const body = conforming(await app.get('/health').set('Accept', HEALTH_JSON).expect(503));
      // The database has been up since its first result; upstream down since its first.
      expect(body.checks['database:uptime1h']).toEqual([
        {
          componentId: 'database',
          componentType: 'component',
          observedValue: 100,
          observedUnit: 'percent',
          time: expect.any(String),
        },
      ]);
      expect(body.checks['database:uptime24h']?.[0]).toMatchObject({ observedValue: 100 });
      expect(body.checks['database:lastUp']).toEqual([
        {
          componentId: 'database',
          componentType: 'component',
          status: 'pass',
          time: expect.any(String),
        },
      ]);
      expect(body.checks['database:lastDown']).toBeUndefined();
      expect(body.checks['upstream:uptime1h']?.[0]).toMatchObject({ observedValue: 0 });
      expect(body.checks['upstream:lastDown']?.[0]).toMatchObject({ status: 'fail' });
      expect(body.checks['upstream:lastUp']).toBeUndefined();
      // The same figures as the module's own JSON.
      const json = (await app.get('/health').expect(200)).body as {
        checks: Record<string, { lastUp: string | null; lastDown: string | null }>;
      };
      expect(Date.parse(json.checks.upstream.lastDown!)).toBeGreaterThanOrEqual(
        Date.parse(String(body.checks['upstream:lastDown'][0].time)),
      );
      // The probes stay as they were: no history on the probe path.
      const ready = conforming(
        await app.get('/health/ready').set('Accept', HEALTH_JSON).expect(503),
      );
      expect(
        Object.keys(ready.checks).filter((key) => /:(uptime\d+h|lastUp|lastDown)$/.test(key)),
      ).toEqual([]);
      expect(Object.keys(ready.checks)).toContain('database:responseTime');
    });

    it('keeps the module JSON for every other Accept, and ?verbose text', async () => {
      for (const accept of [undefined, '*/*', 'application/json', `${HEALTH_JSON};q=0`]) {
        const call = app.get('/health/ready');
        const answer = await (accept ? call.set('Accept', accept) : call).expect(503);
        expect(answer.headers['content-type']).toMatch(/^application\/json/);
        expect(answer.body).toMatchObject({ status: 'down', group: 'readiness' });
      }
      const verbose = await app.get('/health/ready?verbose').set('Accept', HEALTH_JSON).expect(503);
      expect(verbose.headers['content-type']).toMatch(/^text\/plain/);
      expect(verbose.text).toContain(`[-]upstream failed: ${REASON}\n`);
    });
  });

  describe("for callers the details policy does not admit (details: 'never')", () => {
    let app: RunningExampleApp;

    beforeAll(async () => {
      app = await exampleApp(target).withHealthOptions({ details: 'never' }).start();
      app.registry.register(() => down(REASON), { name: 'upstream', intervalMs: 60_000 });
      await app.waitForCheck('upstream', 'down');
      await waitFor(async () => {
        const { body } = await app.get('/health/ready?exclude=upstream').expect(200);
        expect(body).toMatchObject({ status: 'up' });
      });
    });

    afterAll(async () => {
      await app?.close();
    });

    it('gives statuses and times, and neither observed values nor outputs', async () => {
      for (const path of ['/health/ready', '/health']) {
        const answer = await app.get(path).set('Accept', HEALTH_JSON).expect(503);
        const body = conforming(answer);
        expect(body.status).toBe('fail');
        expect(body.checks['upstream:responseTime']).toEqual([
          {
            componentId: 'upstream',
            componentType: 'component',
            status: 'fail',
            time: expect.any(String),
          },
        ]);
        expect(Object.keys(body.checks).every((key) => key.endsWith(':responseTime'))).toBe(true);
        expect(answer.text).not.toContain('ECONNREFUSED');
        expect(answer.text).not.toContain('observedValue');
        expect(answer.text).not.toContain('"output"');
      }
    });
  });
});

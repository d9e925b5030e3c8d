import { healthPrefixExclusions } from 'nest-health';
import { exampleApp, HTTP_ADAPTERS, SERVICES, type RunningExampleApp } from './helpers/example-app';
import { SseClient } from './helpers/sse-client';
import { waitFor } from './helpers/wait-for';

/** Every health route of the example app, as a kubelet, a scraper or a browser asks for it. */
const HEALTH_ROUTES = [
  '/health',
  '/health/live',
  '/health/ready',
  '/health/startup',
  '/health/live?verbose',
  '/health/ready/database',
  '/health/group/readiness',
  '/health/group/readiness/database',
  '/health/dashboard',
  '/health/metrics',
  '/health/fleet',
  '/health/history',
  '/health/history/database?window=24h',
  '/livez',
  '/readyz',
  '/startupz',
  '/readyz/database',
] as const;

describe.each(HTTP_ADAPTERS)('on %s, with a global prefix', (adapter) => {
  let app: RunningExampleApp | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("moves the health routes under it, without the exclusions (Nest's rule)", async () => {
    app = await exampleApp(adapter).withGlobalPrefix('api').start();
    const running = app;
    await waitFor(() => running.get('/api/health/ready').expect(200));
    await running.get('/api/readyz').expect(200);
    await running.get('/health/ready').expect(404);
    await running.get('/readyz').expect(404);
  });

  describe.each([false, true])('and healthPrefixExclusions() (fastPath: %s)', (fastPath) => {
    beforeEach(async () => {
      app = await exampleApp(adapter)
        .withHealthOptions({
          metrics: true,
          fastPath,
          fleet: {
            redis: SERVICES.redisUrl,
            service: `global-prefix-${adapter}-${String(fastPath)}`,
            instance: 'replica-1',
          },
        })
        .withGlobalPrefix('api', { exclude: healthPrefixExclusions() })
        .start();
      const running = app;
      await waitFor(() => running.get('/health/ready').expect(200));
    });

    it('serves every health route outside the prefix, and none under it', async () => {
      const running = app!;
      if (fastPath) {
        // The second answer of a probe URL (asked for the first time here) comes from the fast path: Express adds an ETag to
        // what it answers itself, the fast path does not.
        const viaNest = await running.get('/startupz').expect(200);
        const fast = await running.get('/startupz').expect(200);
        expect(fast.headers.etag).toBeUndefined();
        if (adapter === 'express') expect(viaNest.headers.etag).toBeDefined();
      }
      for (const route of HEALTH_ROUTES) {
        const outside = await running.get(route);
        expect({ route, status: outside.status }).toEqual({ route, status: 200 });
        const under = await running.get(`/api${route}`);
        expect({ route: `/api${route}`, status: under.status }).toEqual({
          route: `/api${route}`,
          status: 404,
        });
      }
      // The stream sends its snapshot outside the prefix too.
      const stream = await SseClient.connect(`${await running.app.getUrl()}/health/stream`);
      try {
        expect((await stream.next('snapshot')).data).toMatchObject({ status: 'up' });
      } finally {
        stream.close();
      }
    });

    it("keeps the app's own routes under the prefix", async () => {
      const running = app!;
      // POST /jobs enqueues a demo job (201 with its id); its body is validated (400).
      const created = await running.post('/api/jobs').send({ message: 'hi' }).expect(201);
      expect(created.body).toEqual({ id: expect.any(String) });
      await running.post('/api/jobs').send({ nope: 1 }).expect(400);
      await running.post('/jobs').send({ message: 'hi' }).expect(404);
    });

    it('answers a probe that goes down and comes back outside the prefix', async () => {
      const running = app!;
      running.registry.register(
        () => {
          throw new Error('down for the test');
        },
        { name: 'prefix-down' },
      );
      await waitFor(() => running.get('/health/ready').expect(503));
      await running.get('/readyz').expect(503);
      await running.get('/health/ready/prefix-down').expect(503);
      running.registry.unregister('prefix-down');
      await waitFor(() => running.get('/health/ready').expect(200));
    });
  });
});

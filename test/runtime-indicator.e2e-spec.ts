import { down, type HealthCheckResult } from 'nest-health';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';
import { tcpConnectCheck } from './helpers/tcp-checks';
import { TestTcpServer } from './helpers/tcp-server';
import { waitFor } from './helpers/wait-for';

describe.each(HTTP_ADAPTERS)(
  'on %s, an indicator registered at run time through HealthRegistry',
  (adapter) => {
    let app: RunningExampleApp;
    let upstream: TestTcpServer;

    beforeAll(async () => {
      app = await exampleApp(adapter).start();
      upstream = await TestTcpServer.start();
      app.registry.register(tcpConnectCheck(upstream.port), { name: 'upstream' });
    });

    afterAll(async () => {
      app?.registry.unregister('upstream');
      await app?.close();
      await upstream?.stop();
    });

    it('keeps the app ready while its server listens', async () => {
      const { body } = await waitFor(() => app.get('/health/ready').expect(200));

      expect(body.checks).toMatchObject({ upstream: { status: 'up' }, database: { status: 'up' } });
    });

    it('takes readiness down, not liveness, when its server goes away', async () => {
      await upstream.stop();

      const details = await app.waitForCheck('upstream', 'down');
      expect(details.message).toMatch(/ECONNREFUSED/);
      const ready = await app.get('/health/ready').expect(503);
      expect(ready.body).toMatchObject({
        status: 'down',
        checks: { upstream: { status: 'down' } },
      });
      await app.get('/health/live').expect(200);
      await app.get('/readyz').expect(503);
    });

    it('brings readiness back when its server listens again on the same port', async () => {
      const port = upstream.port;
      await upstream.listen();
      expect(upstream.port).toBe(port);

      const { body } = await waitFor(() => app.get('/health/ready').expect(200));
      expect(body.checks.upstream).toEqual({ status: 'up' });
    });

    it('leaves its groups when unregistered', async () => {
      expect(app.registry.unregister('upstream')).toBe(true);

      const { body } = await app.get('/health/ready').expect(200);
      expect(body.checks).not.toHaveProperty('upstream');
      expect(app.unhandledErrors).toEqual([]);
    });
  },
);

/** A promise and the functions that settle it, for a check whose first run the spec controls. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

// A check added at run time joins its groups at its first result (or after its timeoutMs):
// before, readiness went down for as long as the new check's first run took, and a pod left
// the rotation because a check was added.
describe.each(HTTP_ADAPTERS)(
  'on %s, a slow indicator registered at run time into readiness',
  (adapter) => {
    let app: RunningExampleApp;
    const firstResult = deferred<HealthCheckResult>();
    const called = deferred<void>();

    beforeAll(async () => {
      app = await exampleApp(adapter).start();
      await waitFor(() => app.get('/health/ready').expect(200));
    });

    afterAll(async () => {
      firstResult.resolve(down('the spec ended'));
      await app?.close();
    });

    it('keeps readiness up while its first check runs', async () => {
      app.registry.register(
        () => {
          called.resolve();
          return firstResult.promise;
        },
        { name: 'slow-first-run', groups: ['readiness'], timeoutMs: 60_000 },
      );
      await called.promise; // its first run has started, and has not ended

      const ready = await app.get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({
        status: 'up',
        checks: { database: { status: 'up' }, 'slow-first-run': { status: 'unknown' } },
      });
      await app.get('/readyz').expect(200);
      const verbose = await app.get('/health/ready?verbose').expect(200);
      expect(verbose.text).toContain('[+]slow-first-run pending: no result yet');
      expect(verbose.text).toMatch(/readyz check passed\n$/);
      const logged = app.logs.lines.map((line) => line.message);
      expect(logged.filter((line) => line.startsWith('group readiness: up → down'))).toEqual([]);
    });

    it('counts its first result as soon as it has one: a down takes readiness down', async () => {
      firstResult.resolve(down('upstream refused'));

      await waitFor(() => app.get('/health/ready').expect(503));
      const details = await app.waitForCheck('slow-first-run', 'down');
      expect(details.message).toBe('upstream refused');
    });

    it('leaves readiness when unregistered', async () => {
      expect(app.registry.unregister('slow-first-run')).toBe(true);
      await app.get('/health/ready').expect(200);
      expect(app.unhandledErrors).toEqual([]);
    });
  },
);

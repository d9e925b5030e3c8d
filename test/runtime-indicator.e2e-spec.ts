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

import { performance } from 'node:perf_hooks';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';
import { postgresCheck } from './helpers/tcp-checks';
import { TestTcpServer } from './helpers/tcp-server';
import { waitFor } from './helpers/wait-for';

/** A probe must answer well inside the hung check's 300 ms budget: it never waits for checks. */
const PROBE_BUDGET_MS = 150;

describe.each(HTTP_ADAPTERS)(
  'on %s, a dependency that accepts connections and hangs',
  (adapter) => {
    let app: RunningExampleApp;
    let hungServer: TestTcpServer;

    beforeAll(async () => {
      app = await exampleApp(adapter).start();
      hungServer = await TestTcpServer.start();
      app.registry.register(postgresCheck(hungServer.port), { name: 'hung-db', timeoutMs: 300 });
    });

    afterAll(async () => {
      app?.registry.unregister('hung-db');
      await app?.close();
      await hungServer?.stop();
    });

    it('is down, timed out after 300 ms', async () => {
      const details = await app.waitForCheck('hung-db', 'down');

      expect(details.message).toContain('timed out after 300 ms');
      expect(details.timedOut).toBe(true);
      expect(details.durationMs).toBeGreaterThanOrEqual(290);
    });

    it('does not slow the probes: each answers at once while the check hangs', async () => {
      await waitFor(() => expect(hungServer.openConnections).toBe(1)); // a run is hanging now

      const timingsMs: number[] = [];
      while (hungServer.openConnections > 0 && timingsMs.length < 50) {
        const started = performance.now();
        await app.get('/health/ready').expect(503);
        timingsMs.push(performance.now() - started);
      }

      expect(timingsMs.length).toBeGreaterThanOrEqual(3);
      expect(Math.max(...timingsMs)).toBeLessThan(PROBE_BUDGET_MS);
    });

    it('ends its client at each deadline: connections never pile up', async () => {
      const acceptedBefore = hungServer.acceptedConnections;
      await waitFor(() =>
        expect(hungServer.acceptedConnections).toBeGreaterThan(acceptedBefore + 1),
      );

      expect(hungServer.peakConnections).toBe(1);
    });

    it('leaves no socket open once unregistered', async () => {
      app.registry.unregister('hung-db');

      await waitFor(() => expect(hungServer.openConnections).toBe(0), { timeoutMs: 1_000 });
      expect(app.unhandledErrors).toEqual([]);
    });
  },
);

describe.each(HTTP_ADAPTERS)(
  'on %s, with a PostgreSQL that accepts connections and hangs',
  (adapter) => {
    let app: RunningExampleApp;
    let hungServer: TestTcpServer;

    beforeAll(async () => {
      hungServer = await TestTcpServer.start();
      app = await exampleApp(adapter)
        .withDatabaseAt(`postgres://postgres@127.0.0.1:${hungServer.port}/test`)
        .start();
    });

    afterAll(async () => {
      await app?.close();
      await hungServer?.stop();
    });

    it('reports the database down, timed out after 500 ms, and is not ready', async () => {
      const details = await app.waitForCheck('database', 'down');

      expect(details.message).toContain('timed out after 500 ms');
      const started = performance.now();
      await app.get('/health/ready').expect(503);
      expect(performance.now() - started).toBeLessThan(PROBE_BUDGET_MS);
    });

    it('never piles up connection attempts while the server hangs', async () => {
      await waitFor(async () => {
        const { body } = await app.get('/health').expect(200);
        expect(body.checks.database.consecutiveFailures).toBeGreaterThanOrEqual(4);
      });

      expect(hungServer.peakConnections).toBe(1);
    });

    it('closes, dropping the pending connection, with no unhandled error', async () => {
      await app.close();

      expect(hungServer.openConnections).toBe(0);
      expect(app.unhandledErrors).toEqual([]);
    });
  },
);

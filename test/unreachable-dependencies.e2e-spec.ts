import type { HealthDetailsBody } from 'nest-health';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';
import { closedPort } from './helpers/tcp-server';
import { waitFor } from './helpers/wait-for';

describe.each(HTTP_ADAPTERS)('on %s, booting while Redis is unreachable', (adapter) => {
  let app: RunningExampleApp;

  beforeAll(async () => {
    app = await exampleApp(adapter)
      .withRedisAt(`redis://127.0.0.1:${await closedPort()}`)
      .start();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('boots and stays alive', async () => {
    const res = await app.get('/health/live').expect(200);

    expect(res.body).toMatchObject({ status: 'up', group: 'liveness' });
  });

  it('is not ready: redis and queue are down, the database is up', async () => {
    await app.waitForCheck('database', 'up');

    const res = await app.get('/health/ready').expect(503);
    expect(res.body).toMatchObject({
      status: 'down',
      checks: { database: { status: 'up' }, redis: { status: 'down' }, queue: { status: 'down' } },
    });
    const { checks } = (await app.get('/health').expect(200)).body as HealthDetailsBody;
    expect(checks.redis.message).toMatch(/ECONNREFUSED/);
    expect(checks.queue.message).toMatch(/ECONNREFUSED/);
  });

  it('fails its checks fast instead of waiting for Redis', async () => {
    const { checks } = (await app.get('/health').expect(200)).body as HealthDetailsBody;

    expect(checks.redis).toMatchObject({ timedOut: false, durationMs: expect.any(Number) });
    expect(checks.redis.durationMs).toBeLessThan(50);
    expect(checks.queue).toMatchObject({ timedOut: false, durationMs: expect.any(Number) });
    expect(checks.queue.durationMs).toBeLessThan(50);
  });

  it('logs each outage once, not at every reconnection attempt', async () => {
    // Several checks, and several reconnection attempts (250 ms, 500 ms, 1 s apart), later:
    await waitFor(async () => {
      const { checks } = (await app.get('/health').expect(200)).body as HealthDetailsBody;
      expect(checks.redis.consecutiveFailures).toBeGreaterThanOrEqual(6);
    });

    expect(app.logs.linesOf('warn', 'RedisClient')).toEqual([
      expect.stringMatching(/^Redis unavailable: .*ECONNREFUSED/),
    ]);
    expect(app.logs.linesOf('warn', 'QueueHealth')).toHaveLength(1);
    expect(app.logs.linesOf('warn', 'DemoProcessor')).toHaveLength(1);
    expect(app.logs.linesOf('warn', 'HealthModule')).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^redis: unknown → down/),
        expect.stringMatching(/^queue: unknown → down/),
      ]),
    );
  });

  it('closes cleanly, with no unhandled rejection or uncaught exception', async () => {
    await app.close();

    expect(app.unhandledErrors).toEqual([]);
    expect(app.logs.linesOf('error', 'ExceptionHandler')).toEqual([]);
  });
});

describe.each(HTTP_ADAPTERS)('on %s, booting while PostgreSQL is unreachable', (adapter) => {
  let app: RunningExampleApp;

  beforeAll(async () => {
    app = await exampleApp(adapter)
      .withDatabaseAt(`postgres://postgres@127.0.0.1:${await closedPort()}/test`)
      .start();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('boots, stays alive, and is not ready: the database is down', async () => {
    const database = await app.waitForCheck('database', 'down');
    expect(database.message).toMatch(/ECONNREFUSED/);
    await app.waitForCheck('redis', 'up');
    await app.waitForCheck('queue', 'up');

    await app.get('/health/live').expect(200);
    const res = await app.get('/health/ready').expect(503);
    expect(res.body).toMatchObject({
      status: 'down',
      checks: { database: { status: 'down' }, redis: { status: 'up' }, queue: { status: 'up' } },
    });
  });

  it('closes cleanly, with no unhandled rejection or uncaught exception', async () => {
    await app.close();

    expect(app.unhandledErrors).toEqual([]);
  });
});

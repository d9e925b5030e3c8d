import type { HealthDetailsBody } from 'nest-health';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';
import { hasRedisServer, TestRedisServer } from './helpers/redis-server';
import { waitFor } from './helpers/wait-for';

// Needs a redis-server binary to stop and start a Redis of its own; reported as skipped without.
const describeWithRedisServer = hasRedisServer() ? describe.each : describe.skip.each;

describeWithRedisServer(HTTP_ADAPTERS)('on %s, when Redis goes away and comes back', (adapter) => {
  let redis: TestRedisServer;
  let app: RunningExampleApp;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    app = await exampleApp(adapter).withRedisAt(redis.url).start();
  });

  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('is ready while Redis runs', async () => {
    await waitFor(() => app.get('/health/ready').expect(200));
  });

  it('turns redis and queue down, and readiness with them, not liveness', async () => {
    await redis.stop();

    await app.waitForCheck('redis', 'down');
    await app.waitForCheck('queue', 'down');
    const ready = await app.get('/health/ready').expect(503);
    expect(ready.body.checks).toMatchObject({
      database: { status: 'up' },
      redis: { status: 'down' },
      queue: { status: 'down' },
    });
    await app.get('/health/live').expect(200);
    // Stay down until reconnection attempts have failed (and been logged, once).
    await waitFor(() =>
      expect(app.logs.linesOf('warn', 'RedisClient')).toEqual([
        expect.stringMatching(/^Redis unavailable: .*ECONNREFUSED/),
      ]),
    );
  });

  it('recovers by itself once Redis is back, worker included', async () => {
    await redis.restart();

    const ready = await waitFor(() => app.get('/health/ready').expect(200));
    expect(ready.body.checks.queue).toEqual({ status: 'up' });
    const { checks } = (await app.get('/health').expect(200)).body as HealthDetailsBody;
    expect(checks.queue.data?.workers).toBeGreaterThanOrEqual(1);

    const { body } = await app.post('/jobs').send({ message: 'after the outage' }).expect(201);
    await waitFor(async () => {
      const job = await app.queue.getJob((body as { id: string }).id);
      expect(await job?.getState()).toBe('completed');
    });
  });

  it('logged the outage and the recovery once each, with no unhandled error', () => {
    expect(app.logs.linesOf('warn', 'RedisClient')).toHaveLength(1);
    expect(app.logs.linesOf('log', 'RedisClient')).toEqual(['Redis available again']);
    const transitions = app.logs.lines.filter((line) => line.message.startsWith('redis: '));
    expect(transitions.map((line) => line.message.replace(/ \(.*$/, ''))).toEqual([
      'redis: unknown → up',
      'redis: up → down',
      'redis: down → up',
    ]);
    expect(app.unhandledErrors).toEqual([]);
  });
});

import type { HealthDetailsBody } from 'nest-health';
import { exampleApp, PROBE_TARGETS, type RunningExampleApp } from './helpers/example-app';
import { waitFor } from './helpers/wait-for';

describe.each(PROBE_TARGETS)('the example app on %s, with PostgreSQL and Redis up', (target) => {
  let app: RunningExampleApp;

  beforeAll(async () => {
    app = await exampleApp(target).start();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('is ready once database, redis and queue are up', async () => {
    const { body } = await waitFor(() => app.get('/health/ready').expect(200));

    expect(body).toMatchObject({
      status: 'up',
      group: 'readiness',
      checks: {
        database: { status: 'up' },
        redis: { status: 'up' },
        queue: { status: 'up' },
      },
    });
  });

  it('details every check with its data, and the process', async () => {
    const res = await app.get('/health').expect(200);
    const body = res.body as HealthDetailsBody;

    expect(body.status).toBe('up');
    expect(body.checks.database.data).toEqual({ responseTimeMs: expect.any(Number) });
    expect(body.checks.redis.data).toEqual({
      responseTimeMs: expect.any(Number),
      usedMemoryBytes: expect.any(Number),
      maxMemoryBytes: null, // the local Redis runs without maxmemory
      maxMemoryPolicy: expect.any(String),
      usedMemoryPercent: null,
    });
    expect(body.checks.redis.data?.usedMemoryBytes).toBeGreaterThan(0);
    expect(body.checks.queue.data).toMatchObject({
      waiting: expect.any(Number),
      active: expect.any(Number),
      failed: expect.any(Number),
      delayed: expect.any(Number),
      workers: expect.any(Number),
      isPaused: false,
    });
    expect(body.checks.queue.data?.workers).toBeGreaterThanOrEqual(1);
    expect(body.checks.database).toMatchObject({
      observed: 'up',
      critical: true,
      groups: ['readiness'],
      timedOut: false,
      lastCheckedAt: expect.any(String),
      durationMs: expect.any(Number),
    });
    expect(body.process).toMatchObject({
      pid: process.pid,
      nodeVersion: process.version,
      uptimeSeconds: expect.any(Number),
      memory: { rssBytes: expect.any(Number), heapUsedBytes: expect.any(Number) },
    });
    // CPU and the container's memory: the app runs in this machine's cgroup (v1 here).
    const facts = body.process!;
    expect(facts.cpu).toMatchObject({
      usedCores: expect.any(Number),
      limitCores: expect.any(Number),
      limitSource: expect.stringMatching(/cpu\.max|cpu\.cfs_quota_us|availableParallelism/),
      windowMs: expect.any(Number),
    });
    expect(facts.cpu!.usagePercent).toBeCloseTo(
      (facts.cpu!.usedCores / facts.cpu!.limitCores) * 100,
      0,
    );
    if (process.platform === 'linux') {
      expect(facts.memory.cgroupUsageBytes).toBeGreaterThan(0);
      expect(facts.memory.workingSetBytes).toBeLessThanOrEqual(facts.memory.cgroupUsageBytes!);
    }
  });

  it.each([
    ['/health', 200],
    ['/health/live', 200],
    ['/health/ready', 200],
    ['/health/startup', 200],
    ['/health/group/readiness', 200],
    ['/livez', 200],
    ['/readyz', 200],
    ['/startupz', 200],
    ['/health/group/nope', 404],
  ])('answers GET %s with %i and Cache-Control: no-store', async (path, status) => {
    const res = await app.get(path).expect(status);

    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('serves the probes under the Kubernetes names too', async () => {
    const [ready, readyz] = await Promise.all([app.get('/health/ready'), app.get('/readyz')]);
    const [live, livez] = await Promise.all([app.get('/health/live'), app.get('/livez')]);
    const startupz = await app.get('/startupz');

    expect(readyz.body).toMatchObject({ status: 'up', group: 'readiness' });
    expect(readyz.body.checks).toEqual(ready.body.checks);
    expect(livez.body).toMatchObject({ status: 'up', group: 'liveness' });
    expect(livez.body.checks).toEqual(live.body.checks);
    expect(startupz.body).toMatchObject({ status: 'up', group: 'startup' });
  });

  it('answers 404 with a JSON error for an unknown group', async () => {
    const res = await app.get('/health/group/nope').expect(404);

    expect(res.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No health group is named "nope".',
    });
  });

  it('enqueues a job that the worker processes', async () => {
    const res = await app.post('/jobs').send({ message: 'from e2e' }).expect(201);
    const { id } = res.body as { id: string };
    expect(id).toEqual(expect.any(String));

    const job = await waitFor(async () => {
      const found = await app.queue.getJob(id);
      expect(await found?.getState()).toBe('completed');
      return found!;
    });
    expect(job.returnvalue).toMatchObject({ message: 'from e2e', processedAt: expect.any(String) });
  });

  it('enqueues a job without a body and rejects an invalid one', async () => {
    const res = await app.post('/jobs').expect(201);
    expect(res.body).toEqual({ id: expect.any(String) });

    await app.post('/jobs').send({ message: 42 }).expect(400);
  });

  it('has recorded no unhandled rejection or uncaught exception', () => {
    expect(app.unhandledErrors).toEqual([]);
  });
});

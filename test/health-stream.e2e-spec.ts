import type { IncomingMessage, Server } from 'node:http';
import { HealthStateStore } from 'nest-health';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';
import { SseClient, type SseEvent } from './helpers/sse-client';
import { tcpConnectCheck } from './helpers/tcp-checks';
import { TestTcpServer } from './helpers/tcp-server';
import { waitFor } from './helpers/wait-for';

describe.each(HTTP_ADAPTERS)('on %s, GET /health/stream', (adapter) => {
  let app: RunningExampleApp;
  let base: string;
  let upstream: TestTcpServer;
  const clients: SseClient[] = [];

  async function open(query = ''): Promise<SseClient> {
    const client = await SseClient.connect(`${base}/health/stream${query}`);
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    app = await exampleApp(adapter)
      .withHealthOptions({ stream: { maxSubscribers: 20, heartbeatMs: 1_000 } })
      .start();
    base = (await app.app.getUrl()).replace('[::1]', '127.0.0.1');
    upstream = await TestTcpServer.start();
    app.registry.register(tcpConnectCheck(upstream.port), { name: 'upstream' });
    await waitFor(() => app.get('/health/ready').expect(200));
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await app?.close();
    await upstream?.stop();
  });

  it('sends the current state first, as one snapshot event with an id and a retry delay', async () => {
    const client = await open();
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(client.headers['x-accel-buffering']).toBe('no');
    expect(client.headers['cache-control']).toMatch(/no-store/);

    const first = await client.next();
    expect(first.type).toBe('snapshot');
    expect(Number(first.id)).toBeGreaterThan(0);
    expect(first.retry).toBe(3_000);
    expect(first.data.status).toBe('up');
    expect(first.data.checks).toMatchObject({
      database: { status: 'up', groups: ['readiness'] },
      redis: { status: 'up' },
      queue: { status: 'up', data: { workers: expect.any(Number) } },
      upstream: { status: 'up' },
    });
    expect(first.data.groups).toMatchObject({
      liveness: { status: 'up' },
      readiness: { status: 'up' },
    });
  });

  it('sends a change event when an indicator goes down and when it comes back, with group statuses', async () => {
    const client = await open();
    const snapshot = await client.next('snapshot');

    await upstream.stop();
    const down = await client.next('change');
    expect(down.data).toMatchObject({
      kind: 'indicator',
      name: 'upstream',
      previous: 'up',
      current: 'down',
      groups: { readiness: 'down' },
      check: { status: 'down' },
    });
    expect(down.data.message).toMatch(/ECONNREFUSED/);
    expect(Date.parse(down.data.since)).not.toBeNaN();
    const readinessDown = await client.next('change');
    expect(readinessDown.data).toMatchObject({
      kind: 'group',
      name: 'readiness',
      previous: 'up',
      current: 'down',
    });

    await upstream.listen();
    const back = await client.next('change', 10_000);
    expect(back.data).toMatchObject({ kind: 'indicator', name: 'upstream', current: 'up' });
    const readinessUp = await client.next('change');
    expect(readinessUp.data).toMatchObject({ kind: 'group', name: 'readiness', current: 'up' });

    const ids = [snapshot, down, readinessDown, back, readinessUp].map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('sends a fresh snapshot every ?interval seconds', async () => {
    const client = await open('?interval=0.5');
    const snapshots: SseEvent[] = [];
    for (let i = 0; i < 4; i++) snapshots.push(await client.next('snapshot', 3_000));
    const gaps = snapshots.slice(1).map((s, i) => s.receivedAt - snapshots[i].receivedAt);
    for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(400);
    expect(new Set(snapshots.map((s) => s.data.timestamp as string)).size).toBe(4);
  });

  it('sends heartbeat comments on an idle stream', async () => {
    const client = await open();
    await client.next('snapshot');
    await waitFor(() => expect(client.comments).toContain('heartbeat'), { timeoutMs: 3_000 });
  });

  it('limits the stream to one group with ?group', async () => {
    const all = await open();
    const liveness = await open('?group=liveness');
    const snapshot = await liveness.next('snapshot');
    expect(Object.keys(snapshot.data.groups)).toEqual(['liveness']);
    expect(snapshot.data.checks).not.toHaveProperty('database');
    await all.next('snapshot');

    await upstream.stop();
    await all.next('change');
    await upstream.listen();
    await waitFor(() =>
      expect(
        all.events.filter((e) => e.type === 'change').map((e) => e.data.current as string),
      ).toContain('up'),
    );
    expect(liveness.events.filter((e) => e.type === 'change')).toEqual([]);
  });

  it.each([
    ['?interval=0.1', 'interval'],
    ['?interval=301', 'interval'],
    ['?interval=soon', 'interval'],
    ['?interval=1&interval=2', 'interval'],
    ['?group=no%20spaces', 'group'],
  ])('answers 400 naming the parameter for %s', async (query, parameter) => {
    const client = await open(query);
    expect(client.status).toBe(400);
    expect(JSON.parse(client.body).message).toContain(`"${parameter}"`);
    expect(client.headers['cache-control']).toBe('no-store');
  });

  it('answers 404 for an unknown group', async () => {
    const client = await open('?group=nope');
    expect(client.status).toBe(404);
    expect(JSON.parse(client.body).message).toContain('nope');
  });

  it('answers 503 with Retry-After beyond the subscriber limit, and admits again after one leaves', async () => {
    const opened = [];
    for (let i = 0; i < 20; i++) opened.push(await open());
    await Promise.all(opened.map((c) => c.next('snapshot')));

    const refused = await open();
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.headers['cache-control']).toBe('no-store');

    opened[0].close();
    const admitted = await waitFor(async () => {
      const client = await open();
      expect(client.status).toBe(200);
      return client;
    });
    await admitted.next('snapshot');
  });

  it('leaves no subscription, listener or timer behind after 1,000 connect/disconnect cycles', async () => {
    const store = app.app.get(HealthStateStore);
    await waitFor(() => expect(activeTimers()).toBeLessThan(1_000)); // settle from earlier tests
    const observersBefore = observerCount(store);
    const timersBefore = activeTimers();
    for (let round = 0; round < 50; round++) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => open('?interval=1')));
      await Promise.all(batch.map((c) => c.next('snapshot')));
      for (const client of batch) client.close();
      clients.splice(0);
    }
    await waitFor(() => {
      expect(observerCount(store)).toBe(observersBefore);
      expect(activeTimers()).toBeLessThanOrEqual(timersBefore + 2);
    });
    const admitted = await open();
    expect(admitted.status).toBe(200);
  });

  (adapter === 'express' ? it : it.skip)(
    "lets go of the Express router's state kept on a streamed request, and of nothing else",
    async () => {
      // The request object as Node's server hands it to Express (which extends it in place).
      type ExpressRequest = IncomingMessage & {
        next?: unknown;
        params?: unknown;
        res?: { locals?: unknown };
      };
      const server = app.app.getHttpServer() as Server;
      const seen: ExpressRequest[] = [];
      const capture = (request: IncomingMessage) => {
        if (request.url?.startsWith('/health/stream')) seen.push(request);
      };
      server.prependListener('request', capture);
      try {
        const client = await open();
        await client.next('snapshot');
      } finally {
        server.removeListener('request', capture);
      }
      const [request] = seen;
      expect(request.next).toBeUndefined();
      // What the app's interceptors and loggers may still read is left as it was.
      expect(request.params).toEqual({});
      expect(request.res?.locals).toEqual({});
    },
  );

  it('completes every stream and closes its connection when the app closes', async () => {
    const open3 = await Promise.all([open(), open('?interval=1'), open('?group=readiness')]);
    await Promise.all(open3.map((c) => c.next('snapshot')));
    const server = app.app.getHttpServer() as Server;
    await app.close();
    await Promise.all(open3.map((c) => c.closed(2_000)));
    // No keep-alive connection of a stream is left for server.close() to wait on.
    const connections = await new Promise<number>((resolve, reject) =>
      server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
    expect(connections).toBe(0);
  });
});

function observerCount(store: HealthStateStore): number {
  const subject = (store as unknown as { changes$: { observers: unknown[] } }).changes$;
  return subject.observers.length;
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

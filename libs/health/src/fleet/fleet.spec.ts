import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import Redis from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, PrivateRedisServer } from '../../spec-helpers/faults';
import { down, up } from '../check';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthModule } from '../health.module';
import type { HealthFleetOptions } from './fleet.options';
import type { FleetInstanceEvent, FleetTransition, FleetView } from './fleet.types';

jest.setTimeout(30_000);

/** Polls `probe` until it stops throwing (at most `timeoutMs`). */
async function eventually<T>(probe: () => Promise<T> | T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

interface Replica {
  readonly app: INestApplication;
  readonly url: string;
  /** The status the replica's `dependency` indicator answers. */
  healthy: boolean;
}

async function startReplica(
  fleet: HealthFleetOptions,
  extra: Record<string, unknown> = {},
): Promise<Replica> {
  @Module({ imports: [HealthModule.forRoot({ logger: false, fleet, ...extra })] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false });
  const replica: Replica = { app, url: '', healthy: true };
  app
    .get(HealthRegistry)
    .register(
      () => (replica.healthy ? up() : down('connect ECONNREFUSED 127.0.0.1:1 password=hunter2')),
      { name: 'dependency', groups: ['readiness'], intervalMs: 100, timeoutMs: 100 },
    );
  await app.listen(0, '127.0.0.1');
  return Object.assign(replica, { url: await app.getUrl() });
}

async function getJson(
  url: string,
): Promise<{ status: number; body: FleetView & { error?: string } }> {
  const response = await fetch(url);
  return {
    status: response.status,
    body: (await response.json()) as FleetView & { error?: string },
  };
}

/** Reads Server-Sent Events from `url` into `events` until `close()`. */
function sse(url: string): { events: Array<{ event: string; data: unknown }>; close(): void } {
  const events: Array<{ event: string; data: unknown }> = [];
  let buffer = '';
  const request = httpRequest(url, (response: IncomingMessage) => {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    });
  });
  request.on('error', () => undefined);
  request.end();
  return { events, close: () => request.destroy() };
}

const describeWithRedis = PrivateRedisServer.available() ? describe : describe.skip;

describeWithRedis('fleet health through a real Redis', () => {
  let redis: PrivateRedisServer;
  let inspect: Redis;
  const replicas: Replica[] = [];

  const fleet = (instance: string, more: Partial<HealthFleetOptions> = {}): HealthFleetOptions => ({
    redis: redis.url,
    service: 'orders',
    instance,
    version: '1.2.3',
    publishIntervalMs: 200,
    timeoutMs: 300,
    retentionMs: 2_000,
    ...more,
  });
  const start = async (...args: Parameters<typeof startReplica>) => {
    const replica = await startReplica(...args);
    replicas.push(replica);
    return replica;
  };

  beforeAll(async () => {
    redis = await PrivateRedisServer.start();
    inspect = new Redis(redis.url);
  });

  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((replica) => replica.app.close()));
    await inspect.flushall();
  });

  afterAll(async () => {
    inspect.disconnect();
    await redis.stop();
  });

  it('shows every replica of the service to each, with its groups and checks', async () => {
    const a = await start(fleet('a'));
    const b = await start(fleet('b'));
    const view = await eventually(async () => {
      const { status, body } = await getJson(`${b.url}/health/fleet`);
      expect(status).toBe(200);
      expect(body.instances.map((instance) => instance.instance)).toEqual(['a', 'b']);
      expect(body.instances.every((instance) => instance.status === 'up')).toBe(true);
      return body;
    });
    expect(view).toMatchObject({
      service: 'orders',
      status: 'up',
      policy: 'default',
      available: true,
      summary: { instances: 2, ready: 2, stale: 0, terminating: 0, byStatus: { up: 2 } },
    });
    const [first] = view.instances;
    expect(first).toMatchObject({ ready: true, stale: false, terminating: false });
    expect(first.snapshot).toMatchObject({
      v: 1,
      service: 'orders',
      instance: 'a',
      version: '1.2.3',
      serving: true,
      terminating: false,
      groups: { liveness: { status: 'up' }, readiness: { status: 'up' } },
      checks: { dependency: { status: 'up' } },
      process: { pid: process.pid, node: process.version },
    });
    expect(first.snapshot!.seq).toBeGreaterThan(0);
    // The same view from the other replica.
    const fromA = (await getJson(`${a.url}/health/fleet`)).body;
    expect(fromA.instances.map((instance) => instance.instance)).toEqual(['a', 'b']);
  });

  it('keeps every key of a service on one hash slot, each with a lifetime', async () => {
    await start(fleet('a'));
    await eventually(async () =>
      expect(await inspect.exists('health:{orders}:transitions')).toBe(1),
    );
    const keys = (await inspect.keys('*')).sort();
    expect(keys).toEqual([
      'health:{orders}:instance:a',
      'health:{orders}:instances',
      'health:{orders}:transitions',
    ]);
    for (const key of keys) {
      const ttl = await inspect.pttl(key);
      expect(ttl).toBeGreaterThan(0);
    }
    expect(await inspect.pttl('health:{orders}:instance:a')).toBeLessThanOrEqual(600);
  });

  it('carries a transition of one replica to the others: view and stream, message redacted', async () => {
    const a = await start(fleet('a'));
    const b = await start(fleet('b'));
    await eventually(async () =>
      expect((await getJson(`${b.url}/health/fleet`)).body.summary.instances).toBe(2),
    );
    const stream = sse(`${b.url}/health/fleet/stream`);
    try {
      await eventually(() => expect(stream.events[0]?.event).toBe('snapshot'));
      a.healthy = false;
      const view = await eventually(async () => {
        const { body } = await getJson(`${b.url}/health/fleet?indicator=dependency&status=down`);
        expect(body.instances.map((instance) => instance.instance)).toEqual(['a']);
        return body;
      });
      const check = view.instances[0].snapshot!.checks.dependency;
      expect(check.message).toContain('ECONNREFUSED');
      expect(check.message).not.toContain('hunter2');
      expect(view.status).toBe('degraded');
      const transition = await eventually(() => {
        const found = stream.events.find(
          (event) =>
            event.event === 'transition' &&
            (event.data as FleetTransition).kind === 'indicator' &&
            (event.data as FleetTransition).current === 'down',
        );
        expect(found).toBeDefined();
        return found!.data as FleetTransition;
      });
      expect(transition).toMatchObject({ instance: 'a', name: 'dependency', previous: 'up' });
      expect(transition.message).not.toContain('hunter2');
      await eventually(() =>
        expect(
          stream.events.some(
            (event) =>
              event.event === 'instance' &&
              (event.data as FleetInstanceEvent).instance === 'a' &&
              (event.data as FleetInstanceEvent).view?.status === 'down' &&
              (event.data as FleetInstanceEvent).view?.ready === false,
          ),
        ).toBe(true),
      );
    } finally {
      stream.close();
    }
  });

  it('removes a replica that closes, and tells the stream it left', async () => {
    const a = await start(fleet('a'));
    const b = await start(fleet('b'));
    await eventually(async () =>
      expect((await getJson(`${b.url}/health/fleet`)).body.summary.instances).toBe(2),
    );
    const stream = sse(`${b.url}/health/fleet/stream`);
    try {
      await eventually(() => expect(stream.events[0]?.event).toBe('snapshot'));
      replicas.splice(replicas.indexOf(a), 1);
      await a.app.close();
      expect(await inspect.exists('health:{orders}:instance:a')).toBe(0);
      expect(await inspect.zscore('health:{orders}:instances', 'a')).toBeNull();
      // A view is reused for 100 ms.
      await eventually(async () => {
        const { body } = await getJson(`${b.url}/health/fleet`);
        expect(body.instances.map((instance) => instance.instance)).toEqual(['b']);
      });
      await eventually(() => {
        const kinds = stream.events
          .filter((event) => event.event === 'transition')
          .map((event) => (event.data as FleetTransition).current);
        expect(kinds).toEqual(expect.arrayContaining(['terminating', 'left']));
        expect(stream.events).toContainEqual({
          event: 'instance',
          data: { instance: 'a', view: null },
        });
      });
    } finally {
      stream.close();
    }
  });

  it('never shows one service to another sharing the Redis', async () => {
    const a = await start(fleet('a'));
    await start(fleet('x', { service: 'billing' }));
    await eventually(async () => {
      const { body } = await getJson(`${a.url}/health/fleet`);
      expect(body.instances.map((instance) => instance.instance)).toEqual(['a']);
      expect(await inspect.exists('health:{billing}:instance:x')).toBe(1);
    });
  });

  it('marks a replica stale past its TTL, and drops it after the retention', async () => {
    const b = await start(fleet('b'));
    // A replica that published once and was then killed: its snapshot and index entry only.
    const now = Date.now();
    await inspect
      .multi()
      .set(
        'health:{orders}:instance:ghost',
        JSON.stringify({ v: 1, status: 'up', serving: true, terminating: false }),
        'PX',
        300,
      )
      .zadd('health:{orders}:instances', now, 'ghost')
      .exec();
    const stale = await eventually(async () => {
      const ghost = (await getJson(`${b.url}/health/fleet`)).body.instances.find(
        (instance) => instance.instance === 'ghost',
      );
      expect(ghost?.stale).toBe(true);
      return ghost!;
    });
    expect(stale).toMatchObject({ status: 'unknown', ready: false, snapshot: null });
    await eventually(async () => {
      const { body } = await getJson(`${b.url}/health/fleet`);
      expect(body.instances.map((instance) => instance.instance)).toEqual(['b']);
    }, 5_000);
    // Each publish drops the index's members past the retention.
    await eventually(async () =>
      expect(await inspect.zscore('health:{orders}:instances', 'ghost')).toBeNull(),
    );
  });

  it('keeps the replica’s own probes while Redis hangs, answers the fleet 503 with the last view, and catches up', async () => {
    const a = await start(fleet('a'));
    await eventually(async () =>
      expect((await getJson(`${a.url}/health/fleet`)).body.summary.instances).toBe(1),
    );
    redis.pause();
    try {
      for (let i = 0; i < 10; i += 1) {
        const response = await fetch(`${a.url}/health/ready`);
        expect(response.status).toBe(200);
      }
      // A view is reused for 100 ms; then the read waits at most timeoutMs (300 ms).
      const { status, body } = await eventually(async () => {
        const answer = await getJson(`${a.url}/health/fleet`);
        expect(answer.status).toBe(503);
        return answer;
      });
      expect(status).toBe(503);
      expect(body).toMatchObject({ error: 'fleet data unavailable', available: false });
      expect(body.instances?.map((instance) => instance.instance)).toEqual(['a']);
      expect(body.ageMs).toBeGreaterThan(0);
    } finally {
      redis.resume();
    }
    await eventually(async () => {
      const { status, body } = await getJson(`${a.url}/health/fleet`);
      expect(status).toBe(200);
      expect(body.available).toBe(true);
    });
  });

  it('shows statuses only to callers the details policy does not admit', async () => {
    const a = await start(fleet('a'), { details: 'never' });
    const view = await eventually(async () => {
      const { body } = await getJson(`${a.url}/health/fleet`);
      expect(body.summary.instances).toBe(1);
      return body;
    });
    const snapshot = view.instances[0].snapshot!;
    expect(snapshot.process).toBeUndefined();
    expect(snapshot.version).toBeNull();
    expect(snapshot.checks.dependency).toEqual({
      status: 'up',
      since: expect.any(String),
      durationMs: null,
    });
  });

  it('exports the fleet to Prometheus: replicas per status, publish durations and failures', async () => {
    const a = await start(fleet('a'), { metrics: true });
    await start(fleet('b'));
    const scrape = async () => (await fetch(`${a.url}/health/metrics`)).text();
    const text = await eventually(async () => {
      const body = await scrape();
      expect(body).toContain('health_fleet_instances{status="up"} 2');
      return body;
    });
    expect(text).toContain('health_fleet_instances{status="down"} 0');
    expect(text).toContain('health_fleet_publish_failures_total 0');
    expect(
      Number(/^health_fleet_publish_duration_seconds_count (\d+)$/m.exec(text)?.[1]),
    ).toBeGreaterThan(0);
    redis.pause();
    try {
      await eventually(async () => {
        const body = await scrape();
        expect(
          Number(/^health_fleet_publish_failures_total (\d+)$/m.exec(body)?.[1]),
        ).toBeGreaterThan(0);
        // The last view read, while Redis does not answer.
        expect(body).toContain('health_fleet_instances{status="up"} 2');
      });
    } finally {
      redis.resume();
    }
  });

  it('is documented in the OpenAPI document, with the schema of the body it answers', async () => {
    const a = await start(fleet('a'));
    const document = SwaggerModule.createDocument(a.app, new DocumentBuilder().build());
    const responses = document.paths['/health/fleet']?.get?.responses as Record<
      string,
      { content: Record<string, { schema: { $ref: string } }> }
    >;
    expect(Object.keys(responses).sort()).toEqual(['200', '400', '404', '503']);
    expect(responses['200'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/HealthFleetResponse',
    );
    expect(document.paths['/health/fleet/stream']?.get).toBeDefined();
    const schema = document.components?.schemas?.HealthFleetResponse as {
      properties: Record<string, unknown>;
    };
    const { body } = await eventually(async () => {
      const answer = await getJson(`${a.url}/health/fleet`);
      expect(answer.body.summary.instances).toBe(1);
      return answer;
    });
    for (const key of Object.keys(body)) expect(Object.keys(schema.properties)).toContain(key);
  });

  it('keeps to the subscriber limit, and ends every fleet stream when the app closes', async () => {
    const a = await start(fleet('a'), { stream: { maxSubscribers: 1 } });
    const ended = new Promise<void>((resolve) => {
      httpRequest(`${a.url}/health/fleet/stream`, (response) => {
        response.resume();
        response.on('end', resolve);
        response.on('close', resolve);
      })
        .on('error', () => resolve())
        .end();
    });
    await eventually(async () => {
      const refused = await fetch(`${a.url}/health/fleet/stream`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('5');
    });
    replicas.splice(replicas.indexOf(a), 1);
    await a.app.close();
    await ended;
  });

  it('answers 400 naming the parameter for an invalid filter', async () => {
    const a = await start(fleet('a'));
    const response = await fetch(`${a.url}/health/fleet?status=sideways`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain('"status"');
  });
});

describeWithRedis('fleet health with the app’s own clients', () => {
  let master: PrivateRedisServer;
  let sentinel: ChildProcess | undefined;
  let directory: string;
  const apps: INestApplication[] = [];
  const clients: Redis[] = [];

  beforeAll(async () => {
    master = await PrivateRedisServer.start();
    directory = mkdtempSync(join(tmpdir(), 'fleet-sentinel-'));
  });

  afterAll(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    for (const client of clients) client.disconnect();
    sentinel?.kill('SIGKILL');
    await master.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('takes its options from forRootAsync, numbers as strings from configuration', async () => {
    @Module({
      imports: [
        HealthModule.forRootAsync({
          useFactory: () => ({
            logger: false,
            fleet: {
              redis: master.url,
              service: 'async-service',
              instance: 'async-1',
              publishIntervalMs: '200' as unknown as number,
            },
          }),
        }),
      ],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    await eventually(async () => {
      const { status, body } = await getJson(`${url}/health/fleet`);
      expect(status).toBe(200);
      expect(body.instances.map((instance) => instance.instance)).toEqual(['async-1']);
    });
  });

  it('publishes and reads through a Sentinel-managed client the app gives, and leaves it open', async () => {
    const port = await closedPort();
    const config = join(directory, 'sentinel.conf');
    writeFileSync(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${directory}`,
        `sentinel monitor fleetmaster 127.0.0.1 ${master.port} 1`,
        '',
      ].join('\n'),
    );
    sentinel = spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' });
    const client = new Redis({
      sentinels: [{ host: '127.0.0.1', port }],
      name: 'fleetmaster',
      retryStrategy: () => 100,
      sentinelRetryStrategy: () => 100,
    });
    client.on('error', () => undefined);
    clients.push(client);
    await eventually(async () => expect(await client.ping()).toBe('PONG'));
    @Module({
      imports: [
        HealthModule.forRoot({
          logger: false,
          fleet: {
            redis: client,
            service: 'sentinel-service',
            instance: 's-1',
            publishIntervalMs: 200,
          },
        }),
      ],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    const stream = sse(`${url}/health/fleet/stream`);
    try {
      await eventually(async () => {
        const { body } = await getJson(`${url}/health/fleet`);
        expect(body.instances.map((instance) => instance.instance)).toEqual(['s-1']);
      });
      // The fleet stream reads through a duplicate of the Sentinel client.
      await eventually(() => expect(stream.events[0]?.event).toBe('snapshot'));
    } finally {
      stream.close();
      await app.close();
    }
    expect(client.status).toBe('ready');
    expect(await client.exists('health:{sentinel-service}:instance:s-1')).toBe(0);
  });
});

describe('without the fleet option', () => {
  it('maps no fleet route', async () => {
    @Module({ imports: [HealthModule.forRoot({ logger: false })] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      expect((await fetch(`${await app.getUrl()}/health/fleet`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});

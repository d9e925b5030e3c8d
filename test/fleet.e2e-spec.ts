import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis, { Cluster } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  eventLoopIndicator,
  HealthModule,
  type FleetInstanceView,
  type FleetView,
} from 'nest-health';
import type { ExampleEnv } from '../apps/example/src/example-config';
import { ExampleReplica, getAnswer } from './helpers/example-replicas';
import { hasRedisCluster, TestRedisCluster } from './helpers/redis-cluster';
import { hasRedisServer, TestRedisServer } from './helpers/redis-server';
import { SseClient } from './helpers/sse-client';
import { waitFor } from './helpers/wait-for';

// Replicas publish every 250 ms; a replica silent for 1 s is stale, for 2.5 s gone. The TTL is
// four intervals (the default is three) so that two busy cores never make a live replica stale.
const PUBLISH_INTERVAL_MS = 250;
const TTL_MS = 1_000;
const RETENTION_MS = 2_500;
/** Each Redis command of the fleet gives up after this long. */
const FLEET_TIMEOUT_MS = 300;
/** The replicas' shutdown delay: readiness down and still serving, before closing. */
const SHUTDOWN_DELAY_MS = 1_000;
/** Long enough for anything the fleet does in a few intervals, on a loaded machine. */
const SETTLES = { timeoutMs: 15_000, intervalMs: 50 } as const;

/** The environment of every replica of one service on the fleet Redis at `redisUrl`. */
function fleetEnv(redisUrl: string, service: string): ExampleEnv {
  return {
    HEALTH_FLEET: 'true',
    HEALTH_FLEET_REDIS_URL: redisUrl,
    HEALTH_FLEET_SERVICE: service,
    HEALTH_FLEET_PUBLISH_INTERVAL_MS: String(PUBLISH_INTERVAL_MS),
    HEALTH_FLEET_TTL_MS: String(TTL_MS),
    HEALTH_FLEET_RETENTION_MS: String(RETENTION_MS),
    HEALTH_FLEET_TIMEOUT_MS: String(FLEET_TIMEOUT_MS),
    SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
  };
}

// The replicas' Redis is a private redis-server, which the spec hangs and kills; the cluster needs
// redis-cli too. Reported as skipped without them (scripts/services.sh redis installs both).
const describeWithRedisServer = hasRedisServer() ? describe : describe.skip;
const describeWithCluster = hasRedisCluster() ? describe : describe.skip;
/** `GET /health/fleet` of `replica`, which must answer 200. */
async function fleetOf(replica: ExampleReplica): Promise<FleetView> {
  const { status, body } = await replica.get('/health/fleet');
  expect({ status, available: body?.available }).toEqual({ status: 200, available: true });
  return body as FleetView;
}

/** The replicas of a view, by name. */
function names(view: FleetView): string[] {
  return view.instances.map((instance) => instance.instance);
}

/** One replica of a view; fails when it is not in it. */
function member(view: FleetView, instance: string): FleetInstanceView {
  const found = view.instances.find((candidate) => candidate.instance === instance);
  expect(found).toBeDefined();
  return found!;
}

/**
 * `GET /health/ready` of each replica in a loop, every 50 ms, as a kubelet does (1 s to
 * answer, its `timeoutSeconds`), until stopped: what each answered, in order.
 */
class ReadinessProbes {
  readonly answers = new Map<string, Array<number | string>>();
  private readonly stopped = new Set<string>();
  private readonly loops = new Map<string, Promise<void>>();

  constructor(replicas: readonly ExampleReplica[]) {
    for (const replica of replicas) {
      const answers: Array<number | string> = [];
      this.answers.set(replica.instance, answers);
      this.loops.set(replica.instance, this.probe(replica, answers));
    }
  }

  /** Stops probing `instance` (before it is terminated: its readiness then turns down). */
  async stop(instance: string): Promise<void> {
    this.stopped.add(instance);
    await this.loops.get(instance);
  }

  /** Stops every loop. */
  async stopAll(): Promise<void> {
    for (const instance of this.loops.keys()) this.stopped.add(instance);
    await Promise.all(this.loops.values());
  }

  private async probe(replica: ExampleReplica, answers: Array<number | string>): Promise<void> {
    while (!this.stopped.has(replica.instance)) {
      try {
        answers.push((await replica.get('/health/ready', 1_000)).status);
      } catch (error) {
        answers.push(error instanceof Error ? error.message : String(error));
      }
      await sleep(50);
    }
  }
}

describeWithRedisServer(
  'fleet health: three replicas of the example (Express) against one Redis',
  () => {
    const SERVICE = 'e2e-fleet';
    let redis: TestRedisServer;
    let a: ExampleReplica;
    let b: ExampleReplica;
    let c: ExampleReplica;

    beforeAll(async () => {
      redis = await TestRedisServer.start();
      [a, b, c] = await ExampleReplica.startAll(
        [{ instance: 'a' }, { instance: 'b', faultyDatabase: true }, { instance: 'c' }],
        fleetEnv(redis.url, SERVICE),
      );
    }, 200_000);

    afterAll(async () => {
      await Promise.all([a, b, c].map((replica) => replica?.kill()));
      redis?.resume();
      await redis?.stop();
    });

    it('shows every replica in the fleet view of each', async () => {
      for (const replica of [a, b, c]) {
        await waitFor(async () => {
          const view = await fleetOf(replica);
          expect(view.service).toBe(SERVICE);
          expect(names(view)).toEqual(['a', 'b', 'c']);
          for (const instance of view.instances) {
            expect(instance).toMatchObject({ stale: false, terminating: false });
            expect(instance.snapshot?.checks.database?.status).toBe('up');
          }
        }, SETTLES);
      }
    });

    it("shows one replica's database down in every replica's view and on the fleet stream", async () => {
      const stream = await SseClient.connect(`${a.url}/health/fleet/stream`);
      expect(stream.status).toBe(200);
      await stream.next('snapshot');

      await b.database!.refuse();

      for (const replica of [a, b, c]) {
        await waitFor(async () => {
          const view = await fleetOf(replica);
          expect(member(view, 'b').snapshot?.checks.database?.status).toBe('down');
          expect(member(view, 'a').snapshot?.checks.database?.status).toBe('up');
          expect(member(view, 'c').snapshot?.checks.database?.status).toBe('up');
        }, SETTLES);
      }
      await waitFor(() =>
        expect(stream.events).toContainEqual(
          expect.objectContaining({
            type: 'transition',
            data: expect.objectContaining({
              instance: 'b',
              kind: 'indicator',
              name: 'database',
              current: 'down',
            }),
          }),
        ),
      );
      stream.close();
      // Back for the next cases (b is ready again before the Redis outage below).
      await b.database!.forward();
    });

    it('shows a frozen replica (SIGSTOP) as stale, and back once it goes on (SIGCONT)', async () => {
      c.freeze();
      await waitFor(async () => expect(member(await fleetOf(a), 'c').stale).toBe(true), SETTLES);
      const stale = member(await fleetOf(b), 'c');
      expect(stale).toMatchObject({ stale: true, status: 'unknown', ready: false, snapshot: null });

      c.thaw();
      for (const replica of [a, b]) {
        await waitFor(async () => {
          expect(member(await fleetOf(replica), 'c')).toMatchObject({ stale: false, ready: true });
        }, SETTLES);
      }
    });

    it("keeps every replica's probes and shutdown apart from a hung, then killed, Redis; whole again once it is back", async () => {
      for (const replica of [a, b, c]) {
        await waitFor(
          async () => expect((await replica.get('/health/ready')).status).toBe(200),
          SETTLES,
        );
      }
      const probes = new ReadinessProbes([a, b, c]);
      try {
        redis.pause();

        // Each replica answers its fleet endpoint with 503 and the last view it read.
        for (const replica of [a, b, c]) {
          await waitFor(async () => {
            const { status, body } = await replica.get('/health/fleet');
            expect(status).toBe(503);
            expect(body).toMatchObject({ available: false, service: SERVICE });
            expect(names(body as FleetView)).toEqual(['a', 'b', 'c']);
          }, SETTLES);
        }

        // A replica leaving while Redis hangs closes within its delay + 1 s.
        await probes.stop('c');
        const stopped = await c.terminate();
        expect(stopped).toMatchObject({ code: 0, signal: null });
        expect(stopped.ms).toBeLessThan(SHUTDOWN_DELAY_MS + 1_000);

        await redis.stop();
        for (const replica of [a, b]) {
          await waitFor(async () => {
            const { status, body } = await replica.get('/health/fleet');
            expect(status).toBe(503);
            expect(body).toMatchObject({ available: false });
            expect(names(body as FleetView)).toEqual(expect.arrayContaining(['a', 'b']));
          }, SETTLES);
        }

        await redis.restart();
        for (const replica of [a, b]) {
          await waitFor(async () => {
            const view = await fleetOf(replica);
            expect(names(view)).toEqual(['a', 'b']);
            for (const instance of view.instances) expect(instance.stale).toBe(false);
          }, SETTLES);
        }
      } finally {
        redis.resume();
        await probes.stopAll();
      }

      // Through it all every probe of every replica answered 200: its own readiness unchanged.
      for (const [instance, answers] of probes.answers) {
        expect({ instance, answers }).toEqual({ instance, answers: answers.map(() => 200) });
        expect(answers.length).toBeGreaterThanOrEqual(instance === 'c' ? 3 : 10);
      }
    });

    it('shows a killed replica (SIGKILL) as stale after its TTL, then drops it after the retention', async () => {
      await b.kill();

      await waitFor(async () => {
        expect(member(await fleetOf(a), 'b')).toMatchObject({ stale: true, snapshot: null });
      }, SETTLES);
      await waitFor(async () => expect(names(await fleetOf(a))).toEqual(['a']), SETTLES);
    });
  },
);

describeWithRedisServer('fleet health: two services sharing one Redis', () => {
  let redis: TestRedisServer;
  let inspect: Redis;
  let x1: ExampleReplica;
  let x2: ExampleReplica;
  let y1: ExampleReplica;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    inspect = new Redis(redis.url, { lazyConnect: true });
    [x1, x2, y1] = await Promise.all([
      ExampleReplica.start({ instance: 'x1' }, fleetEnv(redis.url, 'e2e-orders')),
      ExampleReplica.start({ instance: 'x2' }, fleetEnv(redis.url, 'e2e-orders')),
      // The other service runs on Fastify: the fleet endpoint answers there too.
      ExampleReplica.start(
        { instance: 'y1', env: { HTTP_ADAPTER: 'fastify' } },
        fleetEnv(redis.url, 'e2e-billing'),
      ),
    ]);
  }, 200_000);

  afterAll(async () => {
    await Promise.all([x1, x2, y1].map((replica) => replica?.kill()));
    inspect?.disconnect();
    await redis?.stop();
  });

  it('never shows one service the replicas of the other', async () => {
    for (const replica of [x1, x2]) {
      await waitFor(async () => {
        const view = await fleetOf(replica);
        expect({ service: view.service, names: names(view) }).toEqual({
          service: 'e2e-orders',
          names: ['x1', 'x2'],
        });
      }, SETTLES);
    }
    await waitFor(async () => {
      const view = await fleetOf(y1);
      expect({ service: view.service, names: names(view) }).toEqual({
        service: 'e2e-billing',
        names: ['y1'],
      });
    }, SETTLES);
  });

  it('sets a TTL on every key a crash could leave behind', async () => {
    const expected = ['e2e-orders', 'e2e-billing'].flatMap((service) => [
      `health:{${service}}:instances`,
      `health:{${service}}:transitions`,
    ]);
    expected.push(
      'health:{e2e-orders}:instance:x1',
      'health:{e2e-orders}:instance:x2',
      'health:{e2e-billing}:instance:y1',
    );
    const keys = await waitFor(async () => {
      const found = await inspect.keys('health:*');
      expect(found.sort()).toEqual(expected.sort());
      return found;
    }, SETTLES);
    const ttls = await Promise.all(
      keys.map(async (key) => [key, await inspect.pttl(key)] as const),
    );
    for (const [key, pttl] of ttls)
      expect({ key, hasTtl: pttl > 0 }).toEqual({ key, hasTtl: true });
  });

  it('shows a replica leaving (SIGTERM) as terminating at once, then drops it', async () => {
    const stopping = x2.terminate();

    await waitFor(async () => {
      expect(member(await fleetOf(x1), 'x2')).toMatchObject({ terminating: true, stale: false });
    }, SETTLES);
    expect(await stopping).toMatchObject({ code: 0, signal: null });
    await waitFor(async () => expect(names(await fleetOf(x1))).toEqual(['x1']), SETTLES);
  });

  it('leaves no replica behind in Redis once every replica closed cleanly', async () => {
    const stopped = await Promise.all([x1, y1].map((replica) => replica.terminate()));
    for (const ended of stopped) expect(ended).toMatchObject({ code: 0, signal: null });

    expect(await inspect.keys('health:*:instance:*')).toEqual([]);
    for (const service of ['e2e-orders', 'e2e-billing']) {
      expect(await inspect.zrange(`health:{${service}}:instances`, 0, -1)).toEqual([]);
    }
  });
});

describeWithCluster('fleet health on a Redis Cluster of three masters', () => {
  const SERVICE = 'e2e-cluster';
  let cluster: TestRedisCluster;
  const clients: Cluster[] = [];
  const apps: INestApplication[] = [];

  /** An app with only the health module, publishing through a `Cluster` client of its own. */
  async function startReplica(instance: string): Promise<string> {
    const client = new Cluster([...cluster.nodes]);
    clients.push(client);
    const moduleRef = await Test.createTestingModule({
      imports: [
        HealthModule.forRoot({
          logger: false,
          indicators: [eventLoopIndicator()],
          fleet: {
            redis: client,
            service: SERVICE,
            instance,
            publishIntervalMs: PUBLISH_INTERVAL_MS,
            ttlMs: TTL_MS,
            retentionMs: RETENTION_MS,
          },
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }

  beforeAll(async () => {
    cluster = await TestRedisCluster.start();
  }, 30_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const client of clients) client.disconnect();
    await cluster?.stop();
  });

  it('shows both replicas to each, and keeps every key of the service on one slot', async () => {
    const urls = await Promise.all(['p1', 'p2'].map(startReplica));

    for (const url of urls) {
      await waitFor(async () => {
        const answer = await getAnswer(`${url}/health/fleet`);
        expect(answer.status).toBe(200);
        const view = answer.body as FleetView;
        expect(names(view)).toEqual(['p1', 'p2']);
        for (const instance of view.instances) expect(instance.stale).toBe(false);
      }, SETTLES);
    }
    const stream = await SseClient.connect(`${urls[0]}/health/fleet/stream`);
    expect(stream.status).toBe(200);
    const snapshot = await stream.next('snapshot');
    expect(names(snapshot.data as FleetView)).toEqual(['p1', 'p2']);
    stream.close();

    // Every key is found on one node, and they all hash to one slot.
    const found: Array<{ key: string; port: number }> = [];
    for (const node of cluster.nodes) {
      const direct = new Redis(node.port, node.host);
      try {
        for (const key of await direct.keys('health:*')) found.push({ key, port: node.port });
      } finally {
        direct.disconnect();
      }
    }
    expect(found.map(({ key }) => key).sort()).toEqual([
      `health:{${SERVICE}}:instance:p1`,
      `health:{${SERVICE}}:instance:p2`,
      `health:{${SERVICE}}:instances`,
      `health:{${SERVICE}}:transitions`,
    ]);
    expect(new Set(found.map(({ port }) => port)).size).toBe(1);
    const slots = await Promise.all(found.map(({ key }) => clients[0].cluster('KEYSLOT', key)));
    expect(new Set(slots).size).toBe(1);
  });
});

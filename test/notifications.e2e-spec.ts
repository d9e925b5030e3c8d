import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthNotification } from 'nest-health';
import { SERVICES } from './helpers/example-app';
import { ExampleReplica } from './helpers/example-replicas';
import { FaultProxy } from './helpers/fault-proxy';
import { waitFor } from './helpers/wait-for';

const SECRET = 'whsec-e2e-Sup3rS3cret';
const TOKEN = 'hook-T0KEN-5a4b3c2d1e';
/** Long enough for the replicas' checks (every 5 s) and a batching window, on a loaded machine. */
const SETTLES = { timeoutMs: 45_000, intervalMs: 100 } as const;

/** A webhook receiver on 127.0.0.1 that keeps every request. */
class Receiver {
  readonly requests: Array<{ headers: IncomingHttpHeaders; raw: Buffer }> = [];
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.requests.push({ headers: request.headers, raw: Buffer.concat(chunks) });
      response.writeHead(204).end();
    });
  });

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/${TOKEN}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  get messages(): HealthNotification[] {
    return this.requests.map(
      (request) => JSON.parse(request.raw.toString('utf8')) as HealthNotification,
    );
  }

  /** `name:transition` of every event received, across messages. */
  events(): string[] {
    return this.messages.flatMap((message) =>
      message.events.map((event) => `${event.type} ${event.name}: ${event.transition}`),
    );
  }
}

/** Verifies `X-Health-Signature` from the documented scheme (not with the library's helper). */
function signed(request: { headers: IncomingHttpHeaders; raw: Buffer }): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-health-signature']));
  if (!match) return false;
  const mac = createHmac('sha256', SECRET).update(`${match[1]}.`).update(request.raw).digest();
  return timingSafeEqual(mac, Buffer.from(match[2], 'hex'));
}

// Three replicas, one on Fastify: the pipeline never touches the HTTP layer, and each replica
// costs a process on a two-core machine.
describe('notifications: three replicas of the example (Express and Fastify) with a fleet and one webhook', () => {
  let receiver: Receiver;
  let database: FaultProxy;
  let replicas: ExampleReplica[] = [];

  beforeAll(async () => {
    receiver = new Receiver();
    const url = await receiver.start();
    // One PostgreSQL proxy for every replica: taking it away is one dependency transition that
    // all three see.
    database = await FaultProxy.start({
      port: Number(new URL(SERVICES.databaseUrl).port || 5432),
    });
    const databaseUrl = new URL(SERVICES.databaseUrl);
    databaseUrl.port = String(database.port);
    replicas = await ExampleReplica.startAll(
      // One replica on Fastify: the pipeline is the same on both adapters.
      [
        { instance: 'n1' },
        { instance: 'n2', env: { HTTP_ADAPTER: 'fastify' } },
        { instance: 'n3' },
      ],
      {
        DATABASE_URL: databaseUrl.toString(),
        HEALTH_FLEET: 'true',
        HEALTH_FLEET_REDIS_URL: SERVICES.redisUrl,
        HEALTH_FLEET_SERVICE: `e2e-notify-${process.pid}`,
        NOTIFY_WEBHOOK_URL: url,
        NOTIFY_WEBHOOK_SECRET: SECRET,
      },
    );
    for (const replica of replicas) {
      await waitFor(
        async () => expect((await replica.get('/health/ready')).status).toBe(200),
        SETTLES,
      );
    }
  }, 200_000);

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.kill()));
    await database?.close();
    await receiver?.stop();
  });

  it('sends one message for a transition that every replica sees, and one for its recovery', async () => {
    // Starting up is not a recovery (a check whose first result is down is an alert, though).
    expect(receiver.events().filter((event) => event.endsWith('recovered'))).toEqual([]);

    await database.refuse();
    for (const replica of replicas) {
      await waitFor(async () => {
        const { body } = await replica.get('/health');
        expect(body.checks.database.status).toBe('down');
      }, SETTLES);
    }
    await waitFor(() => expect(receiver.events()).toContain('indicator database: down'), SETTLES);
    const down = receiver.messages.filter((message) =>
      message.events.some((event) => event.name === 'database' && event.transition === 'down'),
    );
    expect(down).toHaveLength(1);
    expect(['n1', 'n2', 'n3']).toContain(down[0].instance);
    expect(down[0].service).toBe(`e2e-notify-${process.pid}`);

    await database.forward();
    await waitFor(
      () => expect(receiver.events()).toContain('indicator database: recovered'),
      SETTLES,
    );
    // Every transition once, whichever replica won each lock; every message signed.
    const events = receiver.events();
    expect(events.filter((event) => event === 'indicator database: down')).toHaveLength(1);
    expect(events.filter((event) => event === 'indicator database: recovered')).toHaveLength(1);
    expect(new Set(events).size).toBe(events.length);
    expect(receiver.requests.every(signed)).toBe(true);
    // The replicas never print the webhook's token or secret.
    for (const replica of replicas) {
      expect(replica.logs).not.toContain(TOKEN);
      expect(replica.logs).not.toContain(SECRET);
    }
  }, 120_000);
});

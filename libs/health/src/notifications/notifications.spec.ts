import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { down, up } from '../check';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthModule } from '../health.module';
import { HealthMetrics } from '../metrics/health-metrics.service';
import type { HealthModuleOptions } from '../health-module-options';
import { CapturingLogger } from '../../../../test/helpers/capturing-logger';
import { waitFor } from '../../../../test/helpers/wait-for';
import {
  HealthNotifications,
  type HealthNotificationOutcomeEvent,
} from './health-notifications.service';
import { verifyHealthNotificationSignature } from './notification-signature';
import type { HealthNotification } from './notification.types';

const SECRET = 'whsec-Sup3rS3cret-signing-key';
const TOKEN = 'T0KEN-9f8e7d6c5b4a';

/** One request the receiver got. */
interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly raw: Buffer;
  readonly at: number;
}

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

/** A real HTTP receiver on 127.0.0.1 that records every request and answers as told. */
class Receiver {
  readonly requests: Received[] = [];
  answer: Answer = (_, response) => response.writeHead(204).end();
  private server?: Server;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests.push({
          path: (request.url ?? '').split('?')[0],
          headers: request.headers,
          raw: Buffer.concat(chunks),
          at: Date.now(),
        });
        // No keep-alive: once the port is closed, every new attempt is refused.
        response.shouldKeepAlive = false;
        this.answer(request, response);
      });
    });
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Closes the port at once (hanging connections included): the next attempt is refused. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /**
   * Stops listening (and closes idle keep-alive connections) but leaves requests in progress
   * hanging: the next connection is refused.
   */
  refuse(): void {
    this.server?.close();
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The messages received on `path`, parsed. */
  messages(path: string): HealthNotification[] {
    return this.requests
      .filter((request) => request.path === path)
      .map((request) => JSON.parse(request.raw.toString('utf8')) as HealthNotification);
  }
}

/**
 * A verifier written from the documented scheme, independent of the module's helper:
 * `X-Health-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 */
function independentlyVerified(request: Received, secret: string): boolean {
  const header = String(request.headers['x-health-signature'] ?? '');
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const [, t, v1] = match;
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const mac = createHmac('sha256', secret);
  mac.update(Buffer.from(`${t}.`, 'utf8'));
  mac.update(request.raw);
  return timingSafeEqual(mac.digest(), Buffer.from(v1, 'hex'));
}

// Batching windows, retries and backoff take seconds of real time; generous on a loaded machine.
jest.setTimeout(90_000);

describe('notifications with the real engine and a real receiver', () => {
  let app: INestApplication | undefined;
  let receiver: Receiver;
  let logger: CapturingLogger;
  let outcomes: HealthNotificationOutcomeEvent[];
  /** Whether each indicator's next run is up. */
  const healthy = new Map<string, boolean>();

  beforeEach(async () => {
    receiver = await new Receiver().start();
    logger = new CapturingLogger();
    outcomes = [];
    healthy.clear();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await receiver.stop();
    // Secrets: no log line (delivery errors included) ever holds the token or the secret.
    const seen = JSON.stringify(logger.lines);
    expect(seen).not.toContain(TOKEN);
    expect(seen).not.toContain(SECRET);
  });

  async function boot(
    names: readonly string[],
    notifications: HealthModuleOptions['notifications'],
  ): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger, notifications, metrics: true })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    const registry = app.get(HealthRegistry);
    for (const name of names) {
      healthy.set(name, true);
      registry.register(() => (healthy.get(name) ? up() : down(`${name}: connect ECONNREFUSED`)), {
        name,
        intervalMs: 100,
      });
    }
    app.get(HealthNotifications).outcomes.subscribe((outcome) => outcomes.push(outcome));
    await app.init();
    const state = app.get(HealthStateStore);
    await waitFor(() => names.forEach((name) => expect(state.indicator(name)?.status).toBe('up')));
    return app;
  }

  /** Turns the indicators down (or up) and waits until the engine says so. */
  async function turn(names: readonly string[], to: 'up' | 'down'): Promise<void> {
    for (const name of names) healthy.set(name, to === 'up');
    const state = app!.get(HealthStateStore);
    await waitFor(() => names.forEach((name) => expect(state.indicator(name)?.status).toBe(to)));
  }

  const count = (outcome: string) => outcomes.filter((o) => o.outcome === outcome).length;

  it('sends six indicators going down together as one signed message, then one recovery', async () => {
    const six = ['db-1', 'db-2', 'db-3', 'db-4', 'db-5', 'db-6'];
    await boot(six, {
      service: 'orders',
      instance: 'pod-1',
      channels: [
        {
          type: 'webhook',
          url: receiver.url(`/hooks/${TOKEN}`),
          secret: SECRET,
          headers: { 'X-Team': 'payments' },
          filter: { indicator: six },
        },
      ],
    });
    expect(receiver.requests).toHaveLength(0); // first results (unknown → up) are no recovery

    await turn(six, 'down');
    await waitFor(() => expect(receiver.requests).toHaveLength(1));
    const [request] = receiver.requests;
    expect(independentlyVerified(request, SECRET)).toBe(true);
    expect(independentlyVerified(request, 'another secret')).toBe(false);
    expect(
      verifyHealthNotificationSignature(
        request.raw,
        String(request.headers['x-health-signature']),
        SECRET,
      ),
    ).toBe(true);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toMatch(/^nest-health/);
    expect(request.headers['x-team']).toBe('payments');
    const [message] = receiver.messages(`/hooks/${TOKEN}`);
    expect(message).toMatchObject({
      version: 1,
      service: 'orders',
      instance: 'pod-1',
      status: 'down',
    });
    expect(message.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(message.events.map((event) => event.name).sort()).toEqual(six);
    expect(message.events[0]).toMatchObject({
      transition: 'down',
      reminder: false,
      type: 'indicator',
      from: 'up',
      to: 'down',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    expect(typeof message.events[0].previousDurationMs).toBe('number');

    await turn(six, 'up');
    await waitFor(() => expect(receiver.requests).toHaveLength(2));
    const recovery = receiver.messages(`/hooks/${TOKEN}`)[1];
    expect(recovery.status).toBe('up');
    expect(recovery.events.map((event) => event.transition)).toEqual(six.map(() => 'recovered'));
    expect(count('sent')).toBe(2);
    const { body } = await app!.get(HealthMetrics).scrape();
    expect(body).toContain('health_notifications_total{channel="webhook",outcome="sent"} 2');
    expect(body).toContain('health_notifications_total{channel="webhook",outcome="failed"} 0');
    expect(body).toContain('health_notification_queue_depth{channel="webhook"} 0');
  });

  it('retries through 500, 429 with Retry-After, a hang and a refused port, then delivers', async () => {
    const path = `/retry/${TOKEN}`;
    let n = 0;
    receiver.answer = (request, response) => {
      if (!request.url?.startsWith(`${path}?`)) return void response.writeHead(404).end();
      n += 1;
      if (n === 1) response.writeHead(500).end();
      else if (n === 2) response.writeHead(429, { 'Retry-After': '1' }).end();
      else if (n === 3)
        receiver.refuse(); // hangs (the attempt times out), and the port closes
      else response.writeHead(200).end('ok');
    };
    await boot(['payments'], {
      batchWindowMs: 0,
      channels: [
        {
          type: 'webhook',
          name: 'ops',
          url: receiver.url(`${path}?key=${TOKEN}`),
          secret: SECRET,
          timeoutMs: 500,
          maxAttempts: 8,
          filter: { indicator: 'payments' },
        },
        // A 404 is not retried: the failure is logged once, redacted.
        {
          type: 'webhook',
          name: 'gone',
          url: receiver.url(`/gone/${TOKEN}`),
          filter: { indicator: 'payments' },
        },
      ],
    });
    await turn(['payments'], 'down');

    // Attempts 1–3 fail (500, 429, timeout), and the port is closed, so attempt 4 is refused.
    await waitFor(() => expect(count('retried')).toBe(4), { timeoutMs: 20_000 });
    // The receiver comes back on the same port: the next attempt is delivered.
    const port = receiver.port;
    await receiver.stop();
    await receiver.start(port);
    await waitFor(() => expect(outcomes).toContainEqual({ channel: 'ops', outcome: 'sent' }), {
      timeoutMs: 30_000,
    });

    const attempts = receiver.requests.filter((request) => request.path === path);
    expect(attempts).toHaveLength(4); // 500, 429, hang, success (refused ones never arrive)
    expect(attempts.every((attempt) => independentlyVerified(attempt, SECRET))).toBe(true);
    const ids = receiver.messages(path).map((message) => message.id);
    expect(new Set(ids).size).toBe(1); // one message, retried
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(950); // Retry-After: 1
    // At least one refused attempt; more if a retry came before the port reopened.
    const ops = outcomes.filter((o) => o.channel === 'ops').map((o) => o.outcome);
    expect(ops.at(-1)).toBe('sent');
    expect(ops.slice(0, -1).every((outcome) => outcome === 'retried')).toBe(true);
    expect(ops.length).toBeGreaterThanOrEqual(5);
    expect(outcomes.filter((o) => o.channel === 'gone').map((o) => o.outcome)).toEqual(['failed']);
    expect(
      logger.lines.some(
        ({ message }) => message.includes('"gone"') && message.includes('HTTP 404'),
      ),
    ).toBe(true);
  }, 90_000);

  it('tells of a flapping indicator once within the minimum interval', async () => {
    const path = `/flap/${TOKEN}`;
    await boot(['cache'], {
      batchWindowMs: 200,
      channels: [
        {
          type: 'webhook',
          url: receiver.url(path),
          minimumIntervalMs: 4_000,
          filter: { indicator: 'cache' },
        },
      ],
    });
    for (let i = 0; i < 3; i++) {
      await turn(['cache'], 'down');
      await turn(['cache'], 'up');
    }
    // The minimum interval (4 s from the first alert) ends while the indicator is up: nothing
    // more is owed to the receiver.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const events = receiver.messages(path).flatMap((message) => message.events);
    expect(events.map((event) => event.transition)).toEqual(['down', 'recovered']);
    expect(receiver.messages(path).length).toBeLessThanOrEqual(2);
  }, 30_000);

  it('sends the pending batch at shutdown', async () => {
    const path = `/flush/${TOKEN}`;
    await boot(['queue'], {
      batchWindowMs: 300_000,
      channels: [{ type: 'webhook', url: receiver.url(path), filter: 'queue' }],
    });
    await turn(['queue'], 'down');
    expect(receiver.requests).toHaveLength(0); // held by the batching window
    await app!.close();
    app = undefined;
    expect(receiver.messages(path).map((message) => message.events[0].transition)).toEqual([
      'down',
    ]);
    expect(count('sent')).toBe(1);
  });

  it('drops what it cannot deliver by the end of the shutdown timeout, and says so per channel', async () => {
    const path = `/hang/${TOKEN}`;
    receiver.answer = () => undefined; // never answers
    await boot(['queue'], {
      batchWindowMs: 300_000,
      shutdownTimeoutMs: 300,
      channels: [{ type: 'webhook', name: 'pager', url: receiver.url(path), filter: 'queue' }],
    });
    await turn(['queue'], 'down');
    const metrics = app!.get(HealthMetrics);
    app!.get(HealthNotifications).onModuleDestroy(); // what shutdown does first: flush the batch
    await waitFor(async () =>
      expect((await metrics.scrape()).body).toContain(
        'health_notification_queue_depth{channel="pager"} 1',
      ),
    );
    await app!.close();
    app = undefined;
    expect(count('dropped')).toBe(1);
    expect(logger.lines.map((line) => line.message)).toContainEqual(
      expect.stringMatching(/"pager" dropped 1 undelivered/),
    );
  });
});

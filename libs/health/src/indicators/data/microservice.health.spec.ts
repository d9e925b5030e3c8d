import {
  Controller,
  Logger,
  Module,
  type INestApplication,
  type INestMicroservice,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  MessagePattern,
  Payload,
  Transport,
  type ClientProxy,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { TestRedisServer } from '../../../../../test/helpers/redis-server';
import {
  checkOnce,
  closedPort,
  HangingProxy,
  runInEngine,
  waitFor,
} from '../../../spec-helpers/faults';
import { InvalidHealthIndicatorOptionsError } from '../../errors';
import { microserviceIndicator } from './microservice.health';

jest.setTimeout(40_000);

/** A pattern of this run only: the brokers are shared. */
const SUFFIX = randomUUID().slice(0, 8);
const PING = `nest-health-spec.${SUFFIX}.ping`;
/** Messages the services of this spec have handled (server-side count). */
let handled = 0;

@Controller()
class PingController {
  @MessagePattern(PING)
  ping(@Payload() data: unknown) {
    handled += 1;
    return { pong: true, data };
  }
}

@Module({ controllers: [PingController] })
class PingModule {}

/** What a Nest client keeps inside, read to prove what the indicator left behind. */
interface ClientInternals {
  readonly routingMap: Map<string, unknown>;
  readonly _status$: { readonly observed: boolean };
}

function internals(client: ClientProxy): ClientInternals {
  return client as unknown as ClientInternals;
}

async function startServer(options: MicroserviceOptions): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(PingModule, {
    ...options,
    logger: false,
  });
  await app.listen();
  return app;
}

async function settles(promise: Promise<unknown>): Promise<void> {
  let settled = false;
  void promise.finally(() => (settled = true));
  await waitFor(() => settled);
}

/** Counts a Redis server's client connections, and the connections it ever accepted. */
async function redisConnections(port: number): Promise<{ connected: number; received: number }> {
  const admin = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  await admin.connect();
  const list = (await admin.client('LIST')) as string;
  const stats = await admin.info('stats');
  admin.disconnect();
  return {
    connected: list.trim().split('\n').length - 1, // minus this connection
    received: Number(/^total_connections_received:(\d+)/m.exec(stats)?.[1]),
  };
}

function tcpConnections(server: INestMicroservice): Promise<number> {
  const net = server.unwrap<Server>();
  return new Promise((resolve, reject) =>
    net.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

describe('microserviceIndicator (real transports)', () => {
  const cleanups: Array<() => unknown> = [];

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  /** Closes what a test started, last first; a close that fails (its server is gone) is let go. */
  async function runCleanups(): Promise<void> {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // torn down already
      }
    }
  }

  afterEach(runCleanups);

  function client(transport: Transport, options: Record<string, unknown>): ClientProxy {
    const created = ClientProxyFactory.create({
      transport,
      options,
    } as never) as unknown as ClientProxy;
    cleanups.push(() => created.close());
    return created;
  }

  async function server(options: MicroserviceOptions): Promise<INestMicroservice> {
    const started = await startServer(options);
    cleanups.push(() => started.close());
    return started;
  }

  const RMQ_QUEUE = `nest-health-spec-${SUFFIX}`;
  const transports: Array<[string, Transport, () => Promise<Record<string, unknown>>]> = [
    ['TCP', Transport.TCP, async () => ({ host: '127.0.0.1', port: await closedPort() })],
    ['Redis', Transport.REDIS, () => Promise.resolve({ host: '127.0.0.1', port: 6379 })],
    ['NATS', Transport.NATS, () => Promise.resolve({ servers: ['nats://127.0.0.1:4222'] })],
    ['MQTT', Transport.MQTT, () => Promise.resolve({ url: 'mqtt://127.0.0.1:1883' })],
    [
      'RMQ',
      Transport.RMQ,
      () =>
        Promise.resolve({
          urls: ['amqp://guest:guest@127.0.0.1:5672'],
          queue: RMQ_QUEUE,
          queueOptions: { durable: false, autoDelete: true },
        }),
    ],
  ];

  describe.each(transports)('a ClientProxy over %s', (_label, transport, optionsFor) => {
    it('is up from its status, sends nothing, and makes the send round trip when asked', async () => {
      const options = await optionsFor();
      await server({ transport, options } as MicroserviceOptions);
      const proxy = client(transport, options);
      const statusOnly = microserviceIndicator(proxy);

      // never connected yet: the check asks it to connect, as its first message would
      const before = handled;
      expect(await checkOnce(statusOnly)).toEqual({ status: 'up', data: { status: 'connected' } });
      for (let i = 0; i < 100; i += 1) {
        expect((await checkOnce(statusOnly)).status).toBe('up');
      }
      expect(handled).toBe(before); // status only: no message reached the service

      const roundTrip = microserviceIndicator(proxy, {
        name: 'orders',
        send: { pattern: PING, data: { n: 1 }, expect: { pong: true, data: { n: 1 } } },
      });
      const result = await checkOnce(roundTrip, 5_000);
      expect(result).toEqual({
        status: 'up',
        data: { status: 'connected', responseTimeMs: expect.any(Number) },
      });
      expect(handled).toBe(before + 1);
      expect(internals(proxy).routingMap.size).toBe(0);

      const wrongReply = microserviceIndicator(proxy, {
        send: { pattern: PING, expect: { pong: false } },
      });
      expect(await checkOnce(wrongReply, 5_000)).toMatchObject({
        status: 'down',
        message: 'the reply is not the one expected',
      });

      // close() ends its status subscriptions and never closes the client
      await Promise.all([statusOnly.close(), roundTrip.close(), wrongReply.close()]);
      expect(internals(proxy)._status$.observed).toBe(false);
      await expect(firstValueFrom(proxy.send(PING, 'still open'))).resolves.toEqual({
        pong: true,
        data: 'still open',
      });
      // and a check after close() subscribes again
      expect((await checkOnce(statusOnly)).status).toBe('up');
      await statusOnly.close();
    });
  });

  it('TCP: 10,000 status-only runs send nothing and open no connection', async () => {
    const options = { host: '127.0.0.1', port: await closedPort() };
    const service = await server({ transport: Transport.TCP, options });
    const proxy = client(Transport.TCP, options);
    await proxy.connect();
    await waitFor(async () => (await tcpConnections(service)) === 1);
    const indicator = microserviceIndicator(proxy);
    const before = handled;
    for (let i = 0; i < 10_000; i += 1) {
      const result = await checkOnce(indicator);
      if (result.status !== 'up') throw new Error(`run ${i}: ${JSON.stringify(result)}`);
    }
    expect(handled).toBe(before);
    expect(await tcpConnections(service)).toBe(1);
    await indicator.close();
  });

  describe('on a private redis-server', () => {
    let redis: TestRedisServer;

    beforeEach(async () => {
      redis = await TestRedisServer.start();
    });

    afterEach(async () => {
      await runCleanups();
      await redis.stop();
    });

    it('10,000 status-only runs send nothing and open no connection', async () => {
      const options = { host: '127.0.0.1', port: redis.port };
      await server({ transport: Transport.REDIS, options });
      const proxy = client(Transport.REDIS, options);
      await proxy.connect();
      const indicator = microserviceIndicator(proxy);
      const before = await redisConnections(redis.port);
      const handledBefore = handled;
      for (let i = 0; i < 10_000; i += 1) {
        const result = await checkOnce(indicator);
        if (result.status !== 'up') throw new Error(`run ${i}: ${JSON.stringify(result)}`);
      }
      const after = await redisConnections(redis.port);
      expect(after.connected).toBe(before.connected);
      // only the counting connection itself was accepted in between
      expect(after.received).toBe(before.received + 1);
      expect(handled).toBe(handledBefore);
      await indicator.close();
    });

    it('stopped: down; restarted: up again, through the same client (no retryAttempts)', async () => {
      const proxy = client(Transport.REDIS, { host: '127.0.0.1', port: redis.port });
      const indicator = microserviceIndicator(proxy);
      expect(await checkOnce(indicator)).toEqual({ status: 'up', data: { status: 'connected' } });

      await redis.stop();
      await waitFor(() => latestStatus(proxy) === 'disconnected');
      const stopped = await checkOnce(indicator);
      expect(stopped).toMatchObject({
        status: 'down',
        message: expect.stringMatching(/^not connected \(disconnected\): /),
        data: { status: 'disconnected' },
      });
      // without connect, the client says what it is and nothing is attempted
      expect(await checkOnce(microserviceIndicator(proxy, { connect: false }))).toEqual({
        status: 'down',
        message: 'not connected (disconnected)',
        data: { status: 'disconnected' },
      });

      await redis.restart();
      expect(await checkOnce(indicator)).toEqual({ status: 'up', data: { status: 'connected' } });
      await indicator.close();
    });

    it('stopped: down while the client reconnects (retryAttempts); up when it has', async () => {
      const proxy = client(Transport.REDIS, {
        host: '127.0.0.1',
        port: redis.port,
        retryAttempts: 1_000,
        retryDelay: 50,
      });
      await proxy.connect();
      const indicator = microserviceIndicator(proxy, { connect: false });
      expect((await checkOnce(indicator)).status).toBe('up');

      await redis.stop();
      await waitFor(() => latestStatus(proxy) === 'reconnecting');
      expect(await checkOnce(indicator)).toEqual({
        status: 'down',
        message: 'not connected (reconnecting)',
        data: { status: 'reconnecting' },
      });

      await redis.restart();
      await waitFor(async () => (await checkOnce(indicator)).status === 'up', 5_000);
      await indicator.close();
    });

    it('hung (SIGSTOP): the send round trip is down at the deadline, with nothing left waiting', async () => {
      const options = { host: '127.0.0.1', port: redis.port };
      await server({ transport: Transport.REDIS, options });
      const proxy = client(Transport.REDIS, options);
      const indicator = microserviceIndicator(proxy, { send: { pattern: PING } });
      expect((await checkOnce(indicator, 5_000)).status).toBe('up');

      redis.pause();
      try {
        const hung = await runInEngine(indicator, 300);
        expect(hung).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
        await settles(hung.settled);
        expect(internals(proxy).routingMap.size).toBe(0);
        // the status alone cannot see a hang: the connection is still open
        expect((await checkOnce(microserviceIndicator(proxy))).status).toBe('up');
      } finally {
        redis.resume();
      }
      await waitFor(async () => (await checkOnce(indicator, 2_000)).status === 'up', 10_000);
      await indicator.close();
    });

    it('a hybrid app’s Redis server: up; stopped: down; restarted: up', async () => {
      const app = await NestFactory.create(PingModule, { logger: false });
      cleanups.push(() => app.close());
      const microservice = app.connectMicroservice<MicroserviceOptions>({
        transport: Transport.REDIS,
        options: { host: '127.0.0.1', port: redis.port, retryAttempts: 1_000, retryDelay: 50 },
      });
      expect(app.getMicroservices()).toEqual([microservice]);
      const indicator = microserviceIndicator(microservice);
      expect(await checkOnce(indicator)).toEqual({
        status: 'down',
        message: 'no status yet: the server is not listening',
        data: { status: null },
      });
      await app.startAllMicroservices();
      await waitFor(async () => (await checkOnce(indicator)).status === 'up');

      await redis.stop();
      await waitFor(async () => (await checkOnce(indicator)).status === 'down');
      expect(await checkOnce(indicator)).toMatchObject({
        message: expect.stringMatching(/^not connected \((reconnecting|disconnected)\)$/),
      });

      await redis.restart();
      await waitFor(async () => (await checkOnce(indicator)).status === 'up', 5_000);
      await indicator.close();
    });
  });

  describe('TCP', () => {
    it('stopped: down; restarted: up again, through the same client', async () => {
      const options = { host: '127.0.0.1', port: await closedPort() };
      let service = await startServer({ transport: Transport.TCP, options });
      const proxy = client(Transport.TCP, options);
      const statusOnly = microserviceIndicator(proxy);
      const roundTrip = microserviceIndicator(proxy, { send: { pattern: PING } });
      try {
        expect((await checkOnce(statusOnly)).status).toBe('up');
        expect((await checkOnce(roundTrip)).status).toBe('up');

        await service.close();
        await waitFor(() => latestStatus(proxy) === 'disconnected');
        expect(await checkOnce(statusOnly)).toMatchObject({
          status: 'down',
          message: expect.stringMatching(/^not connected \(disconnected\): .*ECONNREFUSED/),
          data: { status: 'disconnected' },
        });
        await expect(checkOnce(roundTrip)).rejects.toThrow(/ECONNREFUSED/);

        service = await startServer({ transport: Transport.TCP, options });
        // the client's refused socket closes a moment after the refusal: until then its
        // connect() answers with that refusal
        await waitFor(async () => (await checkOnce(statusOnly)).status === 'up');
        expect(await checkOnce(statusOnly)).toEqual({
          status: 'up',
          data: { status: 'connected' },
        });
        expect((await checkOnce(roundTrip)).status).toBe('up');
      } finally {
        await Promise.all([statusOnly.close(), roundTrip.close()]);
        await service.close();
      }
    });

    it('hung (fault proxy): the send round trip is down at the deadline; up when it answers', async () => {
      const target = { host: '127.0.0.1', port: await closedPort() };
      await server({ transport: Transport.TCP, options: target });
      const proxy = await HangingProxy.start(target.port);
      cleanups.push(() => proxy.close());
      const tcp = client(Transport.TCP, { host: '127.0.0.1', port: proxy.port });
      const indicator = microserviceIndicator(tcp, { send: { pattern: PING } });
      expect((await checkOnce(indicator)).status).toBe('up');

      proxy.hangWhen(() => true);
      const hung = await runInEngine(indicator, 300);
      expect(hung).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
      await settles(hung.settled);
      expect(proxy.isHung).toBe(true);
      expect(internals(tcp).routingMap.size).toBe(0);

      proxy.forward();
      expect((await checkOnce(indicator)).status).toBe('up');
      expect(proxy.accepted).toBe(1); // the client's one connection all along
      await indicator.close();
    });

    it('a hybrid app’s TCP server: no status before it listens, up while it does, down once closed', async () => {
      const port = await closedPort();
      const app: INestApplication = await NestFactory.create(PingModule, { logger: false });
      const microservice = app.connectMicroservice<MicroserviceOptions>({
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port },
      });
      const indicator = microserviceIndicator(app.getMicroservices()[0]);
      try {
        expect((await checkOnce(indicator)).status).toBe('down');
        await app.startAllMicroservices();
        expect(await checkOnce(indicator)).toEqual({ status: 'up', data: { status: 'connected' } });
        // a client of it answers: the server is the one checked
        const tcp = client(Transport.TCP, { host: '127.0.0.1', port });
        await expect(firstValueFrom(tcp.send(PING, 1))).resolves.toEqual({ pong: true, data: 1 });
        expect(await tcpConnections(microservice)).toBe(1);
      } finally {
        await app.close();
      }
      await waitFor(() => latestStatus(microservice) === 'disconnected');
      expect(await checkOnce(indicator)).toEqual({
        status: 'down',
        message: 'not connected (disconnected)',
        data: { status: 'disconnected' },
      });
      await indicator.close();
    });
  });

  it('RMQ to a closed port: down with the reason, never the URL and its password', async () => {
    const port = await closedPort();
    const proxy = client(Transport.RMQ, {
      urls: [`amqp://guest:s3cret-pass@127.0.0.1:${port}`],
      queue: RMQ_QUEUE,
    });
    const indicator = microserviceIndicator(proxy);
    const result = await checkOnce(indicator, 5_000);
    expect(result).toMatchObject({
      status: 'down',
      message: expect.stringMatching(
        /^not connected \((no status yet|disconnected)\): connect ECONNREFUSED/,
      ),
    });
    expect([null, 'disconnected']).toContain(result.data?.status);
    expect(JSON.stringify(result)).not.toContain('s3cret');
    await indicator.close();
  });

  describe('arguments', () => {
    it('refuses what has no status observable, and client-only options for a server', async () => {
      expect(() => microserviceIndicator({} as never)).toThrow(InvalidHealthIndicatorOptionsError);
      expect(() => microserviceIndicator(null as never)).toThrow(/"target" is "null"/);
      const app = await NestFactory.create(PingModule, { logger: false });
      cleanups.push(() => app.close());
      const microservice = app.connectMicroservice<MicroserviceOptions>({
        transport: Transport.TCP,
        options: { port: await closedPort() },
      });
      expect(() => microserviceIndicator(microservice, { send: { pattern: PING } })).toThrow(
        /"send" .*only for a client/,
      );
      expect(() => microserviceIndicator(microservice, { connect: false })).toThrow(
        /"connect" .*only for a client/,
      );
    });

    it('refuses a send without a pattern, with null data or unknown keys', () => {
      const proxy = client(Transport.TCP, { port: 1 });
      for (const send of [
        {},
        { pattern: '' },
        { pattern: PING, data: null },
        { pattern: PING, x: 1 },
      ]) {
        expect(() => microserviceIndicator(proxy, { send: send as never })).toThrow(
          /"send" .*must be \{ pattern, data\?, expect\? \}/,
        );
      }
      expect(() =>
        microserviceIndicator(proxy, { send: { pattern: { cmd: 'health' } } }),
      ).not.toThrow();
    });

    it('is down, not thrown, for a transport without status (gRPC’s getter throws)', async () => {
      const grpcLike = {
        get status(): never {
          throw new Error('The "status" attribute is not supported by the gRPC transport');
        },
      };
      const indicator = microserviceIndicator(grpcLike);
      expect(await checkOnce(indicator)).toEqual({
        status: 'down',
        message: 'no status: The "status" attribute is not supported by the gRPC transport',
      });
    });
  });
});

/** The client's latest status, read the way the indicator reads it. */
function latestStatus(source: ClientProxy | INestMicroservice): string | undefined {
  let latest: string | undefined;
  source.status.subscribe((status) => (latest = status)).unsubscribe();
  return latest;
}

import { randomUUID } from 'node:crypto';
import { AckPolicy, connect, type NatsConnection } from 'nats';
import { checkOnce, runInEngine, waitFor } from '../../../spec-helpers/faults';
import type { HealthCheckResult } from '../../check';
import type { BuiltInIndicator } from '../core';
import { PrivateNatsServer } from '../../../spec-helpers/nats-server';
import { InvalidHealthIndicatorOptionsError } from '../../errors';
import { natsIndicator } from './nats.health';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** Resolves once `promise` has settled; fails the spec if it is still pending after 3 s. */
async function settles(promise: Promise<unknown>): Promise<void> {
  let settled = false;
  void promise.finally(() => (settled = true));
  await waitFor(() => settled);
}

/**
 * The result of one check, or `rejected` (a round trip cut by the disconnect itself rejects, as
 * the engine records as down, before the client has reported the disconnect).
 */
function resultOf(indicator: BuiltInIndicator): Promise<HealthCheckResult | 'rejected'> {
  return checkOnce(indicator).catch(() => 'rejected' as const);
}

/** The status iterators the app's connection feeds (the client's own list). */
function statusListeners(connection: NatsConnection): number {
  return (connection as unknown as { listeners: unknown[] }).listeners.length;
}

describe('natsIndicator (real NATS)', () => {
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });

  afterAll(async () => {
    await nc.close();
  });

  it('is up from the status alone, sends nothing, and leaves the connection open', async () => {
    const indicator = natsIndicator(nc);
    try {
      // counts the calls that would go to the server; the real methods run
      const calls = (['flush', 'rtt', 'request', 'publish', 'jetstreamManager'] as const).map(
        (method) => jest.spyOn(nc, method),
      );
      const result = await checkOnce(indicator);
      for (let i = 0; i < 100; i += 1) await checkOnce(indicator);
      for (const call of calls) {
        expect(call).not.toHaveBeenCalled();
        call.mockRestore();
      }
      expect(result).toEqual({
        status: 'up',
        data: {
          state: 'connected',
          since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          server: '127.0.0.1:4222',
          serverName: expect.any(String),
          serverVersion: nc.info?.version,
          jetstreamEnabled: true,
          reconnects: 0,
        },
      });
    } finally {
      await indicator.close();
    }
    expect(nc.isClosed()).toBe(false);
    await expect(nc.flush()).resolves.toBeUndefined();
  });

  it('with roundTrip: one flush per check, its time as rttMs, with levels', async () => {
    const indicator = natsIndicator(nc, { roundTrip: true, rttMs: { degradedAbove: 0 } });
    try {
      const flush = jest.spyOn(nc, 'flush'); // counts the calls; the real flush runs
      const result = await checkOnce(indicator);
      expect(flush).toHaveBeenCalledTimes(1);
      flush.mockRestore();
      expect(result).toMatchObject({
        status: 'degraded',
        message: expect.stringMatching(/^rttMs [\d.]+ is above 0$/),
        data: { state: 'connected', rttMs: expect.any(Number) },
      });
      expect(
        await checkOnce(natsIndicator(nc, { roundTrip: true, rttMs: { downAbove: 60_000 } })),
      ).toMatchObject({ status: 'up', data: { rttMs: expect.any(Number) } });
    } finally {
      await indicator.close();
    }
  });

  describe('JetStream', () => {
    const stream = `NEST_HEALTH_SPEC_${randomUUID().replaceAll('-', '')}`;
    const subject = `${stream.toLowerCase()}.orders`;

    beforeAll(async () => {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: stream, subjects: [subject] });
      await jsm.consumers.add(stream, {
        durable_name: 'billing',
        ack_policy: AckPolicy.Explicit,
      });
      const js = nc.jetstream();
      for (let i = 0; i < 3; i += 1) await js.publish(subject, new TextEncoder().encode(`${i}`));
    });

    afterAll(async () => {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.delete(stream);
    });

    it('stream messages and consumer lag as data, with levels; acknowledged work is up again', async () => {
      const indicator = natsIndicator(nc, {
        jetstream: {
          stream: { name: stream, messages: { degradedAbove: 2 } },
          consumer: {
            stream,
            name: 'billing',
            pending: { downAbove: 2 },
            ackPending: { degradedAbove: 2 },
          },
        },
      });
      try {
        expect(await checkOnce(indicator)).toMatchObject({
          status: 'down',
          message: `consumer ${stream}/billing: pending 3 is above 2; stream ${stream}: messages 3 is above 2`,
          data: {
            state: 'connected',
            jetstream: {
              stream: {
                name: stream,
                messages: 3,
                bytes: expect.any(Number),
                consumers: 1,
                lastSeq: 3,
              },
              consumer: {
                stream,
                name: 'billing',
                pending: 3,
                ackPending: 0,
                redelivered: 0,
                waiting: 0,
              },
            },
          },
        });

        // delivered, not acknowledged: no longer pending, awaiting acks
        const consumer = await nc.jetstream().consumers.get(stream, 'billing');
        const messages = await consumer.fetch({ max_messages: 3, expires: 1_000 });
        const held = [];
        for await (const message of messages) held.push(message);
        expect(held).toHaveLength(3);
        expect(await checkOnce(indicator)).toMatchObject({
          status: 'degraded',
          message: `stream ${stream}: messages 3 is above 2; consumer ${stream}/billing: ackPending 3 is above 2`,
          data: { jetstream: { consumer: { pending: 0, ackPending: 3 } } },
        });

        for (const message of held) await message.ackAck();
        const result = await checkOnce(
          natsIndicator(nc, {
            jetstream: {
              stream,
              consumer: { stream, name: 'billing', ackPending: { downAbove: 0 } },
            },
          }),
        );
        expect(result).toMatchObject({
          status: 'up',
          data: { jetstream: { stream: { messages: 3 }, consumer: { pending: 0, ackPending: 0 } } },
        });
      } finally {
        await indicator.close();
      }
    });

    it("a stream or consumer that does not exist: down with the server's answer", async () => {
      await expect(
        checkOnce(natsIndicator(nc, { jetstream: { stream: `${stream}_MISSING` } })),
      ).rejects.toThrow(/stream not found/);
      await expect(
        checkOnce(natsIndicator(nc, { jetstream: { consumer: { stream, name: 'missing' } } })),
      ).rejects.toThrow(/consumer not found/);
    });
  });

  it('a connection the app closed: down, with the state as data', async () => {
    const own = await connect({ servers: NATS_URL });
    const indicator = natsIndicator(own, { roundTrip: true });
    expect((await checkOnce(indicator)).status).toBe('up');
    await own.close();
    expect(await checkOnce(indicator)).toEqual({
      status: 'down',
      message: 'connection closed',
      data: { state: 'closed', server: '127.0.0.1:4222', reconnects: 0 },
    });
    await indicator.close();
  });

  it('close() stops the status iterator it started; a later check starts one again', async () => {
    const before = statusListeners(nc);
    const indicator = natsIndicator(nc);
    expect(statusListeners(nc)).toBe(before + 1);
    await indicator.close();
    await waitFor(() => statusListeners(nc) === before);
    await indicator.close(); // idempotent

    expect((await checkOnce(indicator)).status).toBe('up');
    expect(statusListeners(nc)).toBe(before + 1);
    await indicator.close();
    await waitFor(() => statusListeners(nc) === before);
  });

  it('rejects what is not a NATS connection, and invalid options', () => {
    expect(() => natsIndicator({} as NatsConnection)).toThrow(InvalidHealthIndicatorOptionsError);
    expect(() => natsIndicator(nc, { jetstream: {} })).toThrow(/jetstream/);
    expect(() => natsIndicator(nc, { jetstream: { consumer: { stream: 'S', name: '' } } })).toThrow(
      /jetstream/,
    );
    expect(() =>
      natsIndicator(nc, {
        jetstream: { stream: { name: 'S', messages: { degradedAbove: 5, downAbove: 1 } } },
      }),
    ).toThrow(/jetstream/);
    expect(() => natsIndicator(nc, { rttMs: { degradedAbove: -1 } })).toThrow(/rttMs/);
  });
});

const describeWithServer = PrivateNatsServer.available() ? describe : describe.skip;

describeWithServer('natsIndicator (a private nats-server that fails)', () => {
  let server: PrivateNatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await PrivateNatsServer.start();
  });

  beforeEach(async () => {
    nc = await connect({
      servers: server.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 50,
    });
  });

  afterEach(async () => {
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
  });

  afterAll(async () => {
    await server.dispose();
  });

  it('stopped: down with the state and since when, at once; restarted: up again on the same connection', async () => {
    const indicator = natsIndicator(nc, { roundTrip: true });
    try {
      expect((await checkOnce(indicator)).status).toBe('up');
      await server.stop();

      await waitFor(async () => {
        const result = await resultOf(indicator);
        return result !== 'rejected' && /attempts?$/.test(result.message ?? '');
      });
      const result = await checkOnce(indicator);
      expect(result).toMatchObject({
        status: 'down',
        message: expect.stringMatching(
          new RegExp(
            `^disconnected from 127\\.0\\.0\\.1:${server.port} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, reconnecting, \\d+ attempts?$`,
          ),
        ),
        data: { state: 'reconnecting', since: expect.any(String), reconnects: 0 },
      });
      expect(result.data).not.toHaveProperty('rttMs'); // no round trip on a dead connection

      await server.restart();
      await waitFor(async () => {
        const result = await resultOf(indicator);
        return result !== 'rejected' && result.status === 'up';
      }, 10_000);
      expect(await checkOnce(indicator)).toMatchObject({
        status: 'up',
        data: { state: 'connected', reconnects: 1, rttMs: expect.any(Number) },
      });
      expect(nc.isClosed()).toBe(false);
    } finally {
      await indicator.close();
      if (!server.running) await server.restart();
    }
  });

  it('out of reconnect attempts: the client closes the connection, and the indicator says so', async () => {
    const once = await connect({ servers: server.url, reconnect: false });
    const indicator = natsIndicator(once);
    try {
      expect((await checkOnce(indicator)).status).toBe('up');
      await server.stop();
      await waitFor(() => once.isClosed());
      expect(await checkOnce(indicator)).toMatchObject({
        status: 'down',
        message: expect.stringMatching(/^connection closed/),
        data: { state: 'closed' },
      });
    } finally {
      await indicator.close();
      await server.restart();
    }
  });

  it('hung (SIGSTOP): with roundTrip, down at the deadline, the call settles, the next run sends no second PING, JetStream info is down at the deadline too; up once it answers', async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'HUNG', subjects: ['hung.>'] });
    const indicator = natsIndicator(nc, { roundTrip: true });
    try {
      expect((await checkOnce(indicator)).status).toBe('up');
      await server.pause();

      const hung = await runInEngine(indicator, 300);
      expect(hung).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
      await settles(hung.settled);

      const flush = jest.spyOn(nc, 'flush'); // counts the calls; the real flush runs
      const next = await runInEngine(indicator, 300);
      expect(next).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
      await settles(next.settled);
      expect(flush).not.toHaveBeenCalled(); // it waited on the PING still out
      flush.mockRestore();

      // without a round trip, the client has not noticed yet: its own pings are minutes apart
      const statusOnly = natsIndicator(nc);
      expect(await checkOnce(statusOnly)).toMatchObject({
        status: 'up',
        data: { state: 'connected' },
      });
      await statusOnly.close();

      // JetStream requests: down at the deadline too, and the call settles
      const jetstream = natsIndicator(nc, { jetstream: { stream: 'HUNG' } });
      const info = await runInEngine(jetstream, 300);
      expect(info).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
      await settles(info.settled);
      await jetstream.close();

      server.resume();
      await waitFor(async () => (await checkOnce(indicator)).status === 'up');
      expect(nc.isClosed()).toBe(false);
    } finally {
      server.resume();
      await indicator.close();
      await jsm.streams.delete('HUNG');
    }
  });

  it('lame duck mode: degraded, saying since when; the state as data', async () => {
    const indicator = natsIndicator(nc);
    try {
      expect((await checkOnce(indicator)).status).toBe('up');
      server.lameDuck();
      await waitFor(async () => (await checkOnce(indicator)).status !== 'up', 10_000);
      expect(await checkOnce(indicator)).toMatchObject({
        status: 'degraded',
        message: expect.stringMatching(/^server in lame duck mode since \d{4}-\d\d-\d\dT[\d:.]+Z$/),
        data: { state: 'connected', lameDuckSince: expect.any(String) },
      });
    } finally {
      await indicator.close();
      await server.stop();
      await server.restart();
    }
  });

  it('10,000 runs (round trip, stream and consumer info) open no connection on the server', async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: 'WORK', subjects: ['work.>'] });
    await jsm.consumers.add('WORK', { durable_name: 'worker', ack_policy: AckPolicy.Explicit });
    const indicator = natsIndicator(nc, {
      roundTrip: true,
      jetstream: { stream: 'WORK', consumer: { stream: 'WORK', name: 'worker' } },
    });
    try {
      expect(await server.connections()).toBe(1);
      const opened = await server.totalConnections();
      let up = 0;
      for (let i = 0; i < 10_000; i += 1) {
        if ((await checkOnce(indicator)).status === 'up') up += 1;
      }
      expect(up).toBe(10_000);
      expect(await server.connections()).toBe(1);
      expect(await server.totalConnections()).toBe(opened);
    } finally {
      await indicator.close();
      await jsm.streams.delete('WORK');
    }
  }, 60_000);
});

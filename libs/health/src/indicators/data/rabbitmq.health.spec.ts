import { connect, type Channel, type ChannelModel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import {
  BlackHoleServer,
  checkOnce,
  closedPort,
  HangingProxy,
  runInEngine,
  waitFor,
} from '../../../spec-helpers/faults';
import { MissingOptionalDependencyError } from '../../errors';
import { loadOptionalPeer } from '../core';
import { rabbitmqIndicator } from './rabbitmq.health';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const AMQP_PORT = Number(new URL(AMQP_URL).port || 5672);

/**
 * Whether a chunk the client sends holds an AMQP `channel.close` method frame (class 20,
 * method 40): frame type 1, channel (2 bytes), size (4 bytes), then class and method ids.
 */
function sendsChannelClose(chunk: Buffer): boolean {
  let offset = chunk.subarray(0, 4).toString('latin1') === 'AMQP' ? 8 : 0;
  while (offset + 11 <= chunk.length) {
    if (
      chunk[offset] === 1 &&
      chunk.readUInt16BE(offset + 7) === 20 &&
      chunk.readUInt16BE(offset + 9) === 40
    ) {
      return true;
    }
    offset += 8 + chunk.readUInt32BE(offset + 3);
  }
  return false;
}

/** Resolves once `promise` has settled; fails the spec if it is still pending after 3 s. */
async function settles(promise: Promise<unknown>): Promise<void> {
  let settled = false;
  void promise.finally(() => (settled = true));
  await waitFor(() => settled);
}

describe('rabbitmqIndicator (real RabbitMQ)', () => {
  let connection: ChannelModel;
  let channel: Channel;
  const queues: string[] = [];

  beforeAll(async () => {
    connection = await connect(AMQP_URL);
    connection.on('error', () => undefined);
    channel = await connection.createChannel();
  });

  afterAll(async () => {
    for (const name of queues) await channel.deleteQueue(name);
    await channel.close();
    await connection.close();
  });

  async function queueWithMessages(count: number): Promise<string> {
    const name = `nest-health-spec-${randomUUID()}`;
    queues.push(name);
    await channel.assertQueue(name, { durable: false });
    for (let i = 0; i < count; i += 1) channel.sendToQueue(name, Buffer.from(String(i)));
    await waitFor(async () => (await channel.checkQueue(name)).messageCount === count);
    return name;
  }

  it('is up on a connection you give it, and leaves it open', async () => {
    const result = await checkOnce(rabbitmqIndicator(connection));
    expect(result).toEqual({ status: 'up', data: { responseTimeMs: expect.any(Number) } });
    await expect(connection.createChannel().then((c) => c.close())).resolves.toBeUndefined();
  });

  it('a queue with messages and no consumer: down below one consumer, degraded over a backlog', async () => {
    const name = await queueWithMessages(3);
    const indicator = rabbitmqIndicator(connection, {
      queues: [{ name, messages: { degradedAbove: 2 }, consumers: { downBelow: 1 } }],
    });
    const result = await checkOnce(indicator);
    expect(result).toEqual({
      status: 'down',
      message: `queue ${name}: consumers 0 is below 1; queue ${name}: messages 3 is above 2`,
      data: {
        responseTimeMs: expect.any(Number),
        queues: { [name]: { messages: 3, consumers: 0 } },
      },
    });

    // a consumer takes the messages (unacknowledged, so no longer ready): up again
    const consumerChannel = await connection.createChannel();
    try {
      await consumerChannel.consume(name, () => undefined);
      await waitFor(async () => (await checkOnce(indicator)).status === 'up');
      expect((await checkOnce(indicator)).data).toMatchObject({
        queues: { [name]: { messages: 0, consumers: 1 } },
      });
    } finally {
      await consumerChannel.close();
    }
  });

  it('is down for a queue that does not exist, without crashing on the channel error', async () => {
    const missing = `nest-health-spec-missing-${randomUUID()}`;
    await expect(checkOnce(rabbitmqIndicator(connection, { queues: [missing] }))).rejects.toThrow(
      /404 \(NOT-FOUND\)/,
    );
    expect((await checkOnce(rabbitmqIndicator(connection))).status).toBe('up');
  });

  it('with a URL: opens one connection, reuses it, and closes it on close()', async () => {
    const name = await queueWithMessages(0);
    const indicator = rabbitmqIndicator(AMQP_URL, { name: 'broker', queues: [name] });
    const sockets = () =>
      process.getActiveResourcesInfo().filter((type) => type === 'TCPSocketWrap').length;
    const before = sockets();
    try {
      expect((await checkOnce(indicator)).status).toBe('up');
      expect(sockets()).toBe(before + 1);
      for (let i = 0; i < 3; i += 1) expect((await checkOnce(indicator)).status).toBe('up');
      expect(sockets()).toBe(before + 1);
    } finally {
      await indicator.close();
    }
    await waitFor(() => sockets() === before);
    await indicator.close(); // idempotent
  });

  it("with a URL and a bad password: down with the broker's refusal", async () => {
    const indicator = rabbitmqIndicator('amqp://guest:wrong-password@127.0.0.1:5672');
    try {
      await expect(checkOnce(indicator)).rejects.toThrow(/ACCESS.REFUSED|403/);
    } finally {
      await indicator.close();
    }
  });

  it('with a URL to a closed port: ECONNREFUSED', async () => {
    const port = await closedPort();
    const indicator = rabbitmqIndicator(`amqp://guest:guest@127.0.0.1:${port}`);
    try {
      await expect(checkOnce(indicator)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await indicator.close();
    }
  });

  it('with a URL to a server that never answers: timed out, and the socket is closed', async () => {
    const hole = await BlackHoleServer.start();
    const indicator = rabbitmqIndicator(`amqp://guest:guest@127.0.0.1:${hole.port}`);
    try {
      const result = await runInEngine(indicator, 300);
      expect(result).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
      expect(hole.accepted).toBe(1);
      await waitFor(() => hole.open === 0);
    } finally {
      await indicator.close();
      await hole.close();
    }
  });

  describe('when the broker stops answering in the middle of a check', () => {
    let proxy: HangingProxy;
    const behindProxy = () => `amqp://guest:guest@127.0.0.1:${proxy.port}`;

    beforeEach(async () => {
      proxy = await HangingProxy.start(AMQP_PORT);
    });

    afterEach(async () => {
      await proxy.close();
    });

    // amqplib's channel.close() settles only on the broker's close-ok, and never when the
    // connection closes first: a check waiting on it without its deadline stayed pending for
    // good, and the engine starts no run while the previous call is pending.
    it('with a URL: down at the deadline, the call settles, the connection is destroyed, and the next run reconnects', async () => {
      const indicator = rabbitmqIndicator(behindProxy());
      try {
        expect((await checkOnce(indicator)).status).toBe('up');
        proxy.hangWhen(sendsChannelClose);

        const hung = await runInEngine(indicator, 300);
        expect(hung).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
        expect(proxy.isHung).toBe(true);
        await settles(hung.settled);
        await waitFor(() => proxy.open === 0); // its socket was destroyed

        // still hung: the next run opens a new connection, and is down for it
        const next = await runInEngine(indicator, 300);
        expect(next).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
        await settles(next.settled);
        expect(proxy.accepted).toBe(2);

        proxy.forward();
        await waitFor(() => proxy.open === 0);
        expect((await checkOnce(indicator)).status).toBe('up');
        expect(proxy.accepted).toBe(3);
      } finally {
        await indicator.close();
      }
    });

    it('with a URL, killed while the channel closes: the call settles, and up again once the broker is back', async () => {
      const indicator = rabbitmqIndicator(behindProxy());
      try {
        expect((await checkOnce(indicator)).status).toBe('up');
        proxy.hangWhen(sendsChannelClose);
        const run = runInEngine(indicator, 300);
        await waitFor(() => proxy.isHung);
        proxy.drop();
        proxy.forward();

        expect(await run).toMatchObject({ status: 'down' });
        await settles((await run).settled);
        expect((await checkOnce(indicator)).status).toBe('up');
      } finally {
        await indicator.close();
      }
    });

    it('with a URL, close() on a hung broker: resolves, and the socket is closed', async () => {
      const indicator = rabbitmqIndicator(behindProxy());
      expect((await checkOnce(indicator, 300)).status).toBe('up');
      proxy.hangWhen(() => true);

      await indicator.close();
      await waitFor(() => proxy.open === 0);
      expect(proxy.isHung).toBe(true);
    });

    it("on the app's connection: down at the deadline, the call settles, and the connection stays open", async () => {
      const appConnection = await connect(behindProxy());
      appConnection.on('error', () => undefined);
      let closed = false;
      appConnection.on('close', () => (closed = true));
      const indicator = rabbitmqIndicator(appConnection);
      try {
        expect((await checkOnce(indicator)).status).toBe('up');
        proxy.hangWhen(sendsChannelClose);

        const hung = await runInEngine(indicator, 300);
        expect(hung).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
        await settles(hung.settled);
        expect(closed).toBe(false);
        expect(proxy.open).toBe(1);

        proxy.forward();
        expect((await checkOnce(indicator)).status).toBe('up');
        expect(closed).toBe(false);
        expect(proxy.accepted).toBe(1);
      } finally {
        await appConnection.close();
      }
    });
  });

  it('is down on a connection that was closed', async () => {
    const closed = await connect(AMQP_URL);
    await closed.close();
    await expect(checkOnce(rabbitmqIndicator(closed))).rejects.toThrow(/closed/i);
  });

  it('rejects a bad URL or connection, without echoing a password', () => {
    expect(() => rabbitmqIndicator('http://guest:secret@localhost')).toThrow(
      /"connection" is "http:\/\/guest:\*\*\*@localhost": must be an amqp: or amqps: URL/,
    );
    expect(() => rabbitmqIndicator({} as never)).toThrow(/"connection" is "a plain object"/);
    expect(() => rabbitmqIndicator(connection, { queues: [{ name: '' }] })).toThrow(/"queues"/);
  });

  it('names the package to install when an optional peer is missing', () => {
    expect(() =>
      loadOptionalPeer('nest-health-no-such-package', 'rabbitmqIndicator() with a URL'),
    ).toThrow(MissingOptionalDependencyError);
    expect(() =>
      loadOptionalPeer('nest-health-no-such-package', 'rabbitmqIndicator() with a URL'),
    ).toThrow(
      'rabbitmqIndicator() with a URL needs the optional package "nest-health-no-such-package", which is not installed. Install it: npm install nest-health-no-such-package',
    );
  });
});

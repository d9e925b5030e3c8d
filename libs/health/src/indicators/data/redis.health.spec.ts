import Redis, { type RedisOptions } from 'ioredis';
import { once } from 'node:events';
import {
  BlackHoleServer,
  checkOnce,
  closedPort,
  PrivateRedisServer,
} from '../../../spec-helpers/faults';
import { redisIndicator } from './redis.health';

const REDIS_PORT = 6379;

describe('redisIndicator (real Redis)', () => {
  const clients: Redis[] = [];

  function client(port = REDIS_PORT, extra: RedisOptions = {}): Redis {
    const created = new Redis({ host: '127.0.0.1', port, lazyConnect: true, ...extra });
    created.on('error', () => undefined);
    clients.push(created);
    return created;
  }

  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });

  it('is up: PING time and memory as data, on the one connection it was given', async () => {
    const redis = client();
    await redis.connect();
    const id = await redis.client('ID');
    const indicator = redisIndicator(redis);
    let result;
    for (let i = 0; i < 5; i += 1) result = await checkOnce(indicator);
    expect(result?.status).toBe('up');
    expect(Object.keys(result?.data ?? {}).sort()).toEqual([
      'maxMemoryBytes',
      'maxMemoryPolicy',
      'responseTimeMs',
      'usedMemoryBytes',
      'usedMemoryPercent',
    ]);
    expect(result?.data).toMatchObject({
      responseTimeMs: expect.any(Number),
      usedMemoryBytes: expect.any(Number),
      maxMemoryPolicy: expect.any(String),
    });
    // no connection of its own: still the same client connection after five checks
    expect(await redis.client('ID')).toBe(id);
  });

  it('connects a lazy client that has not connected yet', async () => {
    const redis = client();
    expect(redis.status).toBe('wait');
    expect((await checkOnce(redisIndicator(redis, { memory: false }))).data).toEqual({
      responseTimeMs: expect.any(Number),
    });
  });

  it('is down at once, without queueing a command, when the port is closed', async () => {
    const redis = client(await closedPort(), { lazyConnect: false, retryStrategy: () => 50 });
    await once(redis, 'error');
    const result = await checkOnce(redisIndicator(redis));
    expect(result.status).toBe('down');
    expect(result.message).toMatch(/^not connected \((reconnecting|connecting|close|end)\)$/);
  });

  it('is down at once against a server that accepts and never answers', async () => {
    const hole = await BlackHoleServer.start();
    try {
      const redis = client(hole.port, { lazyConnect: false });
      const result = await checkOnce(redisIndicator(redis));
      expect(result).toEqual({
        status: 'down',
        message: expect.stringMatching(/^not connected \(connect/),
      });
      redis.disconnect();
    } finally {
      await hole.close();
    }
  });

  it('is degraded past a response-time level', async () => {
    const redis = client();
    const result = await checkOnce(redisIndicator(redis, { responseTimeMs: { degradedAbove: 0 } }));
    expect(result.status).toBe('degraded');
    expect(result.message).toMatch(/^responseTimeMs .* is above 0$/);
  });

  (PrivateRedisServer.available() ? describe : describe.skip)('with a maxmemory', () => {
    let server: PrivateRedisServer;

    beforeAll(async () => {
      server = await PrivateRedisServer.start();
    });

    afterAll(async () => {
      await server.stop();
    });

    async function setMaxMemory(redis: Redis, percentOfUsed: number, policy: string) {
      const info = await redis.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)![1]);
      await redis.config('SET', 'maxmemory', String(Math.round(used / (percentOfUsed / 100))));
      await redis.config('SET', 'maxmemory-policy', policy);
    }

    it('under noeviction: degraded above 90 %, down above 98 % by default', async () => {
      const redis = client(server.port);
      await redis.connect();
      await setMaxMemory(redis, 94, 'noeviction');
      const warn = await checkOnce(redisIndicator(redis));
      expect(warn.status).toBe('degraded');
      expect(warn.data).toMatchObject({
        maxMemoryPolicy: 'noeviction',
        maxMemoryBytes: expect.any(Number),
      });
      expect(warn.message).toMatch(/^usedMemoryPercent 9\d(\.\d+)? is above 90$/);

      await setMaxMemory(redis, 99.5, 'noeviction');
      expect((await checkOnce(redisIndicator(redis))).status).toBe('down');
    });

    it('with an eviction policy a full cache is fine, unless levels are given', async () => {
      const redis = client(server.port);
      await redis.connect();
      await setMaxMemory(redis, 94, 'allkeys-lru');
      expect((await checkOnce(redisIndicator(redis))).status).toBe('up');
      const explicit = redisIndicator(redis, { usedMemoryPercent: { degradedAbove: 50 } });
      expect((await checkOnce(explicit)).status).toBe('degraded');
      await redis.config('SET', 'maxmemory', '0');
    });
  });

  it('rejects something that is not a Redis client', () => {
    expect(() => redisIndicator({} as never)).toThrow(
      /"client" is "a plain object": must be a Redis client/,
    );
  });
});

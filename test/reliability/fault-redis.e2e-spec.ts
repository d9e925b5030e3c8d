import { once } from 'node:events';
import { RedisClient } from '../../apps/example/src/redis.client';
import { FaultProxy } from '../helpers/fault-proxy';
import { hasRedisServer, TestRedisServer } from '../helpers/redis-server';
import { describeFaults } from './fault-scenarios';

// Redis (the app's ioredis client, and BullMQ's queue and worker) on a redis-server of the
// spec's own, behind a fault proxy: killed is SIGKILL (and a restart on the same port), hung is
// SIGSTOP (and SIGCONT), slow and flapping go through the proxy. Needs a redis-server binary;
// reported as skipped without.
const describeWithRedisServer = hasRedisServer() ? describe : describe.skip;

describeWithRedisServer('Redis faults', () => {
  describeFaults({
    title: 'Redis and BullMQ',
    indicators: ['redis', 'queue'],
    adapter: 'fastify',
    async setUp() {
      const server = await TestRedisServer.start();
      const proxy = await FaultProxy.start({ port: server.port });
      return {
        proxy,
        connect: (app) => app.withRedisAt(`redis://127.0.0.1:${proxy.port}`),
        kill: () => server.stop(),
        // ioredis reconnects on its backoff (250 ms doubling up to 5 s in the example app):
        // the client is usable once it is ready again.
        async restart(app) {
          const { redis } = app.app.get(RedisClient);
          const ready = redis.status === 'ready' ? undefined : once(redis, 'ready');
          await server.restart();
          await ready;
        },
        hang: () => Promise.resolve(server.pause()),
        resume: () => Promise.resolve(server.resume()),
        async tearDown() {
          await proxy.close();
          server.resume();
          await server.stop();
        },
      };
    },
  });
});

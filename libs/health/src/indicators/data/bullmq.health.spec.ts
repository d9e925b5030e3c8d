import { Queue, Worker, type Job } from 'bullmq';
import { randomUUID } from 'node:crypto';
import {
  checkOnce,
  closedPort,
  PrivateRedisServer,
  runInEngine,
  waitFor,
} from '../../../spec-helpers/faults';
import { bullmqIndicator } from './bullmq.health';

const connection = { host: '127.0.0.1', port: 6379 };

describe('bullmqIndicator (real BullMQ on Redis)', () => {
  let queue: Queue;
  let worker: Worker | undefined;

  beforeEach(async () => {
    queue = new Queue(`nest-health-spec-${randomUUID()}`, { connection });
    await queue.waitUntilReady();
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    await queue.obliterate({ force: true });
    await queue.close();
  });

  function startWorker(process: (job: Job) => Promise<unknown>): Promise<void> {
    worker = new Worker(queue.name, process, { connection, autorun: true });
    worker.on('error', () => undefined);
    return worker
      .waitUntilReady()
      .then(() => waitFor(async () => (await queue.getWorkersCount()) > 0));
  }

  it('is up with a real worker: counts, workers and response time as data', async () => {
    await startWorker(() => Promise.resolve());
    const result = await checkOnce(bullmqIndicator(queue));
    expect(result).toEqual({
      status: 'up',
      data: {
        waiting: 0,
        active: 0,
        delayed: 0,
        failed: 0,
        workers: 1,
        isPaused: false,
        responseTimeMs: expect.any(Number),
      },
    });
  });

  it('fill the queue, stop its worker: down without a worker, levels on the backlog', async () => {
    await startWorker(() => Promise.resolve());
    await worker!.close();
    worker = undefined;
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'job', data: { i } })));
    await queue.add('later', {}, { delay: 60_000 });

    const noWorker = await checkOnce(bullmqIndicator(queue));
    expect(noWorker).toMatchObject({
      status: 'down',
      message: 'no worker is connected to the queue',
      data: { waiting: 5, delayed: 1, workers: 0 },
    });

    const backlog = bullmqIndicator(queue, {
      requireWorker: false,
      waiting: { degradedAbove: 3, downAbove: 10 },
    });
    const warn = await checkOnce(backlog);
    expect(warn).toMatchObject({ status: 'degraded', message: 'waiting 5 is above 3' });
    expect(warn.data).toMatchObject({ workers: null });

    const worse = bullmqIndicator(queue, { requireWorker: false, waiting: { downAbove: 4 } });
    expect((await checkOnce(worse)).status).toBe('down');
  });

  it('counts failed jobs, with levels', async () => {
    await startWorker(() => Promise.reject(new Error('job failed on purpose')));
    await queue.addBulk(Array.from({ length: 3 }, () => ({ name: 'bad', data: {} })));
    await waitFor(async () => (await queue.getFailedCount()) === 3);
    const result = await checkOnce(bullmqIndicator(queue, { failed: { degradedAbove: 2 } }));
    expect(result).toMatchObject({
      status: 'degraded',
      message: 'failed 3 is above 2',
      data: { failed: 3 },
    });
  });

  it('is degraded while the queue is paused', async () => {
    await startWorker(() => Promise.resolve());
    await queue.pause();
    await queue.add('held', {});
    const result = await checkOnce(bullmqIndicator(queue));
    expect(result).toMatchObject({
      status: 'degraded',
      message: 'the queue is paused',
      data: { isPaused: true, waiting: 1 },
    });
    await queue.resume();
  });

  it('ends at the deadline while the queue has no Redis', async () => {
    const port = await closedPort();
    const orphan = new Queue(`nest-health-spec-${randomUUID()}`, {
      connection: { host: '127.0.0.1', port, retryStrategy: () => 100 },
    });
    orphan.on('error', () => undefined);
    try {
      const result = await runInEngine(bullmqIndicator(orphan), 200);
      expect(result).toMatchObject({ status: 'down', message: 'timed out after 200 ms' });
    } finally {
      await orphan.close();
    }
  });

  (PrivateRedisServer.available() ? it : it.skip)(
    'is down at once when its Redis goes away',
    async () => {
      const server = await PrivateRedisServer.start();
      const own = new Queue(`nest-health-spec-${randomUUID()}`, {
        connection: { host: '127.0.0.1', port: server.port, retryStrategy: () => 100 },
      });
      own.on('error', () => undefined);
      try {
        const indicator = bullmqIndicator(own, { requireWorker: false });
        expect((await checkOnce(indicator)).status).toBe('up');
        await server.stop();
        const client = await own.client;
        await waitFor(() => client.status !== 'ready');
        const result = await checkOnce(indicator);
        expect(result.status).toBe('down');
        expect(result.message).toMatch(
          /^Redis not connected \((reconnecting|connecting|close|end)\)$/,
        );
      } finally {
        await own.close();
        await server.stop();
      }
    },
  );

  it('rejects something that is not a Queue', () => {
    expect(() => bullmqIndicator({ name: 'x' } as never)).toThrow(
      /"queue" is "a plain object": must be a BullMQ Queue/,
    );
  });
});

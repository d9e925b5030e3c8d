import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { ExampleProcess } from './helpers/example-process';
import { hasRedisServer, TestRedisServer } from './helpers/redis-server';
import { waitFor } from './helpers/wait-for';
import { parse } from 'yaml';
import { healthClient, type HealthClient } from '../libs/health/spec-helpers/grpc-health-client';

/** What the spec reads of the worker's container in its manifest. */
interface WorkerContainer {
  readonly env: ReadonlyArray<{ readonly name: string; readonly value?: string }>;
  readonly ports: ReadonlyArray<{ readonly name: string; readonly containerPort: number }>;
  readonly startupProbe: { readonly httpGet: { readonly path: string; readonly port: string } };
  readonly livenessProbe: { readonly httpGet: { readonly path: string; readonly port: string } };
  readonly readinessProbe: { readonly grpc: { readonly port: number; readonly service?: string } };
}

const describeWithRedis = hasRedisServer() ? describe : describe.skip;

describeWithRedis(
  'the worker example (no HTTP adapter): probe port and gRPC health on a BullMQ worker',
  () => {
    let redis: TestRedisServer;
    let worker: ExampleProcess | undefined;
    let client: HealthClient | undefined;
    let probePort = 0;

    beforeAll(async () => {
      redis = await TestRedisServer.start();
    });

    afterAll(async () => {
      client?.close();
      await worker?.stop('SIGKILL');
      await redis.stop();
    });

    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        client!.check({ service }, (error, response) =>
          error ? reject(error) : resolve(response?.status ?? ''),
        ),
      );

    it('boots with real Redis, processes a job and answers its probes', async () => {
      worker = ExampleProcess.start(
        { REDIS_URL: redis.url, HEALTH_GRPC_PORT: '0', HEALTH_PORT: '0', SHUTDOWN_DELAY_MS: '500' },
        'apps/worker/src/main.ts',
      );
      const port = await waitFor(
        () => {
          if (worker!.exited) throw new Error(`the worker exited:\n${worker!.logs}`);
          const match = /gRPC health service listening on [^:\s]+:(\d+)/.exec(worker!.logs);
          expect(match).not.toBeNull();
          return Number(match![1]);
        },
        { timeoutMs: 90_000, intervalMs: 100 },
      );
      probePort = await waitFor(
        () => {
          const match = /Probe port listening on \S*:(\d+)/.exec(worker!.logs);
          expect(match).not.toBeNull();
          return Number(match![1]);
        },
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      client = healthClient(port);
      await waitFor(async () => expect(await check('')).toBe('SERVING'), {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      expect(await check('liveness')).toBe('SERVING');
      // The probe port answers the liveness probe of the manifest, over HTTP.
      const live = await fetch(`http://127.0.0.1:${probePort}/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toMatchObject({ status: 'up' });

      const queue = new Queue('demo', { connection: { url: redis.url } });
      const events = new QueueEvents('demo', { connection: { url: redis.url } });
      try {
        await events.waitUntilReady();
        const job = await queue.add('demo', { message: 'from the spec' });
        const result = (await job.waitUntilFinished(events, 30_000)) as { message: string };
        expect(result.message).toBe('from the spec');
      } finally {
        await queue.close();
        await events.close();
      }
    });

    it('turns readiness NOT_SERVING while Redis is down, liveness staying SERVING, and back', async () => {
      await redis.stop();
      await waitFor(async () => expect(await check('')).toBe('NOT_SERVING'), {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      expect(await check('readiness')).toBe('NOT_SERVING');
      expect(await check('liveness')).toBe('SERVING');
      const ready = await fetch(`http://127.0.0.1:${probePort}/health/ready`);
      expect(ready.status).toBe(503);
      expect((await fetch(`http://127.0.0.1:${probePort}/health/live`)).status).toBe(200);

      await redis.restart();
      await waitFor(async () => expect(await check('')).toBe('SERVING'), {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
    });

    it('answers the probes of its Kubernetes manifest: httpGet liveness on the probe port, native gRPC readiness', async () => {
      const manifest = parse(
        readFileSync(join(__dirname, '../apps/worker/k8s/deployment.yaml'), 'utf8'),
      ) as { spec: { template: { spec: { containers: WorkerContainer[] } } } };
      const container = manifest.spec.template.spec.containers[0];
      const env = (name: string) => container.env.find((e) => e.name === name)?.value;
      const portNamed = (name: string) =>
        container.ports.find((p) => p.name === name)?.containerPort;
      // The probes point at the ports the worker is told to listen on.
      expect(portNamed(container.livenessProbe.httpGet.port)).toBe(Number(env('HEALTH_PORT')));
      expect(portNamed(container.startupProbe.httpGet.port)).toBe(Number(env('HEALTH_PORT')));
      expect(container.readinessProbe.grpc.port).toBe(Number(env('HEALTH_GRPC_PORT')));
      // And the running worker answers them (on its own free ports here).
      for (const probe of [container.startupProbe, container.livenessProbe]) {
        const answer = await fetch(`http://127.0.0.1:${probePort}${probe.httpGet.path}`);
        expect([probe.httpGet.path, answer.status]).toEqual([probe.httpGet.path, 200]);
      }
      expect(await check(container.readinessProbe.grpc.service ?? '')).toBe('SERVING');
    });

    it('exits with code 0 on SIGTERM', async () => {
      const { code } = await worker!.stop('SIGTERM');
      expect(code).toBe(0);
      worker = undefined;
    });
  },
);

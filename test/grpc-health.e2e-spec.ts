import * as grpc from '@grpc/grpc-js';
import { HTTP_ADAPTERS, SERVICES } from './helpers/example-app';
import { ExampleProcess } from './helpers/example-process';
import { waitFor } from './helpers/wait-for';
import { healthClient, type HealthClient } from '../libs/health/spec-helpers/grpc-health-client';

const SHUTDOWN_DELAY_MS = 3_000;

describe.each(HTTP_ADAPTERS)('the example app on %s with HEALTH_GRPC_PORT', (adapter) => {
  let example: ExampleProcess | undefined;
  let client: HealthClient | undefined;

  afterEach(async () => {
    client?.close();
    client = undefined;
    await example?.stop('SIGKILL');
    example = undefined;
  });

  async function start(): Promise<HealthClient> {
    example = ExampleProcess.start({
      HTTP_ADAPTER: adapter,
      PORT: '0',
      HEALTH_GRPC_PORT: '0',
      DATABASE_URL: SERVICES.databaseUrl,
      REDIS_URL: SERVICES.redisUrl,
      QUEUE_PREFIX: `grpc-e2e-${adapter}-${process.pid}`,
      SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
    });
    await example.url(60_000);
    const port = await waitFor(
      () => {
        const match = /gRPC health service listening on [^:\s]+:(\d+)/.exec(example!.logs);
        expect(match).not.toBeNull();
        return Number(match![1]);
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    return healthClient(port);
  }

  const check = (health: HealthClient, service: string) =>
    new Promise<string>((resolve, reject) =>
      health.check({ service }, (error, response) =>
        error ? reject(error) : resolve(response?.status ?? ''),
      ),
    );

  it('answers Check from the engine: readiness and liveness SERVING once the checks are up; NOT_FOUND otherwise', async () => {
    client = await start();
    const health = client;
    await waitFor(async () => expect(await check(health, '')).toBe('SERVING'), {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    expect(await check(health, 'readiness')).toBe('SERVING');
    expect(await check(health, 'liveness')).toBe('SERVING');
    await expect(check(health, 'payments')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it('turns every service NOT_SERVING on SIGTERM while the app drains, then ends Watch and exits 0', async () => {
    client = await start();
    const health = client;
    await waitFor(async () => expect(await check(health, '')).toBe('SERVING'), {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const seen: Record<string, string[]> = { '': [], liveness: [] };
    let ended = 0;
    for (const service of Object.keys(seen)) {
      const call = health.watch({ service });
      call.on('data', (message: { status: string }) => seen[service].push(message.status));
      call.on('end', () => (ended += 1));
      call.on('error', () => (ended += 1));
    }
    await waitFor(() => expect(seen[''].length + seen.liveness.length).toBe(2), {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    const stopped = example!.stop('SIGTERM');
    await waitFor(
      () => {
        expect(seen['']).toEqual(['SERVING', 'NOT_SERVING']);
        expect(seen.liveness).toEqual(['SERVING', 'NOT_SERVING']);
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    // The app still drains: Check answers, and says NOT_SERVING.
    expect(example!.exited).toBe(false);
    expect(await check(health, 'liveness')).toBe('NOT_SERVING');
    const { code } = await stopped;
    expect(code).toBe(0);
    expect(ended).toBe(2);
  });
});

import { createServer, type Server as NetServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { TestingModule } from '@nestjs/testing';
import { Test } from '@nestjs/testing';
import { HealthModule } from '../../health.module';
import { HealthShutdown } from '../../shutdown/health-shutdown';
import { InvalidHealthModuleOptionsError } from '../../errors';
import { tcpIndicator } from '../../indicators/network/tcp.health';
import { HealthGrpcServer } from './grpc-health.server';
import { HealthServingStatus } from './serving-status';
import { healthClient, type HealthClient } from '../../../spec-helpers/grpc-health-client';

/** A TCP port the spec opens and closes: the dependency of the `database` indicator. */
class Dependency {
  private server?: NetServer;
  constructor(readonly port: number) {}
  static async start(): Promise<Dependency> {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dependency = new Dependency((server.address() as { port: number }).port);
    dependency.server = server;
    return dependency;
  }
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  }
  async restart(): Promise<void> {
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }
}

async function waitFor<T>(read: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function check(client: HealthClient, service: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.check({ service }, (error, response) =>
      error ? reject(error) : resolve(response?.status ?? ''),
    ),
  );
}

/** Opens a Watch and records every status it receives, and how it ended. */
function watch(client: HealthClient, service: string) {
  const call = client.watch({ service });
  const statuses: string[] = [];
  let ended: { code: number } | undefined;
  call.on('data', (message: { status: string }) => statuses.push(message.status));
  call.on('error', (error: grpc.ServiceError) => (ended = { code: error.code }));
  call.on('end', () => (ended ??= { code: grpc.status.OK }));
  return {
    call,
    statuses,
    get ended() {
      return ended;
    },
  };
}

describe('gRPC health service (grpc option), with a real grpc-js client', () => {
  let context: TestingModule | undefined;
  let client: HealthClient | undefined;
  let dependency: Dependency;

  beforeEach(async () => {
    dependency = await Dependency.start();
  });

  afterEach(async () => {
    client?.close();
    client = undefined;
    await context?.close();
    context = undefined;
    await dependency.stop();
  });

  /** An application context (no HTTP adapter at all) with the gRPC server on a free port. */
  async function boot(options: { shutdownDelayMs?: number } = {}): Promise<HealthClient> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        HealthModule.forRoot({
          grpc: { port: 0, host: '127.0.0.1' },
          logger: false,
          shutdownDelayMs: options.shutdownDelayMs ?? 0,
          indicators: [
            tcpIndicator('127.0.0.1', dependency.port, {
              name: 'database',
              intervalMs: 100,
              timeoutMs: 500,
              groups: ['readiness', 'reporting'],
            }),
          ],
        }),
      ],
    }).compile();
    context = moduleRef;
    await moduleRef.init();
    const port = moduleRef.get(HealthGrpcServer).port;
    if (port === undefined) throw new Error('the gRPC server is not listening');
    client = healthClient(port);
    return client;
  }

  it('answers Check for "", every built-in group and a custom group, and NOT_FOUND for any other name', async () => {
    const health = await boot();
    await waitFor(() => (moduleRefServing(context) ? true : undefined), 'database up');
    for (const service of ['', 'liveness', 'readiness', 'startup', 'reporting']) {
      expect([service, await check(health, service)]).toEqual([service, 'SERVING']);
    }
    await expect(check(health, 'no-such-group')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });

  it('List names every service with its status', async () => {
    const health = await boot();
    await waitFor(() => (moduleRefServing(context) ? true : undefined), 'database up');
    const statuses = await new Promise<Record<string, { status: string }>>((resolve, reject) =>
      health.list({}, (error, response) =>
        error ? reject(error) : resolve(response?.statuses ?? {}),
      ),
    );
    expect(statuses).toEqual({
      '': { status: 'SERVING' },
      liveness: { status: 'SERVING' },
      readiness: { status: 'SERVING' },
      startup: { status: 'SERVING' },
      reporting: { status: 'SERVING' },
    });
  });

  it('Watch sends the current status, then only changes, as a real dependency goes down and up', async () => {
    const health = await boot();
    await waitFor(() => (moduleRefServing(context) ? true : undefined), 'database up');
    const readiness = watch(health, '');
    const liveness = watch(health, 'liveness');
    await waitFor(() => readiness.statuses[0], 'the first status');
    expect(readiness.statuses).toEqual(['SERVING']);

    await dependency.stop();
    await waitFor(() => (readiness.statuses.length >= 2 ? true : undefined), 'NOT_SERVING');
    expect(await check(health, '')).toBe('NOT_SERVING');
    expect(await check(health, 'reporting')).toBe('NOT_SERVING');

    await dependency.restart();
    await waitFor(() => (readiness.statuses.length >= 3 ? true : undefined), 'SERVING again');
    // Several runs went by while down: still one NOT_SERVING, never a repeat.
    expect(readiness.statuses).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    // Liveness does not depend on the database: it saw one status and nothing since.
    expect(liveness.statuses).toEqual(['SERVING']);
    readiness.call.cancel();
    liveness.call.cancel();
  });

  it('Watch of an unknown service sends SERVICE_UNKNOWN and stays open', async () => {
    const health = await boot();
    const unknown = watch(health, 'no-such-group');
    await waitFor(() => unknown.statuses[0], 'a status');
    expect(unknown.statuses).toEqual(['SERVICE_UNKNOWN']);
    // Still open: a Check on the same channel is answered and the Watch has not ended.
    await check(health, 'liveness');
    expect(unknown.ended).toBeUndefined();
    unknown.call.cancel();
  });

  it('at shutdown every service turns NOT_SERVING at once, and Watch streams end after the drain', async () => {
    const health = await boot({ shutdownDelayMs: 1_000 });
    await waitFor(() => (moduleRefServing(context) ? true : undefined), 'database up');
    const watches = ['', 'liveness', 'startup', 'reporting'].map((name) => watch(health, name));
    await waitFor(
      () => (watches.every((w) => w.statuses.length === 1) ? true : undefined),
      'every first status',
    );
    const closing = context!.close();
    await waitFor(
      () => (watches.every((w) => w.statuses.length === 2) ? true : undefined),
      'NOT_SERVING on every watch',
    );
    // Seen while the app still drains, not when it closes.
    expect(context!.get(HealthShutdown).phase).toBe('draining');
    for (const w of watches) expect(w.statuses).toEqual(['SERVING', 'NOT_SERVING']);
    await closing;
    context = undefined;
    await waitFor(
      () => (watches.every((w) => w.ended !== undefined) ? true : undefined),
      'every watch ended',
    );
    for (const w of watches) expect(w.ended).toEqual({ code: grpc.status.OK });
  });

  it('leaks no stream after 1,000 Watch open / cancel cycles', async () => {
    const health = await boot();
    const server = context!.get(HealthGrpcServer);
    for (let round = 0; round < 10; round += 1) {
      const calls = Array.from({ length: 100 }, () => watch(health, 'readiness'));
      await waitFor(
        () => (calls.every((c) => c.statuses.length === 1) ? true : undefined),
        'every first status',
      );
      for (const c of calls) c.call.cancel();
    }
    await waitFor(
      () => (server.openWatchStreams === 0 ? true : undefined),
      'every stream forgotten',
    );
    expect(server.openWatchStreams).toBe(0);
  });

  it('refuses Watch streams past maxWatchStreams with RESOURCE_EXHAUSTED', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ grpc: { port: 0, maxWatchStreams: 2 }, logger: false })],
    }).compile();
    context = moduleRef;
    await moduleRef.init();
    client = healthClient(moduleRef.get(HealthGrpcServer).port ?? 0);
    const open = [watch(client, 'liveness'), watch(client, 'liveness')];
    await waitFor(() => (open.every((w) => w.statuses.length === 1) ? true : undefined), 'two');
    const third = watch(client, 'liveness');
    await waitFor(() => third.ended, 'the refusal');
    expect(third.ended).toEqual({ code: grpc.status.RESOURCE_EXHAUSTED });
    for (const w of open) w.call.cancel();
  });

  it('fails the boot naming the option for a bad port', async () => {
    await expect(
      Test.createTestingModule({
        imports: [HealthModule.forRoot({ grpc: { port: 70_000 } })],
      }).compile(),
    ).rejects.toThrow(InvalidHealthModuleOptionsError);
    await expect(
      Test.createTestingModule({
        imports: [HealthModule.forRoot({ grpc: { port: 70_000 } })],
      }).compile(),
    ).rejects.toThrow(/grpc\.port/);
  });

  it('fails the boot when the port is taken', async () => {
    const taken = await Dependency.start();
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ grpc: { port: taken.port, host: '127.0.0.1' } })],
    }).compile();
    try {
      await expect(moduleRef.init()).rejects.toThrow(/grpc: cannot listen on 127\.0\.0\.1:\d+/);
    } finally {
      // Nest's close() reports the failed init again: the app never started.
      await moduleRef.close().catch(() => undefined);
      await taken.stop();
    }
  });
});

/** Whether readiness is serving (the database indicator has its first result, and it is up). */
function moduleRefServing(context: TestingModule | undefined): boolean {
  return context?.get(HealthServingStatus).current('') === 'SERVING';
}

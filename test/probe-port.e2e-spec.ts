import {
  Injectable,
  Module,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type INestApplicationContext,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import fc from 'fast-check';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import {
  down,
  HealthIndicator,
  HealthModule,
  HealthProbeServer,
  InvalidHealthModuleOptionsError,
  up,
  type HealthIndicatorCheck,
  type HealthModuleOptions,
  type HealthModuleRouteOptions,
} from 'nest-health';
import { HTTP_ADAPTERS } from './helpers/example-app';
import { SseClient } from './helpers/sse-client';
import { waitFor } from './helpers/wait-for';

const REASON = 'mail relay refused: connect ECONNREFUSED 10.0.0.9:25';

@HealthIndicator({ name: 'db', groups: ['readiness', 'startup'], intervalMs: 60_000 })
class DatabaseHealth implements HealthIndicatorCheck {
  check() {
    return up({ responseTimeMs: 1.5 });
  }
}

@HealthIndicator({
  name: 'mail',
  groups: ['readiness', 'jobs'],
  critical: false,
  intervalMs: 60_000,
})
class MailHealth implements HealthIndicatorCheck {
  check() {
    return down(REASON, { attempts: 2 });
  }
}

@HealthIndicator({ name: 'cache', groups: ['readiness', 'jobs'], intervalMs: 60_000 })
class CacheHealth implements HealthIndicatorCheck {
  check() {
    return down('cache unreachable');
  }
}

const INDICATORS = [DatabaseHealth, MailHealth, CacheHealth];

/** Admits to the details with `Authorization: Bearer good`; throws otherwise, as auth guards do. */
@Injectable()
class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string> }>();
    if (request.headers.authorization !== 'Bearer good') throw new UnauthorizedException();
    return true;
  }
}

/** An app-wide guard that lets nothing through. */
@Injectable()
class DenyAllGuard implements CanActivate {
  canActivate(): boolean {
    throw new UnauthorizedException();
  }
}

const PROBE_PORT = { port: 0, host: '127.0.0.1' } as const;

type Options = HealthModuleOptions & HealthModuleRouteOptions;

/** Boots an app with the three indicators and `options`, on `adapter`, listening on loopback. */
async function startApp(
  adapter: (typeof HTTP_ADAPTERS)[number],
  options: Options,
  extraProviders: { provide: typeof APP_GUARD; useClass: typeof DenyAllGuard }[] = [],
): Promise<{ app: INestApplication; appUrl: string; probeUrl: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [HealthModule.forRoot({ logger: false, ...options })],
    providers: [...INDICATORS, ...extraProviders],
  }).compile();
  return listen(moduleRef, adapter);
}

/** Creates the app of `moduleRef` on `adapter` and listens on loopback. */
async function listen(
  moduleRef: TestingModule,
  adapter: (typeof HTTP_ADAPTERS)[number],
): Promise<{ app: INestApplication; appUrl: string; probeUrl: string }> {
  const app =
    adapter === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
      : moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const appUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, appUrl, probeUrl: probeUrlOf(app) };
}

function probeUrlOf(app: INestApplicationContext): string {
  return `http://127.0.0.1:${app.get(HealthProbeServer).port}`;
}

/** Waits until every indicator has its first result. */
async function settled(base: string): Promise<void> {
  await waitFor(async () => {
    const body = (await (await fetch(`${base}/health`)).json()) as {
      checks: Record<string, { status: string }>;
    };
    expect(Object.values(body.checks).map((check) => check.status)).not.toContain('unknown');
  });
}

/** One raw answer: status, the headers that matter, and the body's bytes. */
interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** `method path` with exactly these headers (no client defaults but Host), read whole. */
function raw(
  base: string,
  path: string,
  headers: OutgoingHttpHeaders = {},
  method = 'GET',
): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ hostname, port, path, method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: {
            'content-type': response.headers['content-type'],
            'cache-control': response.headers['cache-control'],
            'x-content-type-options': response.headers['x-content-type-options'],
            connection: response.headers.connection,
          },
          body: Buffer.concat(chunks),
        }),
      );
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Every answer the probe port shares with the app's routes, as path and request headers. */
const SHARED_ANSWERS: readonly [string, OutgoingHttpHeaders][] = [
  ['/health/live', {}],
  ['/health/ready', {}],
  ['/health/startup', {}],
  ['/health/group/jobs', {}],
  ['/livez', {}],
  ['/readyz', {}],
  ['/startupz', {}],
  ['/health/ready/db', {}],
  ['/health/ready/mail', {}],
  ['/health/group/jobs/cache', {}],
  ['/readyz/cache', {}],
  ['/health/ready?verbose', {}],
  ['/health/ready?verbose', { authorization: 'Bearer good' }],
  ['/health/group/jobs?verbose=1&exclude=cache', { authorization: 'Bearer good' }],
  ['/health/ready?exclude=cache&exclude=nope', {}],
  ['/readyz/mail?verbose', {}],
  ['/health/ready', { accept: 'application/health+json' }],
  ['/health/ready/mail', { accept: 'application/health+json' }],
  ['/health/ready', { accept: 'application/health+json', authorization: 'Bearer good' }],
  ['/health', {}],
  ['/health', { accept: 'application/health+json' }],
  ['/health/group/nope', {}],
  ['/health/ready/nope', {}],
  ['/health/ready?verbose=maybe', {}],
  ['/health/ready?exclude=%3Cscript%3E', {}],
  ['/health?fresh=yes', {}],
  ['/health/dashboard', {}],
  ['/health/stream?group=nope', {}],
  ['/health/stream?interval=0', {}],
];

describe.each(HTTP_ADAPTERS)('the probe port beside %s', (adapter) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    jest.useRealTimers();
    await app?.close();
    app = undefined;
  });

  it("answers with the app's bytes, status codes and headers, for the same state", async () => {
    const started = await startApp(adapter, {
      server: PROBE_PORT,
      details: 'authorized',
      authorize: AdminGuard,
    });
    app = started.app;
    await settled(started.probeUrl);
    // One instant for both answers: every body carries the time it was answered.
    jest.useFakeTimers({ now: Date.now(), doNotFake: [...NOT_DATE] });
    for (const [path, headers] of SHARED_ANSWERS) {
      const ours = await raw(started.probeUrl, path, headers);
      const theirs = await raw(started.appUrl, path, headers);
      expect({ path, headers, status: ours.status }).toEqual({
        path,
        headers,
        status: theirs.status,
      });
      expect({ path, body: ours.body.toString('utf8') }).toEqual({
        path,
        body: theirs.body.toString('utf8'),
      });
      expect(ours.body.equals(theirs.body)).toBe(true);
      expect(ours.headers['cache-control']).toBe('no-store');
      // Express adds "; charset=utf-8" to a type set by hand; the media type is the same.
      expect(mediaType(ours.headers['content-type'])).toBe(
        mediaType(theirs.headers['content-type']),
      );
      expect(ours.headers['x-content-type-options']).toBe(theirs.headers['x-content-type-options']);
    }
  });

  it('answers HEAD with the headers of GET and no body, and other methods and URLs as Nest does', async () => {
    const started = await startApp(adapter, { server: PROBE_PORT });
    app = started.app;
    await settled(started.probeUrl);
    const head = await raw(started.probeUrl, '/health/ready', {}, 'HEAD');
    expect(head.status).toBe(503);
    expect(head.body.length).toBe(0);
    for (const [method, path] of [
      ['POST', '/health/ready'],
      ['DELETE', '/livez'],
      ['GET', '/health/nope'],
      ['GET', '/health/ready/db/extra'],
      ['GET', '/nope?x=1'],
    ] as const) {
      const ours = await raw(started.probeUrl, path, {}, method);
      const theirs = await raw(started.appUrl, path, {}, method);
      expect({ method, path, status: ours.status, body: JSON.parse(ours.body.toString()) }).toEqual(
        {
          method,
          path,
          status: theirs.status,
          body: JSON.parse(theirs.body.toString()),
        },
      );
    }
  });

  it('streams the same snapshot as the app, with reasons only for admitted callers', async () => {
    const started = await startApp(adapter, {
      server: PROBE_PORT,
      details: 'authorized',
      authorize: AdminGuard,
    });
    app = started.app;
    await settled(started.probeUrl);
    const clients: SseClient[] = [];
    try {
      const anonymous = await SseClient.connect(`${started.probeUrl}/health/stream?group=jobs`);
      const admin = await SseClient.connect(`${started.probeUrl}/health/stream`, {
        authorization: 'Bearer good',
      });
      const ofApp = await SseClient.connect(`${started.appUrl}/health/stream?group=jobs`);
      clients.push(anonymous, admin, ofApp);
      expect(anonymous.status).toBe(200);
      expect(anonymous.headers['content-type']).toBe(ofApp.headers['content-type']);
      const [ours, theirs] = [
        (await anonymous.next('snapshot')).data,
        (await ofApp.next('snapshot')).data,
      ];
      expect(Object.keys(ours.checks)).toEqual(['mail', 'cache']);
      expect(ours.checks).toEqual(theirs.checks);
      expect(JSON.stringify(ours)).not.toContain('ECONNREFUSED');
      expect(JSON.stringify((await admin.next('snapshot')).data)).toContain(REASON);
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('is not touched by a deny-all global guard, and hands a guard given as authorize a usable context', async () => {
    const started = await startApp(
      adapter,
      { server: PROBE_PORT, details: 'authorized', authorize: AdminGuard },
      [{ provide: APP_GUARD, useClass: DenyAllGuard }],
    );
    app = started.app;
    expect((await fetch(`${started.appUrl}/health/live`)).status).toBe(401);
    await settled(started.probeUrl);
    for (const path of ['/health/live', '/livez', '/health/ready/db', '/health/startup']) {
      expect([path, (await fetch(`${started.probeUrl}${path}`)).status]).toEqual([path, 200]);
    }
    const anonymous = await (await fetch(`${started.probeUrl}/health`)).json();
    expect(anonymous).toMatchObject({ details: 'withheld' });
    const admin = await fetch(`${started.probeUrl}/health`, {
      headers: { authorization: 'Bearer good' },
    });
    expect(await admin.json()).toMatchObject({
      details: 'full',
      checks: { mail: { message: REASON, data: { attempts: 2 } } },
    });
  });

  it('with server.only, takes the routes off the app port (forRoot: not mapped)', async () => {
    const started = await startApp(adapter, { server: { ...PROBE_PORT, only: true } });
    app = started.app;
    await settled(started.probeUrl);
    for (const path of [
      '/health/ready',
      '/health',
      '/readyz',
      '/health/ready/db',
      '/health/dashboard',
    ]) {
      expect([path, (await fetch(`${started.appUrl}${path}`)).status]).toEqual([path, 404]);
      expect([path, (await fetch(`${started.probeUrl}${path}`)).status]).not.toEqual([path, 404]);
    }
  });

  it('with server.only through forRootAsync, answers 404 on the app port as for an unmapped route', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        HealthModule.forRootAsync({
          useFactory: () => ({ logger: false, server: { ...PROBE_PORT, only: true } }),
        }),
      ],
      providers: INDICATORS,
    }).compile();
    const started = await listen(moduleRef, adapter);
    app = started.app;
    const { appUrl, probeUrl } = started;
    await settled(probeUrl);
    for (const path of ['/health/ready', '/health', '/readyz?verbose', '/health/group/jobs/mail']) {
      const answer = await fetch(`${appUrl}${path}`);
      expect([path, answer.status, await answer.json()]).toEqual([
        path,
        404,
        { message: `Cannot GET ${path}`, error: 'Not Found', statusCode: 404 },
      ]);
      expect([path, (await fetch(`${probeUrl}${path}`)).status]).not.toEqual([path, 404]);
    }
  });

  it('never answers 5xx other than a probe status to fuzzed paths, queries and headers', async () => {
    const started = await startApp(adapter, { server: PROBE_PORT, metrics: false });
    app = started.app;
    await settled(started.probeUrl);
    const segment = fc.oneof(
      fc.constantFrom('health', 'live', 'ready', 'startup', 'group', 'livez', 'readyz', 'jobs'),
      fc.constantFrom('db', 'mail', '%', '%E0%A4%A', '%2F', '..', '.', '~', '%00', 'metrics'),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
    );
    const path = fc
      .array(segment, { maxLength: 5 })
      .chain((segments) =>
        fc.constantFrom(
          `/${segments.join('/')}`,
          `/${segments.join('/')}/`,
          `//${segments.join('/')}`,
        ),
      );
    const query = fc.oneof(
      fc.constant(''),
      fc
        .array(
          fc.tuple(
            fc.constantFrom('verbose', 'exclude', 'fresh', 'x', 'exclude[]', '__proto__', ''),
            fc.oneof(fc.constantFrom('', '1', 'true', 'no', 'db'), fc.string({ maxLength: 8 })),
          ),
          { maxLength: 70 },
        )
        .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`),
      fc.string({ maxLength: 20 }).map((text) => `?${encodeURI(text)}`),
    );
    const headers = fc.dictionary(
      fc.constantFrom('accept', 'authorization', 'x-forwarded-for', 'content-type', 'x-a'),
      fc.oneof(
        fc.constantFrom('application/health+json', 'application/*', '*/*;q=0', 'text/html'),
        fc.string({ maxLength: 30 }).filter((value) => /^[\x20-\x7e]*$/.test(value)),
      ),
    );
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS', 'PUT');
    await fc.assert(
      fc.asyncProperty(path, query, headers, method, async (p, q, h, m) => {
        const answer = await raw(started.probeUrl, `${p}${q}`, h, m);
        // 503 is a probe's "down", never an error of the server.
        expect([`${m} ${p}${q}`, answer.status >= 500 && answer.status !== 503]).toEqual([
          `${m} ${p}${q}`,
          false,
        ]);
        if (answer.status === 503) expect(answer.body.toString()).not.toContain('Internal');
      }),
      { numRuns: 400 },
    );
    expect((await fetch(`${started.probeUrl}/health/live`)).status).toBe(200);
  });
});

describe('the probe port in an application context with no HTTP adapter', () => {
  @Module({
    imports: [HealthModule.forRoot({ logger: false, server: PROBE_PORT, shutdownDelayMs: 1_500 })],
    providers: INDICATORS,
  })
  class WorkerModule {}

  it('serves the probes, then answers Connection: close through the drain delay, then closes', async () => {
    const context = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
    const base = probeUrlOf(context);
    let closing: Promise<void> | undefined;
    try {
      await settled(base);
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      expect(await (await fetch(`${base}/health/ready`)).json()).toMatchObject({
        group: 'readiness',
        checks: { db: { status: 'up' }, cache: { status: 'down' } },
      });
      closing = context.close();
      const draining = await waitFor(async () => {
        const answer = await raw(base, '/health/live');
        expect(answer.headers.connection).toBe('close');
        return answer;
      });
      expect(draining.status).toBe(200); // liveness untouched while draining
      expect(JSON.parse((await raw(base, '/health/ready')).body.toString())).toMatchObject({
        reason: 'shutting_down',
      });
      await closing;
      await expect(fetch(`${base}/health/live`)).rejects.toThrow();
    } finally {
      await (closing ?? context.close());
    }
  });
});

describe('a plain probe of a group with an on-demand member, on the probe port', () => {
  let runs = 0;

  @HealthIndicator({ name: 'queue', groups: ['readiness'], mode: 'on-demand', cacheTtlMs: 0 })
  class QueueHealth implements HealthIndicatorCheck {
    check() {
      runs += 1;
      return up({ runs });
    }
  }

  @Module({
    imports: [HealthModule.forRoot({ logger: false, server: PROBE_PORT })],
    providers: [QueueHealth],
  })
  class OnDemandModule {}

  it('runs the member before each answer, and answers as the app does', async () => {
    const context = await NestFactory.createApplicationContext(OnDemandModule, { logger: false });
    try {
      const base = probeUrlOf(context);
      const before = runs;
      const first = await fetch(`${base}/health/ready`);
      expect(first.status).toBe(200);
      expect(await first.json()).toMatchObject({
        group: 'readiness',
        checks: { queue: { status: 'up' } },
      });
      expect(runs).toBeGreaterThan(before);
      const afterFirst = runs;
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
      expect(runs).toBeGreaterThan(afterFirst);
    } finally {
      await context.close();
    }
  });
});

describe('the probe port in a hybrid app (HTTP and a TCP microservice)', () => {
  @Module({
    imports: [HealthModule.forRoot({ logger: false, server: { ...PROBE_PORT, only: true } })],
    providers: INDICATORS,
  })
  class HybridModule {}

  it('serves the probes beside both servers, and only there with only: true', async () => {
    const app = await NestFactory.create(HybridModule, { logger: false });
    try {
      app.connectMicroservice<MicroserviceOptions>({
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port: 0 },
      });
      await app.startAllMicroservices();
      await app.listen(0, '127.0.0.1');
      const appUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const probeUrl = probeUrlOf(app);
      await settled(probeUrl);
      expect((await fetch(`${probeUrl}/health/live`)).status).toBe(200);
      expect((await fetch(`${probeUrl}/health/ready`)).status).toBe(503); // cache is down
      expect((await fetch(`${appUrl}/health/live`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe('the server option', () => {
  it.each([
    [{ port: 70_000 }, 'server.port'],
    [{ port: 9000, routes: ['probes', 'fleet'] }, 'server.routes'],
    [{ port: 9000, headersTimeoutMs: 6_000, requestTimeoutMs: 5_000 }, 'server.requestTimeoutMs'],
    [{ port: 9000, maxHeaderSizeBytes: 10 }, 'server.maxHeaderSizeBytes'],
    ['9000', 'server'],
  ])('fails the boot for %j, naming %s', async (server, option) => {
    const error: unknown = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false, server: server as never })],
    })
      .compile()
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InvalidHealthModuleOptionsError);
    expect((error as Error).message).toContain(option);
  });
});

describe('maxRequestsPerSocket on the probe port', () => {
  let context: INestApplicationContext | undefined;

  afterAll(async () => {
    await context?.close();
  });

  it('closes the connection after the last answer, and never answers 503 to a client that keeps sending', async () => {
    @Module({
      imports: [
        HealthModule.forRoot({ logger: false, server: { ...PROBE_PORT, maxRequestsPerSocket: 3 } }),
      ],
      providers: [DatabaseHealth],
    })
    class LimitedModule {}
    context = await NestFactory.createApplicationContext(LimitedModule, { logger: false });
    const base = probeUrlOf(context);
    await settled(base);
    // Five requests pipelined on one connection, as a client that ignores Connection: close.
    const socket = connect(Number(new URL(base).port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /health/ready HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(5));
    await ended;
    // Answers follow each other on the connection: each starts with its status line.
    const heads = received.split('HTTP/1.1 ').slice(1);
    expect(heads.map((head) => head.slice(0, 3))).toEqual(['200', '200', '200']);
    expect(heads[2]).toMatch(/\r\nConnection: close\r\n/i);
    expect(heads[1]).not.toMatch(/\r\nConnection: close\r\n/i);
  });
});

describe('1,000 slow clients (slowloris) on the probe port', () => {
  let context: INestApplicationContext | undefined;
  const sockets: Socket[] = [];

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await context?.close();
  });

  it('do not stop the probes from answering, and are cut off after headersTimeoutMs', async () => {
    @Module({
      imports: [
        HealthModule.forRoot({
          logger: false,
          server: { ...PROBE_PORT, headersTimeoutMs: 2_000, requestTimeoutMs: 2_000 },
        }),
      ],
      providers: [DatabaseHealth],
    })
    class SlowClientsModule {}
    context = await NestFactory.createApplicationContext(SlowClientsModule, { logger: false });
    const base = probeUrlOf(context);
    const { port } = new URL(base);
    await settled(base);
    let closed = 0;
    for (let i = 0; i < 1_000; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.resume(); // read the 408, so that the socket sees the server's end
      socket.on('close', () => (closed += 1));
      // Headers that never end.
      socket.write(`GET /health/ready HTTP/1.1\r\nHost: x\r\nX-Slow-${i}: `);
      sockets.push(socket);
    }
    await waitFor(() => expect(sockets.filter((socket) => socket.pending).length).toBe(0), {
      timeoutMs: 30_000,
    });
    for (let i = 0; i < 5; i++) {
      expect((await raw(base, '/health/ready')).status).toBe(200);
    }
    // Cut off by the server (408) once headersTimeoutMs is over, checked every second.
    await waitFor(() => expect(closed).toBe(1_000), { timeoutMs: 30_000, intervalMs: 100 });
    expect((await raw(base, '/health/ready')).status).toBe(200);
  }, 90_000);
});

/** Every timer jest can fake but `Date`: only the clock stands still. */
const NOT_DATE = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

function mediaType(contentType: string | string[] | undefined): string | undefined {
  return String(contentType).split(';')[0]?.trim();
}

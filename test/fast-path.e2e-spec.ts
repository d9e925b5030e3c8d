import {
  Injectable,
  Module,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { down, HealthIndicator, HealthModule, up, type HealthIndicatorCheck } from 'nest-health';
import request from 'supertest';
import { exampleApp, HTTP_ADAPTERS } from './helpers/example-app';
import type { HttpAdapterName } from '../apps/example/src/example-config';
import { waitFor } from './helpers/wait-for';

/** What the spec controls in one app: the database check's answer, and on-demand runs. */
class Dependencies {
  databaseUp = true;
  onDemandRuns = 0;
}

/** A global guard that admits only `x-token: secret`, and counts the requests it saw. */
@Injectable()
class TokenGuard implements CanActivate {
  calls = 0;
  canActivate(context: ExecutionContext): boolean {
    this.calls += 1;
    const { headers } = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    return headers['x-token'] === 'secret';
  }
}

/** A global interceptor that marks every answer it sees with `x-intercepted: yes`. */
@Injectable()
class MarkingInterceptor implements NestInterceptor {
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  intercept(context: ExecutionContext, next: CallHandler) {
    this.adapterHost.httpAdapter.setHeader(
      context.switchToHttp().getResponse(),
      'x-intercepted',
      'yes',
    );
    return next.handle();
  }
}

@HealthIndicator({ name: 'database', intervalMs: 100 })
class DatabaseHealth implements HealthIndicatorCheck {
  constructor(private readonly dependencies: Dependencies) {}
  check() {
    return this.dependencies.databaseUp ? up() : down('connection refused');
  }
}

@HealthIndicator({ name: 'cache', groups: ['cache'], mode: 'on-demand', cacheTtlMs: 0 })
class CacheHealth implements HealthIndicatorCheck {
  constructor(private readonly dependencies: Dependencies) {}
  check() {
    this.dependencies.onDemandRuns += 1;
    return up();
  }
}

interface AppUnderTest {
  readonly app: INestApplication;
  readonly guard: TokenGuard;
  readonly dependencies: Dependencies;
  get(path: string, token?: boolean): request.Test;
}

async function startApp(
  adapter: HttpAdapterName,
  { fastPath = true, prefix = '', testingModule = false, shutdownDelayMs = 0 } = {},
): Promise<AppUnderTest> {
  @Module({
    imports: [
      HealthModule.forRoot({ logger: false, shutdownDelayMs, ...(fastPath ? { fastPath } : {}) }),
    ],
    providers: [
      Dependencies,
      TokenGuard,
      { provide: APP_GUARD, useExisting: TokenGuard },
      { provide: APP_INTERCEPTOR, useClass: MarkingInterceptor },
      DatabaseHealth,
      CacheHealth,
    ],
  })
  class AppModule {}

  let app: INestApplication;
  if (testingModule) {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app =
      adapter === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
        : moduleRef.createNestApplication({ logger: false });
  } else {
    app =
      adapter === 'fastify'
        ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false })
        : await NestFactory.create(AppModule, { logger: false });
  }
  if (prefix) app.setGlobalPrefix(prefix);
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Parameters<typeof request>[0];
  return {
    app,
    guard: app.get(TokenGuard),
    dependencies: app.get(Dependencies),
    get: (path, token = false) => {
      const test = request(server).get(path);
      return token ? test.set('x-token', 'secret') : test;
    },
  };
}

/** A body without its timestamp, which differs from one answer to the next. */
function withoutTimestamp(body: unknown): unknown {
  const { timestamp, ...rest } = body as { timestamp: unknown };
  expect(timestamp).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/));
  return rest;
}

describe.each(HTTP_ADAPTERS)('the probe fast path on %s', (adapter) => {
  describe('with fastPath: true', () => {
    let subject: AppUnderTest;

    beforeAll(async () => {
      subject = await startApp(adapter);
      // GET /health is no probe: it teaches the fast path nothing.
      await waitFor(async () => {
        const { body } = await subject.get('/health', true).expect(200);
        expect(body).toMatchObject({ checks: { database: { status: 'up' } } });
      });
    });

    afterAll(async () => {
      await subject?.app.close();
    });

    it.each(['/health/ready', '/health/live', '/health/startup', '/readyz', '/health/group/cache'])(
      'answers %s as the Nest route did, without guards or interceptors',
      async (path) => {
        const viaNest = await subject.get(path, true).expect(200);
        expect(viaNest.headers['x-intercepted']).toBe('yes');
        const guardCalls = subject.guard.calls;

        const fast = await subject.get(path).expect(200); // no token: the guard would refuse

        expect(subject.guard.calls).toBe(guardCalls);
        expect(fast.headers['x-intercepted']).toBeUndefined();
        expect(withoutTimestamp(fast.body)).toEqual(withoutTimestamp(viaNest.body));
        expect(fast.headers['content-type']).toBe(viaNest.headers['content-type']);
        expect(fast.headers['cache-control']).toBe('no-store');
        expect(Number(fast.headers['content-length'])).toBe(Buffer.byteLength(fast.text));
      },
    );

    it('reflects every transition, with the route status codes', async () => {
      await subject.get('/health/ready', true).expect(200);

      subject.dependencies.databaseUp = false;
      const downAnswer = await waitFor(() => subject.get('/health/ready').expect(503));
      expect(downAnswer.body).toMatchObject({
        status: 'down',
        group: 'readiness',
        checks: { database: { status: 'down' } },
      });

      subject.dependencies.databaseUp = true;
      const upAnswer = await waitFor(() => subject.get('/health/ready').expect(200));
      expect(upAnswer.body).toMatchObject({ status: 'up', checks: { database: { status: 'up' } } });
    });

    it('runs on-demand members before answering, as the route does', async () => {
      await subject.get('/health/group/cache', true).expect(200);
      const runs = subject.dependencies.onDemandRuns;

      await subject.get('/health/group/cache').expect(200);

      expect(subject.dependencies.onDemandRuns).toBe(runs + 1);
    });

    it.each([
      ['a query string', '/health/ready?verbose', {}],
      ['a per-check route', '/health/ready/database', {}],
      ['another URL of the same group', '/health/group/readiness', {}],
      ['another format', '/health/ready', { accept: 'application/health+json' }],
    ])('leaves %s to Nest: the guard runs', async (_what, path, headers) => {
      await subject.get('/health/ready', true).expect(200); // learnt
      const guardCalls = subject.guard.calls;

      await subject.get(path).set(headers).expect(403);

      expect(subject.guard.calls).toBe(guardCalls + 1);
    });

    it('leaves HEAD to Nest', async () => {
      await subject.get('/health/ready', true).expect(200);
      const guardCalls = subject.guard.calls;

      await request(subject.app.getHttpServer() as Parameters<typeof request>[0])
        .head('/health/ready')
        .expect(403);

      expect(subject.guard.calls).toBe(guardCalls + 1);
    });

    it('never answers a URL before a probe route has answered it', async () => {
      await subject.get('/health/group/liveness').expect(403);
      await subject.get('/health/group/liveness').expect(403); // a refusal teaches nothing

      await subject.get('/health/group/liveness', true).expect(200);
      await subject.get('/health/group/liveness').expect(200);
    });
  });

  it('is off by default: every probe goes through the guard', async () => {
    const subject = await startApp(adapter, { fastPath: false });
    try {
      await waitFor(() => subject.get('/health/ready', true).expect(200));
      const guardCalls = subject.guard.calls;

      await subject.get('/health/ready').expect(403);
      const again = await subject.get('/health/ready', true).expect(200);

      expect(subject.guard.calls).toBe(guardCalls + 2);
      expect(again.headers['x-intercepted']).toBe('yes');
    } finally {
      await subject.app.close();
    }
  });

  it('answers 503 shutting_down while the app drains', async () => {
    const subject = await startApp(adapter, { shutdownDelayMs: 2_000 });
    let closed: Promise<void> | undefined;
    try {
      await waitFor(() => subject.get('/health/ready', true).expect(200));
      await subject.get('/health/ready').expect(200);

      closed = subject.app.close();
      const { body } = await waitFor(() => subject.get('/health/ready').expect(503));

      expect(body).toMatchObject({ status: 'down', reason: 'shutting_down' });
    } finally {
      await (closed ?? subject.app.close());
    }
  });

  it('follows the global prefix, and never answers the unprefixed path', async () => {
    const subject = await startApp(adapter, { prefix: 'api' });
    try {
      await waitFor(() => subject.get('/api/health/ready', true).expect(200));

      await subject.get('/api/health/ready').expect(200);
      await subject.get('/health/ready').expect(404);
      await subject.get('/health/ready', true).expect(404);
    } finally {
      await subject.app.close();
    }
  });

  it('works with Test.createTestingModule, where the module exists before the adapter', async () => {
    const subject = await startApp(adapter, { testingModule: true });
    try {
      await waitFor(() => subject.get('/health/ready', true).expect(200));
      const guardCalls = subject.guard.calls;

      await subject.get('/health/ready').expect(200);

      expect(subject.guard.calls).toBe(guardCalls);
    } finally {
      await subject.app.close();
    }
  });

  it('answers the example app (PostgreSQL, Redis, BullMQ) as its Nest route does', async () => {
    const running = await exampleApp(adapter).withHealthOptions({ fastPath: true }).start();
    try {
      await waitFor(async () => expect((await running.get('/health')).body.status).toBe('up'));
      const viaNest = await running.get('/health/ready').expect(200);
      const fast = await running.get('/health/ready').expect(200);

      expect(withoutTimestamp(fast.body)).toEqual(withoutTimestamp(viaNest.body));
      expect(fast.body).toMatchObject({
        checks: { database: { status: 'up' }, redis: { status: 'up' }, queue: { status: 'up' } },
      });
      expect(fast.headers['cache-control']).toBe('no-store');
      // What only Express and Nest add: the fast answer never went through them.
      expect(fast.headers.etag).toBeUndefined();
      if (adapter === 'express') expect(viaNest.headers.etag).toBeDefined();
    } finally {
      await running.close();
    }
  });
});

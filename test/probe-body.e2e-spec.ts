import {
  Injectable,
  Module,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { down, HealthIndicator, HealthModule, up, type HealthIndicatorCheck } from 'nest-health';
import { map } from 'rxjs';
import request from 'supertest';
import { HTTP_ADAPTERS } from './helpers/example-app';
import type { HttpAdapterName } from '../apps/example/src/example-config';
import { waitFor } from './helpers/wait-for';

/** What the spec controls: the database check's answer. */
class Dependencies {
  databaseUp = true;
}

@HealthIndicator({ name: 'database', intervalMs: 100 })
class DatabaseHealth implements HealthIndicatorCheck {
  constructor(private readonly dependencies: Dependencies) {}
  check() {
    return this.dependencies.databaseUp ? up() : down('connection refused');
  }
}

@HealthIndicator({ name: 'cache' })
class CacheHealth implements HealthIndicatorCheck {
  check() {
    return up();
  }
}

/** Records what each handler returned, and wraps it the way many apps wrap every answer. */
@Injectable()
class EnvelopeInterceptor implements NestInterceptor {
  static readonly seen: unknown[] = [];
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(
      map((body: unknown) => {
        EnvelopeInterceptor.seen.push(body);
        return { data: body };
      }),
    );
  }
}

type Interception = 'none' | 'global' | 'route option';

async function startApp(adapter: HttpAdapterName, interception: Interception) {
  @Module({
    imports: [
      HealthModule.forRoot({
        logger: false,
        ...(interception === 'route option'
          ? { decorators: [UseInterceptors(EnvelopeInterceptor)] }
          : {}),
      }),
    ],
    providers: [
      Dependencies,
      DatabaseHealth,
      CacheHealth,
      ...(interception === 'global'
        ? [{ provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor }]
        : []),
    ],
  })
  class AppModule {}

  const app: INestApplication =
    adapter === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Parameters<typeof request>[0];
  return {
    app,
    dependencies: app.get(Dependencies),
    get: (path: string) => request(server).get(path),
  };
}

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe.each(HTTP_ADAPTERS)('the body of a plain probe on %s', (adapter) => {
  describe('without interceptors (the body is served as serialized once per state)', () => {
    let subject: Awaited<ReturnType<typeof startApp>>;

    beforeAll(async () => {
      subject = await startApp(adapter, 'none');
    });

    afterAll(async () => {
      await subject?.app.close();
    });

    it.each(['/health/ready', '/health/live', '/readyz', '/health/group/readiness'])(
      'answers %s with compact JSON in the documented key order and headers',
      async (path) => {
        const answer = await waitFor(() => subject.get(path).expect(200));

        expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(answer.headers['cache-control']).toBe('no-store');
        expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.text));
        const body = answer.body as Record<string, unknown>;
        expect(answer.text).toBe(JSON.stringify(body));
        expect(Object.keys(body)).toEqual(['status', 'group', 'timestamp', 'checks']);
        expect(body.status).toBe('up');
        expect(body.timestamp).toMatch(TIMESTAMP);
      },
    );

    it('follows each transition with its status code, never a stale body', async () => {
      await waitFor(() => subject.get('/health/ready').expect(200));

      subject.dependencies.databaseUp = false;
      const downAnswer = await waitFor(() => subject.get('/health/ready').expect(503));
      expect(downAnswer.body).toEqual({
        status: 'down',
        group: 'readiness',
        timestamp: expect.stringMatching(TIMESTAMP),
        checks: { database: { status: 'down' }, cache: { status: 'up' } },
      });

      subject.dependencies.databaseUp = true;
      const upAnswer = await waitFor(() => subject.get('/health/ready').expect(200));
      expect(upAnswer.body).toMatchObject({ status: 'up', checks: { database: { status: 'up' } } });
    });

    it('gives each answer the time it was made', async () => {
      const first = await subject.get('/health/live').expect(200);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await subject.get('/health/live').expect(200);

      const times = [first, second].map(({ body }) => Date.parse(body.timestamp as string));
      expect(times[1]).toBeGreaterThan(times[0]);
    });
  });

  describe.each<Interception>(['global', 'route option'])(
    'with an interceptor (%s), which sees the body as an object',
    (interception) => {
      let subject: Awaited<ReturnType<typeof startApp>>;

      beforeAll(async () => {
        subject = await startApp(adapter, interception);
      });

      afterAll(async () => {
        await subject?.app.close();
      });

      it('hands the interceptor the probe body object', async () => {
        EnvelopeInterceptor.seen.length = 0;

        const answer = await waitFor(() => subject.get('/health/ready').expect(200));

        const body = EnvelopeInterceptor.seen.at(-1);
        expect(typeof body).toBe('object');
        expect(body).toMatchObject({ status: 'up', group: 'readiness' });
        expect(answer.body).toEqual({ data: body });
        expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      });
    },
  );
});

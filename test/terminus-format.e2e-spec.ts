/**
 * `format: 'terminus'` answers what a real `@nestjs/terminus` endpoint answers for the same
 * checks: the same body and the same status code, both up and with one check down. One app
 * serves both: a Terminus controller (`HealthCheckService.check()` with indicators made by
 * Terminus's `HealthIndicatorService`) at `/terminus/ready`, and the health module's readiness
 * probe at `/health/ready`, over the same three checks of real services (Redis, PostgreSQL, a TCP
 * port), under the same names.
 */
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TerminusModule,
} from '@nestjs/terminus';
import Redis from 'ioredis';
import { HealthModule, HealthRegistry, HealthShutdown, up } from 'nest-health';
import { connect } from 'node:net';
import { Pool } from 'pg';
import request from 'supertest';
import { HTTP_ADAPTERS, SERVICES } from './helpers/example-app';
import { TestTcpServer } from './helpers/tcp-server';
import { waitFor } from './helpers/wait-for';

/** The checks both sides run: each resolves when its dependency answers, rejects otherwise. */
interface Checks {
  readonly redis: () => Promise<unknown>;
  readonly database: () => Promise<unknown>;
  readonly tcp: () => Promise<unknown>;
}

function tcpConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
  });
}

@Controller('terminus')
class TerminusHealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** A Terminus readiness endpoint as its documentation writes one. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(
      namedChecks().map(([name, run]) => async () => {
        const indicator = this.indicators.check(name);
        try {
          await run();
          return indicator.up();
        } catch (error) {
          return indicator.down({ message: (error as Error).message });
        }
      }),
    );
  }
}

/** Set before the app is created (the services' clients belong to the spec). */
let checks: Checks;

/** The checks with their names, in one order for both sides. */
function namedChecks(): [name: string, run: () => Promise<unknown>][] {
  return [
    ['redis', checks.redis],
    ['database', checks.database],
    ['tcp', checks.tcp],
  ];
}

@Module({
  imports: [
    TerminusModule.forRoot({ logger: false }),
    HealthModule.forRoot({
      format: 'terminus',
      logger: false,
      shutdownDelayMs: 2_000,
      defaults: { intervalMs: 100, timeoutMs: 1_000 },
    }),
  ],
  controllers: [TerminusHealthController],
})
class BothModule {}

describe.each(HTTP_ADAPTERS)("on %s, format: 'terminus' against @nestjs/terminus", (adapter) => {
  let app: INestApplication;
  let redis: Redis;
  let pool: Pool;
  let port: TestTcpServer;

  beforeAll(async () => {
    redis = new Redis(SERVICES.redisUrl, { maxRetriesPerRequest: 1 });
    pool = new Pool({ connectionString: SERVICES.databaseUrl, max: 2 });
    port = await TestTcpServer.start();
    checks = {
      redis: () => redis.ping(),
      database: () => pool.query('SELECT 1'),
      tcp: () => tcpConnect(port.port),
    };
    app =
      adapter === 'fastify'
        ? await NestFactory.create(BothModule, new FastifyAdapter(), { logger: false })
        : await NestFactory.create(BothModule, { logger: false });
    const registry = app.get(HealthRegistry);
    for (const [name, run] of namedChecks()) {
      registry.register(async () => (await run(), up()), { name });
    }
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await port?.stop();
    redis?.disconnect();
    await pool?.end();
  });

  /** Both answers, once the module's snapshot shows `expected` (the module checks in the background). */
  async function bothAnswers(expected: number) {
    const server = app.getHttpServer();
    await waitFor(() => request(server).get('/health/ready').expect(expected));
    const ours = await request(server).get('/health/ready');
    const terminus = await request(server).get('/terminus/ready');
    return { ours, terminus };
  }

  it('answers as Terminus does when every check is up: 200 and the same body', async () => {
    const { ours, terminus } = await bothAnswers(200);
    expect(terminus.status).toBe(200);
    expect(terminus.body).toEqual({
      status: 'ok',
      info: { redis: { status: 'up' }, database: { status: 'up' }, tcp: { status: 'up' } },
      error: {},
      details: { redis: { status: 'up' }, database: { status: 'up' }, tcp: { status: 'up' } },
    });
    expect(ours.status).toBe(terminus.status);
    expect(ours.body).toEqual(terminus.body);
  });

  it('answers as Terminus does with one check down: 503 and the same body', async () => {
    await port.stop(); // the TCP check is refused from now on
    try {
      const { ours, terminus } = await bothAnswers(503);
      expect(terminus.status).toBe(503);
      expect(terminus.body).toEqual({
        status: 'error',
        info: { redis: { status: 'up' }, database: { status: 'up' } },
        error: {
          tcp: { status: 'down', message: `connect ECONNREFUSED 127.0.0.1:${port.port}` },
        },
        details: {
          redis: { status: 'up' },
          database: { status: 'up' },
          tcp: { status: 'down', message: `connect ECONNREFUSED 127.0.0.1:${port.port}` },
        },
      });
      expect(ours.status).toBe(terminus.status);
      expect(ours.body).toEqual(terminus.body);
    } finally {
      await port.listen();
    }
    await bothAnswers(200);
  });

  it('answers 503 with status shutting_down while the app drains, as Terminus does', async () => {
    const server = app.getHttpServer();
    void app.get(HealthShutdown).begin();
    await waitFor(async () => {
      const answer = await request(server).get('/health/ready').expect(503);
      expect(answer.body).toMatchObject({
        status: 'shutting_down',
        info: { redis: { status: 'up' }, database: { status: 'up' }, tcp: { status: 'up' } },
        error: {},
      });
    });
  });
});

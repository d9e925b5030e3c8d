// One Nest server of the probe benchmark. bench/probes.bench.mjs compiles it (tsc -p
// bench/tsconfig.json, into dist/bench) and starts it pinned to one core:
//
//   node --require ./bench/compiled-paths.cjs dist/bench/bench/probe-server.js '<json spec>'
//
// (or from the sources: node --require ./test/helpers/register-typescript.cjs
// bench/probe-server.ts '<json spec>', which keeps the TypeScript compiler in memory.)
// The spec says which server to be (see ServerSpec). The process prints "ready <port>" on stdout
// once it listens on 127.0.0.1; on SIGUSR2 it collects garbage (when run with --expose-gc) and
// prints "memory <process.memoryUsage() as JSON>"; on SIGTERM it closes the app and exits.
import 'reflect-metadata';
import { InjectQueue } from '@nestjs/bullmq';
import {
  Controller,
  Get,
  Injectable,
  Module,
  type CallHandler,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TerminusModule,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import Redis from 'ioredis';
import {
  HealthIndicator,
  HealthModule,
  HealthProbeServer,
  redisIndicator,
  type HealthModuleOptions,
} from 'nest-health';
import { createExampleApp } from '../apps/example/src/bootstrap';
import { DatabaseHealth } from '../apps/example/src/database.health';
import { DEMO_QUEUE } from '../apps/example/src/demo-queue';
import { QueueHealth } from '../apps/example/src/queue.health';
import { RedisClient } from '../apps/example/src/redis.client';
import { RedisHealth } from '../apps/example/src/redis.health';
import { SqlClient } from '../apps/example/src/sql-client';

/** What one server process is. */
export interface ServerSpec {
  /**
   * - `floor`: the example app without nest-health, plus `GET /constant` (the framework floor,
   *   and the app "without the module" of the RSS comparison);
   * - `health`: the example app as it is (nest-health, background checks), plus `GET /constant`;
   * - `on-demand`: the same with its three indicators in `mode: 'on-demand'`;
   * - `terminus`: the example app without nest-health, plus `GET /terminus/ready` doing the same
   *   three checks with `@nestjs/terminus` on every request;
   * - `indicators`: a bare Nest app with `indicators` Redis PING indicators in readiness.
   */
  readonly role: 'floor' | 'health' | 'on-demand' | 'terminus' | 'indicators';
  readonly adapter: 'express' | 'fastify';
  /** nest-health's `fastPath` option. */
  readonly fastPath?: boolean;
  /**
   * Adds what an app usually has and the fast path skips: a global guard, a global interceptor
   * and an `app.use()` middleware, each letting everything through.
   */
  readonly extras?: boolean;
  /**
   * Serves the probe port too (`server: { port: 0 }` on 127.0.0.1), and prints its port as the
   * one to load instead of the app's.
   */
  readonly probePort?: boolean;
  /** With `indicators`: how many. */
  readonly indicators?: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** BullMQ key prefix of this process. */
  readonly queuePrefix: string;
}

const CONSTANT_BODY = { status: 'up' };

/** The yardstick: a Nest route that answers a constant. */
@Controller()
class ConstantController {
  @Get('constant')
  constant() {
    return CONSTANT_BODY;
  }
}

/**
 * The example app's three checks done the Terminus way: `HealthCheckService.check` runs them on
 * every request — PostgreSQL `SELECT 1`, Redis `PING` and the queue's waiting jobs (`LLEN`).
 */
@Controller('terminus')
class TerminusController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly sql: SqlClient,
    private readonly redis: RedisClient,
    @InjectQueue(DEMO_QUEUE) private readonly queue: Queue,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.probe('database', () => this.sql.query('SELECT 1')),
      () => this.probe('redis', () => this.redis.redis.ping()),
      () =>
        this.probe('queue', async () => (await this.queue.client).llen(this.queue.toKey('wait'))),
    ]);
  }

  private async probe(key: string, call: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const check = this.indicator.check(key);
    try {
      await call();
      return check.up();
    } catch (error) {
      return check.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}

/** A global guard that lets everything through. */
@Injectable()
class PassGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** A global interceptor that changes nothing. */
@Injectable()
class PassInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle();
  }
}

@HealthIndicator({ name: 'database', groups: ['readiness'], mode: 'on-demand' })
class OnDemandDatabaseHealth extends DatabaseHealth {}

@HealthIndicator({ name: 'redis', groups: ['readiness'], mode: 'on-demand' })
class OnDemandRedisHealth extends RedisHealth {}

@HealthIndicator({ name: 'queue', groups: ['readiness'], mode: 'on-demand' })
class OnDemandQueueHealth extends QueueHealth {}

const HEALTH_CLASSES: readonly unknown[] = [DatabaseHealth, RedisHealth, QueueHealth];

function withoutHealth(module: DynamicModule): DynamicModule {
  return {
    ...module,
    imports: (module.imports ?? []).filter(
      (imported) => (imported as DynamicModule).module !== HealthModule,
    ),
    providers: (module.providers ?? []).filter((provider) => !HEALTH_CLASSES.includes(provider)),
  };
}

function adding(
  module: DynamicModule,
  extra: { imports?: DynamicModule[]; controllers?: DynamicModule['controllers'] },
  providers?: (list: Provider[]) => Provider[],
): DynamicModule {
  return {
    ...module,
    imports: [...(module.imports ?? []), ...(extra.imports ?? [])],
    controllers: [...(module.controllers ?? []), ...(extra.controllers ?? [])],
    providers: providers ? providers(module.providers ?? []) : module.providers,
  };
}

async function exampleApp(spec: ServerSpec): Promise<INestApplication> {
  const health: HealthModuleOptions = {
    defaults: { intervalMs: 5_000, timeoutMs: 1_000 },
    logger: false,
    ...(spec.fastPath ? { fastPath: true } : {}),
    ...(spec.probePort ? { server: { port: 0, host: '127.0.0.1' } } : {}),
  };
  const module = (made: DynamicModule): DynamicModule => {
    const changed = variant(made);
    if (!spec.extras) return changed;
    return {
      ...changed,
      providers: [
        ...(changed.providers ?? []),
        { provide: APP_GUARD, useClass: PassGuard },
        { provide: APP_INTERCEPTOR, useClass: PassInterceptor },
      ],
    };
  };
  const variant = (made: DynamicModule): DynamicModule => {
    switch (spec.role) {
      case 'floor':
        return adding(withoutHealth(made), { controllers: [ConstantController] });
      case 'terminus':
        return adding(withoutHealth(made), {
          imports: [TerminusModule.forRoot({ logger: false })],
          controllers: [ConstantController, TerminusController],
        });
      case 'on-demand':
        return adding(made, { controllers: [ConstantController] }, (providers) => [
          ...providers.filter((provider) => !HEALTH_CLASSES.includes(provider)),
          OnDemandDatabaseHealth,
          OnDemandRedisHealth,
          OnDemandQueueHealth,
        ]);
      default:
        return adding(made, { controllers: [ConstantController] });
    }
  };
  const app = await createExampleApp({
    env: {
      HTTP_ADAPTER: spec.adapter,
      DATABASE_URL: spec.databaseUrl,
      REDIS_URL: spec.redisUrl,
      QUEUE_PREFIX: spec.queuePrefix,
    },
    config: { health },
    logger: false,
    module,
  });
  if (spec.extras) app.use((_request: unknown, _response: unknown, next: () => void) => next());
  return app;
}

/** A bare Nest app whose readiness has `count` indicators, each a Redis PING on one client. */
async function indicatorsApp(spec: ServerSpec): Promise<INestApplication> {
  const redis = new Redis(spec.redisUrl, { lazyConnect: false });
  redis.on('error', () => undefined);
  const count = spec.indicators ?? 1;
  @Module({
    imports: [
      HealthModule.forRoot({
        logger: false,
        ...(spec.fastPath ? { fastPath: true } : {}),
        indicators: Array.from({ length: count }, (_, i) =>
          redisIndicator(redis, { name: `redis-${i + 1}`, memory: false }),
        ),
      }),
    ],
    controllers: [ConstantController],
  })
  class IndicatorsModule {}
  const app =
    spec.adapter === 'fastify'
      ? await NestFactory.create(IndicatorsModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(IndicatorsModule, { logger: false });
  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    redis.disconnect();
  };
  return app;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
  const app = spec.role === 'indicators' ? await indicatorsApp(spec) : await exampleApp(spec);
  await app.listen(0, '127.0.0.1');
  const port = spec.probePort
    ? app.get(HealthProbeServer).port
    : Number(new URL(await app.getUrl()).port);
  const close = () => app.close();
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    process.stdout.write(`memory ${JSON.stringify(process.memoryUsage())}\n`);
  });
  process.once('SIGTERM', () => {
    // A hung dependency may hold a close: give up after 3 s.
    setTimeout(() => process.exit(0), 3_000).unref();
    void close().then(() => process.exit(0));
  });
  process.stdout.write(`ready ${port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

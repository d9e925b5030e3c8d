import {
  Controller,
  Get,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { networkInterfaces } from 'node:os';
import {
  down,
  HealthIndicator,
  HealthModule,
  isHealthEndpoint,
  up,
  type HealthIndicatorCheck,
  type HealthModuleOptions,
  type HealthModuleRouteOptions,
} from 'nest-health';
import {
  exampleApp,
  HTTP_ADAPTERS,
  PROBE_TARGETS,
  type RunningExampleApp,
} from './helpers/example-app';
import { waitFor } from './helpers/wait-for';

/** An address of this machine that is not loopback, if it has one. */
const EXTERNAL_IPV4 = Object.values(networkInterfaces())
  .flat()
  .find((address) => address?.family === 'IPv4' && !address.internal)?.address;

const itWithExternalAddress = EXTERNAL_IPV4 ? it : it.skip;

const REASON = 'upstream unreachable: connect ECONNREFUSED 10.0.0.9:443';

/** What the specs read of `GET /health`. */
interface DetailsJson {
  readonly details: 'full' | 'withheld';
  readonly checks: Record<string, { status: string; message?: string; data?: unknown }>;
  readonly process?: { pid: number };
}

describe.each(PROBE_TARGETS)('on %s, the details policy of the example app', (target) => {
  describe("with the default details: 'local'", () => {
    let app: RunningExampleApp;
    let port: number;
    let runs = 0;

    beforeAll(async () => {
      app = await exampleApp(target).listeningOn('0.0.0.0').start();
      port = await app.healthPort();
      app.registry.register(
        () => {
          runs += 1;
          return down(REASON, { attempts: 3 });
        },
        { name: 'upstream', intervalMs: 60_000 },
      );
      await app.waitForCheck('upstream', 'down');
    });

    afterAll(async () => {
      await app?.close();
    });

    it('gives a loopback caller every detail and the reasons', async () => {
      const details = await fetch(`http://127.0.0.1:${port}/health`);
      const body = (await details.json()) as DetailsJson;
      expect(body.details).toBe('full');
      expect(body.checks.upstream).toMatchObject({ message: REASON, data: { attempts: 3 } });
      expect(body.process).toMatchObject({ pid: process.pid });

      const verbose = await (await fetch(`http://127.0.0.1:${port}/health/ready?verbose`)).text();
      expect(verbose).toContain(`[-]upstream failed: ${REASON}\n`);
    });

    itWithExternalAddress(
      'gives a caller on another interface statuses only, even with X-Forwarded-For: 127.0.0.1',
      async () => {
        const base = `http://${EXTERNAL_IPV4}:${port}`;
        const headers = { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' };
        const details = await fetch(`${base}/health`, { headers });
        expect(details.status).toBe(200);
        const body = (await details.json()) as DetailsJson;
        expect(body).toMatchObject({
          details: 'withheld',
          checks: { upstream: { status: 'down' } },
        });
        expect(body).not.toHaveProperty('process');
        expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');

        const verbose = await fetch(`${base}/health/ready?verbose`, { headers });
        expect(verbose.status).toBe(503);
        const text = await verbose.text();
        expect(text).not.toContain('ECONNREFUSED');
        const lines = text.split('\n');
        expect(lines.pop()).toBe('');
        expect(lines.pop()).toBe('readyz check failed');
        expect(lines).toContain('[-]upstream failed: reason withheld');
        expect(lines.map((line) => line.slice(3).split(' ')[0])).toEqual(
          expect.arrayContaining(['database', 'redis', 'queue', 'upstream']),
        );
        // Every member's line is a status with its reason withheld: the example's own
        // dependencies may fail for a moment on a loaded machine, and say no more then.
        for (const line of lines) {
          expect(line).toMatch(/^\[[+-]\]\S+ (ok|[a-z() -]+: reason withheld)$/);
        }
      },
    );

    itWithExternalAddress('never runs a check for an anonymous ?fresh=true', async () => {
      const before = runs;
      for (let i = 0; i < 5; i++) {
        await fetch(`http://${EXTERNAL_IPV4}:${port}/health/ready?fresh=true`);
        await fetch(`http://${EXTERNAL_IPV4}:${port}/health?fresh=true`);
      }
      expect(runs).toBe(before);

      await fetch(`http://127.0.0.1:${port}/health/ready?fresh=true`);
      expect(runs).toBe(before + 1); // a loopback caller is admitted
    });
  });

  describe("with details: 'authorized' and an authorize function", () => {
    let app: RunningExampleApp;

    beforeAll(async () => {
      app = await exampleApp(target)
        .withHealthOptions({
          details: 'authorized',
          authorize: (request) => request.headers['x-health-token'] === 'let-me-in',
        })
        .start();
      await waitFor(() => app.get('/health/ready').expect(200));
    });

    afterAll(async () => {
      await app?.close();
    });

    it('withholds details even from loopback callers without the token', async () => {
      const { body } = await app.get('/health').expect(200);
      expect(body.details).toBe('withheld');
      expect(body.checks.database).not.toHaveProperty('data');
    });

    it('gives them to a caller with the token', async () => {
      const { body } = await app.get('/health').set('x-health-token', 'let-me-in').expect(200);
      expect(body.details).toBe('full');
      expect(body.checks.database.data).toEqual({ responseTimeMs: expect.any(Number) });
    });
  });
});

// ---------------------------------------------------------------------------------------------
// A global auth guard (APP_GUARD) in front of everything: the probes must stay reachable.

const IS_PUBLIC = 'test:isPublic';
const Public = () => SetMetadata(IS_PUBLIC, true);

/** An app-wide guard: `Authorization: Bearer good`, unless the route is public. */
@Injectable()
class BearerGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    return hasToken(context);
  }
}

/** The same guard written against the module's own marker instead of a decorator of yours. */
@Injectable()
class MarkerAwareGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return isHealthEndpoint(context) || hasToken(context);
  }
}

/** Admits to the details: the token, with no public-route exception. */
@Injectable()
class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return hasToken(context);
  }
}

function hasToken(context: ExecutionContext): boolean {
  const request = context.switchToHttp().getRequest<{ headers: Record<string, string> }>();
  if (request.headers.authorization !== 'Bearer good') throw new UnauthorizedException();
  return true;
}

@Controller('orders')
class OrdersController {
  @Get()
  list() {
    return [];
  }
}

@HealthIndicator({ name: 'ping' })
class PingHealth implements HealthIndicatorCheck {
  check() {
    return up({ latencyMs: 1 });
  }
}

describe.each(HTTP_ADAPTERS)('on %s, behind a global auth guard', (adapter) => {
  let app: INestApplication | undefined;
  let base: string;

  async function start(
    guard: new (...args: never[]) => CanActivate,
    health: HealthModuleOptions & HealthModuleRouteOptions,
  ): Promise<void> {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false, ...health })],
      controllers: [OrdersController],
      providers: [{ provide: APP_GUARD, useClass: guard }, PingHealth],
    }).compile();
    app =
      adapter === 'fastify'
        ? moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
        : moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    await waitFor(async () => expect((await fetch(`${base}/orders`)).status).toBe(401));
  }

  const withToken = { headers: { authorization: 'Bearer good' } };

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('blocks the probes when nothing lets them through (the problem)', async () => {
    await start(BearerGuard, {});
    expect((await fetch(`${base}/health/ready`)).status).toBe(401);
    expect((await fetch(`${base}/health/ready`, withToken)).status).toBe(200);
  });

  it('lets the probes through with decorators: [Public()], and still guards the app', async () => {
    await start(BearerGuard, {
      decorators: [Public()],
      details: 'authorized',
      authorize: AdminGuard,
    });
    expect((await fetch(`${base}/orders`)).status).toBe(401);
    for (const path of ['/health/ready', '/health/live', '/readyz', '/health/ready/ping']) {
      expect([path, (await fetch(`${base}${path}`)).status]).toEqual([path, 200]);
    }
    const anonymous = (await (await fetch(`${base}/health`)).json()) as DetailsJson;
    expect(anonymous.details).toBe('withheld');
    const admin = (await (await fetch(`${base}/health`, withToken)).json()) as DetailsJson;
    expect(admin.details).toBe('full');
    expect(admin.checks.ping.data).toEqual({ latencyMs: 1 });
  });

  it('lets the probes through for a guard that checks HEALTH_ENDPOINT_METADATA', async () => {
    await start(MarkerAwareGuard, {});
    expect((await fetch(`${base}/orders`)).status).toBe(401);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    expect((await fetch(`${base}/livez?verbose`)).status).toBe(200);
  });
});

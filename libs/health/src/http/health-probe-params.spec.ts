import { ValidationPipe, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { degraded, down, up, type HealthIndicatorCheck } from '../check';
import { HealthIndicator } from '../decorators/health-indicator.decorator';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthModule } from '../health.module';
import type { HealthModuleOptions } from '../health-module-options';

@HealthIndicator({ name: 'database', intervalMs: 60_000 })
class DatabaseHealth implements HealthIndicatorCheck {
  runs = 0;
  check() {
    this.runs += 1;
    return up({ responseTimeMs: 1 });
  }
}

@HealthIndicator({ name: 'redis', intervalMs: 60_000 })
class RedisHealth implements HealthIndicatorCheck {
  check() {
    return down('connect ECONNREFUSED 127.0.0.1:6379 (redis://:SuperSecret123@127.0.0.1:6379)');
  }
}

@HealthIndicator({ name: 'queue', groups: ['readiness', 'workers'], intervalMs: 60_000 })
class QueueHealth implements HealthIndicatorCheck {
  check() {
    return degraded('1520 jobs waiting', { waiting: 1520 });
  }
}

@HealthIndicator({ name: 'loop', groups: ['liveness'], intervalMs: 60_000 })
class LoopHealth implements HealthIndicatorCheck {
  check() {
    return up();
  }
}

const PROVIDERS = [DatabaseHealth, RedisHealth, QueueHealth, LoopHealth];

describe.each(['express', 'fastify'] as const)('probe parameters on %s', (adapter) => {
  let app: INestApplication | undefined;
  let http: Server;

  async function boot(options: HealthModuleOptions = {}): Promise<void> {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false, ...options })],
      providers: PROVIDERS,
    }).compile();
    app =
      adapter === 'fastify'
        ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
            logger: false,
          })
        : moduleRef.createNestApplication({ logger: false });
    // An app-wide ValidationPipe, as most apps have: it must leave the health queries alone.
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
    await app.init();
    if (adapter === 'fastify') {
      await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
    }
    http = app.getHttpServer() as Server;
    const store = app.get(HealthStateStore);
    for (let waited = 0; store.indicator('redis')?.status === 'unknown'; waited += 5) {
      if (waited > 2_000) throw new Error('the checks did not run');
      await sleep(5);
    }
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  describe('?verbose', () => {
    it('answers plain text, one line per check, with reasons for a loopback caller', async () => {
      await boot();
      const res = await request(http).get('/health/ready?verbose').expect(503);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.text).toBe(
        [
          '[+]database ok',
          '[-]redis failed: connect ECONNREFUSED 127.0.0.1:6379 (redis://:***@127.0.0.1:6379)',
          '[+]queue degraded: 1520 jobs waiting',
          'readyz check failed',
          '',
        ].join('\n'),
      );
    });

    it('withholds reasons from callers the policy does not admit', async () => {
      await boot({ details: 'never' });
      const res = await request(http).get('/readyz?verbose=true').expect(503);
      expect(res.text).toBe(
        [
          '[+]database ok',
          '[-]redis failed: reason withheld',
          '[+]queue degraded: reason withheld',
          'readyz check failed',
          '',
        ].join('\n'),
      );
      const live = await request(http).get('/livez?verbose').expect(200);
      expect(live.text).toBe('[+]loop ok\nlivez check passed\n');
      const workers = await request(http).get('/health/group/workers?verbose').expect(200);
      expect(workers.text).toBe('[+]queue degraded: reason withheld\nworkers check passed\n');
    });

    it('answers JSON as before with ?verbose=false', async () => {
      await boot();
      const res = await request(http).get('/health/ready?verbose=false').expect(503);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ status: 'down', group: 'readiness' });
    });
  });

  describe('?exclude=', () => {
    it('leaves the named checks out of the status and the body', async () => {
      await boot();
      const res = await request(http).get('/health/ready?exclude=redis').expect(200);
      expect(res.body).toEqual({
        status: 'degraded',
        group: 'readiness',
        timestamp: expect.any(String),
        checks: { database: { status: 'up' }, queue: { status: 'degraded' } },
      });
      const text = await request(http).get('/readyz?verbose&exclude=redis&exclude=queue');
      expect(text.status).toBe(200);
      expect(text.text).toBe(
        '[+]database ok\n[+]redis excluded: ok\n[+]queue excluded: ok\nreadyz check passed\n',
      );
    });

    it('warns about a name that matches no check, and still answers', async () => {
      await boot();
      const res = await request(http).get('/health/ready?exclude=redis&exclude=nope').expect(200);
      expect(res.body.warnings).toEqual([
        'some health checks cannot be excluded: no matches for "nope"',
      ]);
      const text = await request(http).get('/health/ready?verbose&exclude=nope').expect(503);
      expect(text.text).toContain(
        '\nwarn: some health checks cannot be excluded: no matches for "nope"\nreadyz check failed\n',
      );
    });
  });

  describe('per-check routes', () => {
    it.each([
      ['/health/ready/database', 200, 'up'],
      ['/health/ready/redis', 503, 'down'],
      ['/health/ready/queue', 200, 'degraded'],
      ['/readyz/redis', 503, 'down'],
      ['/health/live/loop', 200, 'up'],
      ['/livez/loop', 200, 'up'],
      ['/health/group/workers/queue', 200, 'degraded'],
    ])('answers %s with %i (%s)', async (path, code, status) => {
      await boot();
      const res = await request(http).get(path).expect(code);
      expect(res.headers['cache-control']).toBe('no-store');
      const name = path.split('/').pop()!;
      expect(res.body).toMatchObject({ status, check: name, checks: { [name]: { status } } });
      expect(Object.keys(res.body.checks as object)).toEqual([name]);
    });

    it('answers one line with ?verbose', async () => {
      await boot({ details: 'never' });
      const res = await request(http).get('/health/ready/redis?verbose').expect(503);
      expect(res.text).toBe('[-]redis failed: reason withheld\nredis check failed\n');
    });

    it.each([
      ['/health/ready/nope', 'No health check named "nope" in group "readiness".'],
      ['/health/live/database', 'No health check named "database" in group "liveness".'],
      ['/startupz/database', 'No health check named "database" in group "startup".'],
      ['/health/group/nope/database', 'No health group is named "nope".'],
    ])('answers %s with a 404 JSON body', async (path, message) => {
      await boot();
      const res = await request(http).get(path).expect(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message });
    });
  });

  describe('?fresh=true', () => {
    it('runs the checks now for an admitted caller, at most once per freshMinIntervalMs', async () => {
      await boot({ freshMinIntervalMs: 60_000 });
      const database = app!.get(DatabaseHealth);
      const before = database.runs;
      await Promise.all([
        request(http).get('/health/ready?fresh=true').expect(503),
        request(http).get('/health/ready?fresh').expect(503),
      ]);
      expect(database.runs).toBe(before + 1);
      await request(http).get('/health/ready?fresh=1').expect(503);
      expect(database.runs).toBe(before + 1); // within the interval: from the snapshot
      await request(http).get('/health/ready/database?fresh=true').expect(200);
      expect(database.runs).toBe(before + 2); // one check is a key of its own
    });

    it('runs every check for GET /health?fresh=true', async () => {
      await boot({ freshMinIntervalMs: 0 });
      const database = app!.get(DatabaseHealth);
      const before = database.runs;
      await request(http).get('/health?fresh=true').expect(200);
      await request(http).get('/health?fresh=true').expect(200);
      expect(database.runs).toBe(before + 2);
    });

    it('answers anonymous callers from the snapshot, silently', async () => {
      await boot({ details: 'never', freshMinIntervalMs: 0 });
      const database = app!.get(DatabaseHealth);
      const before = database.runs;
      await request(http).get('/health/ready?fresh=true').expect(503);
      await request(http).get('/health?fresh=true').expect(200);
      await request(http).get('/health/ready/database?fresh=true').expect(200);
      expect(database.runs).toBe(before);
    });
  });

  describe('bad values', () => {
    it.each([
      ['/health/ready?verbose=maybe', 'verbose'],
      ['/readyz?fresh=2', 'fresh'],
      [`/health/live?exclude=${'x'.repeat(64)}`, 'exclude'],
      ['/health/ready/database?verbose=no', 'verbose'],
      ['/health?fresh=please', 'fresh'],
    ])('answers %s with 400 naming "%s"', async (path, parameter) => {
      await boot();
      const res = await request(http).get(path).expect(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        message: expect.stringMatching(new RegExp(`^Invalid query parameter "${parameter}": `)),
      });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('ignores unknown parameters', async () => {
      await boot();
      await request(http).get('/health/live?cachebuster=123').expect(200);
    });
  });

  describe('GET /health', () => {
    it('gives every detail to an admitted caller', async () => {
      await boot();
      const res = await request(http).get('/health').expect(200);
      expect(res.body).toMatchObject({
        details: 'full',
        checks: { queue: { message: '1520 jobs waiting', data: { waiting: 1520 } } },
        process: { pid: process.pid },
      });
    });

    it('shows statuses only to anybody else: no message, data or process facts', async () => {
      await boot({ details: 'never' });
      const res = await request(http).get('/health').expect(200);
      expect(res.body).toMatchObject({
        status: 'down',
        details: 'withheld',
        checks: { queue: { status: 'degraded' }, redis: { status: 'down' } },
        groups: { readiness: { status: 'down' } },
      });
      expect(res.body).not.toHaveProperty('process');
      const text = JSON.stringify(res.body);
      expect(text).not.toContain('1520');
      expect(text).not.toContain('ECONNREFUSED');
      expect(res.body.checks.queue).not.toHaveProperty('message');
      expect(res.body.checks.queue).not.toHaveProperty('data');
    });
  });
});

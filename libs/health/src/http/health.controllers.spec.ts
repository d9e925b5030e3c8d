import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import {
  degraded,
  up,
  type HealthCheckContext,
  type HealthCheckResult,
  type HealthIndicatorCheck,
} from '../check';
import { HealthIndicator } from '../decorators/health-indicator.decorator';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthModule } from '../health.module';
import type { HealthModuleOptions, HealthModuleRouteOptions } from '../health-module-options';

/** A check whose result the test hands over; it gives up when its signal aborts. */
class Gate {
  calls = 0;
  private release?: (result: HealthCheckResult) => void;
  private readonly released: Promise<HealthCheckResult>;

  constructor() {
    this.released = new Promise((resolve) => (this.release = resolve));
  }

  open(result: HealthCheckResult): void {
    this.release?.(result);
  }

  check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    this.calls += 1;
    return new Promise((resolve, reject) => {
      void this.released.then(resolve);
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  }
}

@HealthIndicator({ name: 'db', groups: ['readiness'], timeoutMs: 10_000 })
class DatabaseHealth extends Gate implements HealthIndicatorCheck {}

@HealthIndicator({ name: 'loop', groups: ['liveness'], timeoutMs: 10_000 })
class EventLoopHealth extends Gate implements HealthIndicatorCheck {}

@HealthIndicator({ name: 'queue', groups: ['readiness', 'liveness'] })
class QueueHealth implements HealthIndicatorCheck {
  check() {
    return degraded('1520 jobs waiting', { waiting: 1520 });
  }
}

@HealthIndicator({ name: 'ping' })
class PingHealth implements HealthIndicatorCheck {
  check() {
    return up();
  }
}

@HealthIndicator({ name: 'quota', mode: 'on-demand', groups: ['billing'], cacheTtlMs: 60_000 })
class QuotaHealth implements HealthIndicatorCheck {
  calls = 0;
  check() {
    this.calls += 1;
    return up({ remaining: 42 });
  }
}

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  for (let waited = 0; waited < 2_000; waited += 5) {
    if (predicate()) return;
    await sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('health HTTP endpoints (Express)', () => {
  let app: INestApplication | undefined;

  async function boot(
    providers: Array<new () => unknown>,
    options: HealthModuleOptions & HealthModuleRouteOptions = {},
  ): Promise<{ http: Server; store: HealthStateStore }> {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false, ...options })],
      providers,
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return { http: app.getHttpServer() as Server, store: app.get(HealthStateStore) };
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers /health/ready 503 before the first result (unknown counts as down), 200 after', async () => {
    const { http, store } = await boot([DatabaseHealth]);
    const db = app!.get(DatabaseHealth);
    expect(db.calls).toBe(1);

    const before = await request(http).get('/health/ready').expect(503);
    expect(before.body).toEqual({
      status: 'down',
      group: 'readiness',
      timestamp: expect.any(String),
      checks: { db: { status: 'unknown' } },
    });
    await request(http).get('/readyz').expect(503);

    db.open(up());
    await waitFor(() => store.indicator('db')?.status === 'up', 'db to be up');

    const after = await request(http).get('/health/ready').expect(200);
    expect(after.body).toMatchObject({ status: 'up', checks: { db: { status: 'up' } } });
    await request(http).get('/readyz').expect(200);
  });

  it('answers /health/live 200 while a liveness member has no result yet', async () => {
    const { http, store } = await boot([EventLoopHealth]);
    expect(store.indicator('loop')?.status).toBe('unknown');

    const res = await request(http).get('/health/live').expect(200);
    expect(res.body).toMatchObject({
      status: 'up',
      group: 'liveness',
      checks: { loop: { status: 'unknown' } },
    });
    await request(http).get('/livez').expect(200);
  });

  it('answers the startup probe 200 once bootstrapped with its members up', async () => {
    const { http } = await boot([PingHealth]);
    const res = await request(http).get('/health/startup').expect(200);
    expect(res.body).toMatchObject({ status: 'up', group: 'startup', checks: {} });
    await request(http).get('/startupz').expect(200);
  });

  it('answers degraded with 200 by default, and as the httpStatus mapping says', async () => {
    const { http, store } = await boot([QueueHealth], {
      httpStatus: { readiness: { degraded: 503 } },
    });
    await waitFor(() => store.indicator('queue')?.status === 'degraded', 'queue to be degraded');

    const ready = await request(http).get('/health/ready').expect(503);
    expect(ready.body).toMatchObject({
      status: 'degraded',
      checks: { queue: { status: 'degraded' } },
    });
    const live = await request(http).get('/health/live').expect(200);
    expect(live.body.status).toBe('degraded');
  });

  it('probe bodies carry statuses only, never messages or data', async () => {
    const { http, store } = await boot([QueueHealth]);
    await waitFor(() => store.indicator('queue')?.status === 'degraded', 'queue to be degraded');
    const res = await request(http).get('/health/ready').expect(200);
    expect(JSON.stringify(res.body)).not.toContain('jobs waiting');
    expect(JSON.stringify(res.body)).not.toContain('1520');
  });

  it('sends Cache-Control: no-store on every answer', async () => {
    const { http } = await boot([PingHealth]);
    const paths = ['/health', '/health/live', '/health/ready', '/health/startup'];
    for (const path of [...paths, '/health/group/readiness', '/livez', '/readyz', '/startupz']) {
      const res = await request(http).get(path);
      expect([path, res.headers['cache-control']]).toEqual([path, 'no-store']);
    }
    const missing = await request(http).get('/health/group/nope').expect(404);
    expect(missing.headers['cache-control']).toBe('no-store');
  });

  it('answers an unknown group with a 404 JSON body', async () => {
    const { http } = await boot([PingHealth]);
    const res = await request(http).get('/health/group/nope').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No health group is named "nope".',
    });
  });

  it('serves built-in and custom groups under /health/group/:name', async () => {
    const { http, store } = await boot([PingHealth, QueueHealth]);
    await waitFor(() => store.indicator('ping')?.status === 'up', 'ping to be up');
    const res = await request(http).get('/health/group/readiness').expect(200);
    expect(res.body.group).toBe('readiness');
    expect(Object.keys(res.body.checks as object).sort()).toEqual(['ping', 'queue']);
  });

  it('removes the /livez, /readyz and /startupz aliases with aliases: false', async () => {
    const { http } = await boot([PingHealth], { aliases: false });
    await request(http).get('/readyz').expect(404);
    await request(http).get('/livez').expect(404);
    await request(http).get('/startupz').expect(404);
    await request(http).get('/health/live').expect(200);
  });

  it('serves the endpoints under a custom path', async () => {
    const { http } = await boot([PingHealth], { path: '/status/k8s/' });
    await request(http).get('/status/k8s/live').expect(200);
    await request(http).get('/status/k8s').expect(200);
    await request(http).get('/health/live').expect(404);
    await request(http).get('/livez').expect(200);
  });

  it('answers GET /health with 200 and every detail, whatever the status', async () => {
    const { http, store } = await boot([QueueHealth, DatabaseHealth]);
    await waitFor(() => store.indicator('queue')?.status === 'degraded', 'queue to be degraded');
    const res = await request(http).get('/health').expect(200);
    expect(res.body).toMatchObject({
      status: 'down',
      checks: {
        queue: {
          status: 'degraded',
          observed: 'degraded',
          message: '1520 jobs waiting',
          data: { waiting: 1520 },
          mode: 'background',
        },
        db: { status: 'unknown', observed: null, lastCheckedAt: null },
      },
      groups: { readiness: { status: 'down' }, liveness: { status: 'degraded' } },
      process: { pid: process.pid },
    });
    expect(res.body.checks.db).not.toHaveProperty('message');
  });

  it('runs an on-demand indicator when probed, never in the background', async () => {
    const { http, store } = await boot([QuotaHealth, PingHealth]);
    const quota = app!.get(QuotaHealth);
    await waitFor(() => store.indicator('ping')?.status === 'up', 'ping to be up');
    await sleep(50);
    expect(quota.calls).toBe(0);
    expect(store.indicator('quota')?.status).toBe('unknown');

    await request(http).get('/health/ready').expect(200);
    expect(quota.calls).toBe(0); // readiness has no on-demand member

    const res = await request(http).get('/health/group/billing').expect(200);
    expect(res.body).toMatchObject({ status: 'up', checks: { quota: { status: 'up' } } });
    expect(quota.calls).toBe(1);

    await Promise.all(
      Array.from({ length: 5 }, () => request(http).get('/health/group/billing').expect(200)),
    );
    const details = await request(http).get('/health').expect(200);
    expect(details.body.checks.quota).toMatchObject({ status: 'up', data: { remaining: 42 } });
    expect(quota.calls).toBe(1); // within cacheTtlMs
  });
});

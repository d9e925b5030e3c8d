import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Counter, Registry } from 'prom-client';
import request from 'supertest';
import { BlackHoleServer, waitFor } from '../../spec-helpers/faults';
import {
  parsePrometheusText as parse,
  sampleValue as valueOf,
  type PrometheusSample as Sample,
} from '../../spec-helpers/prometheus-text';
import { up } from '../check';
import { HealthRegistry } from '../discovery/health.registry';
import { InvalidHealthModuleOptionsError } from '../errors';
import { HealthModule } from '../health.module';
import type { HealthModuleOptions } from '../health-module-options';
import { tcpIndicator } from '../indicators/network/tcp.health';
import { HealthMetrics } from './health-metrics.service';

describe('Prometheus metrics', () => {
  const apps: INestApplication[] = [];
  const holes: BlackHoleServer[] = [];

  afterEach(async () => {
    await Promise.allSettled(apps.splice(0).map((app) => app.close()));
    await Promise.allSettled(holes.splice(0).map((hole) => hole.close()));
  });

  async function boot(
    options: HealthModuleOptions,
    register?: (registry: HealthRegistry) => void,
  ): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false, ...options })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    register?.(app.get(HealthRegistry));
    await app.init();
    return app;
  }

  async function scrape(app: INestApplication): Promise<Sample[]> {
    const response = await request(app.getHttpServer()).get('/health/metrics').expect(200);
    return parse(response.text);
  }

  it('follow a real TCP indicator into an outage: status, failures, transitions and durations', async () => {
    const smtp = await BlackHoleServer.start();
    holes.push(smtp);
    const app = await boot({
      metrics: true,
      indicators: [
        tcpIndicator('127.0.0.1', smtp.port, { name: 'smtp', groups: ['mail'], intervalMs: 100 }),
      ],
    });

    let before: Sample[] = [];
    await waitFor(async () => {
      before = await scrape(app);
      return valueOf(before, 'health_indicator_status', { indicator: 'smtp', state: 'up' }) === 1;
    });
    expect(
      ['degraded', 'down', 'unknown'].map((state) =>
        valueOf(before, 'health_indicator_status', { indicator: 'smtp', state }),
      ),
    ).toEqual([0, 0, 0]);
    expect(valueOf(before, 'health_group_status', { group: 'mail', state: 'up' })).toBe(1);
    expect(valueOf(before, 'health_group_status', { group: 'mail', state: 'down' })).toBe(0);
    expect(valueOf(before, 'health_check_failures_total', { indicator: 'smtp' })).toBe(0);
    expect(valueOf(before, 'health_check_timeouts_total', { indicator: 'smtp' })).toBe(0);
    expect(
      valueOf(before, 'health_status_transitions_total', {
        indicator: 'smtp',
        from: 'unknown',
        to: 'up',
      }),
    ).toBe(1);
    expect(
      valueOf(before, 'health_check_duration_seconds_count', { indicator: 'smtp' }),
    ).toBeGreaterThanOrEqual(1);

    await smtp.close(); // the port now refuses connections

    let after: Sample[] = [];
    await waitFor(async () => {
      after = await scrape(app);
      return valueOf(after, 'health_indicator_status', { indicator: 'smtp', state: 'down' }) === 1;
    });
    expect(valueOf(after, 'health_indicator_status', { indicator: 'smtp', state: 'up' })).toBe(0);
    expect(valueOf(after, 'health_group_status', { group: 'mail', state: 'down' })).toBe(1);
    expect(
      valueOf(after, 'health_check_failures_total', { indicator: 'smtp' }),
    ).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'health_check_timeouts_total', { indicator: 'smtp' })).toBe(0);
    expect(
      valueOf(after, 'health_status_transitions_total', {
        indicator: 'smtp',
        from: 'up',
        to: 'down',
      }),
    ).toBe(1);
    // Every run is one histogram sample: more runs now than before, buckets cumulative.
    const count = valueOf(after, 'health_check_duration_seconds_count', { indicator: 'smtp' })!;
    expect(count).toBeGreaterThan(
      valueOf(before, 'health_check_duration_seconds_count', { indicator: 'smtp' })!,
    );
    expect(
      valueOf(after, 'health_check_duration_seconds_bucket', { indicator: 'smtp', le: '+Inf' }),
    ).toBe(count);
    expect(
      valueOf(after, 'health_check_duration_seconds_sum', { indicator: 'smtp' }),
    ).toBeGreaterThan(0);
  });

  it('count timeouts; a run skipped while the previous call hangs is a timeout but no duration sample', async () => {
    const app = await boot({ metrics: true }, (registry) =>
      registry.register(() => new Promise<never>(() => undefined), {
        name: 'hung',
        timeoutMs: 20,
        intervalMs: 100,
      }),
    );

    let samples: Sample[] = [];
    await waitFor(async () => {
      samples = await scrape(app);
      return (valueOf(samples, 'health_check_timeouts_total', { indicator: 'hung' }) ?? 0) >= 3;
    });
    const timeouts = valueOf(samples, 'health_check_timeouts_total', { indicator: 'hung' });
    expect(valueOf(samples, 'health_check_failures_total', { indicator: 'hung' })).toBe(timeouts);
    // The check was called once (it never settles); later runs never started.
    expect(valueOf(samples, 'health_check_duration_seconds_count', { indicator: 'hung' })).toBe(1);
    expect(valueOf(samples, 'health_indicator_status', { indicator: 'hung', state: 'down' })).toBe(
      1,
    );
  });

  it('a scrape reads the state: it never runs a check, background or on-demand', async () => {
    let background = 0;
    let onDemand = 0;
    const app = await boot({ metrics: true }, (registry) => {
      registry.register(() => (background++, up()), { name: 'nightly', intervalMs: 3_600_000 });
      registry.register(() => (onDemand++, up()), { name: 'lazy', mode: 'on-demand' });
    });
    await waitFor(() => background === 1);

    for (let i = 0; i < 25; i++) await scrape(app);

    expect(background).toBe(1);
    expect(onDemand).toBe(0);
    const samples = await scrape(app);
    expect(
      valueOf(samples, 'health_indicator_status', { indicator: 'lazy', state: 'unknown' }),
    ).toBe(1);
  });

  it("answers with prom-client's content type and Cache-Control: no-store", async () => {
    const app = await boot({ metrics: true });
    const response = await request(app.getHttpServer()).get('/health/metrics').expect(200);

    expect(response.headers['content-type']).toBe(new Registry().contentType);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.text).toContain('# TYPE health_indicator_status gauge');
    expect(response.text).toContain('# TYPE health_check_duration_seconds histogram');
  });

  it('follows the details policy: 403 for callers it does not admit', async () => {
    const never = await boot({ metrics: true, details: 'never' });
    const refused = await request(never.getHttpServer()).get('/health/metrics').expect(403);
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(refused.body).toMatchObject({
      statusCode: 403,
      message:
        'Health metrics are shown only to callers the details policy admits (details: "never").',
    });

    const token = await boot({
      metrics: true,
      details: 'authorized',
      authorize: (req) => req.headers['x-token'] === 's3',
    });
    await request(token.getHttpServer()).get('/health/metrics').expect(403);
    await request(token.getHttpServer()).get('/health/metrics').set('x-token', 's3').expect(200);
  });

  it('without metrics, nothing is collected and no route is mapped (404)', async () => {
    const app = await boot({});
    await request(app.getHttpServer()).get('/health/metrics').expect(404);
    expect(app.get(HealthMetrics).registry).toBeUndefined();

    const off = await boot({ metrics: { enabled: false } });
    await request(off.getHttpServer()).get('/health/metrics').expect(404);
  });

  it('through forRootAsync, the route is mapped and answers 404, not cached, when metrics are off', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRootAsync({ useFactory: () => ({ logger: false }) })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.init();
    const response = await request(app.getHttpServer()).get('/health/metrics').expect(404);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it("registers into the app's registry, which the app serves; not served at /health/metrics unless asked", async () => {
    const registry = new Registry();
    const appCounter = new Counter({
      name: 'orders_total',
      help: 'Orders.',
      registers: [registry],
    });
    appCounter.inc();
    const app = await boot({ metrics: { registry } }, (health) =>
      health.register(() => up(), { name: 'db', intervalMs: 100 }),
    );
    await waitFor(async () => {
      const samples = parse(await registry.metrics());
      return valueOf(samples, 'health_indicator_status', { indicator: 'db', state: 'up' }) === 1;
    });
    const text = await registry.metrics();
    expect(text).toContain('orders_total 1');
    expect(text).toContain('health_check_failures_total{indicator="db"} 0');
    await request(app.getHttpServer()).get('/health/metrics').expect(404);

    // endpoint: true serves the health metrics only, not the rest of the app's registry.
    const shared = new Registry();
    new Counter({ name: 'orders_total', help: 'Orders.', registers: [shared] });
    const served = await boot({ metrics: { registry: shared, endpoint: true } });
    const response = await request(served.getHttpServer()).get('/health/metrics').expect(200);
    expect(response.text).toContain('health_indicator_status');
    expect(response.text).not.toContain('orders_total');

    // Closing the app takes its metrics out of the app's registry; a new app can register again.
    await app.close();
    expect(registry.getSingleMetric('health_indicator_status')).toBeUndefined();
    expect(registry.getSingleMetric('orders_total')).toBeDefined();
    await boot({ metrics: { registry } });
    expect(registry.getSingleMetric('health_indicator_status')).toBeDefined();
  });

  it('two apps in one process never collide: own registries by default, a prefix to share one', async () => {
    const first = await boot({ metrics: true }, (r) => r.register(() => up(), { name: 'first' }));
    const second = await boot({ metrics: true }, (r) => r.register(() => up(), { name: 'second' }));
    await waitFor(async () => {
      const a = await scrape(first);
      const b = await scrape(second);
      return (
        valueOf(a, 'health_indicator_status', { indicator: 'first', state: 'up' }) === 1 &&
        valueOf(b, 'health_indicator_status', { indicator: 'second', state: 'up' }) === 1
      );
    });
    expect(valueOf(await scrape(first), 'health_indicator_status', { indicator: 'second' })).toBe(
      undefined,
    );

    const registry = new Registry();
    await boot({ metrics: { registry } });
    const clash = await boot({ metrics: { registry } }).catch((error: unknown) => error);
    expect(clash).toBeInstanceOf(InvalidHealthModuleOptionsError);
    expect((clash as Error).message).toContain(
      '"metrics.registry" is "a registry": already holds a metric named "health_indicator_status"',
    );

    await boot({ metrics: { registry, prefix: 'billing_' } });
    expect(registry.getSingleMetric('billing_health_indicator_status')).toBeDefined();
    expect(registry.getSingleMetric('billing_health_status_transitions_total')).toBeDefined();
  });

  it('an unregistered indicator leaves no series behind', async () => {
    const app = await boot({ metrics: true }, (registry) =>
      registry.register(() => up(), { name: 'tenant-7', intervalMs: 100 }),
    );
    await waitFor(async () => {
      const samples = await scrape(app);
      return valueOf(samples, 'health_check_failures_total', { indicator: 'tenant-7' }) === 0;
    });

    app.get(HealthRegistry).unregister('tenant-7');

    const samples = await scrape(app);
    expect(samples.filter((sample) => sample.labels.indicator === 'tenant-7')).toEqual([]);
  });

  it('uses the buckets it is given', async () => {
    const app = await boot({ metrics: { durationBucketsSeconds: [0.5, 2] } }, (registry) =>
      registry.register(() => up(), { name: 'db', intervalMs: 100 }),
    );
    await waitFor(async () => {
      const samples = await scrape(app);
      return valueOf(samples, 'health_check_duration_seconds_count', { indicator: 'db' }) === 1;
    });
    const buckets = (await scrape(app))
      .filter((sample) => sample.name === 'health_check_duration_seconds_bucket')
      .map((sample) => sample.labels.le);
    expect(buckets).toEqual(['0.5', '2', '+Inf']);
  });

  describe('options, checked at boot', () => {
    async function problemsOf(options: unknown): Promise<string> {
      const error = await boot(options as HealthModuleOptions).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidHealthModuleOptionsError);
      return (error as Error).message;
    }

    it('name each invalid option, the value and what is allowed', async () => {
      expect(await problemsOf({ metrics: 'yes' })).toContain(
        '"metrics" is "yes": must be true, false or an object of metrics options',
      );
      expect(await problemsOf({ metrics: { prefix: '9lives' } })).toContain(
        '"metrics.prefix" is "9lives": must be letters, digits and "_", starting with a letter or "_"',
      );
      expect(await problemsOf({ metrics: { durationBucketsSeconds: [1, 0.5] } })).toContain(
        '"metrics.durationBucketsSeconds" is [1,0.5]: must be 1 to 32 positive numbers of seconds, in ascending order',
      );
      expect(await problemsOf({ metrics: { registry: { metrics: () => '' } } })).toContain(
        '"metrics.registry" is "a plain object": must be a prom-client Registry',
      );
      expect(await problemsOf({ metrics: { endpont: true } })).toContain(
        '"metrics.endpont" is not an option (given true)',
      );
      expect(await problemsOf({ slowCheckMs: -1 })).toContain(
        '"slowCheckMs" is -1: must be an integer from 0 to 3600000',
      );
      expect(await problemsOf({ reminderIntervalMs: 500 })).toContain(
        '"reminderIntervalMs" is 500: must be 0 (no reminders) or an integer from 1000 to 86400000 (milliseconds)',
      );
      expect(await problemsOf({ logger: { log: () => undefined } })).toContain(
        '"logger" is "a plain object": must be true or false, or a LoggerService',
      );
    });
  });
});

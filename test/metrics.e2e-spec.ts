import { down } from 'nest-health';
import { Registry } from 'prom-client';
import {
  parsePrometheusText as parse,
  sampleValue,
  type PrometheusSample as Sample,
} from '../libs/health/spec-helpers/prometheus-text';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';
import { hasRedisServer, TestRedisServer } from './helpers/redis-server';
import { waitFor } from './helpers/wait-for';

/** The metrics of the running app, read as Prometheus reads them. */
class Scrape {
  constructor(private readonly samples: readonly Sample[]) {}

  value(name: string, labels: Record<string, string> = {}): number | undefined {
    return sampleValue(this.samples, name, labels);
  }

  /** The state whose `health_indicator_status` series is 1. */
  indicator(name: string): string | undefined {
    return this.samples.find(
      (s) => s.name === 'health_indicator_status' && s.labels.indicator === name && s.value === 1,
    )?.labels.state;
  }

  /** The state whose `health_group_status` series is 1. */
  group(name: string): string | undefined {
    return this.samples.find(
      (s) => s.name === 'health_group_status' && s.labels.group === name && s.value === 1,
    )?.labels.state;
  }
}

// Needs a redis-server binary to stop and start a Redis of its own; reported as skipped without.
const describeWithRedisServer = hasRedisServer() ? describe.each : describe.skip.each;

describeWithRedisServer(HTTP_ADAPTERS)('on %s, metrics through a Redis outage', (adapter) => {
  let redis: TestRedisServer;
  let app: RunningExampleApp;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    app = await exampleApp(adapter)
      .withRedisAt(redis.url)
      .withHealthOptions({ metrics: true })
      .start();
  });

  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  async function scrape(): Promise<Scrape> {
    const response = await app.get('/health/metrics').expect(200);
    return new Scrape(parse(response.text));
  }

  /** Scrapes until `holds` is true of a scrape; returns that scrape. */
  async function scrapeUntil(holds: (scrape: Scrape) => boolean): Promise<Scrape> {
    return waitFor(async () => {
      const found = await scrape();
      expect(holds(found)).toBe(true);
      return found;
    });
  }

  it('serves GET /health/metrics in the Prometheus format, not cached', async () => {
    const response = await app.get('/health/metrics').expect(200);
    expect(response.headers['content-type']).toBe(new Registry().contentType);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.text).toContain('# TYPE health_indicator_status gauge');
    expect(response.text).toContain('# TYPE health_status_transitions_total counter');
  });

  it('reports every indicator and group up while Redis runs', async () => {
    const up = await scrapeUntil((s) =>
      ['database', 'redis', 'queue'].every((name) => s.indicator(name) === 'up'),
    );
    expect(up.group('readiness')).toBe('up');
    expect(up.group('liveness')).toBe('up');
    expect(up.value('health_check_failures_total', { indicator: 'redis' })).toBe(0);
    expect(
      up.value('health_status_transitions_total', {
        indicator: 'redis',
        from: 'unknown',
        to: 'up',
      }),
    ).toBe(1);
  });

  it('follows Redis down: statuses, failures and one transition each', async () => {
    await redis.stop();

    const down = await scrapeUntil(
      (s) => s.indicator('redis') === 'down' && s.indicator('queue') === 'down',
    );
    expect(down.indicator('database')).toBe('up');
    expect(down.group('readiness')).toBe('down');
    expect(down.group('liveness')).toBe('up');
    expect(down.value('health_check_failures_total', { indicator: 'redis' })).toBeGreaterThan(0);
    expect(down.value('health_check_failures_total', { indicator: 'database' })).toBe(0);
    expect(
      down.value('health_status_transitions_total', { indicator: 'redis', from: 'up', to: 'down' }),
    ).toBe(1);

    // Failures keep counting while it stays down; the transition does not.
    const later = await scrapeUntil(
      (s) =>
        s.value('health_check_failures_total', { indicator: 'redis' })! >
        down.value('health_check_failures_total', { indicator: 'redis' })! + 2,
    );
    expect(
      later.value('health_status_transitions_total', {
        indicator: 'redis',
        from: 'up',
        to: 'down',
      }),
    ).toBe(1);
  });

  it('follows Redis back up, and stops counting failures', async () => {
    await redis.restart();

    const back = await scrapeUntil(
      (s) => s.indicator('redis') === 'up' && s.indicator('queue') === 'up',
    );
    expect(back.group('readiness')).toBe('up');
    expect(
      back.value('health_status_transitions_total', { indicator: 'redis', from: 'down', to: 'up' }),
    ).toBe(1);

    // Three more runs of redis (three more duration samples), and not one more failure.
    const runs = back.value('health_check_duration_seconds_count', { indicator: 'redis' })!;
    const later = await scrapeUntil(
      (s) => s.value('health_check_duration_seconds_count', { indicator: 'redis' })! >= runs + 3,
    );
    expect(later.value('health_check_failures_total', { indicator: 'redis' })).toBe(
      back.value('health_check_failures_total', { indicator: 'redis' }),
    );
    expect(later.indicator('redis')).toBe('up');
  });

  it('logs the outage as one line each way, not a line per failed run', () => {
    const transitions = (level: 'warn' | 'log') =>
      app.logs.linesOf(level, 'HealthModule').filter((line) => /^redis: \w+ → /.test(line));
    expect(transitions('warn')).toEqual([expect.stringMatching(/^redis: up → down \(/)]);
    expect(transitions('log')).toEqual([
      expect.stringMatching(/^redis: unknown → up \(/),
      expect.stringMatching(/^redis: down → up \(/),
    ]);
  });
});

describe.each(HTTP_ADAPTERS)('on %s, metric labels of an indicator with secrets', (adapter) => {
  const SECRET = 'LabelSecret-271828';
  let app: RunningExampleApp;

  beforeAll(async () => {
    app = await exampleApp(adapter).withHealthOptions({ metrics: true }).start();
    app.registry.register(
      () =>
        down(`refused by postgres://app:${SECRET}@db/app`, {
          password: SECRET,
          url: `https://api/x?token=${SECRET}`,
        }),
      { name: 'labelled', groups: ['labelled-group'] },
    );
    await app.waitForCheck('labelled', 'down');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('labels series with names and states only: no message, no data, no secret', async () => {
    const response = await app.get('/health/metrics').expect(200);
    const samples = parse(response.text);
    const ours = samples.filter(
      (s) => s.labels.indicator === 'labelled' || s.labels.group === 'labelled-group',
    );
    expect(ours.length).toBeGreaterThan(0);
    for (const sample of ours) {
      for (const [label, value] of Object.entries(sample.labels)) {
        expect([label, value]).toEqual([
          label,
          expect.stringMatching(label === 'le' ? /^(\d+(\.\d+)?|\+Inf)$/ : /^[a-z][a-z0-9-]*$/),
        ]);
      }
    }
    expect(new Scrape(samples).indicator('labelled')).toBe('down');
    expect(response.text).not.toContain(SECRET);
  });
});

import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import request from 'supertest';
import { waitFor } from '../../spec-helpers/faults';
import { down, up } from '../check';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthStateStore } from '../engine/health-state.store';
import { InvalidHealthModuleOptionsError } from '../errors';
import { HealthModule } from '../health.module';
import type { HealthModuleOptions } from '../health-module-options';
import type {
  HealthGroupHistoryBody,
  HealthHistoryBody,
  HealthIndicatorHistoryBody,
} from './health-history.types';

describe.each(['express', 'fastify'] as const)('the history endpoints on %s', (adapter) => {
  let app: INestApplication | undefined;
  let http: Server;
  let healthy = true;

  async function boot(module: ReturnType<typeof HealthModule.forRoot>): Promise<void> {
    const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
    app =
      adapter === 'fastify'
        ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
            logger: false,
          })
        : moduleRef.createNestApplication({ logger: false });
    app.get(HealthRegistry).register(() => (healthy ? up() : down('connection refused')), {
      name: 'db',
      intervalMs: 100,
    });
    await app.init();
    if (adapter === 'fastify') {
      await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
    }
    http = app.getHttpServer() as Server;
    const store = app.get(HealthStateStore);
    await waitFor(() => store.indicator('db')?.status === 'up');
  }

  const start = (options: HealthModuleOptions = {}) =>
    boot(HealthModule.forRoot({ logger: false, ...options }));

  afterEach(async () => {
    healthy = true;
    await app?.close();
    app = undefined;
  });

  it('answers every indicator and group, then follows an outage and its recovery', async () => {
    await start();
    healthy = false;
    const store = app!.get(HealthStateStore);
    await waitFor(() => store.indicator('db')?.status === 'down');
    healthy = true;
    await waitFor(() => store.indicator('db')?.status === 'up');

    const { body, headers } = await request(http).get('/health/history').expect(200);
    expect(headers['cache-control']).toBe('no-store');
    const history = body as HealthHistoryBody;
    expect(history).toMatchObject({ window: '1h', details: 'full' });
    expect(Object.keys(history.groups)).toEqual(
      expect.arrayContaining(['liveness', 'readiness', 'startup']),
    );
    const db = history.indicators.db;
    expect(db.transitions!.map((t) => `${t.from}>${t.to}`)).toEqual([
      'unknown>up',
      'up>down',
      'down>up',
    ]);
    expect(db.transitions![1].message).toBe('connection refused');
    expect(db).toMatchObject({ status: 'up', recoveries: 1, lastUp: history.timestamp });
    expect(db.mttrMs).toBeGreaterThan(0);
    expect(db.uptime!['1h'].up).toBeLessThan(100);
    expect(db.buckets!.failures!.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);

    const one = (await request(http).get('/health/history/db?window=24h').expect(200))
      .body as HealthIndicatorHistoryBody;
    expect(one).toMatchObject({ name: 'db', window: '24h', details: 'full', recoveries: 1 });

    // GET /health: uptime, lastUp and lastDown per indicator, for an admitted caller.
    const details = (await request(http).get('/health').expect(200)).body as {
      checks: Record<string, Record<string, unknown>>;
    };
    expect(details.checks.db).toMatchObject({
      uptime: { '1h': { up: expect.any(Number), upOrDegraded: expect.any(Number) } },
      lastDown: expect.any(String),
      lastUp: expect.any(String),
    });
  });

  it('answers one group: its transitions and uptime in the shapes of an indicator', async () => {
    await start();
    healthy = false;
    const store = app!.get(HealthStateStore);
    await waitFor(() => store.group('readiness')?.status === 'down');
    healthy = true;
    await waitFor(() => store.group('readiness')?.status === 'up');

    const { body, headers } = await request(http)
      .get('/health/history/group/readiness?window=24h')
      .expect(200);
    expect(headers['cache-control']).toBe('no-store');
    const group = body as HealthGroupHistoryBody;
    expect(group).toMatchObject({
      name: 'readiness',
      window: '24h',
      details: 'full',
      status: 'up',
      lastUp: group.timestamp,
    });
    // Readiness is down before the first result (fail closed), so the boot is a recovery too.
    expect(group.transitions!.map((t) => `${t.from}>${t.to}`)).toEqual([
      'down>up',
      'up>down',
      'down>up',
    ]);
    expect(group.recoveries).toBe(2);
    expect(group.transitions!.slice(-2).map((t) => `${t.from}>${t.to}`)).toEqual([
      'up>down',
      'down>up',
    ]);
    expect(group.transitions!.every((t) => t.message === undefined)).toBe(true);
    expect(group.uptime!['1h'].up).toBeLessThan(100);
    expect(group.uptime!['24h'].up).toBeGreaterThan(0);
    expect(group.buckets!.downMs.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(group.buckets!.latencyMs).toBeUndefined();
    // The same figures as the group in GET /health/history.
    const all = (await request(http).get('/health/history').expect(200)).body as HealthHistoryBody;
    expect(all.groups.readiness.recoveries).toBe(2);

    // Liveness never went down (the indicator is in readiness only).
    const liveness = (await request(http).get('/health/history/group/liveness').expect(200))
      .body as HealthGroupHistoryBody;
    expect(liveness).toMatchObject({ name: 'liveness', window: '1h', lastDown: null });
  });

  it('answers 404 for an unknown group and 400 for an unknown window on the group route', async () => {
    await start();
    const missing = await request(http).get('/health/history/group/nope').expect(404);
    expect((missing.body as { message: string }).message).toBe('No health group is named "nope".');
    const invalid = await request(http)
      .get('/health/history/group/readiness?window=1w')
      .expect(400);
    expect((invalid.body as { message: string }).message).toBe(
      'Invalid query parameter "window": must be "1h" or "24h"',
    );
  });

  it('answers 404 for an unknown indicator and 400 for an unknown window, naming it', async () => {
    await start();
    const missing = await request(http).get('/health/history/nope').expect(404);
    expect((missing.body as { message: string }).message).toBe('No health check is named "nope".');
    const invalid = await request(http).get('/health/history?window=7d').expect(400);
    expect((invalid.body as { message: string }).message).toBe(
      'Invalid query parameter "window": must be "1h" or "24h"',
    );
  });

  it('shows a caller the details policy does not admit statuses only, as GET /health does', async () => {
    await start({ details: 'never' });
    const { body } = await request(http).get('/health/history?window=24h').expect(200);
    const history = body as HealthHistoryBody;
    expect(history.details).toBe('withheld');
    expect(Object.keys(history.indicators.db).sort()).toEqual(['status', 'streak']);
    const group = (await request(http).get('/health/history/group/readiness').expect(200))
      .body as HealthGroupHistoryBody;
    expect(group.details).toBe('withheld');
    expect(Object.keys(group).sort()).toEqual([
      'details',
      'name',
      'status',
      'streak',
      'timestamp',
      'window',
    ]);
    const details = (await request(http).get('/health').expect(200)).body as {
      checks: Record<string, Record<string, unknown>>;
    };
    expect(details.checks.db.uptime).toBeUndefined();
    expect(details.checks.db.lastUp).toBeUndefined();
  });

  it('maps no route with history: false, and answers 404 through forRootAsync', async () => {
    await start({ history: false });
    await request(http).get('/health/history').expect(404);
    const details = (await request(http).get('/health').expect(200)).body as {
      checks: Record<string, Record<string, unknown>>;
    };
    expect(details.checks.db.uptime).toBeUndefined();
    await app!.close();

    await boot(
      HealthModule.forRootAsync({ useFactory: () => ({ logger: false, history: false }) }),
    );
    const off = await request(http).get('/health/history/db').expect(404);
    expect((off.body as { message: string }).message).toBe('Cannot GET /health/history/db');
  });
});

describe('the history option', () => {
  it('fails the boot naming history.<option>, its value and what is allowed', async () => {
    const invalid = async (history: unknown) => {
      try {
        const moduleRef = await Test.createTestingModule({
          imports: [HealthModule.forRoot({ logger: false, history } as HealthModuleOptions)],
        }).compile();
        await moduleRef.close();
        return undefined;
      } catch (error) {
        return error;
      }
    };
    const cases: [unknown, string][] = [
      [{ bucketMs: 500 }, '"history.bucketMs" is 500: must be an integer from 1000 to 3600000'],
      [{ maxTransitions: 0 }, '"history.maxTransitions" is 0: must be an integer from 1 to 10000'],
      [
        { bucketMs: 60_000, retentionMs: 30_000 },
        '"history.retentionMs" is 30000: must be at least bucketMs (60000)',
      ],
      [
        { bucketMs: 1_000, retentionMs: 86_400_000 },
        '"history.retentionMs" is 86400000: must be at most 10080 buckets',
      ],
      [{ buckets: 10 }, '"history.buckets" is not an option'],
      ['yes', '"history" is "yes": must be true, false or an object of history options'],
    ];
    for (const [history, message] of cases) {
      const error = await invalid(history);
      expect(error).toBeInstanceOf(InvalidHealthModuleOptionsError);
      expect((error as Error).message).toContain(message);
    }
    expect(await invalid('false')).toBeUndefined(); // a switch from configuration
    expect(await invalid({ bucketMs: '30000', retentionMs: '3600000' })).toBeUndefined();
  });
});

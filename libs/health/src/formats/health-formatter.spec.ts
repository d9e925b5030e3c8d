import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import request from 'supertest';
import { waitFor } from '../../spec-helpers/faults';
import { down, up } from '../check';
import { HealthIndicator } from '../decorators/health-indicator.decorator';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthStateStore } from '../engine/health-state.store';
import { InvalidHealthModuleOptionsError } from '../errors';
import { HealthModule } from '../health.module';
import type { HealthModuleOptions } from '../health-module-options';
import { sqlIndicator } from '../indicators/data/sql.health';

@HealthIndicator({ name: 'db', groups: ['readiness'] })
class DatabaseHealth {
  check() {
    return up({ responseTimeMs: 0.8 });
  }
}

@HealthIndicator({ name: 'mail', groups: ['readiness', 'liveness'], critical: false })
class MailHealth {
  check() {
    return down('connect ECONNREFUSED 10.0.0.9:25');
  }
}

const HEALTH_JSON = 'application/health+json';

describe('answer formats: the format option and Accept: application/health+json', () => {
  let app: INestApplication | undefined;

  async function boot(options: HealthModuleOptions): Promise<Server> {
    const moduleRef = await Test.createTestingModule({
      imports: [HealthModule.forRoot({ logger: false, ...options })],
      providers: [DatabaseHealth, MailHealth],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const state = app.get(HealthStateStore);
    await waitFor(() => state.indicator('mail')?.status === 'down');
    await waitFor(() => state.indicator('db')?.status === 'up');
    return app.getHttpServer() as Server;
  }

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("format: 'terminus' shapes every probe and GET /<path> as Terminus does", async () => {
    const server = await boot({ format: 'terminus', details: 'always' });
    const ready = await request(server).get('/health/ready').expect(200);
    expect(ready.headers['content-type']).toMatch(/^application\/json/);
    expect(ready.headers['cache-control']).toBe('no-store');
    expect(ready.body).toEqual({
      status: 'ok',
      info: { db: { responseTimeMs: 0.8, status: 'up' } },
      error: { mail: { message: 'connect ECONNREFUSED 10.0.0.9:25', status: 'down' } },
      details: {
        db: { responseTimeMs: 0.8, status: 'up' },
        mail: { message: 'connect ECONNREFUSED 10.0.0.9:25', status: 'down' },
      },
    });
    const check = await request(server).get('/readyz/db').expect(200);
    expect(check.body).toEqual({
      status: 'ok',
      info: { db: { responseTimeMs: 0.8, status: 'up' } },
      error: {},
      details: { db: { responseTimeMs: 0.8, status: 'up' } },
    });
    const details = await request(server).get('/health').expect(200);
    expect(details.body).toMatchObject({ status: 'ok', info: { db: {} }, error: { mail: {} } });
  });

  it('answers 503 with status error when the group fails, as Terminus does', async () => {
    const server = await boot({
      format: 'terminus',
      details: 'never',
      httpStatus: { liveness: { degraded: 503 } },
    });
    const live = await request(server).get('/health/live').expect(503);
    expect(live.body).toEqual({
      status: 'error',
      info: {},
      error: { mail: { status: 'down' } },
      details: { mail: { status: 'down' } },
    });
  });

  it('format per group: only those groups answer in that format', async () => {
    const server = await boot({ format: { readiness: 'terminus' } });
    expect((await request(server).get('/health/ready').expect(200)).body).toHaveProperty('info');
    expect((await request(server).get('/health/live').expect(200)).body).toMatchObject({
      status: 'degraded',
      group: 'liveness',
    });
    expect((await request(server).get('/health').expect(200)).body).toHaveProperty('details');
    expect((await request(server).get('/health').expect(200)).body).not.toHaveProperty('info');
  });

  it('Accept: application/health+json wins over the format option; ?verbose wins over both', async () => {
    const server = await boot({ format: 'terminus' });
    const ready = await request(server).get('/health/ready').set('Accept', HEALTH_JSON).expect(200);
    expect(ready.headers['content-type']).toMatch(/^application\/health\+json/);
    expect(ready.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(ready.text)).toMatchObject({
      status: 'warn',
      description: 'readiness',
      checks: {
        'db:responseTime': [{ status: 'pass' }],
        'mail:responseTime': [{ status: 'fail' }],
      },
    });
    const verbose = await request(server)
      .get('/health/ready?verbose')
      .set('Accept', HEALTH_JSON)
      .expect(200);
    expect(verbose.headers['content-type']).toMatch(/^text\/plain/);
    expect(verbose.text).toContain('[+]db ok\n');
  });

  it('GET /<path> as health+json answers 503 when down (fail must not be 2xx)', async () => {
    const server = await boot({});
    app!.get(HealthRegistry).register(() => down('disk full'), { name: 'broken' });
    await waitFor(() => app!.get(HealthStateStore).indicator('broken')?.status === 'down');
    // The module's own JSON: 200 whatever the status.
    expect((await request(server).get('/health').expect(200)).body).toMatchObject({
      status: 'down',
    });
    const details = await request(server).get('/health').set('Accept', HEALTH_JSON).expect(503);
    expect(JSON.parse(details.text)).toMatchObject({
      status: 'fail',
      description: 'every group',
      checks: { 'broken:responseTime': [{ status: 'fail', output: 'disk full' }] },
    });
  });

  it('keeps both formats with the probe fast path on (it answers only the default)', async () => {
    const server = await boot({ format: { readiness: 'terminus' }, fastPath: true });
    for (let i = 0; i < 3; i++) {
      const ready = await request(server).get('/health/ready').expect(200);
      expect(ready.body).toHaveProperty('info');
      const live = await request(server).get('/health/live').set('Accept', HEALTH_JSON);
      expect(live.headers['content-type']).toMatch(/^application\/health\+json/);
      const plain = await request(server).get('/health/live').expect(200);
      expect(plain.body).toMatchObject({ group: 'liveness' });
    }
  });

  it('leaves 404 answers in plain JSON', async () => {
    const server = await boot({ format: 'terminus' });
    const missing = await request(server)
      .get('/health/group/nope')
      .set('Accept', HEALTH_JSON)
      .expect(404);
    expect(missing.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it('names the built-ins that are datastores or system checks in componentType', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        HealthModule.forRoot({
          logger: false,
          indicators: [sqlIndicator({ query: () => Promise.resolve([]) }, { name: 'sql' })],
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const state = app.get(HealthStateStore);
    await waitFor(() => state.indicator('sql')?.status === 'up');
    const ready = await request(app.getHttpServer() as Server)
      .get('/health/ready')
      .set('Accept', HEALTH_JSON)
      .expect(200);
    expect(JSON.parse(ready.text).checks['sql:responseTime']).toMatchObject([
      { componentId: 'sql', componentType: 'datastore', status: 'pass' },
    ]);
  });

  it.each([
    ['xml', '"format" is "xml"'],
    [{ readiness: 'json' }, '"format" is {"readiness":"json"}'],
    [{ 'bad name': 'terminus' }, '"format" is {"bad name":"terminus"}'],
  ])('fails the boot for format %j, naming the option', async (format, named) => {
    const booting = Test.createTestingModule({
      imports: [HealthModule.forRoot({ format: format as HealthModuleOptions['format'] })],
    }).compile();
    await expect(booting).rejects.toThrow(InvalidHealthModuleOptionsError);
    await expect(booting).rejects.toThrow(named);
    await expect(booting).rejects.toThrow('must be "default" or "terminus"');
  });
});

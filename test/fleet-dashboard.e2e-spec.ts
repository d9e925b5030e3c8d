import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { down, HealthModule, HealthRegistry, up, type HealthFleetOptions } from 'nest-health';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser';
import type { HttpAdapterName } from '../apps/example/src/example-config';
import { HTTP_ADAPTERS } from './helpers/example-app';
import { hasRedisServer, TestRedisServer } from './helpers/redis-server';

// The dashboard's fleet view against the real fleet: two replicas publishing to a Redis of the
// spec's own, the page of one of them in Chromium.

const OUTPUT = join(__dirname, '..', 'test-output');

interface Replica {
  readonly app: INestApplication;
  readonly url: string;
  /** What the replica's `dependency` indicator answers. */
  healthy: boolean;
}

async function startReplica(
  adapter: HttpAdapterName,
  fleet: HealthFleetOptions,
  extra: Record<string, unknown> = {},
): Promise<Replica> {
  @Module({ imports: [HealthModule.forRoot({ logger: false, fleet, ...extra })] })
  class ReplicaModule {}
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(ReplicaModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(ReplicaModule, { logger: false });
  const replica: Replica = { app, url: '', healthy: true };
  app
    .get(HealthRegistry)
    .register(
      () => (replica.healthy ? up() : down('connect ECONNREFUSED 10.0.0.5:5432 <b>bold</b>')),
      { name: 'dependency', groups: ['readiness'], intervalMs: 100, timeoutMs: 100 },
    );
  await app.listen(0, '127.0.0.1');
  return Object.assign(replica, { url: await app.getUrl() });
}

const describeWithRedis = hasRedisServer()
  ? describe.each(HTTP_ADAPTERS)
  : describe.skip.each(HTTP_ADAPTERS);

describeWithRedis('on %s, the dashboard’s fleet view of two replicas', (adapter) => {
  let redis: TestRedisServer;
  let browser: Browser;
  let page: Page;
  let a: Replica;
  let b: Replica | undefined;
  const problems: string[] = [];

  const fleet = (instance: string): HealthFleetOptions => ({
    redis: redis.url,
    service: 'orders',
    instance,
    version: '1.2.3',
    publishIntervalMs: 200,
    timeoutMs: 300,
    retentionMs: 2_000,
  });

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    a = await startReplica(adapter, fleet('replica-a'));
    b = await startReplica(adapter, fleet('replica-b'));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // The browser's own favicon request (the module serves none) is not the page's, and the
      // fleet answers 503 while Redis is away: that is under test.
      if (
        message.type() === 'error' &&
        !/\/favicon\.ico$|\/health\/fleet$/.test(message.location().url)
      ) {
        problems.push(`console: ${message.text()}`);
      }
    });
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  });

  afterAll(async () => {
    await browser?.close();
    await b?.app.close();
    await a?.app.close();
    await redis?.stop();
  });

  const cell = (instance: string, check: string) =>
    page.locator(`tr[data-instance="${instance}"] td[data-check="${check}"]`);

  it('shows both replicas and their indicators, live', async () => {
    await page.goto(`${a.url}/health/dashboard`);
    await page.locator('#fleet-connection[data-state="live"]').waitFor({ timeout: 5_000 });
    for (const instance of ['replica-a', 'replica-b']) {
      await cell(instance, 'dependency')
        .locator('.badge[data-status="up"]')
        .waitFor({ timeout: 5_000 });
      await expect(
        page.locator(`tr[data-instance="${instance}"] .replica-version`).textContent(),
      ).resolves.toBe('1.2.3');
    }
    await expect(page.locator('#fleet-service').textContent()).resolves.toBe('orders');
    await page.locator('[data-fleet-status="up"]').waitFor({ timeout: 5_000 });
    await expect(
      page.locator('#fleet-summary [data-count="ready"] strong').textContent(),
    ).resolves.toBe('2');
  });

  it('shows a replica’s indicator going down, in its cell and in the feed', async () => {
    b!.healthy = false;
    await cell('replica-b', 'dependency')
      .locator('.badge[data-status="down"]')
      .waitFor({ timeout: 10_000 });
    const entry = page.locator('#fleet-feed li[data-instance="replica-b"][data-kind="indicator"]');
    await entry.first().waitFor({ timeout: 5_000 });
    await expect(entry.first().locator('.feed-change').textContent()).resolves.toBe(
      'dependency: up → down',
    );
    await expect(entry.first().locator('.feed-message').textContent()).resolves.toContain(
      '<b>bold</b>',
    );
    await expect(page.locator('#fleet b').count()).resolves.toBe(0);
    await page
      .locator('tr[data-instance="replica-b"] .replica-status .badge[data-status="down"]')
      .waitFor({ timeout: 5_000 });
    await page.locator('[data-fleet-status="degraded"]').waitFor({ timeout: 5_000 });
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, `fleet-dashboard-${adapter}.png`), fullPage: true });

    b!.healthy = true;
    await cell('replica-b', 'dependency')
      .locator('.badge[data-status="up"]')
      .waitFor({ timeout: 10_000 });
  });

  it('lists a replica that shuts down, and removes its row', async () => {
    const closing = b!;
    b = undefined;
    await closing.app.close();
    await page.locator('tr[data-instance="replica-b"]').waitFor({
      state: 'detached',
      timeout: 10_000,
    });
    const changes = await page
      .locator('#fleet-feed li[data-instance="replica-b"] .feed-change')
      .allTextContents();
    expect(changes).toEqual(expect.arrayContaining(['replica terminating', 'replica left']));
    await expect(
      page.locator('#fleet-summary [data-count="instances"] strong').textContent(),
    ).resolves.toBe('1');
  });

  it('says fleet data is unavailable while Redis is away, and recovers', async () => {
    await redis.stop();
    await page.locator('#fleet-unavailable').waitFor({ timeout: 10_000 });
    await expect(page.locator('#fleet-unavailable').textContent()).resolves.toMatch(
      /^fleet data unavailable — showing the view from \d+ s ago$/,
    );
    // The last view stays on screen.
    await expect(page.locator('tr[data-instance="replica-a"]').count()).resolves.toBe(1);
    // The replica's own dashboard is not affected.
    await expect(page.locator('#overall').textContent()).resolves.toBe('up');

    await redis.restart();
    await page.locator('#fleet-unavailable').waitFor({ state: 'hidden', timeout: 15_000 });
    await cell('replica-a', 'dependency')
      .locator('.badge[data-status="up"]')
      .waitFor({ timeout: 5_000 });
    expect(problems).toEqual([]);
  });
});

import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory, RouterModule } from '@nestjs/core';
import { HealthModule, HealthRegistry, up } from 'nest-health';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';
import { tcpConnectCheck } from './helpers/tcp-checks';
import { TestTcpServer } from './helpers/tcp-server';
import { waitFor } from './helpers/wait-for';

const OUTPUT = join(__dirname, '..', 'test-output');

describe.each(HTTP_ADAPTERS)('on %s, the dashboard in a real browser', (adapter) => {
  let app: RunningExampleApp;
  let upstream: TestTcpServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await exampleApp(adapter).start();
    upstream = await TestTcpServer.start();
    app.registry.register(tcpConnectCheck(upstream.port), { name: 'upstream' });
    await waitFor(() => app.get('/health/ready').expect(200));
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await upstream?.stop();
  });

  const status = (name: string) => page.locator(`#checks [data-check="${name}"] .badge`);

  it('is served as a self-contained page with a strict Content-Security-Policy', async () => {
    const response = await app.get('/health/dashboard').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });

  it('shows every indicator live, then one going down and back up, without a reload', async () => {
    const url = `${await app.app.getUrl()}/health/dashboard`;
    const blocked: string[] = [];
    page.on('requestfailed', (request) => blocked.push(request.url()));
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url);

    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 5_000 });
    for (const name of ['database', 'redis', 'queue', 'upstream']) {
      await expect(status(name).textContent()).resolves.toBe('up');
    }
    await expect(page.locator('#overall').textContent()).resolves.toBe('up');
    await expect(
      page.locator('#checks [data-check="database"] .groups').textContent(),
    ).resolves.toBe('readiness');
    await page
      .locator('#checks [data-check="database"] .latency-last', { hasText: / ms$/ })
      .waitFor();
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));

    await upstream.stop();
    await page
      .locator('#checks [data-check="upstream"] .badge[data-status="down"]')
      .waitFor({ timeout: 5_000 });
    await expect(
      page.locator('#checks [data-check="upstream"] .message').textContent(),
    ).resolves.toMatch(/ECONNREFUSED/);
    await page.locator('#overall[data-status="down"]').waitFor({ timeout: 5_000 });
    await page
      .locator('#announcer p', { hasText: 'upstream is down' })
      .waitFor({ state: 'attached', timeout: 5_000 });
    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, `dashboard-${adapter}-down.png`), fullPage: true });

    await upstream.listen();
    await page
      .locator('#checks [data-check="upstream"] .badge[data-status="up"]')
      .waitFor({ timeout: 5_000 });
    await page.locator('#overall[data-status="up"]').waitFor({ timeout: 5_000 });
    // The latency chart is drawn from the history's buckets.
    await page
      .locator('#checks [data-check="database"] svg.chart path.p50')
      .waitFor({ state: 'attached', timeout: 10_000 });
    await page.screenshot({ path: join(OUTPUT, `dashboard-${adapter}-up.png`), fullPage: true });

    expect(navigations).toEqual([]);
    expect(errors).toEqual([]);
    expect(blocked.filter((u) => !u.includes('/health/stream'))).toEqual([]);
  });

  // Express serves a path with a trailing slash as the path without (strict routing is off);
  // Fastify answers 404 to it unless its `ignoreTrailingSlash` is set.
  const URL_FORMS: readonly (readonly [string, boolean])[] = [
    ['/health/dashboard', true],
    ['/health/dashboard?from=bookmark', true],
    ['/health/dashboard/', adapter === 'express'],
    ['/health/dashboard/?from=bookmark', adapter === 'express'],
  ];

  it.each(URL_FORMS)(
    'at %s (served: %s), finds its stream and shows the live status',
    async (form, served) => {
      const response = await app.get(form);
      expect(response.status).toBe(served ? 200 : 404);
      if (!served) return;
      const other = await browser.newPage();
      try {
        const streams: string[] = [];
        other.on('request', (request) => {
          if (request.url().includes('stream')) streams.push(new URL(request.url()).pathname);
        });
        await other.goto(`${await app.app.getUrl()}${form}`);
        await other.locator('#connection[data-state="live"]').waitFor({ timeout: 5_000 });
        await other.locator('#overall[data-status="up"]').waitFor({ timeout: 5_000 });
        await expect(
          other.locator('#checks [data-check="database"] .badge').textContent(),
        ).resolves.toBe('up');
        expect(new Set(streams)).toEqual(new Set(['/health/stream']));
      } finally {
        await other.close();
      }
    },
  );

  it('says it is reconnecting when the stream drops', async () => {
    await page.evaluate('window.stop()');
    // window.stop() closes the EventSource; the page reports it and reconnects by itself.
    await page.locator('#connection:not([data-state="live"])').waitFor({ timeout: 5_000 });
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 10_000 });
  });
});

describe.each(HTTP_ADAPTERS)('on %s, the dashboard under a global prefix', (adapter) => {
  let app: RunningExampleApp;
  let browser: Browser;

  beforeAll(async () => {
    app = await exampleApp(adapter).withGlobalPrefix('api').start();
    await waitFor(() => app.get('/api/health/ready').expect(200));
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it.each(['/api/health/dashboard', '/api/health/dashboard/?from=bookmark'])(
    'at %s, reads /api/health/stream and shows the live status',
    async (form) => {
      const served = (await app.get(form)).status === 200;
      // Express serves the trailing-slash form; Fastify answers it 404 (ignoreTrailingSlash off).
      expect(served).toBe(adapter === 'express' || !form.includes('/?'));
      if (!served) return;
      const page = await browser.newPage();
      try {
        const streams: string[] = [];
        page.on('request', (request) => {
          if (request.url().includes('stream')) streams.push(new URL(request.url()).pathname);
        });
        await page.goto(`${await app.app.getUrl()}${form}`);
        await page.locator('#connection[data-state="live"]').waitFor({ timeout: 5_000 });
        await page.locator('#overall[data-status="up"]').waitFor({ timeout: 5_000 });
        expect(new Set(streams)).toEqual(new Set(['/api/health/stream']));
      } finally {
        await page.close();
      }
    },
  );
});

describe('the dashboard of a module mounted with RouterModule', () => {
  let app: INestApplication;
  let browser: Browser;

  beforeAll(async () => {
    @Module({
      imports: [
        HealthModule.forRoot({ logger: false }),
        RouterModule.register([{ path: 'ops', module: HealthModule }]),
      ],
    })
    class OpsModule {}
    app = await NestFactory.create(OpsModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    app.get(HealthRegistry).register(() => up(), { name: 'ops-check' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it.each(['/ops/health/dashboard', '/ops/health/dashboard/'])(
    'at %s, reads /ops/health/stream and shows the live status',
    async (form) => {
      const page = await browser.newPage();
      try {
        const streams: string[] = [];
        page.on('request', (request) => {
          if (request.url().includes('stream')) streams.push(new URL(request.url()).pathname);
        });
        await page.goto(`${await app.getUrl()}${form}`);
        await page.locator('#connection[data-state="live"]').waitFor({ timeout: 5_000 });
        await page.locator('#checks [data-check="ops-check"] .badge[data-status="up"]').waitFor({
          timeout: 5_000,
        });
        expect(new Set(streams)).toEqual(new Set(['/ops/health/stream']));
      } finally {
        await page.close();
      }
    },
  );
});

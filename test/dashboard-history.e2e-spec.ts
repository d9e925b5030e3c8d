import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { HealthModule, HealthRegistry, down, up, type HealthModuleOptions } from 'nest-health';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './helpers/browser';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';
import { tcpConnectCheck } from './helpers/tcp-checks';
import { TestTcpServer } from './helpers/tcp-server';
import { waitFor } from './helpers/wait-for';

// The dashboard's history view in a real browser: the uptime bar, the uptime, the latency chart,
// the group statuses and the latest transitions, read from GET /health/history and kept live by
// the stream; at 320 px, with 100 indicators, and for a caller the details policy withholds.

/** Screenshots go to a temporary directory (they are looked at, not compared). */
const SCREENSHOTS = join(tmpdir(), 'nest-health-dashboard');

/** A page that records its errors, failed requests and navigations. */
async function openPage(browser: Browser, url: string, width: number) {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // Closing the page aborts its stream; that is not the page's failure.
    if (!request.url().includes('/stream')) problems.push(`request failed: ${request.url()}`);
  });
  await page.goto(url);
  const navigations: string[] = [];
  page.on('framenavigated', (frame) => navigations.push(frame.url()));
  await page.locator('body[data-history-rendered-ms]').waitFor({ timeout: 15_000 });
  return { page, problems, navigations };
}

const card = (page: Page, name: string) => page.locator(`#checks [data-check="${name}"]`);

describe.each(HTTP_ADAPTERS)('on %s, the dashboard’s history view', (adapter) => {
  let app: RunningExampleApp;
  let upstream: TestTcpServer;
  let browser: Browser;

  beforeAll(async () => {
    app = await exampleApp(adapter).start();
    upstream = await TestTcpServer.start();
    app.registry.register(tcpConnectCheck(upstream.port), { name: 'upstream' });
    app.registry.register(() => up(), { name: 'ledger', groups: ['payments'] });
    await waitFor(() => app.get('/health/ready').expect(200));
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await upstream?.stop();
  });

  const url = async () => `${await app.app.getUrl()}/health/dashboard`;

  it('shows per indicator a 60-bucket uptime bar, the 1 h / 24 h uptime and a latency chart', async () => {
    const { page, problems } = await openPage(browser, await url(), 1100);
    try {
      const database = card(page, 'database');
      await database.locator('.badge[data-status="up"]').waitFor({ timeout: 10_000 });
      const beats = database.locator('.beats');
      await expect(beats.getAttribute('role')).resolves.toBe('img');
      await expect(beats.locator('.beat').count()).resolves.toBe(60);
      // The app started seconds ago: the open bucket has runs (and the one before it, if a
      // minute turned since), the others none.
      const label = (await beats.getAttribute('aria-label')) ?? '';
      const counts =
        /^Last 1 h, one bar per 1 min: (\d+) up, 0 degraded, 0 down, (\d+) without data$/.exec(
          label,
        );
      expect(counts).not.toBeNull();
      expect([Number(counts![1]) + Number(counts![2]), Number(counts![1]) >= 1]).toEqual([
        60,
        true,
      ]);
      await expect(beats.locator('.beat').last().getAttribute('data-status')).resolves.toBe('up');
      await expect(beats.locator('.beat').last().getAttribute('title')).resolves.toMatch(
        /: up, \d+ runs?, p50 [\d.]+ ms, p95 [\d.]+ ms$/,
      );
      await expect(beats.locator('.beat').first().getAttribute('title')).resolves.toMatch(
        /: no data$/,
      );
      // Up since the history began: 100 % over both windows.
      await expect(
        database.locator('.uptime-window[data-window="1h"] .uptime-value').textContent(),
      ).resolves.toBe('100 %');
      await expect(
        database.locator('.uptime-window[data-window="24h"] .uptime-value').textContent(),
      ).resolves.toBe('100 %');
      // The chart: a y axis in milliseconds from 0, a p50 and a p95 line, the last value printed.
      const ticks = await database.locator('svg.chart text.tick').allTextContents();
      expect(ticks).toEqual([
        '0 ms',
        expect.stringMatching(/^[\d.]+ ms$/),
        expect.stringMatching(/^[\d.]+ ms$/),
        '1 h ago',
        'now',
      ]);
      expect(parseFloat(ticks[2])).toBe(2 * parseFloat(ticks[1]));
      await expect(database.locator('svg.chart path.p50').count()).resolves.toBe(1);
      await expect(database.locator('svg.chart path.p95').count()).resolves.toBe(1);
      await expect(database.locator('svg.chart').getAttribute('aria-label')).resolves.toMatch(
        /^Latency over the last 1 h per 1 min: latest p50 [\d.]+ ms, p95 [\d.]+ ms$/,
      );
      await expect(database.locator('.latency-last').textContent()).resolves.toMatch(/^[\d.]+ ms$/);
      await expect(database.locator('.latency').textContent()).resolves.toMatch(
        /^last [\d.]+ ms · p50 [\d.]+ ms · p95 [\d.]+ ms \(last 1 min\)$/,
      );
      await page.screenshot({ path: join(SCREENSHOTS, `wide-${adapter}.png`), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('shows the group statuses in the header, built-in groups first, and the transitions', async () => {
    const { page, problems } = await openPage(browser, await url(), 1100);
    try {
      await page.locator('#groups [data-group="payments"]').waitFor({ timeout: 10_000 });
      const groups = await page.evaluate(
        `[...document.querySelectorAll('#groups li')].map((li) => li.dataset.group + ':' + li.querySelector('.badge').textContent)`,
      );
      expect(groups).toEqual(['liveness:up', 'readiness:up', 'startup:up', 'payments:up']);
      // Every indicator's first result is a transition from unknown, within the last hour.
      const first = page.locator('#transitions li[data-check="database"][data-to="up"]');
      await first.waitFor({ timeout: 10_000 });
      await expect(first.locator('.t-change').textContent()).resolves.toBe('unknown → up');
      await expect(first.locator('time').getAttribute('datetime')).resolves.toMatch(/^\d{4}-/);
      await expect(page.locator('#transitions-empty').isVisible()).resolves.toBe(false);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('shows an indicator going down and up without a reload: badge, bar, transitions, uptime, group', async () => {
    const { page, problems, navigations } = await openPage(browser, await url(), 1100);
    try {
      const upstreamCard = card(page, 'upstream');
      await upstreamCard.locator('.badge[data-status="up"]').waitFor({ timeout: 10_000 });

      await upstream.stop();
      await upstreamCard.locator('.badge[data-status="down"]').waitFor({ timeout: 10_000 });
      await upstreamCard
        .locator('.beat:last-child[data-status="down"]')
        .waitFor({ timeout: 10_000 });
      await page
        .locator('#groups [data-group="readiness"][data-status="down"]')
        .waitFor({ timeout: 10_000 });
      const wentDown = page.locator('#transitions li[data-check="upstream"][data-to="down"]');
      await wentDown.waitFor({ timeout: 10_000 });
      await expect(wentDown.locator('.t-change').textContent()).resolves.toBe('up → down');
      await expect(wentDown.locator('.t-lasted').textContent()).resolves.toMatch(
        /^\(up for \d+ (ms|s|min)( \d+ s)?\)$/,
      );
      await expect(wentDown.locator('.t-message').textContent()).resolves.toMatch(/ECONNREFUSED/);
      await expect(upstreamCard.locator('.message').textContent()).resolves.toMatch(/ECONNREFUSED/);
      await page.screenshot({ path: join(SCREENSHOTS, `down-${adapter}.png`), fullPage: true });

      await upstream.listen();
      await upstreamCard.locator('.badge[data-status="up"]').waitFor({ timeout: 10_000 });
      const backUp = page.locator('#transitions li[data-check="upstream"][data-to="up"]', {
        hasText: 'down → up',
      });
      await backUp.waitFor({ timeout: 10_000 });
      await expect(backUp.locator('.t-lasted').textContent()).resolves.toMatch(
        /^\(down for \d+ (ms|s)\)$/,
      );
      await page
        .locator('#groups [data-group="readiness"][data-status="up"]')
        .waitFor({ timeout: 10_000 });
      // The history is read again after the change: the hour is no longer 100 % up.
      await upstreamCard
        .locator('.uptime-window[data-window="1h"] .uptime-value', { hasText: /^\d+\.\d\d %$/ })
        .waitFor({ timeout: 10_000 });
      // The bucket of the outage keeps the worst status it saw (the open one, or the one before
      // it when a minute turned meanwhile).
      await expect(
        upstreamCard.locator('.beat[data-status="down"]').count(),
      ).resolves.toBeGreaterThanOrEqual(1);
      expect(navigations).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('stays usable at 320 px: no horizontal scrolling of the page', async () => {
    const { page, problems } = await openPage(browser, await url(), 320);
    try {
      await card(page, 'database').locator('.badge[data-status="up"]').waitFor({ timeout: 10_000 });
      const widths = await page.evaluate<{ page: number; bar: number; chart: number }>(`({
        page: document.documentElement.scrollWidth,
        bar: document.querySelector('#checks .beats').getBoundingClientRect().width,
        chart: document.querySelector('#checks svg.chart').getBoundingClientRect().width,
      })`);
      expect(widths.page).toBeLessThanOrEqual(320);
      expect(widths.bar).toBeGreaterThan(200);
      expect(widths.chart).toBeGreaterThan(200);
      await page.screenshot({ path: join(SCREENSHOTS, `narrow-${adapter}.png`), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

/** A small app of the module with `indicators` indicators, on one platform. */
async function smallApp(
  adapter: (typeof HTTP_ADAPTERS)[number],
  options: HealthModuleOptions,
  register: (registry: HealthRegistry) => void,
): Promise<INestApplication> {
  @Module({ imports: [HealthModule.forRoot({ logger: false, ...options })] })
  class SmallModule {}
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(SmallModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(SmallModule, { logger: false });
  register(app.get(HealthRegistry));
  await app.listen(0, '127.0.0.1');
  return app;
}

describe.each(HTTP_ADAPTERS)('on %s, the dashboard with 100 indicators', (adapter) => {
  let app: INestApplication;
  let browser: Browser;

  beforeAll(async () => {
    app = await smallApp(adapter, { defaults: { intervalMs: 1_000 } }, (registry) => {
      for (let i = 0; i < 100; i += 1) {
        const name = `dependency-${String(i).padStart(3, '0')}`;
        registry.register(() => (i % 10 === 9 ? down('refused') : up()), { name });
      }
    });
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('renders every card with its bar, and prints the time from navigation to rendered', async () => {
    await waitFor(async () => {
      const body = (await fetch(`${await app.getUrl()}/health`).then((r) => r.json())) as {
        checks: Record<string, { status: string }>;
      };
      expect(Object.values(body.checks).filter((c) => c.status === 'unknown')).toEqual([]);
    });
    const { page, problems } = await openPage(
      browser,
      `${await app.getUrl()}/health/dashboard`,
      1100,
    );
    try {
      const renderedMs = Number(
        await page.locator('body').getAttribute('data-history-rendered-ms'),
      );
      await expect(page.locator('#checks > li').count()).resolves.toBe(100);
      await expect(page.locator('#checks .beat').count()).resolves.toBe(6_000);
      await expect(page.locator('#checks > li[data-status="down"]').count()).resolves.toBe(10);
      const names = await page.evaluate<string[]>(
        `[...document.querySelectorAll('#checks > li')].map((li) => li.dataset.check)`,
      );
      expect(names).toEqual([...names].sort());
      // Not asserted (it depends on the machine's load): printed for the performance page.
      process.stdout.write(
        `\ndashboard on ${adapter}, 100 indicators: navigation to rendered history ${renderedMs} ms\n`,
      );
      await page.screenshot({ path: join(SCREENSHOTS, `hundred-${adapter}.png`) });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});

describe.each(HTTP_ADAPTERS)(
  'on %s, the dashboard for a caller with details withheld',
  (adapter) => {
    let app: INestApplication;
    let browser: Browser;

    beforeAll(async () => {
      app = await smallApp(
        adapter,
        { details: 'never', defaults: { intervalMs: 500 } },
        (registry) => {
          registry.register(() => up(), { name: 'cache' });
          registry.register(() => down('password=hunter2 rejected'), { name: 'vault' });
        },
      );
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await app?.close();
    });

    it('renders statuses only: no bar, uptime, latency or message, and says why', async () => {
      const { page, problems } = await openPage(
        browser,
        `${await app.getUrl()}/health/dashboard`,
        1100,
      );
      try {
        await card(page, 'vault')
          .locator('.badge[data-status="down"]')
          .waitFor({ timeout: 10_000 });
        await expect(card(page, 'cache').locator('.badge').textContent()).resolves.toBe('up');
        await expect(page.locator('#withheld').isVisible()).resolves.toBe(true);
        await expect(page.locator('body').getAttribute('data-details')).resolves.toBe('withheld');
        for (const selector of ['.beats', '.uptime', 'svg.chart', '.latency']) {
          await expect(card(page, 'vault').locator(selector).isVisible()).resolves.toBe(false);
        }
        const text = await page.locator('#checks').innerText();
        expect(text).not.toContain('hunter2');
        expect(text).not.toMatch(/\d ms\b/);
        await expect(
          page.locator('#groups [data-group="readiness"] .badge').textContent(),
        ).resolves.toBe('down');
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    });
  },
);

describe.each(HTTP_ADAPTERS)('on %s, the dashboard with history: false', (adapter) => {
  let app: INestApplication;
  let browser: Browser;

  beforeAll(async () => {
    app = await smallApp(adapter, { history: false, defaults: { intervalMs: 300 } }, (registry) => {
      registry.register(() => up(), { name: 'cache' });
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('hides the uptime and the bar, and charts the latencies the stream brings', async () => {
    const { page, problems } = await openPage(
      browser,
      `${await app.getUrl()}/health/dashboard`,
      1100,
    );
    try {
      await expect(page.locator('body').getAttribute('data-history')).resolves.toBe('off');
      await card(page, 'cache').locator('.badge[data-status="up"]').waitFor({ timeout: 10_000 });
      for (const selector of ['.beats', '.uptime']) {
        await expect(card(page, 'cache').locator(selector).isVisible()).resolves.toBe(false);
      }
      // The stream's snapshots (every 2 s) bring a new run each: two points make a line.
      await card(page, 'cache')
        .locator('svg.chart[aria-label^="Latency of the last "]', {
          has: page.locator('path.p50'),
        })
        .waitFor({ timeout: 15_000 });
      await waitFor(async () => {
        const label = await card(page, 'cache').locator('svg.chart').getAttribute('aria-label');
        expect(label).toMatch(/^Latency of the last ([2-9]|\d\d) runs, max [\d.]+ ms$/);
      });
      await expect(card(page, 'cache').locator('.latency-last').textContent()).resolves.toMatch(
        /^[\d.]+ ms$/,
      );
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

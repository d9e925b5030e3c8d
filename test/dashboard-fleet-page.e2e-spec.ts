import { mkdirSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DASHBOARD_CSP, DASHBOARD_HTML } from '../libs/health/src/dashboard/dashboard.page';
import { buildFleetView, type FleetIndexEntry } from '../libs/health/src/fleet/fleet-view';
import {
  FLEET_SNAPSHOT_VERSION,
  type FleetCheckSnapshot,
  type FleetInstanceEvent,
  type FleetInstanceSnapshot,
  type FleetTransition,
  type FleetView,
} from '../libs/health/src/fleet/fleet.types';
import type { IndicatorStatus } from '../libs/health/src/check';
import { launchChromium } from './helpers/browser';
import { waitFor } from './helpers/wait-for';

// The dashboard's fleet view in a real browser, against a stand-in for the module's endpoints:
// the page as the module serves it (same HTML, same Content-Security-Policy), a local stream
// with no indicator, and a fleet view and fleet stream that the test controls.

const OUTPUT = join(__dirname, '..', 'test-output');
const TTL_MS = 15_000;
const HOSTILE = '<img src=x onerror="document.title=1">';

/** A published snapshot of one replica, as `fleetSnapshotJson` makes it. */
function snapshotJson(
  instance: string,
  checks: Record<string, IndicatorStatus | [IndicatorStatus, string]>,
  options: {
    terminating?: boolean;
    version?: string;
    nowMs: number;
    /** Uptime over 1 h and 24 h, in percent, of some checks (as a replica with history has). */
    uptime?: Record<string, [number, number]>;
  },
): string {
  const since = new Date(options.nowMs - 60_000).toISOString();
  const published: Record<string, FleetCheckSnapshot> = {};
  for (const [name, value] of Object.entries(checks)) {
    const [status, message] = Array.isArray(value) ? value : [value, undefined];
    const uptime = options.uptime?.[name];
    published[name] = {
      status,
      since,
      durationMs: 1.5,
      ...(uptime ? { uptime1hPercent: uptime[0], uptime24hPercent: uptime[1] } : {}),
      ...(message ? { message } : {}),
    };
  }
  const statuses = Object.values(published).map((check) => check.status);
  const status = statuses.includes('down')
    ? 'down'
    : statuses.some((s) => s !== 'up')
      ? 'degraded'
      : 'up';
  const snapshot: FleetInstanceSnapshot = {
    v: FLEET_SNAPSHOT_VERSION,
    service: 'orders-api',
    instance,
    seq: 7,
    status,
    serving: status !== 'down',
    terminating: options.terminating ?? false,
    publishedAt: new Date(options.nowMs).toISOString(),
    startedAt: since,
    version: options.version ?? '2.4.1',
    groups: {
      liveness: { status: 'up', since },
      readiness: { status: status === 'down' ? 'down' : 'up', since },
    },
    checks: published,
    process: { pid: 42, hostname: instance, node: 'v20.19.0', rssBytes: 1e8, uptimeSeconds: 60 },
  };
  return JSON.stringify(snapshot);
}

/** The text a cell adds after its status for the replicas' published uptime (1 h · 24 h). */
const UPTIME_TEXT: Readonly<Record<string, string>> = {
  'api-a/database': ' 98.8 % · 99.9 %',
  'api-a/redis': ' 100 % · 100 %',
};

/** Five replicas: well, degraded, terminating, stale, and one with an indicator the others lack. */
function smallFleet(nowMs: number): FleetView {
  const entries: FleetIndexEntry[] = [
    {
      instance: 'api-a',
      lastSeenMs: nowMs - 1_000,
      json: snapshotJson(
        'api-a',
        { database: 'up', redis: 'up', queue: 'up' },
        { nowMs, uptime: { database: [98.75, 99.948], redis: [100, 100] } },
      ),
    },
    {
      instance: 'api-b',
      lastSeenMs: nowMs - 2_000,
      json: snapshotJson(
        'api-b',
        { database: 'up', redis: ['degraded', `slow: 812 ms ${HOSTILE}`], queue: 'up' },
        { nowMs, version: '2.5.0' },
      ),
    },
    {
      instance: 'api-c',
      lastSeenMs: nowMs - 500,
      json: snapshotJson(
        'api-c',
        { database: 'up', redis: 'up', queue: 'up' },
        { nowMs, terminating: true },
      ),
    },
    { instance: 'api-d', lastSeenMs: nowMs - 90_000, json: null },
    {
      instance: 'api-e',
      lastSeenMs: nowMs - 3_000,
      json: snapshotJson(
        'api-e',
        { database: 'up', redis: 'up', queue: 'up', search: 'down' },
        { nowMs },
      ),
    },
  ];
  return buildFleetView('orders-api', entries, { kind: 'default' }, TTL_MS, nowMs);
}

/** `replicas` replicas with `indicators` indicators each, all up. */
function largeFleet(replicas: number, indicators: number, nowMs: number): FleetView {
  const checks: Record<string, IndicatorStatus> = {};
  for (let i = 0; i < indicators; i += 1) checks[`dependency-${String(i).padStart(2, '0')}`] = 'up';
  const entries: FleetIndexEntry[] = [];
  for (let i = 0; i < replicas; i += 1) {
    const instance = `orders-api-7f9c8d6b5-${String(i).padStart(3, '0')}`;
    entries.push({
      instance,
      lastSeenMs: nowMs - i * 10,
      json: snapshotJson(instance, checks, { nowMs }),
    });
  }
  return buildFleetView('orders-api', entries, { kind: 'default' }, TTL_MS, nowMs);
}

type FleetAnswer =
  | { readonly status: 200; readonly view: FleetView }
  | { readonly status: 503; readonly view: FleetView | null }
  | { readonly status: 404 };

/** The stand-in for the module's endpoints under `/health`. */
class DashboardStub {
  fleet: FleetAnswer = { status: 404 };
  readonly fleetStreams = new Set<ServerResponse>();
  readonly paths: string[] = [];
  private readonly server: Server;

  private constructor() {
    this.server = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://stub').pathname;
      this.paths.push(path);
      if (path === '/health/dashboard') {
        response.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': DASHBOARD_CSP,
        });
        response.end(DASHBOARD_HTML);
      } else if (path === '/health/stream') {
        this.openStream(response);
        const local = { status: 'up', timestamp: new Date().toISOString(), checks: {}, groups: {} };
        response.write(`event: snapshot\ndata: ${JSON.stringify(local)}\n\n`);
      } else if (path === '/health/history') {
        // The local history: no indicator, as the local stream.
        const history = {
          timestamp: new Date().toISOString(),
          window: '1h',
          details: 'full',
          indicators: {},
          groups: {},
        };
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(history));
      } else if (path === '/health/fleet') {
        const answer = this.fleet;
        if (answer.status === 404) {
          response.writeHead(404, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ statusCode: 404, message: 'Not Found' }));
          return;
        }
        const body =
          answer.status === 503
            ? { ...answer.view, available: false, error: 'fleet data unavailable' }
            : answer.view;
        response.writeHead(answer.status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      } else if (path === '/health/fleet/stream' && this.fleet.status !== 404) {
        this.openStream(response);
        // While Redis is unreachable the stream has nothing to send until it is back.
        if (this.fleet.status === 200) this.send(response, 'snapshot', this.fleet.view);
        this.fleetStreams.add(response);
        response.on('close', () => this.fleetStreams.delete(response));
      } else {
        response.writeHead(404).end();
      }
    });
  }

  static async start(): Promise<DashboardStub> {
    const stub = new DashboardStub();
    await new Promise<void>((resolve) => stub.server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Sends one event to every open fleet stream. */
  push(event: 'snapshot' | 'transition' | 'instance', data: unknown): void {
    for (const response of this.fleetStreams) this.send(response, event, data);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private openStream(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    response.write(': open\n\n');
  }

  private send(response: ServerResponse, event: string, data: unknown): void {
    response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }
}

describe('the dashboard’s fleet view in a real browser', () => {
  let stub: DashboardStub;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    stub = await DashboardStub.start();
    browser = await launchChromium();
    mkdirSync(OUTPUT, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await stub?.stop();
  });

  /** Opens the dashboard; page errors, failed requests and console errors are collected. */
  async function open(width = 1100): Promise<Page> {
    const opened = await browser.newPage({ viewport: { width, height: 800 } });
    problems = [];
    opened.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    opened.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    opened.on('console', (message) => {
      if (message.type() !== 'error') return;
      // Chromium logs every answer of 404 or 503: the fleet's are the ones under test, and the
      // browser's own request for a favicon (the module serves none) is not the page's.
      const expected =
        message.text().startsWith('Failed to load resource') &&
        /\/health\/fleet$|\/favicon\.ico$/.test(message.location().url);
      if (!expected) problems.push(`console: ${message.text()}`);
    });
    await opened.goto(`${stub.url}/health/dashboard`);
    await opened.locator('#connection[data-state="live"]').waitFor({ timeout: 5_000 });
    return opened;
  }

  /** Closes the page once nothing went wrong in it (checked before closing aborts its streams). */
  async function closeClean(opened: Page): Promise<void> {
    expect(problems).toEqual([]);
    await opened.close();
  }

  const cell = (instance: string, check: string) =>
    page.locator(`tr[data-instance="${instance}"] td[data-check="${check}"]`);
  /** The replicas of the grid's rows, in order. */
  const rowNames = async () => {
    const rows = page.locator('#fleet-rows tr');
    const names: (string | null)[] = [];
    for (let i = 0; i < (await rows.count()); i += 1) {
      names.push(await rows.nth(i).getAttribute('data-instance'));
    }
    return names;
  };
  const text = async (selector: string) => (await page.locator(selector).textContent())?.trim();

  describe('with a fleet of five replicas', () => {
    let view: FleetView;

    beforeAll(async () => {
      view = smallFleet(Date.now());
      stub.fleet = { status: 200, view };
      page = await open();
      await waitFor(() => expect(stub.fleetStreams.size).toBe(1));
      await page.locator('#fleet-connection[data-state="live"]').waitFor({ timeout: 5_000 });
    });

    afterAll(async () => {
      await closeClean(page);
    });

    it('shows the service, the fleet status and the counts', async () => {
      await expect(page.locator('#fleet').isVisible()).resolves.toBe(true);
      await expect(text('#fleet-service')).resolves.toBe('orders-api');
      // Default policy: some replica ready, not all up → degraded.
      expect(view.status).toBe('degraded');
      await expect(
        page.locator('[data-fleet-status]').getAttribute('data-fleet-status'),
      ).resolves.toBe('degraded');
      await expect(text('[data-fleet-status]')).resolves.toBe('degraded');
      const counts: Record<string, number> = {
        instances: 5,
        ready: view.summary.ready,
        up: view.summary.byStatus.up,
        degraded: view.summary.byStatus.degraded,
        down: view.summary.byStatus.down,
        unknown: view.summary.byStatus.unknown,
        stale: 1,
        terminating: 1,
      };
      for (const [key, count] of Object.entries(counts)) {
        await expect(text(`#fleet-summary [data-count="${key}"] strong`)).resolves.toBe(
          String(count),
        );
      }
      await expect(page.locator('#fleet-unavailable').isVisible()).resolves.toBe(false);
    });

    it('shows every replica × indicator with its status as text, one column per indicator', async () => {
      const columns = await page.locator('#fleet-grid thead th[data-check]').allTextContents();
      expect(columns).toEqual(['database', 'queue', 'redis', 'search']);
      await expect(rowNames()).resolves.toEqual(['api-a', 'api-b', 'api-c', 'api-d', 'api-e']);
      for (const replica of view.instances) {
        await expect(
          text(`tr[data-instance="${replica.instance}"] .replica-status .badge`),
        ).resolves.toBe(replica.status);
        for (const column of columns) {
          const check = replica.snapshot?.checks[column];
          await expect(cell(replica.instance, column).textContent()).resolves.toBe(
            check
              ? check.status + (UPTIME_TEXT[`${replica.instance}/${column}`] ?? '')
              : '—no data',
          );
          if (check) {
            await expect(
              cell(replica.instance, column).locator('.badge').getAttribute('data-status'),
            ).resolves.toBe(check.status);
          }
        }
      }
      // Each replica's uptime of an indicator, when it publishes one (history on), as text and
      // for screen readers.
      await expect(
        cell('api-a', 'database').locator('.cell-uptime').getAttribute('aria-label'),
      ).resolves.toBe('up 98.8 % over 1 h, 99.9 % over 24 h');
      await expect(cell('api-a', 'database').getAttribute('title')).resolves.toBe(
        'up 98.8 % over 1 h, 99.9 % over 24 h on this replica',
      );
      await expect(cell('api-a', 'queue').locator('.cell-uptime').count()).resolves.toBe(0);
      await expect(page.locator('#fleet-uptime-note').isVisible()).resolves.toBe(true);
      await expect(text('tr[data-instance="api-b"] .replica-version')).resolves.toBe('2.5.0');
      await expect(text('tr[data-instance="api-d"] .replica-version')).resolves.toBe('—');
      // A message is a tooltip, as text: never parsed as HTML.
      await expect(cell('api-b', 'redis').getAttribute('title')).resolves.toBe(
        `slow: 812 ms ${HOSTILE}`,
      );
      await expect(page.locator('#fleet img').count()).resolves.toBe(0);
      // Headers for assistive technology: a column header per column, a row header per replica.
      await expect(page.locator('#fleet-grid thead th[scope="col"]').count()).resolves.toBe(9);
      await expect(page.locator('#fleet-grid tbody th[scope="row"]').count()).resolves.toBe(5);
    });

    it('marks the stale and the terminating replica, in text', async () => {
      await expect(text('tr[data-instance="api-d"] .marker')).resolves.toBe('stale');
      await expect(text('tr[data-instance="api-d"] .replica-status .badge')).resolves.toBe(
        'unknown',
      );
      await expect(text('tr[data-instance="api-c"] .marker')).resolves.toBe('terminating');
      await expect(text('tr[data-instance="api-c"] .replica-ready')).resolves.toBe('no');
      await expect(page.locator('tr[data-instance="api-a"] .marker').count()).resolves.toBe(0);
      await expect(text('tr[data-instance="api-d"] .replica-seen')).resolves.toMatch(
        /^(1 min|\d+ s) ago$/,
      );
      await page.screenshot({ path: join(OUTPUT, 'dashboard-fleet.png'), fullPage: true });
    });

    it('applies a pushed indicator transition to its cell and adds it to the feed', async () => {
      const transition: FleetTransition = {
        id: '1700000000000-0',
        instance: 'api-a',
        kind: 'indicator',
        name: 'database',
        previous: 'up',
        current: 'down',
        since: new Date().toISOString(),
        message: `connect ECONNREFUSED 10.0.0.5:5432 ${HOSTILE}`,
      };
      stub.push('transition', transition);
      await page
        .locator('tr[data-instance="api-a"] td[data-check="database"][data-status="down"]')
        .waitFor({ timeout: 5_000 });
      // A transition carries no uptime: the figures of the last view stay.
      await expect(cell('api-a', 'database').textContent()).resolves.toBe('down 98.8 % · 99.9 %');
      const entry = page.locator('#fleet-feed li').first();
      await expect(entry.locator('.feed-instance').textContent()).resolves.toBe('api-a');
      await expect(entry.locator('.feed-change').textContent()).resolves.toBe(
        'database: up → down',
      );
      await expect(entry.locator('.feed-message').textContent()).resolves.toBe(transition.message);
      await expect(page.locator('#fleet img').count()).resolves.toBe(0);

      // The same entry again (a replay after a reconnection) is not listed twice.
      stub.push('transition', transition);
      stub.push('transition', {
        ...transition,
        id: '1700000000000-1',
        kind: 'group',
        name: 'readiness',
        message: undefined,
      });
      await page
        .locator('tr[data-instance="api-a"] .replica-status .badge[data-status="down"]')
        .waitFor({ timeout: 5_000 });
      await expect(text('tr[data-instance="api-a"] .replica-ready')).resolves.toBe('no');
      await expect(page.locator('#fleet-feed .feed-change').allTextContents()).resolves.toEqual([
        'group readiness: up → down',
        'database: up → down',
      ]);
      await expect(text('#fleet-summary [data-count="down"] strong')).resolves.toBe(
        String(view.summary.byStatus.down + 1),
      );
      await expect(text('#fleet-summary [data-count="ready"] strong')).resolves.toBe(
        String(view.summary.ready - 1),
      );
    });

    it('adds a column for an indicator first seen in a transition', async () => {
      stub.push('transition', {
        id: '1700000000001-0',
        instance: 'api-b',
        kind: 'indicator',
        name: 'cache',
        previous: 'unknown',
        current: 'up',
        since: new Date().toISOString(),
      } satisfies FleetTransition);
      await page.locator('#fleet-grid thead th[data-check="cache"]').waitFor({ timeout: 5_000 });
      await expect(cell('api-b', 'cache').textContent()).resolves.toBe('up');
      await expect(cell('api-a', 'cache').textContent()).resolves.toBe('—no data');
      // The cells changed before stay changed.
      await expect(cell('api-a', 'database').textContent()).resolves.toBe('down 98.8 % · 99.9 %');
    });

    it('marks a replica that starts terminating, and lists it', async () => {
      stub.push('transition', {
        id: '1700000000002-0',
        instance: 'api-e',
        kind: 'instance',
        name: 'api-e',
        previous: 'joined',
        current: 'terminating',
        since: new Date().toISOString(),
      } satisfies FleetTransition);
      await page
        .locator('tr[data-instance="api-e"] .marker[data-marker="terminating"]')
        .waitFor({ timeout: 5_000 });
      await expect(page.locator('#fleet-feed .feed-change').first().textContent()).resolves.toBe(
        'replica terminating',
      );
      await expect(text('#fleet-summary [data-count="terminating"] strong')).resolves.toBe('2');
    });

    it('replaces a row on an instance event and removes it on `view: null`', async () => {
      const stale: FleetInstanceEvent = {
        instance: 'api-b',
        view: {
          ...view.instances[1],
          status: 'unknown',
          ready: false,
          stale: true,
          ageMs: 20_000,
          snapshot: null,
        },
      };
      stub.push('instance', stale);
      await page
        .locator('tr[data-instance="api-b"] .marker[data-marker="stale"]')
        .waitFor({ timeout: 5_000 });
      await expect(cell('api-b', 'database').textContent()).resolves.toBe('—no data');

      stub.push('instance', { instance: 'api-d', view: null } satisfies FleetInstanceEvent);
      await page
        .locator('tr[data-instance="api-d"]')
        .waitFor({ state: 'detached', timeout: 5_000 });
      await expect(text('#fleet-summary [data-count="instances"] strong')).resolves.toBe('4');
      await expect(page.locator('#fleet-feed li').first().textContent()).resolves.toContain(
        'api-d',
      );
    });

    it('replaces everything on a snapshot', async () => {
      const next = buildFleetView(
        'orders-api',
        [
          {
            instance: 'api-z',
            lastSeenMs: Date.now(),
            json: snapshotJson('api-z', { database: 'up' }, { nowMs: Date.now() }),
          },
        ],
        { kind: 'default' },
        TTL_MS,
        Date.now(),
      );
      stub.push('snapshot', next);
      await page
        .locator('tr[data-instance="api-a"]')
        .waitFor({ state: 'detached', timeout: 5_000 });
      await expect(rowNames()).resolves.toEqual(['api-z']);
      await expect(
        page.locator('#fleet-grid thead th[data-check]').allTextContents(),
      ).resolves.toEqual(['database']);
      await page.locator('[data-fleet-status="up"]').waitFor({ timeout: 5_000 });
      // The feed is history: it stays.
      await expect(page.locator('#fleet-feed li').count()).resolves.toBeGreaterThan(0);
    });
  });

  it('shows no fleet section when the module has no fleet (404)', async () => {
    stub.fleet = { status: 404 };
    stub.paths.length = 0;
    page = await open();
    await page.locator('#fleet').waitFor({ state: 'detached', timeout: 5_000 });
    await expect(page.locator('#overall').textContent()).resolves.toBe('up');
    expect(stub.paths).toContain('/health/fleet');
    expect(stub.paths).not.toContain('/health/fleet/stream');
    await closeClean(page);
  });

  it('shows the last known view with a notice when fleet data is unavailable (503)', async () => {
    stub.fleet = { status: 503, view: { ...smallFleet(Date.now()), ageMs: 42_000 } };
    page = await open();
    await page.locator('#fleet-unavailable').waitFor({ timeout: 5_000 });
    const notice = await text('#fleet-unavailable');
    const match = /^fleet data unavailable — showing the view from (\d+) s ago$/.exec(notice ?? '');
    expect(match).not.toBeNull();
    expect(Number(match?.[1])).toBeGreaterThanOrEqual(42);
    await expect(page.locator('#fleet-rows tr').count()).resolves.toBe(5);
    await waitFor(() => expect(stub.fleetStreams.size).toBeGreaterThan(0));

    // Redis is back: the stream's snapshot clears the notice.
    stub.push('snapshot', smallFleet(Date.now()));
    await page.locator('#fleet-unavailable').waitFor({ state: 'hidden', timeout: 5_000 });
    await closeClean(page);
  });

  it('reads the replicas’ ages again while the stream has nothing to tell of them', async () => {
    const nowMs = Date.now();
    const entry = (lastSeenMs: number): FleetIndexEntry => ({
      instance: 'api-a',
      lastSeenMs,
      json: snapshotJson('api-a', { database: 'up' }, { nowMs }),
    });
    stub.fleet = {
      status: 200,
      view: buildFleetView(
        'orders-api',
        [entry(nowMs - 12_000)],
        { kind: 'default' },
        TTL_MS,
        nowMs,
      ),
    };
    page = await open();
    await expect(text('tr[data-instance="api-a"] .replica-seen')).resolves.toMatch(/^1\d s ago$/);
    // The replica goes on publishing: the view says so, the stream does not.
    stub.fleet = {
      status: 200,
      view: buildFleetView(
        'orders-api',
        [entry(Date.now())],
        { kind: 'default' },
        TTL_MS,
        Date.now(),
      ),
    };
    await page
      .locator('tr[data-instance="api-a"] .replica-seen', { hasText: /^\d s ago$/ })
      .waitFor({ timeout: 15_000 });
    await closeClean(page);
  });

  it('stays usable at 320 px with 100 replicas × 20 indicators: the grid scrolls, not the page', async () => {
    stub.fleet = { status: 200, view: largeFleet(100, 20, Date.now()) };
    page = await open(320);
    await page.locator('#fleet-rows tr').nth(99).waitFor({ timeout: 5_000 });
    await expect(page.locator('#fleet-rows tr').count()).resolves.toBe(100);
    await expect(page.locator('#fleet-rows td[data-check]').count()).resolves.toBe(2_000);
    await expect(page.locator('#fleet-grid thead th[data-check]').count()).resolves.toBe(20);
    // No replica publishes uptime here (history off on them): no note about it.
    await expect(page.locator('#fleet-uptime-note').isVisible()).resolves.toBe(false);
    // Evaluated in the page (the project's types have no DOM).
    const widths = await page.evaluate<{
      document: number;
      viewport: number;
      grid: number;
      gridBox: number;
    }>(`(() => {
      const grid = document.querySelector('#fleet .grid');
      const root = document.documentElement;
      return { document: root.scrollWidth, viewport: root.clientWidth, grid: grid.scrollWidth, gridBox: grid.clientWidth };
    })()`);
    expect(widths.document).toBeLessThanOrEqual(widths.viewport);
    expect(widths.grid).toBeGreaterThan(widths.gridBox);
    await page.screenshot({ path: join(OUTPUT, 'dashboard-fleet-320.png'), fullPage: true });
    await closeClean(page);
  });
});

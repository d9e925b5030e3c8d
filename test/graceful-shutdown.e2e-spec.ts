import { get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { HTTP_ADAPTERS, SERVICES } from './helpers/example-app';
import { ExampleProcess } from './helpers/example-process';
import { SseClient } from './helpers/sse-client';
import { waitFor } from './helpers/wait-for';

/** The shutdown delay of the app under test, in milliseconds. */
const SHUTDOWN_DELAY_MS = 2_000;
/** The probe loop's period, as a kubelet's periodSeconds, in milliseconds. */
const PROBE_PERIOD_MS = 100;
/** Requests that end this close to the end of the delay may meet the closing server. */
const CLOSING_MARGIN_MS = 150;
/** Stream clients connected when the signal comes. */
const STREAM_CLIENTS = 100;

/** One answer (or failure) of the probe loop, timed from the SIGTERM. */
interface Probe {
  readonly path: string;
  readonly sentAtMs: number;
  readonly endedAtMs: number;
  readonly status?: number;
  readonly error?: string;
}

/** A GET on a new connection each time (no keep-alive), as the kubelet probes. */
function probe(url: string): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code }));
    }).on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message }),
    );
  });
}

describe.each(HTTP_ADAPTERS)('main.ts on %s, on SIGTERM', (adapter) => {
  let example: ExampleProcess | undefined;

  afterAll(async () => {
    await example?.stop('SIGKILL');
  });

  it('turns readiness down at once, serves probes and streams through the delay, then exits 0 in time', async () => {
    example = ExampleProcess.start({
      HTTP_ADAPTER: adapter,
      PORT: '0',
      DATABASE_URL: SERVICES.databaseUrl,
      REDIS_URL: SERVICES.redisUrl,
      QUEUE_PREFIX: `e2e-shutdown-${adapter}`,
      SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
    });
    const url = (await example.url()).replace('[::1]', '127.0.0.1');
    await waitFor(async () => expect((await probe(`${url}/health/ready`)).status).toBe(200));

    const streams = await Promise.all(
      Array.from({ length: STREAM_CLIENTS }, () => SseClient.connect(`${url}/health/stream`)),
    );
    for (const stream of streams) {
      expect(stream.status).toBe(200);
      await stream.next('snapshot');
    }

    const probes: Probe[] = [];
    /** Streams found ended by the probe loop while the app drains. */
    const endedDuringDelay: number[] = [];
    let signalledAt = 0;
    let exited = false;
    const loop = (async () => {
      while (!exited) {
        const sentAt = performance.now();
        if (signalledAt > 0 && sentAt - signalledAt < SHUTDOWN_DELAY_MS - CLOSING_MARGIN_MS) {
          endedDuringDelay.push(streams.filter((stream) => stream.ended).length);
        }
        await Promise.all(
          ['/health/ready', '/health/live'].map(async (path) => {
            const answer = await probe(`${url}${path}`);
            if (signalledAt === 0) return;
            probes.push({
              path,
              sentAtMs: sentAt - signalledAt,
              endedAtMs: performance.now() - signalledAt,
              ...answer,
            });
          }),
        );
        await sleep(PROBE_PERIOD_MS);
      }
    })();
    await sleep(3 * PROBE_PERIOD_MS);

    signalledAt = performance.now();
    const stopped = await example.stop('SIGTERM');
    exited = true;
    await loop;

    // Exits with code 0, after the delay and within delay + 1 s.
    expect(stopped).toMatchObject({ code: 0, signal: null });
    expect(stopped.ms).toBeGreaterThanOrEqual(SHUTDOWN_DELAY_MS);
    expect(stopped.ms).toBeLessThan(SHUTDOWN_DELAY_MS + 1_000);

    const during = probes.filter((p) => p.endedAtMs < SHUTDOWN_DELAY_MS - CLOSING_MARGIN_MS);
    const ready = during.filter((p) => p.path === '/health/ready');
    const live = during.filter((p) => p.path === '/health/live');
    expect(ready.length).toBeGreaterThanOrEqual(10);
    // No request reset or refused while the app drains: every probe got an answer.
    expect(during.filter((p) => p.error !== undefined)).toEqual([]);
    // Readiness is 503 from the first probe sent one period after the signal at the latest.
    expect(ready.filter((p) => p.sentAtMs >= PROBE_PERIOD_MS).map((p) => p.status)).toEqual(
      ready.filter((p) => p.sentAtMs >= PROBE_PERIOD_MS).map(() => 503),
    );
    // Liveness is untouched: the process is alive until it exits.
    expect(live.map((p) => p.status)).toEqual(live.map(() => 200));

    // Every stream saw readiness go down, stayed open through the delay, then was ended.
    for (const stream of streams) {
      const change = stream.events.find(
        (event) => event.type === 'change' && event.data.reason === 'shutting_down',
      );
      expect(change?.data).toMatchObject({ kind: 'group', name: 'readiness', current: 'down' });
      await stream.closed();
    }
    expect(endedDuringDelay.length).toBeGreaterThanOrEqual(10);
    expect(endedDuringDelay.every((ended) => ended === 0)).toBe(true);

    expect(example.logs).toContain('group readiness: up → down (shutting_down)');
    expect(example.logs).toContain(`serving for ${SHUTDOWN_DELAY_MS} ms before closing`);
    expect(example.logs).not.toMatch(/\bERROR\b/);
  });
});

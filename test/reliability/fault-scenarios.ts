import { INTERVAL_JITTER } from 'nest-health/engine/health.scheduler';
import {
  HealthStateStore,
  type HealthChangeEvent,
  type HealthDetailsBody,
  type HealthIndicatorTiming,
} from 'nest-health';
import type { HttpAdapterName } from '../../apps/example/src/example-config';
import { exampleApp, type ExampleAppBuilder, type RunningExampleApp } from '../helpers/example-app';
import type { FaultProxy } from '../helpers/fault-proxy';
import { HealthRunLog } from '../helpers/health-runs';
import { KubeletSimulator, type KubeletProbeSpec } from '../helpers/kubelet-simulator';
import { recordFigure, reportFigures } from '../helpers/reliability-figures';
import { waitFor } from '../helpers/wait-for';

/** How a spec breaks one dependency of the example app, and mends it. */
export interface FaultControls {
  /** The proxy between the app and the dependency: latency and flapping go through it. */
  readonly proxy: FaultProxy;
  /** Points the app at the dependency, through the proxy. */
  connect(app: ExampleAppBuilder): ExampleAppBuilder;
  /** Kills the dependency: connections drop, new ones are refused. */
  kill(): Promise<void>;
  /**
   * Brings a killed dependency back; resolves once the app's client can use it again (for a
   * client that reconnects on a backoff, when it has reconnected).
   */
  restart(app: RunningExampleApp): Promise<void>;
  /** Hangs the dependency: connections stay open, nothing answers. */
  hang(): Promise<void>;
  /** Lets a hung dependency answer again. */
  resume(): Promise<void>;
  tearDown(): Promise<void>;
}

/** A dependency of the example app, for the fault specs. */
export interface FaultyDependency {
  /** e.g. `PostgreSQL`. */
  readonly title: string;
  /** The app's indicators that depend on it; the first one reports its response time. */
  readonly indicators: readonly [string, ...string[]];
  /**
   * The adapter the scenarios run on. The engine, not the HTTP layer, detects a fault, and a
   * probe reads the same state on either adapter (the probe specs cover both): each dependency
   * runs on one adapter, and the three between them cover both.
   */
  readonly adapter: HttpAdapterName;
  /** Starts what the spec breaks (a proxy, a server of its own). */
  setUp(): Promise<FaultControls>;
}

/** Check timing of the fault scenarios: a run every 250 ms, 1 s to answer. */
export const FAULT_TIMING = { intervalMs: 250, timeoutMs: 1_000 } as const;

/**
 * The longest time from a fault to the first run that sees it: the wait between runs (with its
 * jitter) and that run's time budget.
 */
const DETECTION_BOUND_MS = FAULT_TIMING.intervalMs * (1 + INTERVAL_JITTER) + FAULT_TIMING.timeoutMs;

/** A latency below the time budget (per round trip), and one above it. */
const SLOW_MS = 100;
const TOO_SLOW_MS = 1_500;

/** The kubelet of the fault scenarios (milliseconds for seconds). */
const KUBELET_PROBES: readonly KubeletProbeSpec[] = [
  { kind: 'liveness', path: '/health/live', periodMs: 250, timeoutMs: 1_000, failureThreshold: 3 },
  {
    kind: 'readiness',
    path: '/health/ready',
    periodMs: 250,
    timeoutMs: 1_000,
    failureThreshold: 2,
    successThreshold: 1,
  },
];

/** Flapping: a check every 700 ms (±10 %), 500 ms to answer, down only after 3 failures. */
const FLAP_TIMING: HealthIndicatorTiming = {
  intervalMs: 700,
  timeoutMs: 500,
  failureThreshold: 3,
};

/** Waits longer than the default: a client library may be on a reconnection backoff. */
const RECOVERY_WAIT = { timeoutMs: 20_000 } as const;

/**
 * The fault scenarios of one dependency, each on the running example app with a kubelet
 * simulator probing it: killed, restored, hung, restored, slow below and above the time budget,
 * restored; then, on an app with `failureThreshold: 3`, flapping. Every scenario fails on any
 * unhandled rejection, uncaught exception or unhandled 'error' event.
 */
export function describeFaults(dependency: FaultyDependency): void {
  const { title, indicators, adapter } = dependency;
  const [primary] = indicators;

  describe(`${title} on ${adapter}: killed, hung, slow, and back`, () => {
    let controls: FaultControls;
    let app: RunningExampleApp;
    let runs: HealthRunLog;
    let kubelet: KubeletSimulator;

    beforeAll(async () => {
      controls = await dependency.setUp();
      app = await controls.connect(exampleApp(adapter).withHealthDefaults(FAULT_TIMING)).start();
      runs = HealthRunLog.watch(app.app);
      kubelet = await KubeletSimulator.start(await app.app.getUrl(), KUBELET_PROBES);
    });

    afterEach(() => {
      expect(app.unhandledErrors).toEqual([]);
    });

    afterAll(async () => {
      await kubelet?.stop();
      runs?.stop();
      await app?.close();
      await controls?.tearDown();
      reportFigures(`${title} (${adapter})`);
    });

    it('is up, and the kubelet sees it Ready', async () => {
      for (const name of indicators) await app.waitForCheck(name, 'up');
      await waitForSteadyReadiness(kubelet);
    });

    it('killed: down at the first run after the fault; readiness 503, liveness 200; NotReady', async () => {
      await controls.kill();
      const faultAt = Date.now();

      for (const name of indicators) await app.waitForCheck(name, 'down');
      for (const name of indicators) {
        await waitFor(() =>
          expect(runs.firstStartedAfter(name, faultAt)).toMatchObject({ status: 'down' }),
        );
      }
      await app.get('/health/ready').expect(503);
      await app.get('/health/live').expect(200);
      await waitFor(() => expect(kubelet.isReady).toBe(false));
      expectNoStaleReadiness(kubelet, runs, primary, faultAt);
      measureDetection(`${title} killed`, runs, kubelet, primary, faultAt);
    });

    it('restarted: up at the first run after the client reconnected; Ready again', async () => {
      const restartAt = Date.now();
      await controls.restart(app);
      const backAt = Date.now();

      for (const name of indicators) await app.waitForCheck(name, 'up', RECOVERY_WAIT);
      await waitFor(() =>
        expect(runs.firstStartedAfter(primary, backAt)).toMatchObject({ status: 'up' }),
      );
      await waitFor(() => expect(kubelet.isReady).toBe(true));
      // Measured from the restart: for Redis, ioredis's reconnection backoff is part of it.
      measureRecovery(`${title} restarted`, runs, kubelet, indicators, restartAt);
    });

    it('hung: down when its time budget ends; probes answer at once; one call in flight', async () => {
      const probesFrom = Date.now();
      await controls.hang();
      const faultAt = Date.now();

      const details = await app.waitForCheck(primary, 'down');
      expect(details.timedOut).toBe(true);
      // The state may have turned down from a run already in flight at the fault; the first run
      // that starts after it is recorded once its own budget ends.
      await waitFor(() =>
        expect(runs.firstStartedAfter(primary, faultAt)).toMatchObject({
          status: 'down',
          timedOut: true,
        }),
      );
      for (const name of indicators) await app.waitForCheck(name, 'down');
      // Several due runs later, still one call of each check at most: no pile-up.
      await waitFor(() => expect(runs.of(primary, faultAt).length).toBeGreaterThanOrEqual(3));
      for (const name of indicators) expect(runs.peakInFlight(name)).toBe(1);
      // The probes read the state: none waited for the hung dependency.
      await app.get('/health/ready').expect(503);
      await waitFor(() => expect(kubelet.isReady).toBe(false));
      const outcomes = kubelet.outcomes.filter((o) => o.startedAt >= probesFrom);
      expect(outcomes.filter((o) => o.statusCode === undefined)).toEqual([]);
      expect(outcomes.filter((o) => o.kind === 'liveness' && !o.success)).toEqual([]);
      measureDetection(`${title} hung`, runs, kubelet, primary, faultAt);
      recordFigure({
        what: `${title} hung → slowest probe answer`,
        value: Math.max(...outcomes.map((o) => o.durationMs)),
        unit: 'ms',
        bound: KUBELET_PROBES[1].timeoutMs,
      });
    });

    it('resumed: up again, and Ready', async () => {
      await controls.resume();
      const backAt = Date.now();

      for (const name of indicators) await app.waitForCheck(name, 'up', RECOVERY_WAIT);
      await waitFor(() => expect(kubelet.isReady).toBe(true));
      measureRecovery(`${title} resumed`, runs, kubelet, indicators, backAt);
    });

    it(`slow (${SLOW_MS} ms a round trip, below the time budget): up, with that in its response time`, async () => {
      controls.proxy.latencyMs = SLOW_MS;
      const since = Date.now();

      await waitFor(() => expect(runs.of(primary, since).length).toBeGreaterThanOrEqual(3));
      expect(runs.of(primary, since).map((run) => run.status)).not.toContain('down');
      const { body } = await app.get('/health').expect(200);
      const check = (body as HealthDetailsBody).checks[primary];
      expect(check.status).toBe('up');
      expect(check.data?.responseTimeMs).toBeGreaterThanOrEqual(SLOW_MS);
      await app.get('/health/ready').expect(200);
    });

    it(`slower (${TOO_SLOW_MS} ms a round trip, above the time budget): down, timed out`, async () => {
      controls.proxy.latencyMs = TOO_SLOW_MS;
      const since = Date.now();

      const details = await app.waitForCheck(primary, 'down');
      expect(details.timedOut).toBe(true);
      await waitFor(() =>
        expect(runs.firstStartedAfter(primary, since)).toMatchObject({ status: 'down' }),
      );
      await app.get('/health/ready').expect(503);
    });

    it('fast again: up, and Ready', async () => {
      controls.proxy.latencyMs = 0;

      for (const name of indicators) await app.waitForCheck(name, 'up', RECOVERY_WAIT);
      await waitFor(() => expect(kubelet.isReady).toBe(true));
    });

    it('never made the kubelet restart the app, and never failed liveness', () => {
      expect(kubelet.decisionsOf('liveness')).toEqual([]);
      expect(kubelet.outcomesOf('liveness').filter((o) => !o.success)).toEqual([]);
      expect(app.logs.linesOf('error', 'ExceptionsHandler')).toEqual([]);
    });
  });

  describe(`${title} on ${adapter}: flapping, with failureThreshold 3`, () => {
    let controls: FaultControls;
    let app: RunningExampleApp;
    let runs: HealthRunLog;
    let kubelet: KubeletSimulator;

    beforeAll(async () => {
      controls = await dependency.setUp();
      app = await controls.connect(exampleApp(adapter).withHealthDefaults(FLAP_TIMING)).start();
      runs = HealthRunLog.watch(app.app);
      kubelet = await KubeletSimulator.start(await app.app.getUrl(), KUBELET_PROBES);
    });

    afterAll(async () => {
      await kubelet?.stop();
      runs?.stop();
      await app?.close();
      await controls?.tearDown();
      reportFigures(`${title} (${adapter}), flapping`);
    });

    // The dependency stalls for 1 s in every 2 s (a server that freezes and thaws; the clients
    // keep their connections, so what the checks see is the dependency, not a client's
    // reconnection backoff). A run fails only when its 500 ms budget ends inside a stall: at most
    // one run in each stall, since runs are at least 630 ms apart. So failures never come three
    // in a row, and readiness must never move.
    it('sees the failures, and readiness never moves', async () => {
      for (const name of indicators) await app.waitForCheck(name, 'up');
      await waitForSteadyReadiness(kubelet);
      const changes: HealthChangeEvent[] = [];
      const subscription = app.app
        .get(HealthStateStore)
        .changes.subscribe((change) => changes.push(change));
      const since = Date.now();

      controls.proxy.flap({ upMs: 1_000, downMs: 1_000, fault: 'stall' });
      try {
        await waitFor(
          () => {
            const failed = runs.of(primary, since).filter((run) => run.status === 'down');
            expect(failed.length).toBeGreaterThanOrEqual(3);
          },
          { timeoutMs: 40_000, intervalMs: 200 },
        );
      } finally {
        await controls.proxy.forward();
        subscription.unsubscribe();
      }

      const seen = runs.of(primary, since);
      recordFigure({ what: `${title} flapping → runs`, value: seen.length, unit: 'count' });
      recordFigure({
        what: `${title} flapping → failed runs`,
        value: seen.filter((run) => run.status === 'down').length,
        unit: 'count',
      });
      recordFigure({
        what: `${title} flapping → transitions`,
        value: changes.length,
        unit: 'count',
      });
      expect(changes).toEqual([]);
      for (const name of indicators) {
        expect(runs.of(name, since).filter((run) => run.effective !== 'up')).toEqual([]);
      }
      expect({
        decisions: kubelet.decisions.filter((d) => d.at >= since),
        readinessFailures: kubelet.outcomesOf('readiness', since).filter((o) => !o.success),
      }).toEqual({ decisions: [], readinessFailures: [] });
      expect(app.unhandledErrors).toEqual([]);
    });
  });
}

/** Waits until the kubelet is Ready and its last three readiness probes passed. */
async function waitForSteadyReadiness(kubelet: KubeletSimulator): Promise<void> {
  await waitFor(() => {
    expect(kubelet.isReady).toBe(true);
    const last = kubelet.outcomesOf('readiness').slice(-3);
    expect(last.map((outcome) => outcome.success)).toEqual([true, true, true]);
  });
}

/**
 * Every readiness probe that started after the indicator turned down failed: no probe was
 * answered from a stale state.
 */
function expectNoStaleReadiness(
  kubelet: KubeletSimulator,
  runs: HealthRunLog,
  name: string,
  faultAt: number,
): void {
  const downAt = runs.of(name, faultAt).find((run) => run.effective === 'down')!.finishedAt;
  const after = kubelet.outcomesOf('readiness', downAt + 1);
  expect(after.filter((outcome) => outcome.success)).toEqual([]);
}

function measureDetection(
  what: string,
  runs: HealthRunLog,
  kubelet: KubeletSimulator,
  name: string,
  faultAt: number,
): void {
  const down = runs.of(name, faultAt).find((run) => run.effective === 'down');
  if (down) {
    recordFigure({
      what: `${what} → ${name} down`,
      value: down.finishedAt - faultAt,
      unit: 'ms',
      bound: DETECTION_BOUND_MS,
    });
  }
  const notReady = kubelet.decisionsOf('readiness', 'not-ready').find((d) => d.at >= faultAt);
  if (notReady) {
    recordFigure({ what: `${what} → kubelet NotReady`, value: notReady.at - faultAt, unit: 'ms' });
  }
}

function measureRecovery(
  what: string,
  runs: HealthRunLog,
  kubelet: KubeletSimulator,
  names: readonly string[],
  backAt: number,
): void {
  for (const name of names) {
    const up = runs.runs.find(
      (run) => run.name === name && run.finishedAt >= backAt && run.effective === 'up',
    );
    if (up)
      recordFigure({ what: `${what} → ${name} up`, value: up.finishedAt - backAt, unit: 'ms' });
  }
  const ready = kubelet.decisionsOf('readiness', 'ready').find((d) => d.at >= backAt);
  if (ready) {
    recordFigure({ what: `${what} → kubelet Ready`, value: ready.at - backAt, unit: 'ms' });
  }
}

import { exampleApp, type RunningExampleApp } from '../helpers/example-app';
import { KubeletSimulator, type KubeletProbeSpec } from '../helpers/kubelet-simulator';
import { waitFor } from '../helpers/wait-for';

/** A tight liveness probe (milliseconds for seconds): a restart after about 1 s without answers. */
const LIVENESS: KubeletProbeSpec = {
  kind: 'liveness',
  path: '/health/live',
  periodMs: 200,
  timeoutMs: 300,
  failureThreshold: 3,
};

/** Longest time liveness can go unanswered without a restart: three probes and their timeouts. */
const LIVENESS_BUDGET_MS = LIVENESS.periodMs * (LIVENESS.failureThreshold - 1) + LIVENESS.timeoutMs;

/** Blocks this thread (the app's) for `ms`: a busy loop, as a runaway computation does. */
function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

// What a restart can cure must make liveness fail: an event loop blocked for longer than the
// liveness budget gets the restart decision it should. The kubelet runs in a worker thread, so
// it keeps probing (and timing out) while the app's thread is stuck. The HTTP adapter does not
// matter to a loop that runs nothing: Express only.
describe('on express, an event loop blocked longer than the liveness budget', () => {
  let app: RunningExampleApp;
  let kubelet: KubeletSimulator;

  beforeAll(async () => {
    app = await exampleApp('express').start();
    kubelet = await KubeletSimulator.start(await app.app.getUrl(), [
      LIVENESS,
      { ...LIVENESS, kind: 'readiness', path: '/health/ready', failureThreshold: 2 },
    ]);
  });

  afterAll(async () => {
    await kubelet?.stop();
    await app?.close();
  });

  it('is alive and Ready while the loop turns', async () => {
    await waitFor(() => expect(kubelet.isReady).toBe(true));
    expect(kubelet.decisionsOf('liveness')).toEqual([]);
  });

  it('rides out a pause shorter than the budget (a long GC): no restart', async () => {
    blockEventLoop(LIVENESS.timeoutMs);
    const after = Date.now();

    await waitFor(() => expect(kubelet.outcomesOf('liveness', after).length).toBeGreaterThan(3));
    expect(kubelet.decisionsOf('liveness')).toEqual([]);
  });

  it('makes the kubelet decide a restart, from probes that timed out', async () => {
    const blockedAt = Date.now();
    blockEventLoop(3 * LIVENESS_BUDGET_MS);

    await waitFor(() => expect(kubelet.decisionsOf('liveness', 'restart')).not.toHaveLength(0));
    const timedOut = kubelet
      .outcomesOf('liveness', blockedAt)
      .filter((outcome) => outcome.error === 'timeout');
    expect(timedOut.length).toBeGreaterThanOrEqual(LIVENESS.failureThreshold);
    expect(kubelet.decisionsOf('readiness', 'not-ready')).not.toHaveLength(0);
  });

  it('answers again once the loop is free', async () => {
    await app.get('/health/live').expect(200);
    await waitFor(() => expect(kubelet.isReady).toBe(true));
    expect(app.unhandledErrors).toEqual([]);
  });
});

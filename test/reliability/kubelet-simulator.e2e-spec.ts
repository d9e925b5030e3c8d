import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeletProbeState, KubeletSimulator } from '../helpers/kubelet-simulator';
import { waitFor } from '../helpers/wait-for';

// The simulator is the yardstick of the fault specs: it must apply the kubelet's rules exactly.

describe('KubeletProbeState, the kubelet prober rules', () => {
  const spec = { path: '/', periodMs: 1, timeoutMs: 1, failureThreshold: 3 } as const;

  it('readiness starts NotReady, is Ready after successThreshold successes in a row', () => {
    const state = new KubeletProbeState({ ...spec, kind: 'readiness', successThreshold: 2 });

    expect(state.isPassing).toBe(false);
    expect([true, false, true].map((ok) => state.observe(ok))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(state.observe(true)).toBe('ready');
  });

  it('readiness turns NotReady after failureThreshold failures in a row, not fewer', () => {
    const state = new KubeletProbeState({ ...spec, kind: 'readiness' });
    state.observe(true);

    expect([false, false, true, false, false].map((ok) => state.observe(ok))).toEqual(
      Array(5).fill(undefined),
    );
    expect(state.observe(false)).toBe('not-ready');
    expect(state.observe(false)).toBeUndefined();
  });

  it('liveness starts passing and decides a restart after failureThreshold failures', () => {
    const state = new KubeletProbeState({ ...spec, kind: 'liveness' });

    expect(state.isPassing).toBe(true);
    expect([false, false, false].map((ok) => state.observe(ok))).toEqual([
      undefined,
      undefined,
      'restart',
    ]);
  });

  it('startup is started by one success, restarted by failureThreshold failures', () => {
    const state = new KubeletProbeState({ ...spec, kind: 'startup' });

    expect([false, false, false].map((ok) => state.observe(ok))).toEqual([
      undefined,
      undefined,
      'restart',
    ]);
    expect(state.observe(true)).toBe('started');
  });
});

describe('KubeletSimulator against a server whose answer a spec sets', () => {
  let server: Server;
  let answer: number | 'hang' = 200;
  let baseUrl: string;
  let kubelet: KubeletSimulator | undefined;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (answer === 'hang') return;
      res.statusCode = answer;
      res.end('body');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await kubelet?.stop();
    kubelet = undefined;
    answer = 200;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const probes = [
    { kind: 'liveness', path: '/live', periodMs: 40, timeoutMs: 150, failureThreshold: 3 },
    {
      kind: 'readiness',
      path: '/ready',
      periodMs: 40,
      timeoutMs: 150,
      failureThreshold: 3,
      successThreshold: 2,
    },
  ] as const;

  it('counts 200 to 399 as success, 400 and above as failure', async () => {
    answer = 399;
    kubelet = await KubeletSimulator.start(baseUrl, probes);
    await waitFor(() => expect(kubelet!.isReady).toBe(true));

    answer = 400;
    await waitFor(() => expect(kubelet!.decisionsOf('readiness', 'not-ready')).toHaveLength(1));
    await waitFor(() => expect(kubelet!.decisionsOf('liveness', 'restart')).not.toHaveLength(0));
    expect(kubelet.outcomesOf('readiness').map((o) => o.statusCode)).toEqual(
      expect.arrayContaining([399, 400]),
    );
  });

  it('counts a probe with no answer within timeoutMs as a failure', async () => {
    kubelet = await KubeletSimulator.start(baseUrl, probes);
    await waitFor(() => expect(kubelet!.isReady).toBe(true));

    answer = 'hang';
    await waitFor(() => {
      expect(kubelet!.decisionsOf('liveness', 'restart')).not.toHaveLength(0);
      expect(kubelet!.decisionsOf('readiness', 'not-ready')).toHaveLength(1);
    });
    const timeouts = kubelet.outcomes.filter((o) => o.error === 'timeout');
    expect(timeouts.length).toBeGreaterThanOrEqual(6);
  });

  it('holds liveness and readiness back until the startup probe passes', async () => {
    answer = 503;
    kubelet = await KubeletSimulator.start(baseUrl, [
      { kind: 'startup', path: '/startup', periodMs: 40, timeoutMs: 150, failureThreshold: 100 },
      ...probes,
    ]);
    await waitFor(() => expect(kubelet!.outcomesOf('startup').length).toBeGreaterThan(2));
    expect(kubelet.outcomesOf('liveness')).toEqual([]);

    answer = 200;
    await waitFor(() => expect(kubelet!.isReady).toBe(true));
    expect(kubelet.decisionsOf('startup')).toEqual([
      expect.objectContaining({ decision: 'started' }),
    ]);
    expect(kubelet.decisionsOf('liveness')).toEqual([]);
  });
});

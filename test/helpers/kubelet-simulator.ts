import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

/** The kinds of probe the kubelet runs. */
export type KubeletProbeKind = 'liveness' | 'readiness' | 'startup';

/**
 * One probe as a Pod spec declares it, with milliseconds in place of seconds so that specs run
 * fast (the kubelet's own minimum is 1 s).
 */
export interface KubeletProbeSpec {
  readonly kind: KubeletProbeKind;
  /** `httpGet.path`, e.g. `/health/ready`. */
  readonly path: string;
  /** `periodSeconds`, in milliseconds: a probe starts at every tick of this period. */
  readonly periodMs: number;
  /** `timeoutSeconds`, in milliseconds: a probe with no answer by then is a failure. */
  readonly timeoutMs: number;
  /** `failureThreshold`: consecutive failures before a restart (liveness, startup) or NotReady. */
  readonly failureThreshold: number;
  /** `successThreshold`: consecutive successes before Ready; 1 for liveness and startup. @default 1 */
  readonly successThreshold?: number;
}

/** What one probe saw. */
export interface KubeletProbeOutcome {
  readonly kind: KubeletProbeKind;
  /** When the probe started, in epoch milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** 200–399 is a success; any other status, a timeout or a connection error is a failure. */
  readonly success: boolean;
  readonly statusCode?: number;
  /** `timeout`, or the connection error's code, when there was no status. */
  readonly error?: string;
}

/** A decision the kubelet takes from its probes. */
export type KubeletDecisionKind = 'restart' | 'not-ready' | 'ready' | 'started';

/** One decision, with when it was taken. */
export interface KubeletDecision {
  readonly kind: KubeletProbeKind;
  readonly decision: KubeletDecisionKind;
  /** Epoch milliseconds of the end of the probe that decided it. */
  readonly at: number;
}

/**
 * How the kubelet turns probe results into decisions (its prober worker): consecutive results
 * count, and a result only matters once `failureThreshold` failures or `successThreshold`
 * successes are in a row.
 *
 * - liveness starts as passing; `failureThreshold` failures → `restart` (the restarted container
 *   is probed afresh);
 * - readiness starts as NotReady; `successThreshold` successes → `ready`, then
 *   `failureThreshold` failures → `not-ready`;
 * - startup: a success → `started` (and it stops); `failureThreshold` failures → `restart`.
 */
export class KubeletProbeState {
  private failures = 0;
  private successes = 0;
  private passing: boolean;

  constructor(private readonly spec: KubeletProbeSpec) {
    this.passing = spec.kind === 'liveness';
  }

  /** Whether the probe passes now (alive, Ready, or started). */
  get isPassing(): boolean {
    return this.passing;
  }

  /** Counts one result; returns the decision it completes, if any. */
  observe(success: boolean): KubeletDecisionKind | undefined {
    if (success) {
      this.successes += 1;
      this.failures = 0;
    } else {
      this.failures += 1;
      this.successes = 0;
    }
    const { kind, failureThreshold, successThreshold = 1 } = this.spec;
    if (kind === 'readiness') {
      if (!this.passing && this.successes >= successThreshold) {
        this.passing = true;
        return 'ready';
      }
      if (this.passing && this.failures >= failureThreshold) {
        this.passing = false;
        return 'not-ready';
      }
      return undefined;
    }
    if (kind === 'startup' && success && !this.passing) {
      this.passing = true;
      return 'started';
    }
    if (this.failures >= failureThreshold) {
      this.failures = 0;
      return 'restart';
    }
    return undefined;
  }
}

type WorkerMessage =
  | { readonly type: 'outcome'; readonly outcome: KubeletProbeOutcome }
  | { readonly type: 'decision'; readonly decision: KubeletDecision };

/**
 * A kubelet that probes an app as Kubernetes does (HTTP GET, `User-Agent: kube-probe`, a new
 * connection per probe, status 200–399 passes, a timeout fails) and records each probe and each
 * decision: "would restart" (liveness, startup) and NotReady / Ready (readiness). A startup probe,
 * when given, holds the others back until it passes.
 *
 * It runs in a worker thread with its own event loop, so that it keeps its period and its
 * timeouts while the spec's thread — where an app under test may run — is blocked.
 */
export class KubeletSimulator {
  /** Every probe's outcome, in the order they arrived. */
  readonly outcomes: KubeletProbeOutcome[] = [];
  /** Every decision, in the order they were taken. */
  readonly decisions: KubeletDecision[] = [];

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'outcome') this.outcomes.push(message.outcome);
      else this.decisions.push(message.decision);
    });
  }

  /**
   * Starts probing `baseUrl` (e.g. `http://127.0.0.1:3000`) with `probes`.
   *
   * @returns once the worker runs.
   */
  static async start(
    baseUrl: string,
    probes: readonly KubeletProbeSpec[],
  ): Promise<KubeletSimulator> {
    const worker = new Worker(join(__dirname, 'kubelet-worker.cjs'), {
      workerData: { baseUrl, probes },
    });
    await new Promise<void>((resolve, reject) => {
      worker.once('online', resolve);
      worker.once('error', reject);
    });
    return new KubeletSimulator(worker);
  }

  /** The decisions of one probe, or only those of one kind. */
  decisionsOf(kind: KubeletProbeKind, decision?: KubeletDecisionKind): KubeletDecision[] {
    return this.decisions.filter(
      (d) => d.kind === kind && (decision === undefined || d.decision === decision),
    );
  }

  /** The outcomes of one probe since `since` (epoch milliseconds, by start time). */
  outcomesOf(kind: KubeletProbeKind, since = 0): KubeletProbeOutcome[] {
    return this.outcomes.filter((o) => o.kind === kind && o.startedAt >= since);
  }

  /** Whether readiness is Ready after the last decision. */
  get isReady(): boolean {
    const last = this.decisionsOf('readiness').at(-1);
    return last?.decision === 'ready';
  }

  /** Stops probing. */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

/** A probe's period ticks from `origin`: the next tick at or after `now`. */
function nextTick(origin: number, periodMs: number, now: number): number {
  return origin + Math.ceil((now - origin) / periodMs) * periodMs;
}

/** One HTTP GET as the kubelet's prober sends it. */
function probeOnce(baseUrl: string, spec: KubeletProbeSpec): Promise<KubeletProbeOutcome> {
  const startedAt = Date.now();
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: Omit<KubeletProbeOutcome, 'kind' | 'startedAt' | 'durationMs'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      resolve({ kind: spec.kind, startedAt, durationMs, ...outcome });
    };
    const req = request(
      new URL(spec.path, baseUrl),
      { agent: false, headers: { 'User-Agent': 'kube-probe/1.33', Accept: '*/*' } },
      (res) => {
        const statusCode = res.statusCode ?? 0;
        res.resume(); // the body is read and dropped, as the kubelet keeps only its start
        res.on('end', () => finish({ success: statusCode >= 200 && statusCode < 400, statusCode }));
        res.on('error', () => finish({ success: false, statusCode, error: 'aborted' }));
      },
    );
    const timer = setTimeout(() => finish({ success: false, error: 'timeout' }), spec.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) =>
      finish({ success: false, error: error.code ?? error.message }),
    );
    req.end();
  });
}

/** The worker's loop: one prober per probe, each on its own ticks. */
function runKubeletWorker(): void {
  const { baseUrl, probes } = workerData as {
    baseUrl: string;
    probes: readonly KubeletProbeSpec[];
  };
  const port = parentPort!;
  const startup = probes.find((p) => p.kind === 'startup');
  let started = startup === undefined;
  const others: Array<() => void> = [];

  const prober = (spec: KubeletProbeSpec): (() => void) => {
    const state = new KubeletProbeState(spec);
    let origin = 0;
    const loop = async (): Promise<void> => {
      const outcome = await probeOnce(baseUrl, spec);
      port.postMessage({ type: 'outcome', outcome } satisfies WorkerMessage);
      const decision = state.observe(outcome.success);
      if (decision) {
        const at = Date.now();
        port.postMessage({
          type: 'decision',
          decision: { kind: spec.kind, decision, at },
        } satisfies WorkerMessage);
      }
      if (decision === 'started') {
        started = true;
        for (const start of others.splice(0)) start();
        return;
      }
      const now = Date.now();
      setTimeout(() => void loop(), nextTick(origin, spec.periodMs, now + 1) - now);
    };
    return () => {
      origin = Date.now();
      void loop();
    };
  };

  for (const spec of probes) {
    const start = prober(spec);
    if (spec.kind === 'startup' || started) start();
    else others.push(start);
  }
}

if (!isMainThread && (workerData as { probes?: unknown } | null)?.probes) runKubeletWorker();

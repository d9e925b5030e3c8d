import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import type { ExampleEnv } from '../../apps/example/src/example-config';

const ROOT = join(__dirname, '../..');

/** What the soak target measures about itself, after a forced GC. */
export interface SoakMeasurement {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** `process.getActiveResourcesInfo()`, counted by type (sockets, timers, …). */
  readonly handles: Readonly<Record<string, number>>;
  /** Listeners on the process and the HTTP server, by `owner:event`. */
  readonly listeners: Readonly<Record<string, number>>;
  /** Health streams open now. */
  readonly streamSubscribers: number;
  /** Observers of the health state store's subjects. */
  readonly storeObservers: number;
  /** HTTP connections open on the server. */
  readonly connections: number;
  /** Whether the process could force a GC (`--expose-gc`). */
  readonly gcExposed: boolean;
}

/** Messages between the driver and the target. @internal */
export type SoakMessage =
  | { readonly type: 'listening'; readonly url: string }
  | { readonly type: 'measure' }
  | { readonly type: 'measurement'; readonly measurement: SoakMeasurement }
  | { readonly type: 'stop' };

/** The sum of a count table. */
export function total(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

/**
 * The example app in a process of its own (`--expose-gc`), so that its memory and handles are
 * its own, not the driver's.
 */
export class SoakTarget {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    /** The app's base URL. */
    readonly url: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /** Starts the example app with `env` and waits until it listens. */
  static async start(env: ExampleEnv): Promise<SoakTarget> {
    const child = fork(join(ROOT, 'test/helpers/soak-target.ts'), [], {
      cwd: ROOT,
      execArgv: ['--expose-gc', '--require', join(ROOT, 'test/helpers/register-typescript.cjs')],
      env: { PATH: process.env.PATH, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const listening = new Promise<string>((resolve, reject) => {
      child.on('message', (message: SoakMessage) => {
        if (message.type === 'listening') resolve(message.url);
      });
      child.once('exit', (code) => reject(new Error(`soak target exited with ${code}: ${output}`)));
    });
    return new SoakTarget(child, await listening);
  }

  /** Everything the target wrote. */
  get logs(): string {
    return this.output;
  }

  /** Forces a GC in the target and reads its memory, handles, listeners and subscribers. */
  async measure(): Promise<SoakMeasurement> {
    const answer = new Promise<SoakMeasurement>((resolve) => {
      const onMessage = (message: SoakMessage) => {
        if (message.type !== 'measurement') return;
        this.child.off('message', onMessage);
        resolve(message.measurement);
      };
      this.child.on('message', onMessage);
    });
    this.child.send({ type: 'measure' } satisfies SoakMessage);
    return answer;
  }

  /** Closes the app and waits for the process to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'stop' } satisfies SoakMessage);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** What a burst of probes got. */
export interface ProbeLoadResult {
  readonly requests: number;
  /** Answers by status code. */
  readonly statuses: Readonly<Record<number, number>>;
  /** Requests that got no answer (a connection error). */
  readonly errors: number;
  readonly requestsPerSecond: number;
}

/**
 * Sends `amount` GETs to `url`, cycling through `paths`, over `connections` keep-alive
 * connections, each waiting for its answer before the next request (as probes and scrapers
 * do). Every body is read in full.
 */
export async function probeLoad(
  url: string,
  paths: readonly string[],
  amount: number,
  connections = 16,
): Promise<ProbeLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const statuses: Record<number, number> = {};
  let sent = 0;
  let errors = 0;
  const one = (path: string) =>
    new Promise<void>((resolve) => {
      const req = request(`${url}${path}`, { agent }, (res) => {
        statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
        res.resume();
        res.on('end', resolve);
        res.on('error', () => resolve());
      });
      req.on('error', () => {
        errors += 1;
        resolve();
      });
      req.end();
    });
  const lane = async () => {
    while (sent < amount) {
      const path = paths[sent % paths.length];
      sent += 1;
      await one(path);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, lane));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests: sent, statuses, errors, requestsPerSecond: Math.round(sent / seconds) };
}

/**
 * Opens `/health/stream` `cycles` times, `concurrency` at a time; each client reads the first
 * snapshot event and disconnects.
 *
 * @returns how many cycles did not get their snapshot.
 */
export async function streamCycles(url: string, cycles: number, concurrency = 20): Promise<number> {
  let started = 0;
  let failed = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = request(`${url}/health/stream`, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (/^data: .*\n\n/m.test(body)) res.destroy();
        });
        res.on('close', () => {
          if (!body.includes('event: snapshot')) failed += 1;
          resolve();
        });
      });
      req.on('error', () => {
        failed += 1;
        resolve();
      });
      req.end();
    });
  const lane = async () => {
    while (started < cycles) {
      started += 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return failed;
}

/** The paths a soak probes: every probe, per-check and group route, the aliases, the details. */
export const SOAK_PATHS = [
  '/health/live',
  '/health/ready',
  '/health/startup',
  '/health/ready/database',
  '/health/group/readiness',
  '/livez',
  '/readyz',
  '/health/ready?verbose',
  '/health',
] as const;

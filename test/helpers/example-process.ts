import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { ExampleEnv } from '../../apps/example/src/example-config';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '../..');

/**
 * The example app's `main.ts` running in a child process, from its TypeScript sources: what
 * `npm run example` starts, with the environment a spec gives it.
 */
export class ExampleProcess {
  private output = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /**
   * Starts `main.ts` with `env` (and nothing of the spec's own environment but `PATH`).
   *
   * @param entry - the entry script, from the repository's root: the example app's by default,
   *   `apps/worker/src/main.ts` for the worker.
   */
  static start(env: ExampleEnv, entry = 'apps/example/src/main.ts'): ExampleProcess {
    const child = spawn(
      process.execPath,
      ['--require', './test/helpers/register-typescript.cjs', entry],
      { cwd: ROOT, env: { PATH: process.env.PATH, NO_COLOR: '1', ...env } },
    );
    return new ExampleProcess(child);
  }

  /** Everything the process wrote to stdout and stderr so far. */
  get logs(): string {
    return this.output;
  }

  /** Waits for the "Listening on <url>" line; returns the URL. */
  async url(timeoutMs = 20_000): Promise<string> {
    return waitFor(
      () => {
        if (this.child.exitCode !== null) {
          throw new Error(`main.ts exited with ${this.child.exitCode}:\n${this.output}`);
        }
        const match = /Listening on (http:\/\/\S+)/.exec(this.output);
        expect(match).not.toBeNull();
        return match![1];
      },
      { timeoutMs, intervalMs: 50 },
    );
  }

  /** The process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the process has ended. */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /**
   * Sends `signal` without waiting for anything: `SIGSTOP` freezes the process (a hung pod: its
   * sockets stay open, nothing answers), `SIGCONT` lets it go on.
   */
  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  /**
   * Sends `signal` and waits for the process to end.
   *
   * @returns how it ended and how long that took, in milliseconds.
   */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const started = Date.now();
    if (!this.exited) {
      const exited = once(this.child, 'exit');
      this.child.kill(signal);
      await exited;
    }
    return { code: this.child.exitCode, signal: this.child.signalCode, ms: Date.now() - started };
  }
}

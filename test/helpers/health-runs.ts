import type { INestApplication } from '@nestjs/common';
import { HealthStateStore, type HealthStatus } from 'nest-health';
// The runner is internal: a spec reaches it to see every call of a check, settled or not.
import { HealthCheckRunner } from 'nest-health/engine/health-check.runner';

/** One result the engine recorded for an indicator. */
export interface RecordedRun {
  readonly name: string;
  /** Status of this run (before thresholds). */
  readonly status: HealthStatus;
  readonly message?: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** Epoch milliseconds: when the run started (its end less its duration). */
  readonly startedAt: number;
  /** Epoch milliseconds: when the run ended. */
  readonly finishedAt: number;
  /**
   * The run was not started because the check's previous call has not settled (the engine
   * records it as timed out instead of calling the check again).
   */
  readonly skipped: boolean;
  /** The indicator's effective status after this run. */
  readonly effective: string;
}

const SKIPPED = 'the previous run has not finished yet';

/**
 * Watches an app's health engine: every result it records (with when the run started), and how
 * many calls of each check are in flight at once (a call is in flight until the check's own
 * promise settles, which may be after its deadline).
 */
export class HealthRunLog {
  /** Every recorded result, in order. */
  readonly runs: RecordedRun[] = [];
  private readonly inFlight = new Map<string, number>();
  private readonly peaks = new Map<string, number>();
  private readonly restore: Array<() => void> = [];

  private constructor(app: INestApplication) {
    const store = app.get(HealthStateStore);
    const record = store.record.bind(store);
    const recordSpy = jest.spyOn(store, 'record').mockImplementation((name, result) => {
      record(name, result);
      this.runs.push({
        name,
        status: result.status,
        message: result.message,
        timedOut: result.timedOut,
        durationMs: result.durationMs,
        startedAt: result.finishedAt - result.durationMs,
        finishedAt: result.finishedAt,
        skipped: result.message?.includes(SKIPPED) ?? false,
        effective: store.indicator(name)?.status ?? 'untracked',
      });
    });
    const runner = app.get(HealthCheckRunner, { strict: false });
    const run = runner.run.bind(runner);
    const runSpy = jest.spyOn(runner, 'run').mockImplementation((definition, stopSignal) => {
      const { name } = definition;
      const now = (this.inFlight.get(name) ?? 0) + 1;
      this.inFlight.set(name, now);
      this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, now));
      const started = run(definition, stopSignal);
      void started.settled.then(() => this.inFlight.set(name, this.inFlight.get(name)! - 1));
      return started;
    });
    this.restore.push(
      () => recordSpy.mockRestore(),
      () => runSpy.mockRestore(),
    );
  }

  /** Starts watching `app` (a started example app's Nest application). */
  static watch(app: INestApplication): HealthRunLog {
    return new HealthRunLog(app);
  }

  /** The results of `name` whose run started at or after `since` (epoch milliseconds). */
  of(name: string, since = 0): RecordedRun[] {
    return this.runs.filter((run) => run.name === name && run.startedAt >= since);
  }

  /** The first run of `name` the engine started (not skipped) at or after `since`. */
  firstStartedAfter(name: string, since: number): RecordedRun | undefined {
    return this.of(name, since).find((run) => !run.skipped);
  }

  /** The most calls of `name`'s check in flight at once since watching began. */
  peakInFlight(name: string): number {
    return this.peaks.get(name) ?? 0;
  }

  /** Stops watching. */
  stop(): void {
    for (const restore of this.restore.splice(0)) restore();
  }
}

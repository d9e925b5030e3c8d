import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthStateStore } from '../engine/health-state.store';
import type { HealthChangeEvent, HealthRunEvent } from '../engine/health-state.types';
import { redactSecrets } from '../engine/sanitize';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { HealthLogger } from './health-logger';

/** What the logger remembers of one indicator between its runs. */
interface Track {
  /** When the last transition or reminder line of the indicator was logged (epoch ms). */
  lineAt: number;
  /** Runs while down or degraded since that line. */
  runsSinceLine: number;
  /** Whether the indicator's runs are slow now (a slow-check warning was logged). */
  slow: boolean;
  /** When the last slow-check warning was logged (epoch ms). */
  slowWarnedAt: number;
  /** Slow runs since that warning, and the slowest of them (ms). */
  slowRunsSince: number;
  slowestMs: number;
}

/**
 * Logs what an operator needs to know, and nothing on every run (Terminus logged every failing
 * probe, and its users asked for a way to silence it):
 *
 * - each effective transition once: a warning when an indicator or group gets worse (down or
 *   degraded), a log line when it recovers, with the message and the check's duration;
 * - a reminder while an indicator stays down or degraded, at most once per
 *   `reminderIntervalMs` after its last line, with the runs since;
 * - a warning when a run takes longer than `slowCheckMs` (timeouts excepted: they are
 *   failures), then at most one per `reminderIntervalMs` while its runs stay slow.
 *
 * Messages were redacted when recorded; the logger redacts them again as it writes them (it
 * costs little: no line per run), and only them: a line's names and statuses are the module's
 * own and stay as they are (`data-secrets: unknown → down`, not `data-secrets: *** → down`).
 *
 * Lines go through {@link HealthLogger} (the `logger` option), context `HealthModule`; times
 * come from the runs' own end times, so no timer of its own runs.
 *
 * @internal
 */
@Injectable()
export class HealthTransitionLogger implements OnModuleInit, OnApplicationShutdown {
  private readonly subscription = new Subscription();
  private readonly tracks = new Map<string, Track>();

  constructor(
    private readonly state: HealthStateStore,
    private readonly registry: HealthRegistry,
    private readonly logger: HealthLogger,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {}

  onModuleInit(): void {
    if (!this.logger.enabled) return;
    this.subscription.add(this.state.results.subscribe((run) => this.guard(() => this.run(run))));
    this.subscription.add(
      this.state.changes.subscribe((change) => this.guard(() => this.change(change))),
    );
    this.subscription.add(
      this.registry.events.subscribe((event) => {
        if (event.type === 'removed') this.tracks.delete(event.definition.name);
      }),
    );
  }

  /**
   * Stops logging. Not earlier (`onModuleDestroy`): the shutdown's own transitions (readiness
   * down, `shutting_down`) and those during the shutdown delay are logged too.
   */
  onApplicationShutdown(): void {
    this.subscription.unsubscribe();
  }

  private change(change: HealthChangeEvent): void {
    const subject = change.type === 'group' ? `group ${change.name}` : change.name;
    let line = `${subject}: ${change.previous} → ${change.current}`;
    if (change.type === 'indicator') {
      const took = change.durationMs === null ? null : `check took ${change.durationMs} ms`;
      const message = change.message === null ? null : redactSecrets(change.message);
      const details = [message, took].filter(Boolean).join('; ');
      if (details) line += ` (${details})`;
      const track = this.track(change.name);
      track.lineAt = Date.parse(change.since);
      track.runsSinceLine = 0;
    } else if (change.reason) {
      line += ` (${change.reason})`;
    }
    if (change.current === 'down' || change.current === 'degraded') this.logger.warn(line);
    else this.logger.log(line);
  }

  private run(run: HealthRunEvent): void {
    const at = Date.parse(run.finishedAt);
    const track = this.track(run.name);
    const { status, since } = run.state;
    const { reminderIntervalMs, slowCheckMs } = this.options;
    if (status === 'down' || status === 'degraded') {
      track.runsSinceLine += 1;
      const last = Math.max(track.lineAt, Date.parse(since));
      if (reminderIntervalMs > 0 && at - last >= reminderIntervalMs) {
        const runs = `${track.runsSinceLine} ${plural(track.runsSinceLine, 'run')} since the last line`;
        const message = run.message ? `; last: ${redactSecrets(run.message)}` : '';
        this.logger.warn(
          `${run.name}: still ${status} since ${since} (${formatSpan(at - Date.parse(since))}; ${runs}${message})`,
        );
        track.lineAt = at;
        track.runsSinceLine = 0;
      }
    }
    if (slowCheckMs === 0 || run.timedOut) return;
    if (run.durationMs <= slowCheckMs) {
      track.slow = false;
      return;
    }
    track.slowRunsSince += 1;
    track.slowestMs = Math.max(track.slowestMs, run.durationMs);
    if (!track.slow) {
      this.logger.warn(
        `${run.name}: check took ${run.durationMs} ms, over slowCheckMs (${slowCheckMs} ms)`,
      );
    } else if (reminderIntervalMs > 0 && at - track.slowWarnedAt >= reminderIntervalMs) {
      const runs = `${track.slowRunsSince} ${plural(track.slowRunsSince, 'run')}`;
      this.logger.warn(
        `${run.name}: checks still slow: ${runs} over slowCheckMs (${slowCheckMs} ms) since the last warning, the slowest ${track.slowestMs} ms`,
      );
    } else {
      return;
    }
    track.slow = true;
    track.slowWarnedAt = at;
    track.slowRunsSince = 0;
    track.slowestMs = 0;
  }

  private track(name: string): Track {
    let track = this.tracks.get(name);
    if (!track) {
      track = {
        lineAt: 0,
        runsSinceLine: 0,
        slow: false,
        slowWarnedAt: 0,
        slowRunsSince: 0,
        slowestMs: 0,
      };
      this.tracks.set(name, track);
    }
    return track;
  }

  /** A logger that throws must not reach rxjs, which would rethrow it as an uncaught error. */
  private guard(log: () => void): void {
    try {
      log();
    } catch {
      // The logger itself failed: there is nowhere left to say so.
    }
  }
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}

/** `45 s`, `5 min 2 s`, `3 h 7 min`, `2 d 4 h`. @internal */
export function formatSpan(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const [d, h, m, s] = [
    Math.floor(seconds / 86_400),
    Math.floor(seconds / 3_600) % 24,
    Math.floor(seconds / 60) % 60,
    seconds % 60,
  ];
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthStateStore } from '../engine/health-state.store';
import type { GroupChangeEvent, HealthRunEvent } from '../engine/health-state.types';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import type { ResolvedHistoryOptions } from './health-history.options';
import {
  HEALTH_HISTORY_WINDOWS,
  type HealthCheckHistorySummary,
  type HealthGroupHistoryBody,
  type HealthHistoryBody,
  type HealthHistoryWindow,
  type HealthIndicatorHistoryBody,
  type HealthSubjectHistory,
  type HealthUptimeWindows,
} from './health-history.types';
import { HistorySeries } from './history-series';

/** The length of each window, in milliseconds. */
export const HISTORY_WINDOW_MS: Readonly<Record<HealthHistoryWindow, number>> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
};

/**
 * The history of every indicator and group (the `history` option, on by default): a reader of
 * the state store — each recorded run (`results`) and each group transition (`changes`) — that
 * never runs a check nor changes a probe's answer. It keeps, in memory and bounded, the last
 * `history.maxTransitions` transitions and `ceil(retentionMs / bucketMs)` time buckets per
 * indicator and group (see {@link HealthHistoryOptions}), and derives uptime, mean time to
 * recovery, `lastUp` / `lastDown` and the current streak.
 *
 * Memory per indicator at the defaults (1,440 one-minute buckets, 100 transitions): 47,520
 * bytes of buckets and 11,900 of transitions (messages included, at most 100 bytes each), all in
 * typed arrays sized when the indicator is first seen: 59,484 bytes; 61 KB per indicator on
 * the heap with the objects around them, measured over 1,000 indicators after a simulated day
 * (`npm run bench:history-memory`). A group needs 30.7 KB.
 * Memory does not grow with the number of runs: only the open bucket's latency samples do (4
 * bytes per run, from 64 bytes to at most 8 KB).
 *
 * Uptime is the share of the observed time in a window spent `up` (and, apart, `up` or
 * `degraded`): the time before an indicator's first result is not observed, so it is left out
 * rather than counted as down. Windows are whole buckets: the open bucket and those before it
 * (with one-minute buckets, the last hour is the current minute so far and the 59 before it).
 * A group is observed from the module's start (its status is defined from then on).
 *
 * Inject it to read the history in code:
 * @example
 * ```ts
 * import { Injectable } from '@nestjs/common';
 * import { HealthHistory } from 'nest-health';
 *
 * @Injectable()
 * export class StatusReport {
 *   constructor(private readonly history: HealthHistory) {}
 *
 *   databaseUptime(): number | null {
 *     return this.history.indicator('database', '24h')?.uptime?.['24h'].up ?? null;
 *   }
 * }
 * ```
 */
@Injectable()
export class HealthHistory implements OnModuleInit, OnApplicationShutdown {
  private readonly options: ResolvedHistoryOptions | undefined;
  private readonly indicatorSeries = new Map<string, HistorySeries>();
  private readonly groupSeries = new Map<string, HistorySeries>();
  private readonly subscription = new Subscription();

  /** Created by Nest's injector; inject the instance rather than constructing one. @internal */
  constructor(
    private readonly state: HealthStateStore,
    private readonly registry: HealthRegistry,
    @Inject(HEALTH_RESOLVED_OPTIONS) options: ResolvedHealthModuleOptions,
  ) {
    this.options = options.history;
  }

  /** Whether the history is kept (`history` is not `false`). */
  get enabled(): boolean {
    return this.options !== undefined;
  }

  /** Starts following the state store, when history is on. */
  onModuleInit(): void {
    if (!this.options) return;
    this.subscription.add(this.state.results.subscribe((run) => this.recordRun(run)));
    this.subscription.add(
      this.state.changes.subscribe((change) => {
        if (change.type === 'group') this.recordGroup(change);
      }),
    );
    this.subscription.add(
      this.registry.events.subscribe((event) => {
        const name = event.definition.name;
        this.indicatorSeries.delete(name);
        if (event.type === 'added') this.follow(name, Date.now());
      }),
    );
    this.sync(Date.now());
  }

  /** Stops following the state store. */
  onApplicationShutdown(): void {
    this.subscription.unsubscribe();
  }

  /**
   * The history of every indicator and group over `window`; with `admitted: false`, each one's
   * `status` and `streak` only (see {@link HealthHistoryBody.details}). `undefined` when history
   * is off.
   */
  all(window: HealthHistoryWindow = '1h', admitted = true): HealthHistoryBody | undefined {
    if (!this.options) return undefined;
    const now = Date.now();
    this.sync(now);
    const indicators: Record<string, HealthSubjectHistory> = {};
    for (const [name, series] of this.indicatorSeries) {
      indicators[name] = subjectOf(series, now, window, admitted);
    }
    const groups: Record<string, HealthSubjectHistory> = {};
    for (const [name, series] of this.groupSeries) {
      groups[name] = subjectOf(series, now, window, admitted);
    }
    return {
      timestamp: new Date(now).toISOString(),
      window,
      details: admitted ? 'full' : 'withheld',
      indicators,
      groups,
    };
  }

  /**
   * The history of one indicator over `window`, or `undefined` when no indicator has that name
   * (or history is off).
   */
  indicator(
    name: string,
    window: HealthHistoryWindow = '1h',
    admitted = true,
  ): HealthIndicatorHistoryBody | undefined {
    return this.subject(this.indicatorSeries, name, window, admitted);
  }

  /** Whether the history follows an indicator of that name (`false` when history is off). */
  has(name: string): boolean {
    return this.follows(this.indicatorSeries, name);
  }

  /**
   * The history of one group over `window` (its transitions carry no message, its buckets no
   * runs, failures nor latency), or `undefined` when the store has no group of that name (or
   * history is off); with `admitted: false`, its `status` and `streak` only.
   */
  group(
    name: string,
    window: HealthHistoryWindow = '1h',
    admitted = true,
  ): HealthGroupHistoryBody | undefined {
    return this.subject(this.groupSeries, name, window, admitted);
  }

  /** Whether the history follows a group of that name (`false` when history is off). */
  hasGroup(name: string): boolean {
    return this.follows(this.groupSeries, name);
  }

  /**
   * Uptime over 1 h and 24 h, `lastUp` and `lastDown` of one indicator, for `GET /<path>`; or
   * `undefined` (history off, or no such indicator followed).
   */
  summary(name: string, now = Date.now()): HealthCheckHistorySummary | undefined {
    const series = this.indicatorSeries.get(name);
    if (!series) return undefined;
    const lastUp = series.lastSeen(now, 'up');
    const lastDown = series.lastSeen(now, 'down');
    return {
      uptime: uptimeOf(series, now),
      lastUp: lastUp === null ? null : new Date(lastUp).toISOString(),
      lastDown: lastDown === null ? null : new Date(lastDown).toISOString(),
    };
  }

  /**
   * Bytes of the typed arrays holding the history of one indicator or group (buckets,
   * transitions, the open bucket's samples), or `undefined`. For specs and benchmarks.
   *
   * @internal
   */
  arrayBytes(kind: 'indicator' | 'group', name: string): number | undefined {
    return (kind === 'indicator' ? this.indicatorSeries : this.groupSeries).get(name)?.arrayBytes;
  }

  /** The history of one indicator or group in `series`, as {@link indicator} and {@link group}. */
  private subject(
    series: ReadonlyMap<string, HistorySeries>,
    name: string,
    window: HealthHistoryWindow,
    admitted: boolean,
  ): (HealthIndicatorHistoryBody & HealthGroupHistoryBody) | undefined {
    if (!this.options) return undefined;
    const now = Date.now();
    this.sync(now);
    const found = series.get(name);
    if (!found) return undefined;
    return {
      name,
      timestamp: new Date(now).toISOString(),
      window,
      details: admitted ? 'full' : 'withheld',
      ...subjectOf(found, now, window, admitted),
    };
  }

  /** Whether `series` holds `name`, as {@link has} and {@link hasGroup}. */
  private follows(series: ReadonlyMap<string, HistorySeries>, name: string): boolean {
    if (!this.options) return false;
    this.sync(Date.now());
    return series.has(name);
  }

  private recordRun(run: HealthRunEvent): void {
    const at = Date.parse(run.finishedAt);
    const series = this.indicatorSeries.get(run.name) ?? this.follow(run.name, at);
    series?.recordRun(at, run.status, run.durationMs, run.state.status, run.state.message);
  }

  private recordGroup(change: GroupChangeEvent): void {
    const at = Date.parse(change.since);
    let series = this.groupSeries.get(change.name);
    if (!series) {
      series = new HistorySeries(this.options!, 'group', change.previous, at, at);
      this.groupSeries.set(change.name, series);
    }
    series.recordStatus(at, change.current);
  }

  /** Starts following an indicator the store tracks, from its state now. */
  private follow(name: string, now: number): HistorySeries | undefined {
    const state = this.state.indicator(name);
    if (!state || !this.options) return undefined;
    const series = new HistorySeries(
      this.options,
      'indicator',
      state.status,
      Date.parse(state.since),
      now,
    );
    this.indicatorSeries.set(name, series);
    return series;
  }

  /** Follows the indicators and groups the store has, and forgets those it no longer has. */
  private sync(now: number): void {
    for (const name of this.indicatorSeries.keys()) {
      if (!this.state.indicator(name)) this.indicatorSeries.delete(name);
    }
    for (const name of Object.keys(this.state.snapshot().checks)) {
      if (!this.indicatorSeries.has(name)) this.follow(name, now);
    }
    const groups = new Set(this.state.groupNames());
    for (const name of this.groupSeries.keys()) {
      if (!groups.has(name)) this.groupSeries.delete(name);
    }
    for (const name of groups) {
      const group = this.state.group(name);
      if (!group || this.groupSeries.has(name)) continue;
      this.groupSeries.set(
        name,
        new HistorySeries(this.options!, 'group', group.status, Date.parse(group.since), now),
      );
    }
  }
}

function uptimeOf(series: HistorySeries, now: number): HealthUptimeWindows {
  return Object.fromEntries(
    HEALTH_HISTORY_WINDOWS.map((window) => [window, series.uptime(now, HISTORY_WINDOW_MS[window])]),
  ) as unknown as HealthUptimeWindows;
}

function subjectOf(
  series: HistorySeries,
  now: number,
  window: HealthHistoryWindow,
  admitted: boolean,
): HealthSubjectHistory {
  const streak = series.streak(now);
  const shownStreak = {
    status: streak.status,
    since: new Date(streak.since).toISOString(),
    durationMs: streak.durationMs,
  };
  if (!admitted) return { status: streak.status, streak: shownStreak };
  const windowMs = HISTORY_WINDOW_MS[window];
  const lastUp = series.lastSeen(now, 'up');
  const lastDown = series.lastSeen(now, 'down');
  return {
    status: streak.status,
    streak: shownStreak,
    uptime: uptimeOf(series, now),
    lastUp: lastUp === null ? null : new Date(lastUp).toISOString(),
    lastDown: lastDown === null ? null : new Date(lastDown).toISOString(),
    ...series.recovery(now, windowMs),
    transitions: series.transitions(now - windowMs, true),
    buckets: series.buckets(now, windowMs),
  };
}

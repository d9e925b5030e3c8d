import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { HealthStatus } from '../check';
import type { HealthIndicatorDefinition } from '../discovery/health-indicator.definition';
import {
  aggregateGroup,
  applyHysteresis,
  BUILT_IN_GROUPS,
  READINESS,
  STARTUP,
  worst,
} from './aggregation';
import type { HealthRunResult } from './health-check.runner';
import type {
  GroupReason,
  GroupState,
  HealthChangeEvent,
  HealthRunEvent,
  HealthSnapshot,
  IndicatorState,
} from './health-state.types';

interface Tracked {
  readonly definition: HealthIndicatorDefinition;
  state: IndicatorState;
  /**
   * Set while an indicator registered after bootstrap waits for its first result: it is not
   * counted in its groups yet. Fires after its `timeoutMs`, when it joins them even without one.
   */
  joinTimer?: NodeJS.Timeout;
}

/**
 * The state of every indicator and group, kept current by the scheduler. Probes and the
 * detailed endpoint read it; they never run checks. Group states are recomputed only when an
 * indicator's effective status changes, so a read costs a map lookup.
 *
 * An indicator tracked after bootstrap (a run-time `HealthRegistry.register()`) joins its
 * groups' aggregation at its first result, or after its `timeoutMs` if it has none by then
 * (then it counts as `unknown` does), whichever comes first: adding a check does not turn
 * readiness down while the check runs for the first time. Before bootstrap every indicator
 * counts at once (`unknown` fails readiness closed until the first results).
 *
 * `changes` emits every effective transition of an indicator, then of each group it moved;
 * `results` emits every recorded run (before the transitions it causes).
 */
@Injectable()
export class HealthStateStore implements OnApplicationShutdown {
  private readonly indicators = new Map<string, Tracked>();
  private readonly groupStates = new Map<string, GroupState>();
  private readonly changes$ = new Subject<HealthChangeEvent>();
  private readonly results$ = new Subject<HealthRunEvent>();
  private bootstrapped = false;
  private startupLatched = false;
  private shuttingDown = false;

  /** Every effective transition, as it happens (no replay). Completes when the app closes. */
  readonly changes: Observable<HealthChangeEvent> = this.changes$.asObservable();

  /**
   * Every recorded run of every indicator, as it is recorded (no replay), before the
   * transitions it causes on {@link changes}: the per-run facts (duration, timeout, observed
   * status) that metrics and slow-check logs need. Completes when the app closes.
   */
  readonly results: Observable<HealthRunEvent> = this.results$.asObservable();

  constructor() {
    this.recomputeGroups(new Date().toISOString(), false);
  }

  /**
   * Starts tracking an indicator, as `unknown`. Group transitions that this causes are emitted
   * only after bootstrap: before it, the groups are being composed, not changing.
   *
   * @internal
   */
  track(definition: HealthIndicatorDefinition): void {
    const now = new Date().toISOString();
    const tracked: Tracked = {
      definition,
      state: Object.freeze({
        name: definition.name,
        status: 'unknown',
        observed: null,
        critical: definition.critical,
        groups: definition.groups,
        mode: definition.mode,
        message: null,
        data: null,
        since: now,
        lastCheckedAt: null,
        durationMs: null,
        timedOut: false,
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
      }),
    };
    this.stopJoining(this.indicators.get(definition.name));
    this.indicators.set(definition.name, tracked);
    if (this.bootstrapped && !this.shuttingDown) {
      tracked.joinTimer = setTimeout(() => this.join(tracked), definition.timeoutMs);
      tracked.joinTimer.unref();
    }
    this.recomputeGroups(now, this.bootstrapped);
  }

  /** Stops tracking an indicator; it leaves its groups. @internal */
  untrack(name: string): void {
    const tracked = this.indicators.get(name);
    if (tracked && this.indicators.delete(name)) {
      this.stopJoining(tracked);
      this.recomputeGroups(new Date().toISOString(), this.bootstrapped);
    }
  }

  /**
   * Whether an indicator registered after bootstrap still waits to join its groups: no result
   * yet, and less than its `timeoutMs` since it was registered. Its groups do not count it.
   */
  isJoining(name: string): boolean {
    return this.indicators.get(name)?.joinTimer !== undefined;
  }

  /** The join timer of a run-time indicator fired before its first result: it counts now. */
  private join(tracked: Tracked): void {
    if (
      tracked.joinTimer === undefined ||
      this.indicators.get(tracked.definition.name) !== tracked
    ) {
      return;
    }
    tracked.joinTimer = undefined;
    this.recomputeGroups(new Date().toISOString(), true);
  }

  private stopJoining(tracked: Tracked | undefined): void {
    if (tracked?.joinTimer === undefined) return;
    clearTimeout(tracked.joinTimer);
    tracked.joinTimer = undefined;
  }

  /** Records the outcome of one run. @internal */
  record(name: string, result: HealthRunResult): void {
    const tracked = this.indicators.get(name);
    if (!tracked) return;
    const previous = tracked.state;
    const next = applyHysteresis(previous, result.status, tracked.definition);
    const finishedAt = new Date(result.finishedAt).toISOString();
    const changed = next.status !== previous.status;
    this.stopJoining(tracked); // its first result: it joins its groups now
    tracked.state = Object.freeze({
      ...previous,
      status: next.status,
      observed: result.status,
      message: result.message ?? null,
      data: result.data ?? null,
      since: changed ? finishedAt : previous.since,
      lastCheckedAt: finishedAt,
      durationMs: result.durationMs,
      timedOut: result.timedOut,
      consecutiveFailures: next.consecutiveFailures,
      consecutiveSuccesses: next.consecutiveSuccesses,
    });
    this.results$.next({
      name,
      status: result.status,
      message: tracked.state.message,
      durationMs: result.durationMs,
      timedOut: result.timedOut,
      finishedAt,
      state: tracked.state,
    });
    if (!changed) return;
    const groupChanges = this.recomputeGroups(finishedAt, false);
    const groups: Record<string, HealthStatus> = {};
    for (const group of tracked.state.groups) {
      const state = this.groupStates.get(group);
      if (state) groups[group] = state.status;
    }
    this.changes$.next({
      type: 'indicator',
      name,
      previous: previous.status,
      current: next.status,
      since: finishedAt,
      message: tracked.state.message,
      durationMs: result.durationMs,
      groups,
      state: tracked.state,
    });
    for (const change of groupChanges) this.changes$.next(change);
  }

  /** Bootstrap has finished: the startup group may now latch. @internal */
  markBootstrapped(): void {
    if (this.bootstrapped) return;
    this.bootstrapped = true;
    this.emitAll(this.recomputeGroups(new Date().toISOString(), false));
  }

  /** Shutdown began: readiness turns down with reason `shutting_down`. @internal */
  markShuttingDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.emitAll(this.recomputeGroups(new Date().toISOString(), false));
  }

  /** Whether shutdown has begun. */
  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** The state of one indicator, or `undefined` if no indicator has that name. */
  indicator(name: string): IndicatorState | undefined {
    return this.indicators.get(name)?.state;
  }

  /** The state of one group, or `undefined` for an unknown group. */
  group(name: string): GroupState | undefined {
    return this.groupStates.get(name);
  }

  /** Names of every group: the built-in ones, then every group an indicator names. */
  groupNames(): string[] {
    return [...this.groupStates.keys()];
  }

  /** The worst of every group's status. */
  overallStatus(): HealthStatus {
    let status: HealthStatus = 'up';
    for (const group of this.groupStates.values()) status = worst(status, group.status);
    return status;
  }

  /** A snapshot of everything. */
  snapshot(): HealthSnapshot {
    const checks: Record<string, IndicatorState> = {};
    for (const [name, tracked] of this.indicators) checks[name] = tracked.state;
    return {
      status: this.overallStatus(),
      timestamp: new Date().toISOString(),
      checks,
      groups: Object.fromEntries(this.groupStates),
    };
  }

  /** Completes `changes` and `results` after the last shutdown transition has been emitted. */
  onApplicationShutdown(): void {
    for (const tracked of this.indicators.values()) this.stopJoining(tracked);
    this.results$.complete();
    this.changes$.complete();
  }

  private emitAll(changes: HealthChangeEvent[]): void {
    for (const change of changes) this.changes$.next(change);
  }

  /**
   * Recomputes every group from the members' effective statuses and returns the transitions.
   * When `emit` is true the transitions are emitted here (membership changed); otherwise the
   * caller emits them after its own event.
   */
  private recomputeGroups(now: string, emit: boolean): HealthChangeEvent[] {
    const members = new Map<string, IndicatorState[]>();
    /** The members that count: not those that wait for their first result to join. */
    const counted = new Map<string, IndicatorState[]>();
    for (const group of BUILT_IN_GROUPS) {
      members.set(group, []);
      counted.set(group, []);
    }
    for (const { state, joinTimer } of this.indicators.values()) {
      for (const group of state.groups) {
        let list = members.get(group);
        if (!list) members.set(group, (list = []));
        list.push(state);
        let countedList = counted.get(group);
        if (!countedList) counted.set(group, (countedList = []));
        if (joinTimer === undefined) countedList.push(state);
      }
    }
    const changes: HealthChangeEvent[] = [];
    for (const name of [...this.groupStates.keys()]) {
      if (!members.has(name)) this.groupStates.delete(name);
    }
    for (const [name, list] of members) {
      const { status, reason } = this.groupStatus(name, counted.get(name) ?? []);
      const checks: Record<string, { readonly status: IndicatorState['status'] }> = {};
      for (const state of list) checks[state.name] = Object.freeze({ status: state.status });
      const previous = this.groupStates.get(name);
      const changed = previous !== undefined && previous.status !== status;
      const state: GroupState = Object.freeze({
        name,
        status,
        since: previous && !changed ? previous.since : now,
        reason,
        checks: Object.freeze(checks),
      });
      this.groupStates.set(name, state);
      if (changed) {
        changes.push({
          type: 'group',
          name,
          previous: previous.status,
          current: status,
          since: now,
          reason,
          state,
        });
      }
    }
    if (emit) this.emitAll(changes);
    return changes;
  }

  private groupStatus(
    name: string,
    members: readonly IndicatorState[],
  ): { status: HealthStatus; reason: GroupReason | null } {
    if (name === READINESS && this.shuttingDown) return { status: 'down', reason: 'shutting_down' };
    if (name === STARTUP) {
      if (this.startupLatched) return { status: 'up', reason: null };
      if (!this.bootstrapped) return { status: 'down', reason: 'starting' };
      const status = aggregateGroup(name, members);
      if (status === 'down') return { status, reason: null };
      this.startupLatched = true;
      return { status: 'up', reason: null };
    }
    return { status: aggregateGroup(name, members), reason: null };
  }
}

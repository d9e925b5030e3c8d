import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { HealthIndicatorDefinition } from '../discovery/health-indicator.definition';
import { HealthRegistry } from '../discovery/health.registry';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { healthLoggerFor } from '../logging/health-logger';
import { HealthCheckRunner, timedOutMessage } from './health-check.runner';
import { HealthStateStore } from './health-state.store';
import { messageFromError } from './sanitize';

/** Each wait between background runs is the interval times a factor in [1 - J, 1 + J]. */
export const INTERVAL_JITTER = 0.1;

interface Entry {
  readonly definition: HealthIndicatorDefinition;
  /** The next background run. */
  timer?: NodeJS.Timeout;
  /** The run being recorded now; shared by every caller (single-flight). */
  running?: Promise<void>;
  /** The check's own promise when it outlives its deadline: no new call starts until it settles. */
  pending?: Promise<void>;
  /** When the last run ended, in `performance`-independent epoch milliseconds. */
  lastFinishedAt?: number;
  removed: boolean;
}

/**
 * Runs the checks. Background indicators run at bootstrap and then every `intervalMs` (with
 * jitter; a run never overlaps the previous one; timers never keep the process alive).
 * On-demand indicators run when a request needs them, through single-flight and a cache of
 * `cacheTtlMs`. A check that ignores its abort signal and never settles is called again only
 * after it settles: meanwhile each due run is recorded as timed out, so a hung dependency never
 * piles up calls.
 *
 * @internal
 */
@Injectable()
export class HealthScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: Pick<Logger, 'error'>;
  private readonly entries = new Map<string, Entry>();
  private readonly onDemandByGroup = new Map<string, Entry[]>();
  private readonly stopController = new AbortController();
  private readonly subscription: Subscription;
  private started = false;

  constructor(
    registry: HealthRegistry,
    private readonly runner: HealthCheckRunner,
    private readonly state: HealthStateStore,
    @Optional() @Inject(HEALTH_RESOLVED_OPTIONS) options?: ResolvedHealthModuleOptions,
  ) {
    this.logger = options ? healthLoggerFor(options) : new Logger('HealthModule');
    for (const definition of registry.list()) this.add(definition);
    this.subscription = registry.events.subscribe((event) =>
      event.type === 'added' ? this.add(event.definition) : this.remove(event.definition.name),
    );
  }

  /** Starts every background indicator and lets the startup group latch. */
  onApplicationBootstrap(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.state.markBootstrapped();
    for (const entry of this.entries.values()) {
      if (entry.definition.mode === 'background') this.loop(entry);
    }
  }

  /**
   * Stops the checks if nothing has yet. `HealthShutdown` stops them earlier, in
   * `onModuleDestroy`, once the shutdown delay is over: checks keep running while the app
   * drains.
   */
  onApplicationShutdown(): void {
    this.stop();
  }

  /**
   * Stops every timer and aborts runs in flight; later results are dropped. Readiness turns
   * down with reason `shutting_down`. Idempotent.
   */
  stop(): void {
    if (this.stopped) return;
    this.state.markShuttingDown();
    this.stopController.abort(new DOMException('the application is shutting down', 'AbortError'));
    this.subscription.unsubscribe();
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
  }

  /** Whether {@link stop} has run. */
  get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  /** Whether `group` has on-demand members, which a probe of it refreshes first. */
  hasOnDemand(group: string): boolean {
    return (this.onDemandByGroup.get(group)?.length ?? 0) > 0;
  }

  /**
   * Brings a group's on-demand members up to date (runs those whose cached result is older than
   * their `cacheTtlMs`). Returns `undefined` when the group has no on-demand member, so that
   * probes of background-only groups stay synchronous.
   */
  refreshGroup(group: string): Promise<void> | undefined {
    const members = this.onDemandByGroup.get(group);
    if (!members || members.length === 0) return undefined;
    return Promise.all(members.map((entry) => this.refresh(entry))).then(noop);
  }

  /** Brings every on-demand indicator up to date; `undefined` when there is none. */
  refreshAll(): Promise<void> | undefined {
    const all = [...this.entries.values()].filter((e) => e.definition.mode === 'on-demand');
    if (all.length === 0) return undefined;
    return Promise.all(all.map((entry) => this.refresh(entry))).then(noop);
  }

  /**
   * Runs one indicator now, whatever its mode, sharing a run already in flight.
   *
   * @returns `false` when no indicator has that name.
   */
  async runNow(name: string): Promise<boolean> {
    const entry = this.entries.get(name);
    if (!entry) return false;
    await this.execute(entry);
    return true;
  }

  private add(definition: HealthIndicatorDefinition): void {
    const entry: Entry = { definition, removed: false };
    this.entries.set(definition.name, entry);
    this.state.track(definition);
    if (definition.mode === 'on-demand') {
      for (const group of definition.groups) {
        const list = this.onDemandByGroup.get(group) ?? [];
        list.push(entry);
        this.onDemandByGroup.set(group, list);
      }
    } else if (this.started && !this.stopped) {
      this.loop(entry);
    }
  }

  private remove(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    entry.removed = true;
    clearTimeout(entry.timer);
    this.entries.delete(name);
    for (const [group, list] of this.onDemandByGroup) {
      const rest = list.filter((e) => e !== entry);
      if (rest.length) this.onDemandByGroup.set(group, rest);
      else this.onDemandByGroup.delete(group);
    }
    this.state.untrack(name);
  }

  private refresh(entry: Entry): Promise<void> {
    const fresh =
      entry.lastFinishedAt !== undefined &&
      Date.now() - entry.lastFinishedAt < entry.definition.cacheTtlMs;
    return fresh && !entry.running ? Promise.resolve() : this.execute(entry);
  }

  private loop(entry: Entry): void {
    void this.execute(entry).then(() => {
      if (this.stopped || entry.removed) return;
      const { intervalMs } = entry.definition;
      const wait = Math.round(
        intervalMs * (1 - INTERVAL_JITTER + 2 * INTERVAL_JITTER * Math.random()),
      );
      entry.timer = setTimeout(() => this.loop(entry), wait);
      entry.timer.unref();
    });
  }

  /** Single-flight: every caller during a run shares it. Never rejects. */
  private execute(entry: Entry): Promise<void> {
    if (entry.running) return entry.running;
    if (this.stopped || entry.removed) return Promise.resolve();
    const { definition } = entry;
    let outcome;
    if (entry.pending) {
      outcome = Promise.resolve({
        status: 'down' as const,
        message: `${timedOutMessage(definition.timeoutMs)}; the previous run has not finished yet`,
        durationMs: 0,
        timedOut: true,
        finishedAt: Date.now(),
      });
    } else {
      const run = this.runner.run(definition, this.stopController.signal);
      const pending = run.settled;
      entry.pending = pending;
      void pending.then(() => {
        if (entry.pending === pending) entry.pending = undefined;
      });
      outcome = run.result;
    }
    const running = outcome
      .then((result) => {
        entry.lastFinishedAt = result.finishedAt;
        if (!this.stopped && !entry.removed) this.state.record(definition.name, result);
      })
      .catch((error: unknown) => {
        this.logger.error(
          `${definition.name}: recording a result failed: ${messageFromError(error)}`,
        );
      })
      .finally(() => {
        entry.running = undefined;
      });
    entry.running = running;
    return running;
  }
}

function noop(): void {}

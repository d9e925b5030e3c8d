import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthStateStore } from '../engine/health-state.store';
import { FleetPublisher } from '../fleet/fleet-publisher';
import { FleetReader, FleetUnavailableError } from '../fleet/fleet-reader';
import type { FleetView } from '../fleet/fleet.types';
import type { HealthRunEvent, IndicatorChangeEvent } from '../engine/health-state.types';
import { InvalidHealthModuleOptionsError } from '../errors';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { loadOptionalPeer } from '../indicators/core/optional-peer';
import { HealthNotifications } from '../notifications/health-notifications.service';
import {
  GROUP_METRIC_STATES,
  HEALTH_METRIC_NAMES,
  INDICATOR_METRIC_STATES,
  NOTIFICATION_METRIC_OUTCOMES,
} from './health-metric-names';
import type { PrometheusRegistryLike } from './health-metrics.options';

type Labels = Record<string, string>;

/** What the module uses of a prom-client metric. */
interface MetricLike {
  reset(): void;
}
interface GaugeLike extends MetricLike {
  set(labels: Labels, value: number): void;
}
interface CounterLike extends MetricLike {
  inc(labels: Labels, value?: number): void;
  remove(labels: Labels): void;
}
interface HistogramLike extends MetricLike {
  observe(labels: Labels, value: number): void;
  remove(labels: Labels): void;
}
interface MetricConfig {
  name: string;
  help: string;
  labelNames: readonly string[];
  registers: readonly PrometheusRegistryLike[];
}

/** What the module uses of the prom-client package. */
interface PromClient {
  Registry: new () => PrometheusRegistryLike;
  Gauge: new (config: MetricConfig & { collect?: () => void | Promise<void> }) => GaugeLike;
  Counter: new (config: MetricConfig) => CounterLike;
  Histogram: new (config: MetricConfig & { buckets: number[] }) => HistogramLike;
}

/** The metrics of one module instance. */
interface Instruments {
  readonly registry: PrometheusRegistryLike;
  readonly own: Map<string, MetricLike>;
  readonly duration: HistogramLike;
  readonly failures: CounterLike;
  readonly timeouts: CounterLike;
  readonly transitions: CounterLike;
}

/**
 * Prometheus metrics of the health state (the `metrics` module option), made with prom-client,
 * loaded when the module initialises with metrics enabled and never otherwise.
 *
 * The status gauges are computed when scraped, from the state store: a scrape reads the state
 * and never runs a check. The histogram and counters follow the store's `results` (one sample
 * per run) and `changes` (one per transition). The metrics live in a registry of the module's
 * own (one per app: two apps in one process never collide), and also in the `registry` option's
 * registry when one is given; they are removed from that one when the app closes, and the
 * series of an indicator are removed when it is unregistered.
 */
@Injectable()
export class HealthMetrics implements OnModuleInit, OnApplicationShutdown {
  private instruments?: Instruments;
  private readonly subscription = new Subscription();
  /** `from→to` pairs counted per indicator, to remove its transition series. */
  private readonly transitionPairs = new Map<string, Set<string>>();

  /** Created by Nest's injector; inject the instance rather than constructing one. @internal */
  constructor(
    private readonly state: HealthStateStore,
    private readonly healthRegistry: HealthRegistry,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
    private readonly fleetPublisher: FleetPublisher,
    private readonly fleetReader: FleetReader,
    private readonly notifications: HealthNotifications,
  ) {}

  /**
   * Loads prom-client and registers the metrics, when `metrics` is enabled.
   *
   * @throws MissingOptionalDependencyError when prom-client is not installed.
   * @throws InvalidHealthModuleOptionsError when `metrics.registry` already holds a metric of
   *   the same name (another app's health metrics: give each its own registry or a `prefix`).
   */
  onModuleInit(): void {
    if (!this.options.metrics.enabled) return;
    const client = loadOptionalPeer<PromClient>('prom-client', 'The "metrics" option');
    this.instruments = this.create(client);
    this.subscription.add(this.state.results.subscribe((run) => this.recordRun(run)));
    this.subscription.add(
      this.state.changes.subscribe((change) => {
        if (change.type === 'indicator') this.recordTransition(change);
      }),
    );
    this.subscription.add(
      this.healthRegistry.events.subscribe((event) => {
        if (event.type === 'removed') this.forget(event.definition.name);
      }),
    );
    if (this.options.fleet) this.createFleetMetrics(client);
    if (this.options.notifications) this.createNotificationMetrics(client);
  }

  /** Stops counting and takes the metrics out of the `registry` option's registry. */
  onApplicationShutdown(): void {
    this.subscription.unsubscribe();
    const shared = this.options.metrics.registry;
    if (!shared || !this.instruments) return;
    for (const [name, metric] of this.instruments.own) {
      if (shared.getSingleMetric(name) === metric) shared.removeSingleMetric(name);
    }
  }

  /** Whether `GET /<path>/metrics` serves the metrics (enabled, and `metrics.endpoint`). */
  get served(): boolean {
    return this.instruments !== undefined && this.options.metrics.endpoint;
  }

  /**
   * The module's own registry (the health metrics only), or `undefined` when metrics are off:
   * e.g. to merge it into another with prom-client's `Registry.merge`.
   */
  get registry(): PrometheusRegistryLike | undefined {
    return this.instruments?.registry;
  }

  /** The exposition text and its content type, from the module's own registry. @internal */
  async scrape(): Promise<{ contentType: string; body: string }> {
    const registry = this.instruments?.registry;
    if (!registry) throw new Error('Health metrics are not enabled.');
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  private create(client: PromClient): Instruments {
    const { prefix, registry: shared, durationBucketsSeconds } = this.options.metrics;
    const name = (base: string) => `${prefix}${base}`;
    if (shared) this.assertFree(shared, Object.values(HEALTH_METRIC_NAMES).map(name));
    const registry = new client.Registry();
    const registers = shared ? [registry, shared] : [registry];
    const own = new Map<string, MetricLike>();
    const add = <T extends MetricLike>(metricName: string, metric: T): T => {
      own.set(metricName, metric);
      return metric;
    };
    const state = this.state;
    const indicatorStatus: GaugeLike = add(
      name(HEALTH_METRIC_NAMES.indicatorStatus),
      new client.Gauge({
        name: name(HEALTH_METRIC_NAMES.indicatorStatus),
        help: 'Effective status of each health indicator: 1 for its current state, 0 for the others.',
        labelNames: ['indicator', 'state'],
        registers,
        collect: () => {
          indicatorStatus.reset();
          for (const [indicator, { status }] of Object.entries(state.snapshot().checks)) {
            setEnum(indicatorStatus, { indicator }, INDICATOR_METRIC_STATES, status);
          }
        },
      }),
    );
    const groupStatus: GaugeLike = add(
      name(HEALTH_METRIC_NAMES.groupStatus),
      new client.Gauge({
        name: name(HEALTH_METRIC_NAMES.groupStatus),
        help: 'Status of each health group: 1 for its current state, 0 for the others.',
        labelNames: ['group', 'state'],
        registers,
        collect: () => {
          groupStatus.reset();
          for (const group of state.groupNames()) {
            setEnum(groupStatus, { group }, GROUP_METRIC_STATES, state.group(group)?.status);
          }
        },
      }),
    );
    return {
      registry,
      own,
      duration: add(
        name(HEALTH_METRIC_NAMES.checkDuration),
        new client.Histogram({
          name: name(HEALTH_METRIC_NAMES.checkDuration),
          help: 'Wall time of each health check run, in seconds.',
          labelNames: ['indicator'],
          buckets: [...durationBucketsSeconds],
          registers,
        }),
      ),
      failures: add(
        name(HEALTH_METRIC_NAMES.checkFailures),
        new client.Counter({
          name: name(HEALTH_METRIC_NAMES.checkFailures),
          help: 'Health check runs whose own result was down (timeouts included), before thresholds.',
          labelNames: ['indicator'],
          registers,
        }),
      ),
      timeouts: add(
        name(HEALTH_METRIC_NAMES.checkTimeouts),
        new client.Counter({
          name: name(HEALTH_METRIC_NAMES.checkTimeouts),
          help: 'Health check runs that hit their timeout.',
          labelNames: ['indicator'],
          registers,
        }),
      ),
      transitions: add(
        name(HEALTH_METRIC_NAMES.statusTransitions),
        new client.Counter({
          name: name(HEALTH_METRIC_NAMES.statusTransitions),
          help: 'Effective status transitions of each health indicator.',
          labelNames: ['indicator', 'from', 'to'],
          registers,
        }),
      ),
    };
  }

  /**
   * The fleet's metrics (with `fleet`): replicas per status, read from Redis when scraped (a
   * shared read, at most one per 100 ms; the last view while Redis is away), and this replica's
   * publishes.
   */
  private createFleetMetrics(client: PromClient): void {
    const instruments = this.instruments;
    if (!instruments) return;
    const { prefix, registry: shared } = this.options.metrics;
    const name = (base: string) => `${prefix}${base}`;
    const names = [
      HEALTH_METRIC_NAMES.fleetInstances,
      HEALTH_METRIC_NAMES.fleetPublishDuration,
      HEALTH_METRIC_NAMES.fleetPublishFailures,
    ].map(name);
    if (shared) this.assertFree(shared, names);
    const registers = shared ? [instruments.registry, shared] : [instruments.registry];
    const reader = this.fleetReader;
    const instances: GaugeLike = new client.Gauge({
      name: names[0],
      help: 'Replicas of the service per status, as this replica reads the fleet (stale ones are unknown).',
      labelNames: ['status'],
      registers,
      collect: async () => {
        const view = await reader
          .read()
          .catch((error: unknown): FleetView | undefined =>
            error instanceof FleetUnavailableError ? error.lastView : undefined,
          );
        instances.reset();
        if (!view) return;
        for (const [status, count] of Object.entries(view.summary.byStatus)) {
          instances.set({ status }, count);
        }
      },
    });
    const duration = new client.Histogram({
      name: names[1],
      help: "Wall time of each publish of this replica's snapshot to Redis, in seconds.",
      labelNames: [],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    const failures = new client.Counter({
      name: names[2],
      help: 'Publishes of the snapshot to Redis that failed or passed fleet.timeoutMs.',
      labelNames: [],
      registers,
    });
    failures.inc({}, 0);
    instruments.own.set(names[0], instances);
    instruments.own.set(names[1], duration);
    instruments.own.set(names[2], failures);
    this.subscription.add(
      this.fleetPublisher.publishes.subscribe((publish) => {
        if (publish.ok) duration.observe({}, publish.durationMs / 1000);
        else failures.inc({}, 1);
      }),
    );
  }

  /**
   * The notifications' metrics (with `notifications`): messages per channel and outcome, each
   * channel's queue depth (read when scraped), and sends without the fleet lock.
   */
  private createNotificationMetrics(client: PromClient): void {
    const instruments = this.instruments;
    if (!instruments) return;
    const { prefix, registry: shared } = this.options.metrics;
    const names = [
      HEALTH_METRIC_NAMES.notifications,
      HEALTH_METRIC_NAMES.notificationQueueDepth,
      HEALTH_METRIC_NAMES.notificationLockUnavailable,
    ].map((base) => `${prefix}${base}`);
    if (shared) this.assertFree(shared, names);
    const registers = shared ? [instruments.registry, shared] : [instruments.registry];
    const notifications = this.notifications;
    const total = new client.Counter({
      name: names[0],
      help: 'Notification messages per channel and outcome (sent, retried, failed, dropped).',
      labelNames: ['channel', 'outcome'],
      registers,
    });
    const depth: GaugeLike = new client.Gauge({
      name: names[1],
      help: 'Notification messages waiting for each channel, plus the one in flight.',
      labelNames: ['channel'],
      registers,
      collect: () => {
        for (const [channel, value] of Object.entries(notifications.queueDepths())) {
          depth.set({ channel }, value);
        }
      },
    });
    const lockUnavailable = new client.Counter({
      name: names[2],
      help: 'Notification events sent without the fleet lock because Redis could not be asked.',
      labelNames: ['channel'],
      registers,
    });
    for (const channel of notifications.channelNames) {
      for (const outcome of NOTIFICATION_METRIC_OUTCOMES) total.inc({ channel, outcome }, 0);
      if (this.options.fleet) lockUnavailable.inc({ channel }, 0);
    }
    instruments.own.set(names[0], total);
    instruments.own.set(names[1], depth);
    instruments.own.set(names[2], lockUnavailable);
    this.subscription.add(
      notifications.outcomes.subscribe(({ channel, outcome }) => {
        if (outcome === 'lock_unavailable') lockUnavailable.inc({ channel }, 1);
        else total.inc({ channel, outcome }, 1);
      }),
    );
  }

  /** Fails the boot when the shared registry already holds one of the names. */
  private assertFree(registry: PrometheusRegistryLike, names: readonly string[]): void {
    const taken = names.find((metricName) => registry.getSingleMetric(metricName) !== undefined);
    if (taken === undefined) return;
    throw new InvalidHealthModuleOptionsError([
      {
        option: 'metrics.registry',
        value: 'a registry',
        allowed: `already holds a metric named "${taken}" (another app's health metrics?): give each app its own registry, or a metrics.prefix of its own`,
      },
    ]);
  }

  private recordRun(run: HealthRunEvent): void {
    const metrics = this.instruments;
    if (!metrics) return;
    const labels = { indicator: run.name };
    metrics.failures.inc(labels, run.status === 'down' ? 1 : 0);
    metrics.timeouts.inc(labels, run.timedOut ? 1 : 0);
    // A run skipped because the previous call still hangs is a timeout, but it took no time.
    if (!(run.timedOut && run.durationMs === 0)) {
      metrics.duration.observe(labels, run.durationMs / 1000);
    }
  }

  private recordTransition(change: IndicatorChangeEvent): void {
    const metrics = this.instruments;
    if (!metrics) return;
    metrics.transitions.inc({ indicator: change.name, from: change.previous, to: change.current });
    let pairs = this.transitionPairs.get(change.name);
    if (!pairs) this.transitionPairs.set(change.name, (pairs = new Set()));
    pairs.add(`${change.previous}→${change.current}`);
  }

  /** Removes the series of an unregistered indicator, so that churn does not grow a scrape. */
  private forget(indicator: string): void {
    const metrics = this.instruments;
    if (!metrics) return;
    metrics.duration.remove({ indicator });
    metrics.failures.remove({ indicator });
    metrics.timeouts.remove({ indicator });
    for (const pair of this.transitionPairs.get(indicator) ?? []) {
      const [from, to] = pair.split('→');
      metrics.transitions.remove({ indicator, from, to });
    }
    this.transitionPairs.delete(indicator);
  }
}

/**
 * Sets an enum gauge the way Prometheus models enums: one series per state, 1 for `current`,
 * 0 for the others, each with `labels` and `state`.
 */
function setEnum(
  gauge: GaugeLike,
  labels: Labels,
  states: readonly string[],
  current: string | undefined,
): void {
  for (const state of states) gauge.set({ ...labels, state }, state === current ? 1 : 0);
}

import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  ObservableCallback,
  ObservableUpDownCounter,
  Span,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api';
import { HealthStateStore } from '../engine/health-state.store';
import type { HealthChangeEvent, HealthRunEvent } from '../engine/health-state.types';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { loadOptionalPeer } from '../indicators/core/optional-peer';
import { HealthLogger } from '../logging/health-logger';
import {
  GROUP_TELEMETRY_STATUSES,
  HEALTH_CHECK_SPAN_PREFIX,
  HEALTH_TELEMETRY_ATTRIBUTES as ATTR,
  HEALTH_TELEMETRY_METRICS,
  HEALTH_TRANSITION_EVENT,
  INDICATOR_TELEMETRY_STATUSES,
} from './health-telemetry-names';

/** What the module uses of the `@opentelemetry/api` package. */
type OpenTelemetryApi = typeof import('@opentelemetry/api');

/** The instruments made with one meter (of one `MeterProvider`). */
interface Instruments {
  readonly duration: Histogram;
  readonly failures: Counter;
  readonly timeouts: Counter;
  readonly transitions: Counter;
  /** The observable instruments and their callbacks, to remove when the provider changes. */
  readonly observed: readonly [ObservableUpDownCounter, ObservableCallback][];
}

/** The span of the run being recorded, open until the transitions it caused are attached. */
interface OpenRunSpan {
  readonly name: string;
  readonly span: Span;
  readonly endTime: number;
}

/**
 * OpenTelemetry metrics and spans of the health state (the `telemetry` module option), through
 * the app's global `MeterProvider` and `TracerProvider`. `@opentelemetry/api` is loaded when the
 * module initialises with telemetry enabled, never otherwise.
 *
 * A reader of the state store, as the Prometheus metrics are: the histogram and counters follow
 * `results` (one record per run) and `changes` (one per transition); the status metrics are
 * observed from the state when the SDK collects. Each run becomes a root span (no parent, never
 * a child of a probe request) named `health.check <indicator>`, made after the fact with the
 * run's own start and end times, so the engine is untouched. The transitions the run caused are
 * events of that span.
 *
 * No SDK registered, nothing is made per run: each run looks the global providers up (a global
 * read each) and stops there when they are the API's no-op ones (the no-op meter, the no-op
 * delegate of the proxy tracer provider). A provider registered or replaced later is picked up
 * at the next run. A failure of the SDK is caught, logged once and counted ({@link failures});
 * it never reaches the engine or a probe.
 */
@Injectable()
export class HealthTelemetry implements OnModuleInit, OnApplicationShutdown {
  private api?: OpenTelemetryApi;
  private readonly subscription = new Subscription();
  /** The `MeterProvider` the instruments were made with (or found to be a no-op). */
  private meterProvider?: MeterProvider;
  /** `undefined` while the global `MeterProvider` is a no-op. */
  private instruments?: Instruments;
  /** The API's no-op tracer provider, the proxy's delegate until an SDK registers. */
  private noopTracerProvider?: TracerProvider;
  /** The tracer provider the tracer was taken from. */
  private tracerProvider?: TracerProvider;
  /** `undefined` while the global `TracerProvider` is a no-op. */
  private tracer?: Tracer;
  private open?: OpenRunSpan;
  private failureCount = 0;

  /** Created by Nest's injector; inject the instance rather than constructing one. @internal */
  constructor(
    private readonly state: HealthStateStore,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
    private readonly logger: HealthLogger,
  ) {}

  /**
   * Loads `@opentelemetry/api` and follows the state store, when `telemetry` is enabled.
   *
   * @throws MissingOptionalDependencyError when `@opentelemetry/api` is not installed.
   */
  onModuleInit(): void {
    const { enabled, metrics, traces } = this.options.telemetry;
    if (!enabled || (!metrics && !traces)) return;
    const api = loadOptionalPeer<OpenTelemetryApi>('@opentelemetry/api', 'The "telemetry" option');
    this.api = api;
    this.noopTracerProvider = new api.ProxyTracerProvider().getDelegate();
    this.subscription.add(this.state.results.subscribe((run) => this.onRun(run)));
    this.subscription.add(this.state.changes.subscribe((change) => this.onChange(change)));
    // The status metrics exist from boot when an SDK is registered already.
    this.guard(() => this.currentInstruments());
  }

  /** Stops recording; ends the span being recorded and detaches the status callbacks. */
  onApplicationShutdown(): void {
    this.subscription.unsubscribe();
    this.endOpen();
    this.detach();
  }

  /**
   * Whether telemetry is on (`telemetry` given and enabled, `@opentelemetry/api` loaded),
   * whether or not an SDK is registered.
   */
  get enabled(): boolean {
    return this.api !== undefined;
  }

  /**
   * How many times recording a run or a transition failed (an SDK or exporter that threw). The
   * first failure is logged as a warning; the others only counted.
   */
  get failures(): number {
    return this.failureCount;
  }

  private onRun(run: HealthRunEvent): void {
    this.guard(() => {
      if (this.options.telemetry.metrics) {
        const instruments = this.currentInstruments();
        if (instruments) recordRun(instruments, run);
      }
      if (this.options.telemetry.traces) {
        const tracer = this.currentTracer();
        if (tracer) this.startRunSpan(tracer, run);
      }
    });
  }

  private onChange(change: HealthChangeEvent): void {
    this.guard(() => {
      if (change.type === 'indicator' && this.options.telemetry.metrics) {
        this.currentInstruments()?.transitions.add(1, {
          [ATTR.indicatorName]: change.name,
          [ATTR.previousStatus]: change.previous,
          [ATTR.status]: change.current,
        });
      }
      // Changes follow the run that caused them at once (in the same call of the store): the
      // run's span is still open. Group changes of no run (bootstrap, shutdown) have no span.
      const open = this.open;
      if (!open || (change.type === 'indicator' && change.name !== open.name)) return;
      open.span.addEvent(
        HEALTH_TRANSITION_EVENT,
        {
          [change.type === 'indicator' ? ATTR.indicatorName : ATTR.groupName]: change.name,
          [ATTR.previousStatus]: change.previous,
          [ATTR.status]: change.current,
        },
        Date.parse(change.since),
      );
    });
  }

  /**
   * The instruments of the global `MeterProvider`, made anew when it changed; `undefined` while
   * it is the API's no-op provider (whose meter is the no-op meter).
   */
  private currentInstruments(): Instruments | undefined {
    const api = this.api;
    if (!api || !this.options.telemetry.metrics) return undefined;
    const provider = api.metrics.getMeterProvider();
    if (provider === this.meterProvider) return this.instruments;
    this.detach();
    this.meterProvider = provider;
    const meter = provider.getMeter(this.options.telemetry.meterName);
    this.instruments = meter === api.createNoopMeter() ? undefined : this.createInstruments(meter);
    return this.instruments;
  }

  /**
   * The tracer of the global `TracerProvider`; `undefined` while the proxy the API keeps
   * delegates to its no-op provider (no SDK registered).
   */
  private currentTracer(): Tracer | undefined {
    const api = this.api;
    if (!api) return undefined;
    const global = api.trace.getTracerProvider() as TracerProvider & {
      getDelegate?: () => TracerProvider;
    };
    const provider = typeof global.getDelegate === 'function' ? global.getDelegate() : global;
    if (provider !== this.tracerProvider) {
      this.tracerProvider = provider;
      this.tracer =
        provider === this.noopTracerProvider
          ? undefined
          : provider.getTracer(this.options.telemetry.tracerName);
    }
    return this.tracer;
  }

  private createInstruments(meter: Meter): Instruments {
    const { checkDuration, indicatorStatus, groupStatus, checkFailures, checkTimeouts } =
      HEALTH_TELEMETRY_METRICS;
    const state = this.state;
    const indicators = meter.createObservableUpDownCounter(indicatorStatus, {
      description:
        'Effective status of each health indicator: 1 for the series of its status, 0 for the others.',
      unit: '1',
    });
    const observeIndicators: ObservableCallback = (result) => {
      for (const [name, { status }] of Object.entries(state.snapshot().checks)) {
        for (const candidate of INDICATOR_TELEMETRY_STATUSES) {
          result.observe(candidate === status ? 1 : 0, {
            [ATTR.indicatorName]: name,
            [ATTR.status]: candidate,
          });
        }
      }
    };
    const groups = meter.createObservableUpDownCounter(groupStatus, {
      description: 'Status of each health group: 1 for the series of its status, 0 for the others.',
      unit: '1',
    });
    const observeGroups: ObservableCallback = (result) => {
      for (const name of state.groupNames()) {
        const status = state.group(name)?.status;
        for (const candidate of GROUP_TELEMETRY_STATUSES) {
          result.observe(candidate === status ? 1 : 0, {
            [ATTR.groupName]: name,
            [ATTR.status]: candidate,
          });
        }
      }
    };
    indicators.addCallback(observeIndicators);
    groups.addCallback(observeGroups);
    return {
      duration: meter.createHistogram(checkDuration, {
        description: 'Wall time of each health check run.',
        unit: 's',
        advice: { explicitBucketBoundaries: [...this.options.telemetry.durationBucketsSeconds] },
      }),
      failures: meter.createCounter(checkFailures, {
        description:
          'Health check runs whose own result was down (timeouts included), before thresholds.',
        unit: '{failure}',
      }),
      timeouts: meter.createCounter(checkTimeouts, {
        description: 'Health check runs that hit their timeout.',
        unit: '{timeout}',
      }),
      transitions: meter.createCounter(HEALTH_TELEMETRY_METRICS.transitions, {
        description: 'Effective status transitions of each health indicator.',
        unit: '{transition}',
      }),
      observed: [
        [indicators, observeIndicators],
        [groups, observeGroups],
      ],
    };
  }

  /** Detaches the status callbacks from the instruments of the previous provider. */
  private detach(): void {
    for (const [instrument, callback] of this.instruments?.observed ?? []) {
      instrument.removeCallback(callback);
    }
    this.instruments = undefined;
  }

  /**
   * Starts the run's root span with the run's own start time; it ends (with the run's end time)
   * once the transitions the run caused, emitted right after it, are attached.
   */
  private startRunSpan(tracer: Tracer, run: HealthRunEvent): void {
    const api = this.api;
    if (!api) return;
    this.endOpen();
    const endTime = Date.parse(run.finishedAt);
    const attributes: Attributes = {
      [ATTR.indicatorName]: run.name,
      [ATTR.indicatorGroups]: [...run.state.groups],
      [ATTR.status]: run.status,
      [ATTR.timedOut]: run.timedOut,
      [ATTR.effectiveStatus]: run.state.status,
    };
    const span = tracer.startSpan(
      `${HEALTH_CHECK_SPAN_PREFIX} ${run.name}`,
      { kind: api.SpanKind.INTERNAL, root: true, startTime: endTime - run.durationMs, attributes },
      api.ROOT_CONTEXT,
    );
    if (run.status === 'down') {
      // The run's message is sanitized by the runner (credentials in URLs, key=value secrets);
      // the raw error is never seen here.
      span.setStatus({
        code: api.SpanStatusCode.ERROR,
        message: run.message ?? (run.timedOut ? 'timed out' : 'down'),
      });
    }
    const open: OpenRunSpan = { name: run.name, span, endTime };
    this.open = open;
    queueMicrotask(() => {
      if (this.open === open) this.endOpen();
    });
  }

  private endOpen(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    this.guard(() => open.span.end(open.endTime));
  }

  /** Runs `record`; a failure is counted, and the first one logged, never thrown. */
  private guard(record: () => void): void {
    try {
      record();
    } catch (error) {
      this.failureCount += 1;
      if (this.failureCount === 1) {
        const reason = error instanceof Error ? error.name : typeof error;
        this.logger.warn(
          `OpenTelemetry: recording a health check failed (${reason}); further failures are counted, not logged.`,
        );
      }
    }
  }
}

/** Records one run in the histogram and the counters. */
function recordRun(instruments: Instruments, run: HealthRunEvent): void {
  const indicator = { [ATTR.indicatorName]: run.name };
  instruments.failures.add(run.status === 'down' ? 1 : 0, indicator);
  instruments.timeouts.add(run.timedOut ? 1 : 0, indicator);
  // A run skipped because the previous call still hangs is a timeout, but it took no time.
  if (!(run.timedOut && run.durationMs === 0)) {
    instruments.duration.record(run.durationMs / 1000, {
      ...indicator,
      [ATTR.status]: run.status,
      [ATTR.timedOut]: run.timedOut,
    });
  }
}

import { IsOptional } from 'class-validator';
import {
  monitorEventLoopDelay,
  performance,
  type EventLoopUtilization,
  type IntervalHistogram,
} from 'node:perf_hooks';
import type { HealthCheckContext, HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import {
  abortReason,
  BuiltInHealthIndicator,
  Findings,
  IsUpperThreshold,
  prepareOptions,
  round2,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';

/**
 * Sampling interval of the delay histogram, in milliseconds: Node's default for
 * `monitorEventLoopDelay`. The timer lives in libuv (no JavaScript runs per sample) and does not
 * keep the process alive.
 */
const RESOLUTION_MS = 10;

/**
 * Default levels of `delayMaxMs`, the longest the loop was blocked in a window.
 *
 * - `degradedAbove: 1000` — for a whole second the process answered nothing: no request, no
 *   probe, no timer. That is the kubelet's default probe `timeoutSeconds` (1 s), so a probe that
 *   arrived then failed. A busy but healthy loop stays far below: its delays are the length of
 *   its longest task, tens of milliseconds, and even a major garbage collection of a
 *   large heap takes a few hundred.
 * - `downAbove: 5000` — blocked for five seconds, half the kubelet's default `periodSeconds`
 *   (10 s). In `liveness`, with the kubelet's default `failureThreshold` of 3, a pod is
 *   restarted only when this keeps happening for about 30 s: a loop that is stuck, not one that
 *   had one slow moment.
 */
export const EVENT_LOOP_DEFAULT_DELAY_MAX_MS: UpperThreshold = Object.freeze({
  degradedAbove: 1_000,
  downAbove: 5_000,
});

/**
 * Options of {@link eventLoopIndicator}: the usual indicator options (default name
 * `'event-loop'`, default groups `['liveness']`) and levels for what it measures.
 *
 * Giving a level object replaces its default pair; `{}` turns it off.
 */
export interface EventLoopIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * Levels for the longest delay of the window, in milliseconds.
   * @default { degradedAbove: 1000, downAbove: 5000 } (see {@link EVENT_LOOP_DEFAULT_DELAY_MAX_MS})
   */
  delayMaxMs?: UpperThreshold;
  /**
   * Levels for the 99th percentile delay of the window, in milliseconds: a loop that is slow
   * all the time rather than blocked once.
   * @default none
   */
  delayP99Ms?: UpperThreshold;
  /**
   * Levels for the share of the window the loop spent running JavaScript and callbacks (rather
   * than waiting for I/O), from 0 to 100. A busy process is not an unhealthy one: this is off by
   * default.
   * @default none
   */
  utilizationPercent?: UpperThreshold;
}

class EventLoopIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @IsUpperThreshold()
  delayMaxMs?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold()
  delayP99Ms?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold(100)
  utilizationPercent?: UpperThreshold;
}

interface Window {
  readonly histogram: IntervalHistogram;
  startedAt: number;
  utilization: EventLoopUtilization;
}

/** @internal */
export class EventLoopHealthIndicator extends BuiltInHealthIndicator {
  private window?: Window;

  constructor(
    options: BuiltInIndicator['options'],
    private readonly levels: {
      delayMaxMs?: UpperThreshold;
      delayP99Ms?: UpperThreshold;
      utilizationPercent?: UpperThreshold;
    },
  ) {
    super('event-loop', options);
    this.window = this.open();
  }

  check(context: HealthCheckContext): Promise<HealthCheckResult> {
    if (context.signal.aborted) return Promise.reject(abortReason(context.signal));
    this.window ??= this.open();
    const { histogram } = this.window;
    const now = performance.now();
    const windowMs = now - this.window.startedAt;
    const count = histogram.count;
    const nsToMs = (ns: number) => ns / 1e6;
    // The histogram holds the intervals between the samples of a RESOLUTION_MS timer; the delay
    // is what an interval took beyond RESOLUTION_MS. After reset() Node drops the first interval
    // (it has no previous sample to measure from), so a block that began right after the last
    // check is missing from it: it is the time the window spent outside the recorded intervals,
    // less the current unfinished interval (at most about one resolution).
    const recordedMs = count > 0 ? nsToMs(histogram.mean) * count : 0;
    const unrecordedMs = Math.max(0, windowMs - recordedMs - RESOLUTION_MS);
    const longestMs = Math.max(count > 0 ? nsToMs(histogram.max) : 0, unrecordedMs);
    const delay = (ns: number) => round2(Math.max(0, nsToMs(ns) - RESOLUTION_MS));
    const utilization = performance.eventLoopUtilization(this.window.utilization);

    const data = {
      delayMaxMs: round2(Math.max(0, longestMs - RESOLUTION_MS)),
      delayP50Ms: count > 0 ? delay(histogram.percentile(50)) : null,
      delayP99Ms: count > 0 ? delay(histogram.percentile(99)) : null,
      utilizationPercent: round2(utilization.utilization * 100),
      windowMs: round2(windowMs),
    };
    histogram.reset();
    this.window.startedAt = now;
    this.window.utilization = performance.eventLoopUtilization();

    const findings = new Findings()
      .above('delayMaxMs', data.delayMaxMs, this.levels.delayMaxMs)
      .above('delayP99Ms', data.delayP99Ms, this.levels.delayP99Ms)
      .above('utilizationPercent', data.utilizationPercent, this.levels.utilizationPercent);
    return Promise.resolve(findings.result(data));
  }

  override close(): Promise<void> {
    this.window?.histogram.disable();
    this.window = undefined;
    return Promise.resolve();
  }

  private open(): Window {
    const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    histogram.enable();
    return {
      histogram,
      startedAt: performance.now(),
      utilization: performance.eventLoopUtilization(),
    };
  }
}

/**
 * Watches the event loop: how long it was blocked and how busy it was over the window since the
 * previous check (`perf_hooks.monitorEventLoopDelay`, sampled every 10 ms, and
 * `performance.eventLoopUtilization`). A blocked loop answers nothing; this indicator says,
 * after the fact, that it happened and for how long.
 *
 * Joins the `liveness` group by default, and it is opt-in (the module does not register it for
 * you): add it to `indicators`. Its defaults flag a loop blocked for seconds, not a busy one;
 * see {@link EVENT_LOOP_DEFAULT_DELAY_MAX_MS}.
 *
 * Data: `delayMaxMs` (longest delay of the window), `delayP50Ms`, `delayP99Ms` (`null` before
 * the first sample), `utilizationPercent` (0–100), `windowMs` (length of the window). Delays are
 * how late the loop was, beyond the sampling interval.
 *
 * It starts measuring when it is created and holds a histogram until {@link BuiltInIndicator.close}
 * (which the module calls on shutdown when it registered it).
 *
 * @param options - see {@link EventLoopIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when an option is invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, eventLoopIndicator } from 'nest-health';
 *
 * @Module({
 *   imports: [HealthModule.forRoot({ indicators: [eventLoopIndicator()] })], // GET /health/live
 * })
 * export class AppModule {}
 * ```
 */
export function eventLoopIndicator(options?: EventLoopIndicatorOptions): BuiltInIndicator {
  const { registration, own } = prepareOptions(
    'eventLoopIndicator()',
    EventLoopIndicatorOptionsSchema,
    options,
    { name: 'event-loop', groups: ['liveness'] },
  );
  return new EventLoopHealthIndicator(registration, {
    delayMaxMs: own.delayMaxMs ?? EVENT_LOOP_DEFAULT_DELAY_MAX_MS,
    delayP99Ms: own.delayP99Ms,
    utilizationPercent: own.utilizationPercent,
  });
}

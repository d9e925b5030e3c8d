import { IsOptional, IsString, Matches } from 'class-validator';
import { BooleanOption, DurationBucketsOption } from '../options/option-rules';
import {
  validateFlagOrObject,
  validateObjectOption,
  type OptionProblem,
} from '../options/validate-options';

/**
 * The `telemetry` module option (or `telemetry: true`, all defaults): OpenTelemetry metrics and
 * spans of the health state, through the app's global `MeterProvider` and `TracerProvider`, with
 * `@opentelemetry/api` (an optional peer dependency: `npm install @opentelemetry/api`).
 *
 * The module registers no SDK and no exporter: that is the app's business (`NodeSDK`, or a
 * `MeterProvider` / `TracerProvider` of `@opentelemetry/sdk-metrics` / `sdk-trace` registered
 * as the global ones). Until the app registers one, the API is a no-op and the module does no
 * work per run beyond looking the global providers up (see the docs' "OpenTelemetry" page).
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   // Metrics and spans, to whatever SDK the app registers before it boots
 *   imports: [HealthModule.forRoot({ telemetry: true })],
 * })
 * export class AppModule {}
 * ```
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   imports: [HealthModule.forRoot({ telemetry: { traces: false, meterName: 'orders-health' } })],
 * })
 * export class AppModule {}
 * ```
 */
export interface HealthTelemetryOptions {
  /**
   * Report to OpenTelemetry. Giving `telemetry` turns it on; `false` turns it off again (for a
   * switch read from configuration). `@opentelemetry/api` must be installed when this is
   * `true`: the boot fails with `MissingOptionalDependencyError` otherwise.
   * @default true (once `telemetry` is given; without it, nothing is reported and
   *   `@opentelemetry/api` is never loaded)
   */
  enabled?: boolean;
  /**
   * Record the metrics (`health.check.duration`, `health.indicator.status`, …; see
   * `HEALTH_TELEMETRY_METRICS`) through the global `MeterProvider`.
   * @default true
   */
  metrics?: boolean;
  /**
   * Record a span per check run (`health.check <indicator>`, a root span) through the global
   * `TracerProvider`, with the transitions it caused as span events.
   * @default true
   */
  traces?: boolean;
  /**
   * Name of the meter (the instrumentation scope of the metrics). Letters, digits, `.`, `-`,
   * `_` and `/`, 1 to 128 characters.
   * @default 'nest-health'
   */
  meterName?: string;
  /**
   * Name of the tracer (the instrumentation scope of the spans). Letters, digits, `.`, `-`,
   * `_` and `/`, 1 to 128 characters.
   * @default 'nest-health'
   */
  tracerName?: string;
  /**
   * Bucket boundaries advised for `health.check.duration`, in seconds, ascending; at most 32.
   * Given to the SDK as the instrument's `advice.explicitBucketBoundaries` (a view of the app's
   * wins). The SDK's own default boundaries (0 to 10,000) suit milliseconds, not seconds.
   * @default [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] (those of
   *   OpenTelemetry's `http.server.request.duration`)
   */
  durationBucketsSeconds?: number[];
}

/** The telemetry options with every default applied. @internal */
export interface ResolvedHealthTelemetryOptions {
  readonly enabled: boolean;
  readonly metrics: boolean;
  readonly traces: boolean;
  readonly meterName: string;
  readonly tracerName: string;
  readonly durationBucketsSeconds: readonly number[];
}

/** Every default of {@link HealthTelemetryOptions}. */
export const HEALTH_TELEMETRY_DEFAULTS = {
  /** Default of {@link HealthTelemetryOptions.metrics}: the metrics are recorded. */
  metrics: true,
  /** Default of {@link HealthTelemetryOptions.traces}: a span per check run is recorded. */
  traces: true,
  /** Default of {@link HealthTelemetryOptions.meterName}. */
  meterName: 'nest-health',
  /** Default of {@link HealthTelemetryOptions.tracerName}. */
  tracerName: 'nest-health',
  /**
   * Default of {@link HealthTelemetryOptions.durationBucketsSeconds}, in seconds: the boundaries
   * OpenTelemetry's HTTP semantic conventions advise for `http.server.request.duration`.
   */
  durationBucketsSeconds: [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
  ],
} as const;

const NAME_RULE =
  'must be 1 to 128 letters, digits, ".", "-", "_" or "/" (an instrumentation scope name)';
const TELEMETRY_RULE = 'must be true, false or an object of telemetry options';

/** The class-validator schema of {@link HealthTelemetryOptions}. @internal */
export class HealthTelemetryOptionsSchema implements HealthTelemetryOptions {
  @IsOptional()
  @BooleanOption()
  enabled?: boolean;

  @IsOptional()
  @BooleanOption()
  metrics?: boolean;

  @IsOptional()
  @BooleanOption()
  traces?: boolean;

  @IsOptional()
  @IsString({ message: NAME_RULE })
  @Matches(/^[A-Za-z0-9._\-/]{1,128}$/, { message: NAME_RULE })
  meterName?: string;

  @IsOptional()
  @IsString({ message: NAME_RULE })
  @Matches(/^[A-Za-z0-9._\-/]{1,128}$/, { message: NAME_RULE })
  tracerName?: string;

  @IsOptional()
  @DurationBucketsOption()
  durationBucketsSeconds?: number[];
}

/**
 * Validates the `telemetry` option: `true`, `false` (or `"true"` / `"false"`), or an object of
 * {@link HealthTelemetryOptions} with ascending buckets.
 *
 * @returns the problems (dotted under `telemetry.`) and the option with strings converted.
 * @internal
 */
export function validateTelemetryOptions(value: unknown): {
  problems: OptionProblem[];
  value: unknown;
} {
  return (
    validateFlagOrObject('telemetry', value, TELEMETRY_RULE) ??
    validateObjectOption('telemetry', HealthTelemetryOptionsSchema, value, TELEMETRY_RULE)
  );
}

/**
 * Applies the defaults to a validated `telemetry` option.
 *
 * @internal
 */
export function resolveTelemetryOptions(
  option: boolean | HealthTelemetryOptions | undefined,
): ResolvedHealthTelemetryOptions {
  const options = typeof option === 'object' ? option : undefined;
  return {
    enabled: option === true || (options !== undefined && options.enabled !== false),
    metrics: options?.metrics ?? HEALTH_TELEMETRY_DEFAULTS.metrics,
    traces: options?.traces ?? HEALTH_TELEMETRY_DEFAULTS.traces,
    meterName: options?.meterName ?? HEALTH_TELEMETRY_DEFAULTS.meterName,
    tracerName: options?.tracerName ?? HEALTH_TELEMETRY_DEFAULTS.tracerName,
    durationBucketsSeconds: [
      ...(options?.durationBucketsSeconds ?? HEALTH_TELEMETRY_DEFAULTS.durationBucketsSeconds),
    ],
  };
}

import { IsOptional, IsString, Matches } from 'class-validator';
import { hasMethods, kindOf } from '../indicators/core/positional';
import { BooleanOption, DurationBucketsOption } from '../options/option-rules';
import {
  validateFlagOrObject,
  validateObjectOption,
  type OptionProblem,
} from '../options/validate-options';

/**
 * A prom-client `Registry`, typed by the methods the module uses, so that the library's types do
 * not import prom-client (an optional peer dependency). Pass your app's registry (or
 * prom-client's global `register`) to put the health metrics into your own `/metrics`.
 */
export interface PrometheusRegistryLike {
  /** The exposition format's content type, e.g. `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
  /** The exposition text of every metric in the registry. */
  metrics(): Promise<string>;
  /** Registers a metric; throws when one with its name is registered already. */
  registerMetric(metric: never): void;
  /** The metric registered under `name`, or `undefined`. */
  getSingleMetric(name: string): unknown;
  /** Unregisters the metric registered under `name`. */
  removeSingleMetric(name: string): void;
}

/**
 * The `metrics` module option (or `metrics: true`, all defaults): Prometheus metrics of the
 * health state, made with prom-client (an optional peer dependency: `npm install prom-client`).
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   imports: [HealthModule.forRoot({ metrics: true })], // served at GET /health/metrics
 * })
 * export class AppModule {}
 * ```
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 * import { register } from 'prom-client';
 *
 * @Module({
 *   // Into prom-client's global registry, which your app already serves at /metrics
 *   imports: [HealthModule.forRoot({ metrics: { registry: register } })],
 * })
 * export class AppModule {}
 * ```
 */
export interface HealthMetricsOptions {
  /**
   * Collect the metrics. Giving `metrics` turns them on; `false` turns them off again (for a
   * switch read from configuration). prom-client must be installed when this is `true`: the
   * boot fails with `MissingOptionalDependencyError` otherwise.
   * @default true (once `metrics` is given; without it, no metrics, and prom-client is never loaded)
   */
  enabled?: boolean;
  /**
   * The prom-client `Registry` to register the metrics into, e.g. the one your app serves at
   * `/metrics`, or prom-client's global `register`. Without it the module makes a registry of
   * its own per app (two apps in one process never collide) and serves it at
   * `GET /<path>/metrics`. The metrics are removed from it when the app closes.
   * @default a registry of the module's own
   */
  registry?: PrometheusRegistryLike;
  /**
   * Serve the metrics at `GET /<path>/metrics` (for callers the details policy admits; others
   * get 403). Not served, that route is not mapped with `forRoot` (nor logged by Nest's
   * `RouterExplorer`), and answers 404 with `forRootAsync` (whose options arrive after Nest has
   * fixed the routes).
   * @default true without `registry`, false with one (your app serves its registry itself)
   */
  endpoint?: boolean;
  /**
   * Prepended to every metric name (`orders_` → `orders_health_indicator_status`): the way for
   * two apps of one process to share one registry. Letters, digits and `_`, starting with a
   * letter or `_`, at most 64 characters.
   * @default ''
   */
  prefix?: string;
  /**
   * The buckets of `health_check_duration_seconds`, in seconds, ascending; at most 32.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] (prom-client's defaults)
   */
  durationBucketsSeconds?: number[];
}

/** The metrics options with every default applied. @internal */
export interface ResolvedHealthMetricsOptions {
  readonly enabled: boolean;
  readonly registry: PrometheusRegistryLike | undefined;
  readonly endpoint: boolean;
  readonly prefix: string;
  readonly durationBucketsSeconds: readonly number[];
}

/** Defaults of {@link HealthMetricsOptions}. */
export const HEALTH_METRICS_DEFAULTS = {
  /**
   * Default of {@link HealthMetricsOptions.prefix}: none, the names are those of {@link
   * HEALTH_METRIC_NAMES}.
   */
  prefix: '',
  /**
   * Default of {@link HealthMetricsOptions.durationBucketsSeconds}: histogram buckets in seconds, 5
   * ms to 10 s.
   */
  durationBucketsSeconds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
} as const;

const PREFIX_RULE =
  'must be letters, digits and "_", starting with a letter or "_", at most 64 characters';
const METRICS_RULE = 'must be true, false or an object of metrics options';
const REGISTRY_RULE =
  'must be a prom-client Registry (with metrics(), registerMetric(), getSingleMetric() and removeSingleMetric())';

/** The class-validator schema of {@link HealthMetricsOptions} but `registry`. @internal */
export class HealthMetricsOptionsSchema {
  @IsOptional()
  @BooleanOption()
  enabled?: boolean;

  @IsOptional()
  @BooleanOption()
  endpoint?: boolean;

  @IsOptional()
  @IsString({ message: PREFIX_RULE })
  @Matches(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: PREFIX_RULE })
  prefix?: string;

  @IsOptional()
  @DurationBucketsOption()
  durationBucketsSeconds?: number[];
}

/**
 * Validates the `metrics` option. `registry` is checked apart from the schema: it is an
 * instance, which class-transformer would copy without its methods.
 *
 * @returns the problems, with options named `metrics.<key>`.
 * @internal
 */
export function findMetricsOptionProblems(value: unknown): OptionProblem[] {
  return validateMetricsOptions(value).problems;
}

/**
 * Validates the `metrics` option as {@link findMetricsOptionProblems} does, and returns it with
 * the strings the module converts (`"true"`, `"0.5"`) converted: `metrics: "true"` included.
 *
 * @internal
 */
export function validateMetricsOptions(value: unknown): {
  problems: OptionProblem[];
  value: unknown;
} {
  const first = validateFlagOrObject('metrics', value, METRICS_RULE);
  if (first) return first;
  const { registry, ...given } = value as Record<string, unknown>;
  const { problems, value: rest } = validateObjectOption(
    'metrics',
    HealthMetricsOptionsSchema,
    given,
    METRICS_RULE,
  );
  if (
    registry !== undefined &&
    !hasMethods(registry, 'metrics', 'registerMetric', 'getSingleMetric', 'removeSingleMetric')
  ) {
    problems.push({ option: 'metrics.registry', value: kindOf(registry), allowed: REGISTRY_RULE });
  }
  return { problems, value: registry === undefined ? rest : { ...(rest as object), registry } };
}

/**
 * Applies the defaults to a validated `metrics` option.
 *
 * @internal
 */
export function resolveMetricsOptions(
  option: boolean | HealthMetricsOptions | undefined,
): ResolvedHealthMetricsOptions {
  const options = typeof option === 'object' ? option : undefined;
  const registry = options?.registry;
  return {
    enabled: option === true || (options !== undefined && options.enabled !== false),
    registry,
    endpoint: options?.endpoint ?? registry === undefined,
    prefix: options?.prefix ?? HEALTH_METRICS_DEFAULTS.prefix,
    durationBucketsSeconds: [
      ...(options?.durationBucketsSeconds ?? HEALTH_METRICS_DEFAULTS.durationBucketsSeconds),
    ],
  };
}

import { Type } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import type { HealthStatus } from './check';
import {
  HealthIndicatorTimingSchema,
  type HealthIndicatorTiming,
} from './decorators/health-indicator.options';
import { IsHttpStatusMap } from './options/option-rules';

/**
 * The HTTP status codes a probe answers for each status of its group.
 */
export type HealthHttpStatusMapping = Partial<Record<HealthStatus, number>>;

/**
 * Options of {@link HealthModule}, resolvable asynchronously through `forRootAsync`.
 *
 * @example
 * ```ts
 * HealthModule.forRoot({
 *   path: 'health',
 *   defaults: { intervalMs: 10_000, timeoutMs: 500 },
 *   httpStatus: { readiness: { degraded: 503 } },
 * });
 * ```
 */
export interface HealthModuleOptions {
  /**
   * Defaults for every indicator's timing and thresholds; an indicator's own options win.
   * @default { intervalMs: 5000, timeoutMs: 1000, failureThreshold: 1, successThreshold: 1, cacheTtlMs: 1000 }
   */
  defaults?: HealthIndicatorTiming;
  /**
   * Per group, the HTTP status of its probe for each status, merged over the default mapping
   * (`up` → 200, `degraded` → 200, `down` → 503). Codes are integers from 200 to 599. The
   * kubelet counts 200–399 as success and anything else as failure.
   * @default {}
   * @example `{ readiness: { degraded: 503 } }` takes a degraded replica out of the Service.
   */
  httpStatus?: Record<string, HealthHttpStatusMapping>;
  /**
   * Logs effective transitions ("database: up → down (connection refused)") through Nest's
   * `Logger`, once per transition. `false` silences the module.
   * @default true
   */
  logger?: boolean;
}

/**
 * Options that shape the routes. They are read when the module is defined (Nest builds routes
 * from decorators at import time), so they are given synchronously, also to `forRootAsync`.
 */
export interface HealthModuleRouteOptions {
  /**
   * The route prefix of the health endpoints: `GET /<path>/live`, `/<path>/ready`,
   * `/<path>/startup`, `/<path>/group/:name`, and `GET /<path>` for the details. An app's global
   * prefix applies in front of it. Letters, digits, `-`, `_`, `.` and `/`; no leading or
   * trailing slash needed.
   * @default 'health'
   */
  path?: string;
  /**
   * Also serve `GET /livez`, `/readyz` and `/startupz` at the root (under the app's global prefix,
   * if any), the names the Kubernetes API server uses for its own probes.
   * @default true
   */
  aliases?: boolean;
  /**
   * Register the module globally, so that `HealthRegistry` and `HealthStateStore` can be
   * injected in any module.
   * @default true
   */
  isGlobal?: boolean;
}

/** The resolved module options, with every default applied. @internal */
export interface ResolvedHealthModuleOptions {
  readonly defaults: Required<HealthIndicatorTiming>;
  readonly httpStatus: Readonly<Record<string, Required<HealthHttpStatusMapping>>>;
  readonly logger: boolean;
}

/**
 * Every default of the module, in one place.
 */
export const HEALTH_MODULE_DEFAULTS = {
  path: 'health',
  aliases: true,
  isGlobal: true,
  logger: true,
  defaults: {
    intervalMs: 5_000,
    timeoutMs: 1_000,
    failureThreshold: 1,
    successThreshold: 1,
    cacheTtlMs: 1_000,
  },
  httpStatus: { up: 200, degraded: 200, down: 503 },
} as const;

const PATH_RULE =
  'must be a route path of letters, digits, "-", "_", "." and "/" (at most 200 characters)';

/** The class-validator schema of {@link HealthModuleOptions}. @internal */
export class HealthModuleOptionsSchema implements HealthModuleOptions {
  @IsOptional()
  @ValidateNested()
  @Type(() => HealthIndicatorTimingSchema)
  defaults?: HealthIndicatorTimingSchema;

  @IsOptional()
  @IsHttpStatusMap()
  httpStatus?: Record<string, HealthHttpStatusMapping>;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  logger?: boolean;
}

/** The class-validator schema of {@link HealthModuleRouteOptions}. @internal */
export class HealthModuleRouteOptionsSchema implements HealthModuleRouteOptions {
  @IsOptional()
  @IsString({ message: PATH_RULE })
  @Matches(/^\/?[A-Za-z0-9._\-/]{0,200}$/, { message: PATH_RULE })
  path?: string;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  aliases?: boolean;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  isGlobal?: boolean;
}

/**
 * Applies the defaults to validated options.
 *
 * @internal
 */
export function resolveHealthModuleOptions(
  options: HealthModuleOptions | undefined,
): ResolvedHealthModuleOptions {
  const httpStatus: Record<string, Required<HealthHttpStatusMapping>> = {};
  for (const [group, mapping] of Object.entries(options?.httpStatus ?? {})) {
    httpStatus[group] = { ...HEALTH_MODULE_DEFAULTS.httpStatus, ...mapping };
  }
  return {
    defaults: { ...HEALTH_MODULE_DEFAULTS.defaults, ...stripUndefined(options?.defaults ?? {}) },
    httpStatus,
    logger: options?.logger ?? HEALTH_MODULE_DEFAULTS.logger,
  };
}

/** @internal */
export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

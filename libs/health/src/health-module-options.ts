import { Type } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import type { HealthStatus } from './check';
import {
  HEALTH_DETAILS_MODES,
  IsHealthAuthorize,
  type HealthAuthorize,
  type HealthDetailsMode,
} from './details/health-details.types';
import {
  HealthIndicatorTimingSchema,
  type HealthIndicatorTiming,
} from './decorators/health-indicator.options';
import type { BuiltInIndicator } from './indicators/core/built-in-indicator';
import { isBuiltInIndicator } from './indicators/core/built-in-indicator';
import { kindOf } from './indicators/core/positional';
import {
  BooleanOption,
  HttpStatusCodesFromStrings,
  IntegerInRange,
  IsFunctionArray,
  IsHttpStatusMap,
} from './options/option-rules';
import {
  IsHealthFormatOption,
  resolveFormatOption,
  type HealthFormatOption,
  type ResolvedHealthFormat,
} from './formats/response-format';
import {
  IsReminderInterval,
  isLoggerService,
  LOGGER_RULE,
  type HealthLoggerOption,
} from './logging/health-log.options';
import {
  resolveMetricsOptions,
  validateMetricsOptions,
  type HealthMetricsOptions,
  type ResolvedHealthMetricsOptions,
} from './metrics/health-metrics.options';
import {
  resolveFleetOptions,
  validateFleetOptions,
  type HealthFleetOptions,
  type ResolvedFleetOptions,
} from './fleet/fleet.options';
import {
  resolveHistoryOptions,
  validateHistoryOptions,
  type HealthHistoryOptions,
  type ResolvedHistoryOptions,
} from './history/health-history.options';
import {
  resolveGrpcOptions,
  validateGrpcOptions,
  type HealthGrpcOptions,
  type ResolvedGrpcOptions,
} from './servers/grpc/grpc-health.options';
import {
  resolveNotificationsOptions,
  validateNotificationsOptions,
  type HealthNotificationsOptions,
  type ResolvedNotificationsOptions,
} from './notifications/notifications.options';
import {
  resolveProbeServerOptions,
  validateProbeServerOptions,
  type HealthProbeServerOptions,
  type ResolvedProbeServerOptions,
} from './servers/probe-server.options';
import {
  resolveTelemetryOptions,
  validateTelemetryOptions,
  type HealthTelemetryOptions,
  type ResolvedHealthTelemetryOptions,
} from './telemetry/health-telemetry.options';
import { booleanFromString, UnconvertedOptionString } from './options/option-strings';
import {
  findOptionProblems,
  validateOptions,
  type OptionProblem,
} from './options/validate-options';

/**
 * The HTTP status codes a probe answers for each status of its group.
 */
export type HealthHttpStatusMapping = Partial<Record<HealthStatus, number>>;

/**
 * Options of the health stream.
 */
export interface HealthStreamOptions {
  /**
   * Milliseconds between heartbeat comments on an idle stream, so that proxies and load
   * balancers (which often drop a connection idle for 60 s) keep it open. Integer from 1000 to
   * 300000.
   * @default 15000
   */
  heartbeatMs?: number;
  /**
   * Most streams open at once; one more is answered 503 with `Retry-After`. Integer from 1 to
   * 100000.
   * @default 1000
   */
  maxSubscribers?: number;
  /**
   * Reconnection delay sent to clients in the first event (`retry:`), in milliseconds. Integer
   * from 100 to 600000.
   * @default 3000
   */
  retryMs?: number;
}

/**
 * Options of {@link HealthModule}, resolvable asynchronously through `forRootAsync`.
 *
 * Values from configuration: every numeric option, at any depth (`defaults.timeoutMs`,
 * `stream.heartbeatMs`, `httpStatus.readiness.down`, `metrics.durationBucketsSeconds`, …), also
 * takes a string holding a plain decimal number (`"100"`, `" 250 "`), and every boolean option
 * (`fastPath`, `logger`, `metrics`, `metrics.enabled`, …) takes `"true"` or `"false"`, because
 * `ConfigService.get()` returns environment variables as strings. They are converted before
 * validation. Any other string (`"100ms"`, `"1e3"`, `""`, `"yes"`) fails the boot with
 * `InvalidHealthModuleOptionsError` naming the option and the value and ending "got a string;
 * convert it with Number()" (or "convert it to a boolean"). The types stay `number` and
 * `boolean`: a string typed as one comes from an `any`, as `ConfigService.get()` returns.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       path: 'health',
 *       defaults: { intervalMs: 10_000, timeoutMs: 500 },
 *       httpStatus: { readiness: { degraded: 503 } },
 *     }),
 *   ],
 * })
 * export class AppModule {}
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
   * Where the module logs: `true` for Nest's `Logger` (the app's logger, context
   * `HealthModule`), `false` for nothing at all, or a `LoggerService` of your own (each line is
   * passed with the context `HealthModule`). It logs each effective transition once ("database:
   * up → down (connect ECONNREFUSED …; check took 2.1 ms)": a warning going down or degraded,
   * a log line coming back), a reminder while an indicator stays down or degraded (see
   * `reminderIntervalMs`), slow checks (see `slowCheckMs`), and the shutdown's steps. It never
   * logs every failed run.
   * @default true
   */
  logger?: HealthLoggerOption;
  /**
   * A run that takes longer than this many milliseconds (without timing out) logs a warning:
   * the first slow run of an indicator, then at most one per `reminderIntervalMs` while its runs
   * stay slow, with the number of slow runs since the last warning. Integer from 1 to 3600000,
   * or 0 to never warn.
   * @default 500 (half the default `timeoutMs`: a check that slow is close to timing out)
   */
  slowCheckMs?: number;
  /**
   * While an indicator stays down (or degraded), a reminder is logged at most once per this many
   * milliseconds after its transition was logged ("database: still down since …, 60 failed runs
   * since the last line"), never on every run. Also bounds repeated slow-check warnings.
   * Integer from 1000 to 86400000, or 0 for no reminders.
   * @default 300000 (5 minutes)
   */
  reminderIntervalMs?: number;
  /**
   * Prometheus metrics of the health state, made with prom-client (an optional peer dependency):
   * the status of every indicator and group, check durations, failures, timeouts and
   * transitions. Into your `registry` if given, else into one of the module's own served at
   * `GET /<path>/metrics` (for callers the details policy admits). Scraping reads the state; it
   * never runs a check. See {@link HealthMetricsOptions}; with prom-client missing, the boot
   * fails with `MissingOptionalDependencyError`.
   * @default undefined (no metrics; prom-client is never loaded)
   * @example `metrics: true`, or `metrics: { registry: register }` (prom-client's global registry)
   */
  metrics?: boolean | HealthMetricsOptions;
  /**
   * Fleet health through Redis: this replica publishes its state (on every change and at least
   * every `fleet.publishIntervalMs`) and reads its service's other replicas', for
   * `GET /<path>/fleet`, `GET /<path>/fleet/stream` and the dashboard's fleet view. See
   * {@link HealthFleetOptions}. It never changes this replica's own probes: Redis down, slow or
   * hung is logged and counted, and the fleet endpoints answer 503 with the last known view.
   * With a URL, ioredis (an optional peer) is loaded at init; with it missing the boot fails
   * with `MissingOptionalDependencyError` naming `fleet.redis`.
   * @default undefined (no fleet; nothing is published and ioredis is never loaded)
   * @example `fleet: { redis: 'redis://redis:6379', service: 'orders-api', instance: process.env.POD_NAME }`
   */
  fleet?: HealthFleetOptions;
  /**
   * History and uptime, in memory and bounded: per indicator and group, the last transitions and
   * every run folded into time buckets (runs, failures, worst status, latency min / p50 / p95 /
   * max, time in each status), for `GET /<path>/history` (details policy: callers it does not
   * admit see statuses only), the uptime and `lastUp` / `lastDown` of each indicator in
   * `GET /<path>`, and, with `fleet`, each replica's uptime in its snapshot. A reader of the
   * state: it never runs a check. `false` turns it off (the route answers 404, or is not mapped
   * with `forRoot`). See {@link HealthHistoryOptions}.
   * @default true (1-minute buckets over 24 hours, 100 transitions: 61 KB per indicator)
   * @example `history: { bucketMs: 300_000, retentionMs: 604_800_000 }` (5-minute buckets, 7 days)
   */
  history?: boolean | HealthHistoryOptions;
  /**
   * Serve the gRPC health protocol (`grpc.health.v1.Health`: `Check`, `Watch`, `List`) on a port
   * of its own, for Kubernetes' native gRPC probes: service `""` is readiness, and every group
   * answers by its name. `@grpc/grpc-js` and `grpc-health-check` are optional peers, loaded only
   * with this option. See {@link HealthGrpcOptions}.
   * @default undefined (no gRPC server; neither package is loaded)
   * @example `grpc: { port: 50051 }`
   */
  grpc?: HealthGrpcOptions;
  /**
   * Notifications: who is told when an indicator or group goes `down` or `degraded`, or
   * recovers — `webhook` channels (a signed JSON `POST`) and the other registered types, each
   * with a filter, the transitions it wants, a minimum interval, reminders and `sendOnResolved`.
   * Transitions within `batchWindowMs` go out as one message per channel; delivery is queued,
   * retried with backoff and bounded, never on the probe path; at shutdown the pending batch is
   * sent. With `fleet`, one replica sends a given transition (a Redis lock). See
   * {@link HealthNotificationsOptions} and the docs' "Notifications" page.
   * @default undefined (no notifications)
   * @example `notifications: { channels: [{ type: 'webhook', url: 'https://hooks.example.com/health' }] }`
   */
  notifications?: HealthNotificationsOptions;
  /**
   * OpenTelemetry metrics and spans of the health state, through the app's global
   * `MeterProvider` and `TracerProvider`, with `@opentelemetry/api` (an optional peer
   * dependency): the facts of the Prometheus metrics under OpenTelemetry names
   * (`health.check.duration` in `s`, `health.indicator.status` with a `health.status`
   * attribute, …) and a root span per check run (`health.check <indicator>`). See {@link
   * HealthTelemetryOptions}; with `@opentelemetry/api` missing, the boot fails with
   * `MissingOptionalDependencyError`. Until the app registers an SDK, nothing is recorded.
   * @default undefined (no telemetry; `@opentelemetry/api` is never loaded)
   * @example `telemetry: true`, or `telemetry: { traces: false }`
   */
  telemetry?: boolean | HealthTelemetryOptions;
  /**
   * The Server-Sent-Events stream at `GET /<path>/stream` (and the dashboard that reads it).
   * @default { heartbeatMs: 15000, maxSubscribers: 1000, retryMs: 3000 }
   */
  stream?: HealthStreamOptions;
  /**
   * Built-in indicators to register at init, made by the factories (`eventLoopIndicator()`,
   * `memoryIndicator()`, `redisIndicator(client)`, …; see the docs' "Built-in indicators" page,
   * `docs/built-in-indicators.md`). Each registers with the options given to its factory, and is
   * closed when the module is destroyed. Through `forRootAsync`, a client from DI can be passed
   * to a factory. Anything else in the array fails the boot with
   * `InvalidHealthModuleOptionsError`.
   * @default []
   * @example
   * ```ts
   * import { Module } from '@nestjs/common';
   * import { Redis } from 'ioredis';
   * import { HealthModule, eventLoopIndicator, redisIndicator } from 'nest-health';
   *
   * @Module({
   *   providers: [{ provide: Redis, useFactory: () => new Redis(process.env.REDIS_URL!) }],
   *   exports: [Redis],
   * })
   * export class RedisModule {}
   *
   * @Module({
   *   imports: [
   *     HealthModule.forRootAsync({
   *       imports: [RedisModule],
   *       inject: [Redis],
   *       useFactory: (redis: Redis) => ({
   *         indicators: [eventLoopIndicator(), redisIndicator(redis)],
   *       }),
   *     }),
   *   ],
   * })
   * export class AppModule {}
   * ```
   */
  indicators?: BuiltInIndicator[];
  /**
   * Who sees details: messages, data and process facts in `GET /<path>`, failure reasons in
   * `?verbose`, messages in the stream; and who may ask for `?fresh=true`. Everybody else gets
   * statuses only, and "reason withheld" for failures, as the Kubernetes API server answers
   * `/readyz?verbose`. See {@link HealthDetailsMode}: `'never'`, `'local'` (loopback callers,
   * by the socket's address, never `X-Forwarded-For`; or callers `authorize` admits),
   * `'authorized'` (callers `authorize` admits), `'always'`.
   * @default 'local'
   */
  details?: HealthDetailsMode;
  /**
   * Admits callers to the details (`details: 'local'` or `'authorized'`): a function
   * `(request) => boolean | Promise<boolean>` (admitted when it returns `true`; see
   * {@link HealthAuthorizeFunction}: its `request` is a {@link HealthRequest}, or declare it as
   * Express's `Request` or Fastify's `FastifyRequest`), or a Nest guard class, called with an
   * HTTP `ExecutionContext` of the health endpoint (a guard that throws means not admitted). A
   * guard is taken from the app's providers when registered in any module, otherwise created
   * once at init. Required with `details: 'authorized'`.
   * @example `authorize: (req) => req.headers['x-health-token'] === process.env.HEALTH_TOKEN`
   * @example `authorize: (req: Request) => req.get('x-health-token') === process.env.HEALTH_TOKEN` (Express)
   * @example `authorize: JwtAuthGuard`
   */
  authorize?: HealthAuthorize;
  /**
   * `?fresh=true` (admitted callers only) runs a group's checks now instead of reading the
   * last results; at most once per this many milliseconds per group (and per check for
   * `/<path>/ready/<check>`): within it, callers share the run in flight or read its results.
   * Integer from 0 to 3600000.
   * @default 1000
   */
  freshMinIntervalMs?: number;
  /**
   * On shutdown (`app.enableShutdownHooks()` and SIGTERM, or `app.close()`), readiness turns
   * down at once and the app goes on serving for this many milliseconds before it closes, so
   * that load balancers stop sending it requests first: Kubernetes removes a terminating pod
   * from its Service's endpoints asynchronously, and a load balancer that reads the readiness
   * probe needs `periodSeconds × failureThreshold` to notice. Set it near the readiness probe's
   * `periodSeconds × failureThreshold` (lightship's `shutdownDelay`, default 5 s, serves the
   * same purpose) and keep `terminationGracePeriodSeconds` above it plus the time the app needs
   * to close. Integer from 0 to 300000.
   * @default 0
   */
  shutdownDelayMs?: number;
  /**
   * The JSON shape of the answers: `'default'` (the module's own), or `'terminus'`, the body of
   * `@nestjs/terminus`'s `HealthCheckService.check()` — `{ status: 'ok' | 'error' |
   * 'shutting_down', info, error, details }`, 200 for `ok` and 503 otherwise — so that a team
   * moving from Terminus keeps its dashboards and tests. One format for every endpoint (the
   * probes and `GET /<path>`), or a map from group name to format for those groups' probes.
   * Messages and data in Terminus-shaped answers follow the details policy (`details`).
   * Whatever the option, `Accept: application/health+json` gets the IETF draft's format and
   * `?verbose` plain text.
   * @default 'default'
   * @example `format: 'terminus'`
   * @example `format: { readiness: 'terminus' }`
   */
  format?: HealthFormatOption;
  /**
   * Answers plain probes before the HTTP framework: the module puts itself in front of the HTTP
   * server's request listener (the Express app, or Fastify's router) and answers from a body
   * serialized once per state change, several times cheaper than the route. What it serves:
   * `GET` of a probe URL (`/<path>/live`, `/ready`, `/startup`, `/group/:name`, `/livez`,
   * `/readyz`, `/startupz`) with no query string, once Nest's own route has answered that exact
   * URL (so the global prefix, `RouterModule` and the router's rules stay Nest's), in the
   * module's own format: the route's status code and JSON body, with `Cache-Control: no-store`.
   * Everything else goes on to the framework: query strings (`?verbose`, `?exclude=`,
   * `?fresh=true`), per-check routes, `HEAD`, `Accept: application/health+json`, groups with
   * another `format`.
   *
   * What a fast answer skips, because it never reaches Express, Fastify or Nest: global and
   * controller guards (an auth guard too: the probes become public), interceptors, pipes,
   * exception filters, middleware (Nest's, `app.use()`'s), Fastify hooks and plugins
   * (`onRequest`, `onResponse`: request logging, request ids, rate limits, security headers),
   * Express's `ETag` and `X-Powered-By`, versioning. Probes usually should skip all of these;
   * turn it on when yours may.
   * @default false
   */
  fastPath?: boolean;
  /**
   * A probe port: a plain `node:http` server of the module's own, listening when the app boots
   * and closed at shutdown after `shutdownDelayMs`, that answers the probes (`/<path>/live`,
   * `/ready`, `/startup`, `/group/:name`, the per-check routes, `/livez`, `/readyz`,
   * `/startupz`), `GET /<path>`, `/<path>/metrics`, `/<path>/stream` and `/<path>/dashboard` with the same bodies, headers, status
   * codes, formats, details policy and query parameters as the app's routes, without the app's
   * guards, interceptors, pipes or middleware. Works in an application context with no HTTP
   * adapter (a worker). See {@link HealthProbeServerOptions}; `server.only` takes those routes
   * off the app's port. Under `details: 'local'` only loopback callers see details: the kubelet
   * probes through the pod IP.
   * @default undefined (no probe port)
   * @example `server: { port: 9000 }`
   */
  server?: HealthProbeServerOptions;
}

/**
 * Options that shape the routes. They are read when the module is defined (Nest builds routes
 * from decorators at import time), so they are given synchronously, also to `forRootAsync`.
 */
export interface HealthModuleRouteOptions {
  /**
   * The route prefix of the health endpoints: `GET /<path>/live`, `/<path>/ready`,
   * `/<path>/startup`, `/<path>/group/:name`, and `GET /<path>` for the details. An app's global
   * prefix applies in front of it (`/api/health/ready`), unless the app keeps the health routes
   * out of it with `app.setGlobalPrefix('api', { exclude: healthPrefixExclusions() })` (see
   * {@link healthPrefixExclusions}). Letters, digits, `-`, `_`, `.` and `/`; no leading or
   * trailing slash needed.
   * @default 'health'
   */
  path?: string;
  /**
   * Also serve `GET /livez`, `/readyz` and `/startupz` at the root (under the app's global prefix,
   * if any, unless excluded with {@link healthPrefixExclusions}), the names the Kubernetes API
   * server uses for its own probes.
   * @default true
   */
  aliases?: boolean;
  /**
   * Serve the dashboard page at `GET /<path>/dashboard`: a self-contained page (no CDN) that
   * reads the stream.
   * @default true
   */
  dashboard?: boolean;
  /**
   * Register the module globally, so that `HealthRegistry` and `HealthStateStore` can be
   * injected in any module.
   * @default true
   */
  isGlobal?: boolean;
  /**
   * Decorators applied to every controller of the module (probes, details, stream,
   * dashboard): the way through a global guard (`APP_GUARD`) that would otherwise ask the
   * kubelet for credentials. Pass the decorator your guard skips, e.g. `[Public()]` where
   * `Public = () => SetMetadata('isPublic', true)`. (The controllers also carry
   * `HEALTH_ENDPOINT_METADATA`, which a guard can check instead.) At most 32.
   *
   * An interceptor put here (`UseInterceptors(...)`), like a global one, sees a probe's body as
   * an object. Where no interceptor applies, a plain probe's handler returns its body already
   * serialized (once per state change; the same bytes and `Content-Type`), which makes it about
   * as cheap as a route answering a constant.
   * @default []
   */
  decorators?: ClassDecorator[];
}

/** The resolved module options, with every default applied. @internal */
export interface ResolvedHealthModuleOptions {
  readonly defaults: Required<HealthIndicatorTiming>;
  readonly httpStatus: Readonly<Record<string, Required<HealthHttpStatusMapping>>>;
  readonly logger: HealthLoggerOption;
  readonly slowCheckMs: number;
  readonly reminderIntervalMs: number;
  readonly metrics: ResolvedHealthMetricsOptions;
  readonly fleet: ResolvedFleetOptions | undefined;
  /** `undefined` when history is off. */
  readonly history: ResolvedHistoryOptions | undefined;
  /** `undefined` without the `grpc` option. */
  readonly grpc: ResolvedGrpcOptions | undefined;
  /** `undefined` when notifications are off. */
  readonly notifications: ResolvedNotificationsOptions | undefined;
  readonly telemetry: ResolvedHealthTelemetryOptions;
  readonly stream: Required<HealthStreamOptions>;
  readonly indicators: readonly BuiltInIndicator[];
  readonly details: HealthDetailsMode;
  readonly authorize: HealthAuthorize | undefined;
  readonly freshMinIntervalMs: number;
  readonly shutdownDelayMs: number;
  readonly format: ResolvedHealthFormat;
  readonly fastPath: boolean;
  /** `undefined` without a probe port. */
  readonly server: ResolvedProbeServerOptions | undefined;
}

/**
 * Every default of the module, in one place.
 */
export const HEALTH_MODULE_DEFAULTS = {
  /** Default of {@link HealthModuleRouteOptions.path}: the probes are under `/health`. */
  path: 'health',
  /**
   * Default of {@link HealthModuleRouteOptions.aliases}: `/livez`, `/readyz` and `/startupz` are
   * served.
   */
  aliases: true,
  /** Default of {@link HealthModuleRouteOptions.isGlobal}: the module is global. */
  isGlobal: true,
  /** Default of {@link HealthModuleOptions.logger}: Nest's `Logger`, context `HealthModule`. */
  logger: true,
  /** Default of {@link HealthModuleOptions.slowCheckMs}, in milliseconds. */
  slowCheckMs: 500,
  /** Default of {@link HealthModuleOptions.reminderIntervalMs}, in milliseconds (5 minutes). */
  reminderIntervalMs: 300_000,
  /** Default of {@link HealthModuleRouteOptions.dashboard}: the page is served. */
  dashboard: true,
  /**
   * Default of {@link HealthModuleOptions.stream}: heartbeat and retry in milliseconds, and the
   * most streams open at once.
   */
  stream: { heartbeatMs: 15_000, maxSubscribers: 1_000, retryMs: 3_000 },
  /**
   * Default of {@link HealthModuleOptions.details}: loopback callers, or callers `authorize`
   * admits.
   */
  details: 'local',
  /** Default of {@link HealthModuleOptions.freshMinIntervalMs}, in milliseconds. */
  freshMinIntervalMs: 1_000,
  /** Default of {@link HealthModuleOptions.shutdownDelayMs}, in milliseconds: no delay. */
  shutdownDelayMs: 0,
  /** Default of {@link HealthModuleOptions.format}: the module's own JSON. */
  format: 'default',
  /** Default of {@link HealthModuleOptions.fastPath}: every probe goes through the framework. */
  fastPath: false,
  /** Default of {@link HealthModuleRouteOptions.decorators}: none. */
  decorators: [],
  /** Default of {@link HealthModuleOptions.defaults}: every indicator's timing and thresholds. */
  defaults: {
    /** Default of {@link HealthIndicatorTiming.intervalMs}, in milliseconds. */
    intervalMs: 5_000,
    /** Default of {@link HealthIndicatorTiming.timeoutMs}, in milliseconds. */
    timeoutMs: 1_000,
    /**
     * Default of {@link HealthIndicatorTiming.failureThreshold}: one `down` result turns it down.
     */
    failureThreshold: 1,
    /** Default of {@link HealthIndicatorTiming.successThreshold}: one good result turns it up. */
    successThreshold: 1,
    /** Default of {@link HealthIndicatorTiming.cacheTtlMs}, in milliseconds (on-demand mode). */
    cacheTtlMs: 1_000,
  },
  /**
   * HTTP status of every group's probe for each status, unless {@link
   * HealthModuleOptions.httpStatus} says otherwise for the group.
   */
  httpStatus: { up: 200, degraded: 200, down: 503 },
} as const;

const PATH_RULE =
  'must be a route path of letters, digits, "-", "_", "." and "/" (at most 200 characters)';

/** The class-validator schema of {@link HealthStreamOptions}. @internal */
export class HealthStreamOptionsSchema implements HealthStreamOptions {
  @IsOptional()
  @IntegerInRange(1_000, 300_000, 'milliseconds')
  heartbeatMs?: number;

  @IsOptional()
  @IntegerInRange(1, 100_000)
  maxSubscribers?: number;

  @IsOptional()
  @IntegerInRange(100, 600_000, 'milliseconds')
  retryMs?: number;
}

/** The class-validator schema of {@link HealthModuleOptions}. @internal */
export class HealthModuleOptionsSchema implements HealthModuleOptions {
  @IsOptional()
  @ValidateNested()
  @Type(() => HealthIndicatorTimingSchema)
  defaults?: HealthIndicatorTimingSchema;

  @IsOptional()
  @HttpStatusCodesFromStrings()
  @IsHttpStatusMap()
  httpStatus?: Record<string, HealthHttpStatusMapping>;

  @IsOptional()
  @IntegerInRange(0, 3_600_000, 'milliseconds; 0 never warns')
  slowCheckMs?: number;

  @IsOptional()
  @IsReminderInterval()
  reminderIntervalMs?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => HealthStreamOptionsSchema)
  stream?: HealthStreamOptionsSchema;

  @IsOptional()
  @IsIn(HEALTH_DETAILS_MODES, { message: 'must be "never", "local", "authorized" or "always"' })
  details?: HealthDetailsMode;

  @IsHealthAuthorize()
  authorize?: HealthAuthorize;

  @IsOptional()
  @IntegerInRange(0, 3_600_000, 'milliseconds')
  freshMinIntervalMs?: number;

  @IsOptional()
  @IntegerInRange(0, 300_000, 'milliseconds')
  shutdownDelayMs?: number;

  @IsOptional()
  @IsHealthFormatOption()
  format?: HealthFormatOption;

  @IsOptional()
  @BooleanOption()
  fastPath?: boolean;
}

/** The class-validator schema of {@link HealthModuleRouteOptions}. @internal */
export class HealthModuleRouteOptionsSchema implements HealthModuleRouteOptions {
  @IsOptional()
  @IsString({ message: PATH_RULE })
  @Matches(/^\/?[A-Za-z0-9._\-/]{0,200}$/, { message: PATH_RULE })
  path?: string;

  @IsOptional()
  @BooleanOption()
  aliases?: boolean;

  @IsOptional()
  @BooleanOption()
  dashboard?: boolean;

  @IsOptional()
  @BooleanOption()
  isGlobal?: boolean;

  @IsOptional()
  @IsFunctionArray(32)
  decorators?: ClassDecorator[];
}

/**
 * The HTTP code of a probe of `group` whose status is `status`: the group's `httpStatus`
 * mapping, else the default (up and degraded 200, down 503).
 *
 * @internal
 */
export function httpStatusFor(
  options: ResolvedHealthModuleOptions,
  group: string,
  status: HealthStatus,
): number {
  return (options.httpStatus[group] ?? HEALTH_MODULE_DEFAULTS.httpStatus)[status];
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
  const fleet = resolveFleetOptions(options?.fleet);
  return {
    defaults: { ...HEALTH_MODULE_DEFAULTS.defaults, ...stripUndefined(options?.defaults ?? {}) },
    httpStatus,
    logger: options?.logger ?? HEALTH_MODULE_DEFAULTS.logger,
    slowCheckMs: options?.slowCheckMs ?? HEALTH_MODULE_DEFAULTS.slowCheckMs,
    reminderIntervalMs: options?.reminderIntervalMs ?? HEALTH_MODULE_DEFAULTS.reminderIntervalMs,
    metrics: resolveMetricsOptions(options?.metrics),
    fleet,
    history: resolveHistoryOptions(options?.history),
    grpc: resolveGrpcOptions(options?.grpc),
    notifications: resolveNotificationsOptions(options?.notifications, fleet),
    telemetry: resolveTelemetryOptions(options?.telemetry),
    stream: { ...HEALTH_MODULE_DEFAULTS.stream, ...stripUndefined(options?.stream ?? {}) },
    indicators: [...(options?.indicators ?? [])],
    details: options?.details ?? HEALTH_MODULE_DEFAULTS.details,
    authorize: options?.authorize,
    freshMinIntervalMs: options?.freshMinIntervalMs ?? HEALTH_MODULE_DEFAULTS.freshMinIntervalMs,
    shutdownDelayMs: options?.shutdownDelayMs ?? HEALTH_MODULE_DEFAULTS.shutdownDelayMs,
    format: resolveFormatOption(options?.format ?? HEALTH_MODULE_DEFAULTS.format),
    fastPath: options?.fastPath ?? HEALTH_MODULE_DEFAULTS.fastPath,
    server: resolveProbeServerOptions(options?.server),
  };
}

const INDICATORS_RULE =
  'must be an array of built-in indicators, made by eventLoopIndicator(), redisIndicator(client), …';

/**
 * Validates module options. `indicators`, `logger`, `metrics`, `fleet`, `history`, `grpc`,
 * `notifications`, `server` and `telemetry` are checked
 * apart from the class-validator schema: they hold clients and instances (a LoggerService, a prom-client
 * registry), which must be neither copied nor walked.
 *
 * @internal
 */
export function findModuleOptionProblems(raw: unknown): OptionProblem[] {
  return validateModuleOptions(raw).problems;
}

/**
 * Validates module options as {@link findModuleOptionProblems} does, and returns them with the
 * strings the module converts converted (`defaults: { timeoutMs: "100" }` → `100`; see
 * `validateOptions`), ready for {@link resolveHealthModuleOptions}.
 *
 * @internal
 */
export function validateModuleOptions(raw: unknown): {
  problems: OptionProblem[];
  options: HealthModuleOptions | undefined;
} {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      problems: findOptionProblems(HealthModuleOptionsSchema, raw),
      options: raw as HealthModuleOptions | undefined,
    };
  }
  const {
    indicators,
    logger,
    metrics,
    fleet,
    history,
    grpc,
    notifications,
    server,
    telemetry,
    ...rest
  } = raw as Record<string, unknown>;
  const validated = validateOptions(HealthModuleOptionsSchema, rest);
  const problems = validated.problems;
  const logging = typeof logger === 'string' ? booleanFromString(logger) : logger;
  if (logging !== undefined && typeof logging !== 'boolean' && !isLoggerService(logging)) {
    const value = typeof logger === 'object' && logger !== null ? kindOf(logger) : logger;
    const advice = logging instanceof UnconvertedOptionString ? `; ${logging.advice}` : '';
    problems.push({ option: 'logger', value, allowed: `${LOGGER_RULE}${advice}` });
  }
  const metricsOption = validateMetricsOptions(metrics);
  problems.push(...metricsOption.problems);
  const fleetOption = validateFleetOptions(fleet);
  problems.push(...fleetOption.problems);
  const historyOption = validateHistoryOptions(history);
  problems.push(...historyOption.problems);
  const grpcOption = validateGrpcOptions(grpc);
  problems.push(...grpcOption.problems);
  const notificationsOption = validateNotificationsOptions(notifications);
  problems.push(...notificationsOption.problems);
  const serverOption = validateProbeServerOptions(server);
  problems.push(...serverOption.problems);
  const telemetryOption = validateTelemetryOptions(telemetry);
  problems.push(...telemetryOption.problems);
  const options = {
    ...(validated.value as Record<string, unknown>),
    ...(indicators === undefined ? {} : { indicators }),
    ...(logging === undefined ? {} : { logger: logging }),
    ...(metricsOption.value === undefined ? {} : { metrics: metricsOption.value }),
    ...(fleetOption.value === undefined ? {} : { fleet: fleetOption.value }),
    ...(historyOption.value === undefined ? {} : { history: historyOption.value }),
    ...(grpcOption.value === undefined ? {} : { grpc: grpcOption.value }),
    ...(notificationsOption.value === undefined
      ? {}
      : { notifications: notificationsOption.value }),
    ...(serverOption.value === undefined ? {} : { server: serverOption.value }),
    ...(telemetryOption.value === undefined ? {} : { telemetry: telemetryOption.value }),
  } as HealthModuleOptions;
  if (indicators === undefined) return { problems, options };
  if (!Array.isArray(indicators)) {
    problems.push({ option: 'indicators', value: kindOf(indicators), allowed: INDICATORS_RULE });
    return { problems, options };
  }
  indicators.forEach((item: unknown, index) => {
    if (!isBuiltInIndicator(item)) {
      problems.push({
        option: `indicators[${index}]`,
        value: kindOf(item),
        allowed: INDICATORS_RULE,
      });
    }
  });
  return { problems, options };
}

/** @internal */
export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

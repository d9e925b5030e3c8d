import { IsOptional, IsString, Matches, ValidateBy } from 'class-validator';
import { BooleanOption, IntegerInRange } from '../options/option-rules';
import { validateObjectOption, type OptionProblem } from '../options/validate-options';

/** The routes the probe port can serve; see {@link HealthProbeServerOptions.routes}. */
export const HEALTH_PROBE_SERVER_ROUTES = [
  'probes',
  'details',
  'metrics',
  'stream',
  'dashboard',
] as const;

/**
 * A kind of route of the probe port: `'probes'` (`/<path>/live`, `/ready`, `/startup`,
 * `/group/:name`, their per-check routes, and `/livez`, `/readyz`, `/startupz` unless `aliases:
 * false`), `'details'` (`GET /<path>`), `'metrics'` (`GET /<path>/metrics`, when metrics are
 * served), `'stream'` (`GET /<path>/stream`, Server-Sent Events), `'dashboard'` (`GET
 * /<path>/dashboard`, unless the `dashboard` route option is off).
 */
export type HealthProbeServerRoute = (typeof HEALTH_PROBE_SERVER_ROUTES)[number];

/**
 * The probe port (`server` option): a plain `node:http` server of the module's own, beside the
 * app's HTTP server or in an application context that has none
 * (`NestFactory.createApplicationContext`), answering the probe routes with the same bodies,
 * headers, status codes, formats, details policy and query parameters as the app's routes.
 * Global guards, interceptors, pipes and middleware of the app never see its requests.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   imports: [HealthModule.forRoot({ server: { port: 9000, only: true } })],
 * })
 * export class AppModule {}
 * ```
 */
export interface HealthProbeServerOptions {
  /**
   * The TCP port to listen on, an integer from 0 to 65535; 0 takes a free port (read it from
   * `HealthProbeServer.port`). Required.
   */
  port: number;
  /**
   * The address to listen on. In a pod, the kubelet reaches a probe port through the pod's IP:
   * keep the default (every interface) or give the pod IP, not `127.0.0.1`.
   * @default every interface (`::` where IPv6 is available, else `0.0.0.0`), as `server.listen(port)`
   */
  host?: string;
  /**
   * Which routes it serves (see {@link HealthProbeServerRoute}); any other URL is 404.
   * @default ['probes', 'details', 'metrics', 'stream', 'dashboard']
   */
  routes?: HealthProbeServerRoute[];
  /**
   * Serve those routes on the probe port only: the app's own HTTP server does not map them
   * (with `forRoot`), or answers them 404 (with `forRootAsync`, whose options come after the
   * routes are mapped). Fleet and history stay on the app's port.
   * @default false
   */
  only?: boolean;
  /**
   * Milliseconds a client has to send a request's headers (`server.headersTimeout`); a slow
   * client (slowloris) is cut off after it. Integer from 100 to 120000.
   * @default 5000
   */
  headersTimeoutMs?: number;
  /**
   * Milliseconds a client has to send a whole request (`server.requestTimeout`). Integer from
   * 100 to 300000, at least `headersTimeoutMs`.
   * @default 10000
   */
  requestTimeoutMs?: number;
  /**
   * Milliseconds an idle keep-alive connection stays open (`server.keepAliveTimeout`). Integer
   * from 0 (no keep-alive) to 300000. Kubelet probes open a connection per probe.
   * @default 5000
   */
  keepAliveTimeoutMs?: number;
  /**
   * Most requests one connection may carry: the last is answered with `Connection: close` and
   * the connection ends after it (a client that pipelined more reconnects; unlike Node's
   * `server.maxRequestsPerSocket`, which answers those 503, a "not ready" from a probe route).
   * Integer from 0 (no limit) to 1000000.
   * @default 1000
   */
  maxRequestsPerSocket?: number;
  /**
   * Most bytes of request headers (Node's `maxHeaderSize`); more is answered 431 and the
   * connection closed. Integer from 1024 to 65536.
   * @default 8192
   */
  maxHeaderSizeBytes?: number;
}

/** The probe port's options with every default applied. @internal */
export type ResolvedProbeServerOptions = Readonly<
  Required<Omit<HealthProbeServerOptions, 'host' | 'routes'>> & {
    host: string | undefined;
    routes: readonly HealthProbeServerRoute[];
  }
>;

/** Every default of the `server` option. */
export const HEALTH_PROBE_SERVER_DEFAULTS = {
  /** Default of {@link HealthProbeServerOptions.routes}: every kind. */
  routes: HEALTH_PROBE_SERVER_ROUTES,
  /** Default of {@link HealthProbeServerOptions.only}. */
  only: false,
  /** Default of {@link HealthProbeServerOptions.headersTimeoutMs}, in milliseconds. */
  headersTimeoutMs: 5_000,
  /** Default of {@link HealthProbeServerOptions.requestTimeoutMs}, in milliseconds. */
  requestTimeoutMs: 10_000,
  /** Default of {@link HealthProbeServerOptions.keepAliveTimeoutMs}, in milliseconds. */
  keepAliveTimeoutMs: 5_000,
  /** Default of {@link HealthProbeServerOptions.maxRequestsPerSocket}. */
  maxRequestsPerSocket: 1_000,
  /** Default of {@link HealthProbeServerOptions.maxHeaderSizeBytes}, in bytes. */
  maxHeaderSizeBytes: 8_192,
} as const;

const ROUTES_RULE = `must be an array of ${HEALTH_PROBE_SERVER_ROUTES.map((r) => `"${r}"`).join(', ')} (each at most once)`;
const HOST_RULE = 'must be an IP address or a host name (at most 253 characters)';

/** The class-validator schema of {@link HealthProbeServerOptions}. @internal */
export class HealthProbeServerOptionsSchema {
  @IntegerInRange(0, 65_535)
  port!: number;

  @IsOptional()
  @IsString({ message: HOST_RULE })
  @Matches(/^[A-Za-z0-9.:%_-]{1,253}$/, { message: HOST_RULE })
  host?: string;

  @IsOptional()
  @ValidateBy({
    name: 'isProbeServerRoutes',
    validator: {
      validate: (value: unknown) =>
        Array.isArray(value) &&
        new Set(value).size === value.length &&
        value.every((route) => (HEALTH_PROBE_SERVER_ROUTES as readonly unknown[]).includes(route)),
      defaultMessage: () => ROUTES_RULE,
    },
  })
  routes?: HealthProbeServerRoute[];

  @IsOptional()
  @BooleanOption()
  only?: boolean;

  @IsOptional()
  @IntegerInRange(100, 120_000, 'milliseconds')
  headersTimeoutMs?: number;

  @IsOptional()
  @IntegerInRange(100, 300_000, 'milliseconds, at least headersTimeoutMs')
  requestTimeoutMs?: number;

  @IsOptional()
  @IntegerInRange(0, 300_000, 'milliseconds; 0 turns keep-alive off')
  keepAliveTimeoutMs?: number;

  @IsOptional()
  @IntegerInRange(0, 1_000_000, '0 for no limit')
  maxRequestsPerSocket?: number;

  @IsOptional()
  @IntegerInRange(1_024, 65_536, 'bytes')
  maxHeaderSizeBytes?: number;
}

/**
 * Validates the `server` option: the schema (problems dotted under `server.`), and that
 * `requestTimeoutMs` is at least `headersTimeoutMs` (Node requires it).
 *
 * @returns the problems and the options with strings converted.
 * @internal
 */
export function validateProbeServerOptions(value: unknown): {
  problems: OptionProblem[];
  value: unknown;
} {
  const validated = validateObjectOption(
    'server',
    HealthProbeServerOptionsSchema,
    value,
    'must be an object such as { port: 9000 }',
  );
  const problems = validated.problems;
  const given = validated.value as HealthProbeServerOptions | undefined;
  if (given !== undefined && problems.length === 0) {
    const headers = given.headersTimeoutMs ?? HEALTH_PROBE_SERVER_DEFAULTS.headersTimeoutMs;
    const request = given.requestTimeoutMs ?? HEALTH_PROBE_SERVER_DEFAULTS.requestTimeoutMs;
    if (request < headers) {
      problems.push({
        option: 'server.requestTimeoutMs',
        value: request,
        allowed: `must be at least headersTimeoutMs (${headers})`,
      });
    }
  }
  return { problems, value: given };
}

/**
 * Applies the defaults to validated probe port options; `undefined` when there is no probe port.
 *
 * @internal
 */
export function resolveProbeServerOptions(
  options: HealthProbeServerOptions | undefined,
): ResolvedProbeServerOptions | undefined {
  if (options === undefined) return undefined;
  const defaults = HEALTH_PROBE_SERVER_DEFAULTS;
  return {
    port: options.port,
    host: options.host,
    routes: [...(options.routes ?? defaults.routes)],
    only: options.only ?? defaults.only,
    headersTimeoutMs: options.headersTimeoutMs ?? defaults.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? defaults.requestTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? defaults.keepAliveTimeoutMs,
    maxRequestsPerSocket: options.maxRequestsPerSocket ?? defaults.maxRequestsPerSocket,
    maxHeaderSizeBytes: options.maxHeaderSizeBytes ?? defaults.maxHeaderSizeBytes,
  };
}

/**
 * Whether the routes of `kind` are served on the probe port only (`server.only`), so that the
 * app's own HTTP server must not answer them.
 *
 * @internal
 */
export function servedOnProbePortOnly(
  server: Pick<ResolvedProbeServerOptions, 'only' | 'routes'> | undefined,
  kind: HealthProbeServerRoute,
): boolean {
  return server !== undefined && server.only && server.routes.includes(kind);
}

import { IsOptional, IsString, Matches } from 'class-validator';
import { kindOf } from '../../indicators/core/positional';
import { IntegerInRange, isPlainObject } from '../../options/option-rules';
import { validateOptions, type OptionProblem } from '../../options/validate-options';

/**
 * The `grpc` module option: serve the standard gRPC health protocol (`grpc.health.v1.Health`:
 * `Check`, `Watch`, `List`) on a port of its own, from the engine's state, for Kubernetes' native
 * gRPC probes (`grpc: { port, service }`, stable since Kubernetes 1.27) and for load balancers and
 * meshes that speak it. `@grpc/grpc-js` and `grpc-health-check` (optional peers) are loaded only
 * when this option is set; the boot fails with `MissingOptionalDependencyError` naming the one
 * that is missing.
 *
 * Service names: `""` is readiness (the process as a whole can serve), and `liveness`,
 * `readiness`, `startup` and every custom group answer by their name. A group is `SERVING` when
 * its HTTP probe would succeed (a status below 400 by the `httpStatus` mapping: by default `up`
 * and `degraded`), else `NOT_SERVING`. See the docs' "gRPC health" page.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   // readinessProbe: { grpc: { port: 50051 } } in the pod spec
 *   imports: [HealthModule.forRoot({ grpc: { port: 50051 } })],
 * })
 * export class AppModule {}
 * ```
 */
export interface HealthGrpcOptions {
  /**
   * The port to listen on. Integer from 0 to 65535; `0` picks a free port (see
   * `HealthGrpcServer.port`). Required.
   */
  port: number;
  /**
   * The address to listen on. A host name or an IP address (IPv6 without brackets).
   * @default '0.0.0.0' (every IPv4 interface: the kubelet probes the pod's IP)
   */
  host?: string;
  /**
   * Server credentials from `@grpc/grpc-js` (e.g. `ServerCredentials.createSsl(…)`). Kubernetes'
   * gRPC probes do not support TLS, so a port the kubelet probes must stay insecure.
   * @default `ServerCredentials.createInsecure()`
   */
  credentials?: object;
  /**
   * Most `Watch` streams open at once; one more is refused with `RESOURCE_EXHAUSTED`, so that
   * watchers cannot exhaust the process's memory. Integer from 1 to 100000.
   * @default 1000
   */
  maxWatchStreams?: number;
}

/** The gRPC options with every default applied. @internal */
export interface ResolvedGrpcOptions {
  readonly port: number;
  readonly host: string;
  readonly credentials: object | undefined;
  readonly maxWatchStreams: number;
}

/** Every default of the `grpc` option. */
export const HEALTH_GRPC_DEFAULTS = {
  /** Default of {@link HealthGrpcOptions.host}. */
  host: '0.0.0.0',
  /** Default of {@link HealthGrpcOptions.maxWatchStreams}. */
  maxWatchStreams: 1_000,
} as const;

const HOST_RULE = 'must be a host name or an IP address';

/** The class-validator schema of {@link HealthGrpcOptions}, without `credentials`. @internal */
export class HealthGrpcOptionsSchema {
  @IntegerInRange(0, 65_535)
  port!: number;

  @IsOptional()
  @IsString({ message: HOST_RULE })
  @Matches(/^[A-Za-z0-9.:_-]{1,253}$/, { message: HOST_RULE })
  host?: string;

  @IsOptional()
  @IntegerInRange(1, 100_000)
  maxWatchStreams?: number;
}

/**
 * Validates the `grpc` option: the schema, and `credentials` (an object, never walked).
 *
 * @returns the problems (dotted under `grpc.`) and the options with strings converted.
 * @internal
 */
export function validateGrpcOptions(value: unknown): { problems: OptionProblem[]; value: unknown } {
  if (value === undefined) return { problems: [], value };
  if (!isPlainObject(value)) {
    const given = typeof value === 'object' && value !== null ? kindOf(value) : value;
    return {
      problems: [{ option: 'grpc', value: given, allowed: 'must be an object with a port' }],
      value,
    };
  }
  const { credentials, ...given } = value;
  const validated = validateOptions(HealthGrpcOptionsSchema, given);
  const problems = validated.problems.map((problem) => ({
    ...problem,
    option: `grpc.${problem.option}`,
  }));
  if (credentials !== undefined && (typeof credentials !== 'object' || credentials === null)) {
    problems.push({
      option: 'grpc.credentials',
      value: credentials,
      allowed: 'must be ServerCredentials from @grpc/grpc-js',
    });
  }
  const rest = validated.value as Record<string, unknown>;
  return {
    problems,
    value: credentials === undefined ? rest : { ...rest, credentials },
  };
}

/** Applies the defaults; `undefined` when the option is not set. @internal */
export function resolveGrpcOptions(
  options: HealthGrpcOptions | undefined,
): ResolvedGrpcOptions | undefined {
  if (options === undefined) return undefined;
  return {
    port: options.port,
    host: options.host ?? HEALTH_GRPC_DEFAULTS.host,
    credentials: options.credentials,
    maxWatchStreams: options.maxWatchStreams ?? HEALTH_GRPC_DEFAULTS.maxWatchStreams,
  };
}

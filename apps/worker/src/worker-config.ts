import { eventLoopIndicator, type HealthModuleOptions } from 'nest-health';
import { envReader, integerIn, type AppEnv } from '../../shared/env-reader';

/** Everything the worker reads from its environment, validated, in one place. */
export interface WorkerConfig {
  /** `REDIS_URL`: the Redis of the BullMQ queue. @default 'redis://127.0.0.1:6379' */
  readonly redisUrl: string;
  /** `QUEUE_PREFIX`: BullMQ key prefix, the example app's by default. @default 'bull' */
  readonly queuePrefix: string;
  /**
   * `HEALTH_GRPC_PORT`: the gRPC health service's port (`grpc.health.v1.Health`), for the
   * readiness probe. `0` picks a free port. @default 50051
   */
  readonly grpcPort: number;
  /**
   * `HEALTH_PORT`: the probe port (a `node:http` server of the health module's own) for the
   * liveness probe: `/health/live`, `/health/ready`, `/health/startup`, `GET /health`. `0` picks
   * a free port. @default 9000
   */
  readonly healthPort: number;
  /**
   * `SHUTDOWN_DELAY_MS`: on SIGTERM, how long the probes say "not ready" while the worker goes
   * on, before it closes. @default 0
   */
  readonly shutdownDelayMs: number;
  /** Options of the health module, made from the above. */
  readonly health: HealthModuleOptions;
}

/**
 * Reads and validates the worker's configuration.
 *
 * @param env - the environment, usually `process.env`.
 * @throws Error listing every invalid variable with what is allowed (never a URL's value: it may
 *   carry a password).
 */
export function loadWorkerConfig(env: AppEnv): WorkerConfig {
  const { read, assertValid } = envReader(env);
  const redisUrl = read(
    'REDIS_URL',
    (raw) => (/^rediss?:\/\/\S+$/.test(raw) ? raw : undefined),
    'must be a redis:// or rediss:// URL',
    'redis://127.0.0.1:6379',
    { secret: true },
  );
  const queuePrefix = read(
    'QUEUE_PREFIX',
    (raw) => (/^[\w.-]{1,64}$/.test(raw) ? raw : undefined),
    'must be 1 to 64 letters, digits, "_", "." or "-"',
    'bull',
  );
  const grpcPort = read(
    'HEALTH_GRPC_PORT',
    integerIn(0, 65_535),
    'must be an integer from 0 to 65535',
    50051,
  );
  const healthPort = read(
    'HEALTH_PORT',
    integerIn(0, 65_535),
    'must be an integer from 0 to 65535',
    9000,
  );
  const shutdownDelayMs = read(
    'SHUTDOWN_DELAY_MS',
    integerIn(0, 300_000),
    'must be an integer from 0 to 300000 (milliseconds)',
    0,
  );
  assertValid();
  return {
    redisUrl,
    queuePrefix,
    grpcPort,
    healthPort,
    shutdownDelayMs,
    health: {
      // A worker has no HTTP server: its probes are the module's own probe port (HTTP, for the
      // liveness probe) and gRPC health service (for the readiness probe).
      server: { port: healthPort },
      grpc: { port: grpcPort },
      shutdownDelayMs,
      defaults: { intervalMs: 5_000, timeoutMs: 1_000 },
      // Liveness checks the process itself, never Redis: a restart cures a blocked loop only.
      indicators: [eventLoopIndicator()],
    },
  };
}

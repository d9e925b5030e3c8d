import { eventLoopIndicator, type HealthModuleOptions } from 'nest-health';

/** Injection token of the app's {@link ExampleConfig}. */
export const EXAMPLE_CONFIG = Symbol('EXAMPLE:CONFIG');

/** The HTTP platforms the app can run on. */
export type HttpAdapterName = 'express' | 'fastify';

/**
 * Everything the example app reads from its environment, validated, in one place.
 */
export interface ExampleConfig {
  /** `PORT`: where the app listens. @default 3000 */
  readonly port: number;
  /** `HTTP_ADAPTER`: `express` or `fastify`. @default 'express' */
  readonly httpAdapter: HttpAdapterName;
  /**
   * `DATABASE_URL`: a `postgres://` connection string. Unset: an embedded in-memory PGlite, so
   * the app runs with no database server.
   */
  readonly databaseUrl: string | undefined;
  /** `REDIS_URL`: the Redis of the cache check and of the BullMQ queue. @default 'redis://127.0.0.1:6379' */
  readonly redisUrl: string;
  /**
   * `RABBITMQ_URL`: an `amqp://` or `amqps://` URL. Set, the app checks RabbitMQ with the
   * library's built-in `rabbitmqIndicator` (indicator `rabbitmq`, in readiness). Unset: no
   * RabbitMQ check.
   */
  readonly rabbitmqUrl: string | undefined;
  /** `QUEUE_PREFIX`: BullMQ key prefix; one prefix per app keeps queues apart. @default 'bull' */
  readonly queuePrefix: string;
  /** `QUEUE_WAITING_THRESHOLD`: waiting jobs above which the queue is degraded. @default 1000 */
  readonly queueWaitingThreshold: number;
  /**
   * `SHUTDOWN_DELAY_MS`: on SIGTERM, how long readiness is down while the app keeps serving,
   * before it closes (the health module's `shutdownDelayMs`). @default 0
   */
  readonly shutdownDelayMs: number;
  /**
   * Options of the health module; `shutdownDelayMs` comes from {@link shutdownDelayMs}, the rest
   * is not read from the environment (tests override it). By default: checks every 5 s with a
   * 1 s timeout, metrics on, and the built-in event-loop indicator in liveness.
   */
  readonly health: HealthModuleOptions;
}

/** The environment variables {@link loadExampleConfig} reads. */
export type ExampleEnv = Readonly<Record<string, string | undefined>>;

const HTTP_ADAPTERS: readonly HttpAdapterName[] = ['express', 'fastify'];

/**
 * Reads and validates the configuration.
 *
 * @param env - the environment, usually `process.env`.
 * @param overrides - values that win over the environment (tests use them).
 * @throws Error listing every invalid variable with its value and what is allowed.
 */
export function loadExampleConfig(
  env: ExampleEnv,
  overrides: Partial<ExampleConfig> = {},
): ExampleConfig {
  const problems: string[] = [];
  const read = <T>(
    name: string,
    parse: (raw: string) => T | undefined,
    rule: string,
    fallback: T,
    { secret = false } = {},
  ): T => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const value = parse(raw);
    // URLs may carry a password: never echo them.
    if (value === undefined) problems.push(`${name} ${rule}${secret ? '' : ` (got "${raw}")`}`);
    return value ?? fallback;
  };

  const config: ExampleConfig = {
    port: read('PORT', integerIn(0, 65_535), 'must be an integer from 0 to 65535', 3000),
    httpAdapter: read(
      'HTTP_ADAPTER',
      (raw) => HTTP_ADAPTERS.find((name) => name === raw.toLowerCase()),
      'must be "express" or "fastify"',
      'express',
    ),
    databaseUrl: read(
      'DATABASE_URL',
      urlWith(['postgres:', 'postgresql:']),
      'must be a postgres:// URL',
      undefined,
      { secret: true },
    ),
    redisUrl: read(
      'REDIS_URL',
      urlWith(['redis:', 'rediss:']),
      'must be a redis:// or rediss:// URL',
      'redis://127.0.0.1:6379',
      { secret: true },
    ),
    rabbitmqUrl: read(
      'RABBITMQ_URL',
      urlWith(['amqp:', 'amqps:']),
      'must be an amqp:// or amqps:// URL',
      undefined,
      { secret: true },
    ),
    queuePrefix: read(
      'QUEUE_PREFIX',
      (raw) => (/^[\w.-]{1,64}$/.test(raw) ? raw : undefined),
      'must be 1 to 64 letters, digits, "_", "." or "-"',
      'bull',
    ),
    queueWaitingThreshold: read(
      'QUEUE_WAITING_THRESHOLD',
      integerIn(1, 1_000_000_000),
      'must be a positive integer',
      1000,
    ),
    shutdownDelayMs: read(
      'SHUTDOWN_DELAY_MS',
      integerIn(0, 300_000),
      'must be an integer from 0 to 300000 (milliseconds)',
      0,
    ),
    // Prometheus metrics of the health state, in the module's own registry: GET /health/metrics.
    // Liveness checks the process itself: the built-in event-loop indicator (group liveness)
    // turns down only when the loop was blocked for seconds, what a restart cures.
    health: {
      defaults: { intervalMs: 5_000, timeoutMs: 1_000 },
      metrics: true,
      indicators: [eventLoopIndicator()],
    },
  };
  if (problems.length > 0) {
    throw new Error(`Invalid configuration: ${problems.join('; ')}.`);
  }
  const merged = { ...config, ...overrides };
  return {
    ...merged,
    health: { shutdownDelayMs: merged.shutdownDelayMs, ...merged.health },
  };
}

function integerIn(min: number, max: number): (raw: string) => number | undefined {
  return (raw) => {
    const value = Number(raw);
    return /^\d+$/.test(raw) && value >= min && value <= max ? value : undefined;
  };
}

function urlWith(protocols: readonly string[]): (raw: string) => string | undefined {
  return (raw) => {
    try {
      return protocols.includes(new URL(raw).protocol) ? raw : undefined;
    } catch {
      return undefined;
    }
  };
}

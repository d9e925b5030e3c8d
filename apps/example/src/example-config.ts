import { hostname } from 'node:os';
import { eventLoopIndicator, type HealthModuleOptions } from 'nest-health';
import {
  envReader,
  integerIn,
  urlWith,
  type AppEnv,
  type EnvReader,
} from '../../shared/env-reader';

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
   * `HEALTH_PORT`: serve the probes, `GET /health`, metrics, the stream and the dashboard also on
   * a probe port of their own (the health module's `server: { port }`), on every interface; unset, no
   * probe port. @default undefined
   */
  readonly healthPort: number | undefined;
  /**
   * Fleet health (the health module's `fleet` option), on with `HEALTH_FLEET=true`; `undefined`
   * when off (the default). Every replica publishes its state to Redis and serves the whole
   * fleet's at `GET /health/fleet` and `GET /health/fleet/stream`. Read from:
   * - `HEALTH_FLEET_REDIS_URL`: the fleet's Redis (default: `REDIS_URL`). Another Redis than the
   *   app's keeps the fleet's outages apart from the app's own `redis` check;
   * - `HEALTH_FLEET_SERVICE`: the service (default: `nest-health-example`);
   * - `INSTANCE_ID`: this replica's name (default: `os.hostname()`, the pod's name on Kubernetes);
   * - `HEALTH_FLEET_PUBLISH_INTERVAL_MS`, `HEALTH_FLEET_TTL_MS`, `HEALTH_FLEET_RETENTION_MS`,
   *   `HEALTH_FLEET_TIMEOUT_MS`: the module's `publishIntervalMs`, `ttlMs`, `retentionMs` and
   *   `timeoutMs`, in milliseconds (default: the module's, 5000, 3 × the interval, 300000, 1000).
   *
   * Replicas started on one machine with `PORT` and `INSTANCE_ID` apart see each other.
   */
  readonly fleet: ExampleFleetOptions | undefined;
  /**
   * `HEALTH_GRPC_PORT`: serve the gRPC health protocol (`grpc.health.v1.Health`) on this port
   * (the health module's `grpc` option), for Kubernetes' native gRPC probes. Unset: no gRPC
   * server.
   */
  readonly grpcPort: number | undefined;
  /**
   * A webhook to tell of every transition (the health module's `notifications` option, one
   * `webhook` channel), on when `NOTIFY_WEBHOOK_URL` (an `http://` or `https://` URL) is set;
   * `NOTIFY_WEBHOOK_SECRET` signs each message (`X-Health-Signature`). Neither is ever echoed.
   * `undefined` when off (the default).
   */
  readonly notifyWebhook: ExampleWebhookOptions | undefined;
  /**
   * `NOTIFY_SLACK_URL`: a Slack incoming-webhook URL (`https://hooks.slack.com/services/…`) told
   * of every transition (a `slack` channel of the `notifications` option, Block Kit messages).
   * Never echoed: the URL is the token. `undefined` when unset (the default).
   */
  readonly notifySlackUrl: string | undefined;
  /**
   * Options of the health module; `shutdownDelayMs` comes from {@link shutdownDelayMs}, `server`
   * from {@link healthPort}, `fleet` from {@link fleet}, `grpc` from {@link grpcPort} and
   * `notifications` from {@link notifyWebhook} and {@link notifySlackUrl} (an override of
   * `health` keeps them unless it sets them), the
   * rest is not read from the environment (tests override it). By default: checks every 5 s
   * with a 1 s timeout, metrics on, and the built-in event-loop indicator in liveness.
   */
  readonly health: HealthModuleOptions;
}

/** The example's webhook channel: where, and the signing secret if any. */
export interface ExampleWebhookOptions {
  /** `NOTIFY_WEBHOOK_URL`. */
  readonly url: string;
  /** `NOTIFY_WEBHOOK_SECRET`, or `undefined` for unsigned messages. */
  readonly secret: string | undefined;
}

/** The environment variables {@link loadExampleConfig} reads. */
export type ExampleEnv = AppEnv;

const HTTP_ADAPTERS: readonly HttpAdapterName[] = ['express', 'fastify'];

/** The health module's `fleet` option. */
export type ExampleFleetOptions = NonNullable<HealthModuleOptions['fleet']>;

/** The fleet's service name in the example, unless `HEALTH_FLEET_SERVICE` says otherwise. */
export const EXAMPLE_FLEET_SERVICE = 'nest-health-example';

/** The rule of the module's service and instance names: letters, digits, `.`, `_`, `-`. */
const FLEET_NAME = /^[A-Za-z0-9._-]+$/;

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
  const reader = envReader(env);
  const { read } = reader;

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
    healthPort: read(
      'HEALTH_PORT',
      integerIn(0, 65_535),
      'must be an integer from 0 to 65535',
      undefined,
    ),
    fleet: undefined,
    grpcPort: read(
      'HEALTH_GRPC_PORT',
      integerIn(0, 65_535),
      'must be an integer from 0 to 65535',
      undefined,
    ),
    notifyWebhook: undefined,
    notifySlackUrl: read(
      'NOTIFY_SLACK_URL',
      urlWith(['https:']),
      'must be an https:// URL',
      undefined,
      { secret: true },
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
  const fleetOn = read(
    'HEALTH_FLEET',
    (raw) => (/^true$/i.test(raw) ? true : /^false$/i.test(raw) ? false : undefined),
    'must be "true" or "false"',
    false,
  );
  const fleet = readFleet(reader, config.redisUrl);
  const webhookUrl = read(
    'NOTIFY_WEBHOOK_URL',
    urlWith(['http:', 'https:']),
    'must be an http:// or https:// URL',
    undefined,
    { secret: true },
  );
  const webhookSecret = read('NOTIFY_WEBHOOK_SECRET', (raw) => raw, '', undefined, {
    secret: true,
  });
  reader.assertValid();
  const merged = {
    ...config,
    fleet: fleetOn ? fleet : undefined,
    notifyWebhook:
      webhookUrl === undefined ? undefined : { url: webhookUrl, secret: webhookSecret },
    ...overrides,
  };
  const webhook = merged.notifyWebhook;
  const channels: NonNullable<HealthModuleOptions['notifications']>['channels'] = [
    ...(webhook === undefined
      ? []
      : [
          {
            type: 'webhook' as const,
            url: webhook.url,
            ...(webhook.secret === undefined ? {} : { secret: webhook.secret }),
          },
        ]),
    ...(merged.notifySlackUrl === undefined
      ? []
      : [{ type: 'slack' as const, url: merged.notifySlackUrl }]),
  ];
  return {
    ...merged,
    health: {
      shutdownDelayMs: merged.shutdownDelayMs,
      ...(merged.healthPort === undefined ? {} : { server: { port: merged.healthPort } }),
      ...(merged.fleet === undefined ? {} : { fleet: merged.fleet }),
      ...(merged.grpcPort === undefined ? {} : { grpc: { port: merged.grpcPort } }),
      ...(channels.length === 0 ? {} : { notifications: { channels } }),
      ...merged.health,
    },
  };
}

/**
 * The `HEALTH_FLEET_*` variables (and `INSTANCE_ID`), read whether the fleet is on or not so
 * that a mistake shows before it is turned on. The durations are checked in the module's ranges,
 * and in its order (interval < TTL ≤ retention) when both of a pair are set; against a default,
 * the module checks the order at boot.
 */
function readFleet({ read, problem }: EnvReader, redisUrl: string): ExampleFleetOptions {
  const redis = read(
    'HEALTH_FLEET_REDIS_URL',
    urlWith(['redis:', 'rediss:']),
    'must be a redis:// or rediss:// URL',
    redisUrl,
    { secret: true },
  );
  const service = read(
    'HEALTH_FLEET_SERVICE',
    (raw) => (FLEET_NAME.test(raw) && raw.length <= 100 ? raw : undefined),
    'must be 1 to 100 letters, digits, ".", "_" or "-"',
    EXAMPLE_FLEET_SERVICE,
  );
  const instance = read(
    'INSTANCE_ID',
    (raw) => (FLEET_NAME.test(raw) && raw.length <= 253 ? raw : undefined),
    'must be 1 to 253 letters, digits, ".", "_" or "-"',
    hostname(),
  );
  const ms = (name: string, min: number, max: number) =>
    read(
      name,
      integerIn(min, max),
      `must be an integer from ${min} to ${max} (milliseconds)`,
      undefined,
    );
  const publishIntervalMs = ms('HEALTH_FLEET_PUBLISH_INTERVAL_MS', 100, 300_000);
  const ttlMs = ms('HEALTH_FLEET_TTL_MS', 101, 3_600_000);
  const retentionMs = ms('HEALTH_FLEET_RETENTION_MS', 101, 604_800_000);
  const timeoutMs = ms('HEALTH_FLEET_TIMEOUT_MS', 10, 60_000);
  if (publishIntervalMs !== undefined && ttlMs !== undefined && ttlMs <= publishIntervalMs) {
    problem('HEALTH_FLEET_TTL_MS must be more than HEALTH_FLEET_PUBLISH_INTERVAL_MS');
  }
  if (ttlMs !== undefined && retentionMs !== undefined && retentionMs < ttlMs) {
    problem('HEALTH_FLEET_RETENTION_MS must be at least HEALTH_FLEET_TTL_MS');
  }
  return {
    redis,
    service,
    instance,
    ...(publishIntervalMs === undefined ? {} : { publishIntervalMs }),
    ...(ttlMs === undefined ? {} : { ttlMs }),
    ...(retentionMs === undefined ? {} : { retentionMs }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

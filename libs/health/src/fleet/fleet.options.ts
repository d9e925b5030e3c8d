import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { IsOptional, IsString, Matches, ValidateBy, type ValidationOptions } from 'class-validator';
import { hasMethods, kindOf } from '../indicators/core/positional';
import {
  InstanceNameOption,
  IntegerInRange,
  isPlainObject,
  ServiceNameOption,
} from '../options/option-rules';
import { numberFromString } from '../options/option-strings';
import { validateObjectOption, type OptionProblem } from '../options/validate-options';

/**
 * An ioredis client the app already has: a `Redis` (standalone, or Sentinel-managed with
 * `sentinels`) or a `Cluster`. The module uses it for publishing and reading, makes one
 * `duplicate()` of it for the fleet stream's blocking reads, and never closes it (closing it is
 * the app's affair). Declared by the methods the module needs, so that the library's types do
 * not depend on ioredis.
 */
export interface FleetRedisClient {
  /** ioredis's `duplicate()`: a new connection with the same options. */
  duplicate(...args: never[]): unknown;
  /** ioredis's `multi()`: a transaction, sent in one round trip. */
  multi(...args: never[]): unknown;
  /** ioredis's `mget()`. */
  mget(...args: never[]): unknown;
}

/**
 * How the fleet's own status is made from its replicas' (`fleet.policy`):
 * - `'default'`: `down` only when no replica is ready (none takes traffic), `degraded` when any
 *   replica is not `up` (stale, terminating and down ones included), else `up`;
 * - `'all'`: `down` when any replica is down or stale, `degraded` when any is degraded or
 *   terminating, else `up` (every replica must be well);
 * - `'any'`: `up` when any replica is up, else `degraded` when any is ready, else `down`;
 * - `{ quorum: 0.5 }`: `down` when fewer than this share of the replicas (stale ones counted)
 *   are ready, `degraded` when any is not `up`, else `up`. A share from 0 (exclusive) to 1.
 */
export type FleetPolicy =
  | 'default'
  | 'all'
  | 'any'
  | {
      /** The share of replicas that must be ready, from 0 (exclusive) to 1, e.g. `0.5`. */
      quorum: number;
    };

/**
 * Fleet health (`fleet` option): every replica of a service publishes its own state to Redis and
 * reads the others', for `GET /<path>/fleet`, `GET /<path>/fleet/stream` and the dashboard's
 * fleet view. Observability only: Redis being down, slow or hung never changes a replica's own
 * probes, never slows them and never holds up its shutdown. ioredis (an optional peer) is loaded
 * only with a URL, when the module initialises.
 *
 * Key layout, all under one hash tag so that a Redis Cluster keeps a service on one slot
 * (`<prefix>:{<service>}:…`): `instances` (a sorted set of replica names scored by last publish,
 * in milliseconds since the epoch), `instance:<name>` (a replica's JSON snapshot, expiring after
 * `ttlMs`) and `transitions` (a Redis Stream of transitions, capped near `maxTransitions`).
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       fleet: {
 *         redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
 *         service: 'orders-api',
 *         instance: process.env.POD_NAME, // the pod's name, through the Downward API
 *       },
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export interface HealthFleetOptions {
  /**
   * Redis: a URL (`redis://`, `rediss://`; the module opens its own two connections with
   * ioredis and closes them at shutdown), or an ioredis `Redis` / `Cluster` client of the app's
   * (see {@link FleetRedisClient}). Required.
   */
  redis: string | FleetRedisClient;
  /**
   * The service the replica belongs to: replicas of one service see each other, and only each
   * other. Letters, digits, `.`, `_`, `-`, at most 100 characters.
   * @default the `name` in the app's `package.json` (the nearest one above the working
   *   directory, else above the entry script; without an npm scope), else `"app"`
   */
  service?: string;
  /**
   * This replica's name, unique in the service. Letters, digits, `.`, `_`, `-`, at most 253
   * characters (a pod name is a DNS subdomain, at most 253).
   * @default `os.hostname()`: Kubernetes sets a pod's hostname to its name
   */
  instance?: string;
  /**
   * The app's version, shown per replica (a rollout shows two). At most 100 characters.
   * @default the `version` in the app's `package.json`, else none
   */
  version?: string;
  /**
   * Prefix of every key. Letters, digits, `.`, `_`, `-`, `:`, at most 64 characters.
   * @default 'health'
   */
  prefix?: string;
  /**
   * A replica publishes on every change of its own state and at least once per this many
   * milliseconds (its heartbeat). Integer from 100 to 300000.
   * @default 5000 (12 publishes a minute, one round trip each)
   */
  publishIntervalMs?: number;
  /**
   * Lifetime of a replica's snapshot key, in milliseconds: a replica that has not published for
   * this long is `stale` (killed, frozen, cut off from Redis). Integer, more than
   * `publishIntervalMs`, at most 3600000.
   * @default 3 × publishIntervalMs (two heartbeats may be lost before a replica is stale)
   */
  ttlMs?: number;
  /**
   * How long a stale replica stays in the fleet view, in milliseconds since it last published;
   * then it is dropped from the index. Integer from `ttlMs` to 604800000 (7 days).
   * @default 300000 (5 minutes)
   */
  retentionMs?: number;
  /**
   * Deadline of one publish or read, in milliseconds: past it, it counts as failed and the
   * replica goes on. Integer from 10 to 60000.
   * @default 1000
   */
  timeoutMs?: number;
  /**
   * The transitions stream is capped near this many entries (`XADD … MAXLEN ~`). Integer from
   * 10 to 1000000.
   * @default 1000
   */
  maxTransitions?: number;
  /**
   * How the fleet's status is made from its replicas' (see {@link FleetPolicy}).
   * @default 'default'
   */
  policy?: FleetPolicy;
}

/** The fleet options with every default applied. @internal */
export interface ResolvedFleetOptions {
  readonly redis: string | FleetRedisClient;
  readonly service: string;
  readonly instance: string;
  readonly version: string | null;
  readonly prefix: string;
  readonly publishIntervalMs: number;
  readonly ttlMs: number;
  readonly retentionMs: number;
  readonly timeoutMs: number;
  readonly maxTransitions: number;
  readonly policy: ResolvedFleetPolicy;
}

/** A policy in one shape. @internal */
export type ResolvedFleetPolicy =
  | { readonly kind: 'default' | 'all' | 'any' }
  | { readonly kind: 'quorum'; readonly share: number };

/** Every default of the `fleet` option. */
export const HEALTH_FLEET_DEFAULTS = {
  /** Default of {@link HealthFleetOptions.prefix}. */
  prefix: 'health',
  /** Default of {@link HealthFleetOptions.publishIntervalMs}, in milliseconds. */
  publishIntervalMs: 5_000,
  /** Default of {@link HealthFleetOptions.ttlMs}: this many publish intervals. */
  ttlIntervals: 3,
  /** Default of {@link HealthFleetOptions.retentionMs}, in milliseconds (5 minutes). */
  retentionMs: 300_000,
  /** Default of {@link HealthFleetOptions.timeoutMs}, in milliseconds. */
  timeoutMs: 1_000,
  /** Default of {@link HealthFleetOptions.maxTransitions}. */
  maxTransitions: 1_000,
  /** Default of {@link HealthFleetOptions.policy}. */
  policy: 'default',
  /** Default of {@link HealthFleetOptions.service} when no `package.json` names the app. */
  service: 'app',
} as const;

const POLICY_RULE =
  'must be "default", "all", "any" or { quorum: <share from 0 (exclusive) to 1> }';
const FLEET_RULE = 'must be an object of fleet options with redis';
const REDIS_RULE =
  'must be a redis:// or rediss:// URL, or an ioredis Redis or Cluster client (with duplicate(), multi() and mget())';

/** Whether `value` is a fleet policy. */
function isFleetPolicy(value: unknown): boolean {
  if (value === 'default' || value === 'all' || value === 'any') return true;
  if (!isPlainObject(value) || Object.keys(value).length !== 1) return false;
  const share = numberFromString(value.quorum);
  return typeof share === 'number' && Number.isFinite(share) && share > 0 && share <= 1;
}

function IsFleetPolicy(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isFleetPolicy',
      validator: { validate: isFleetPolicy, defaultMessage: () => POLICY_RULE },
    },
    options,
  );
}

/** The class-validator schema of {@link HealthFleetOptions}, without `redis`. @internal */
export class HealthFleetOptionsSchema {
  @IsOptional()
  @ServiceNameOption()
  service?: string;

  @IsOptional()
  @InstanceNameOption()
  instance?: string;

  @IsOptional()
  @IsString({ message: 'must be a string of at most 100 characters' })
  @Matches(/^[\s\S]{1,100}$/, { message: 'must be a string of at most 100 characters' })
  version?: string;

  @IsOptional()
  @IsString({ message: 'must be letters, digits, ".", "_", "-" and ":" (at most 64 characters)' })
  @Matches(/^[A-Za-z0-9._:-]{1,64}$/, {
    message: 'must be letters, digits, ".", "_", "-" and ":" (at most 64 characters)',
  })
  prefix?: string;

  @IsOptional()
  @IntegerInRange(100, 300_000, 'milliseconds')
  publishIntervalMs?: number;

  @IsOptional()
  @IntegerInRange(101, 3_600_000, 'milliseconds, more than publishIntervalMs')
  ttlMs?: number;

  @IsOptional()
  @IntegerInRange(101, 604_800_000, 'milliseconds, at least ttlMs')
  retentionMs?: number;

  @IsOptional()
  @IntegerInRange(10, 60_000, 'milliseconds')
  timeoutMs?: number;

  @IsOptional()
  @IntegerInRange(10, 1_000_000)
  maxTransitions?: number;

  @IsOptional()
  @IsFleetPolicy()
  policy?: FleetPolicy;
}

/**
 * Validates the `fleet` option: the schema, `redis` (a URL or a client, never walked), and the
 * order of the durations (`publishIntervalMs` < `ttlMs` ≤ `retentionMs`).
 *
 * @returns the problems (dotted under `fleet.`) and the options with strings converted.
 * @internal
 */
export function validateFleetOptions(value: unknown): {
  problems: OptionProblem[];
  value: unknown;
} {
  // Not an object: nothing to take `redis` from; `undefined` is valid, anything else one problem.
  if (!isPlainObject(value)) {
    return validateObjectOption('fleet', HealthFleetOptionsSchema, value, FLEET_RULE);
  }
  const { redis, ...given } = value;
  const validated = validateObjectOption('fleet', HealthFleetOptionsSchema, given, FLEET_RULE);
  const { problems } = validated;
  if (!isRedisOption(redis)) {
    const shown = typeof redis === 'object' && redis !== null ? kindOf(redis) : redis;
    problems.push({ option: 'fleet.redis', value: shown, allowed: REDIS_RULE });
  }
  const rest = validated.value as Record<string, unknown>;
  if (problems.length === 0) {
    const interval =
      (rest.publishIntervalMs as number | undefined) ?? HEALTH_FLEET_DEFAULTS.publishIntervalMs;
    const ttl = (rest.ttlMs as number | undefined) ?? interval * HEALTH_FLEET_DEFAULTS.ttlIntervals;
    if (ttl <= interval) {
      problems.push({
        option: 'fleet.ttlMs',
        value: ttl,
        allowed: `must be more than publishIntervalMs (${interval})`,
      });
    }
    const retention = (rest.retentionMs as number | undefined) ?? HEALTH_FLEET_DEFAULTS.retentionMs;
    if (retention < ttl) {
      problems.push({
        option: 'fleet.retentionMs',
        value: retention,
        allowed: `must be at least ttlMs (${ttl})`,
      });
    }
  }
  return { problems, value: { ...rest, redis } };
}

function isRedisOption(value: unknown): boolean {
  if (typeof value === 'string') return /^rediss?:\/\/\S+$/.test(value);
  return hasMethods(value, 'duplicate', 'multi', 'mget');
}

/**
 * Applies the defaults to validated fleet options; `undefined` when the fleet is off.
 *
 * @internal
 */
export function resolveFleetOptions(
  options: HealthFleetOptions | undefined,
): ResolvedFleetOptions | undefined {
  if (options === undefined) return undefined;
  const manifest = appManifest();
  const publishIntervalMs = options.publishIntervalMs ?? HEALTH_FLEET_DEFAULTS.publishIntervalMs;
  const ttlMs = options.ttlMs ?? publishIntervalMs * HEALTH_FLEET_DEFAULTS.ttlIntervals;
  return {
    redis: options.redis,
    service: options.service ?? manifest.name ?? HEALTH_FLEET_DEFAULTS.service,
    instance: options.instance ?? safeName(hostname()),
    version: options.version ?? manifest.version ?? null,
    prefix: options.prefix ?? HEALTH_FLEET_DEFAULTS.prefix,
    publishIntervalMs,
    ttlMs,
    retentionMs: Math.max(options.retentionMs ?? HEALTH_FLEET_DEFAULTS.retentionMs, ttlMs),
    timeoutMs: options.timeoutMs ?? HEALTH_FLEET_DEFAULTS.timeoutMs,
    maxTransitions: options.maxTransitions ?? HEALTH_FLEET_DEFAULTS.maxTransitions,
    policy: resolvePolicy(options.policy ?? HEALTH_FLEET_DEFAULTS.policy),
  };
}

function resolvePolicy(policy: FleetPolicy): ResolvedFleetPolicy {
  if (typeof policy === 'string') return { kind: policy };
  return { kind: 'quorum', share: Number(policy.quorum) };
}

/** The policy as the fleet view names it: `"default"`, `"quorum:0.5"`. @internal */
export function policyName(policy: ResolvedFleetPolicy): string {
  return policy.kind === 'quorum' ? `quorum:${policy.share}` : policy.kind;
}

/**
 * A name made safe for a key: anything but letters, digits, `.`, `_`, `-` becomes `-`.
 * @internal
 */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 253) || HEALTH_FLEET_DEFAULTS.service;
}

/**
 * The name (without an npm scope) and version of the app's `package.json`: the nearest one
 * above the working directory (a container's `WORKDIR`, where `npm start` runs), else above the
 * entry script (`require.main`).
 * @internal
 */
export function appManifest(): { name?: string; version?: string } {
  const starts = [
    process.cwd(),
    require.main?.filename ? dirname(require.main.filename) : undefined,
  ];
  for (const start of starts) {
    if (start === undefined) continue;
    for (let directory = start; ; directory = dirname(directory)) {
      const found = readManifest(join(directory, 'package.json'));
      if (found) {
        const name =
          typeof found.name === 'string'
            ? safeName(found.name.replace(/^@[^/]+\//, ''))
            : undefined;
        const version = typeof found.version === 'string' ? found.version.slice(0, 100) : undefined;
        return { name, version };
      }
      if (dirname(directory) === directory) break;
    }
  }
  return {};
}

function readManifest(path: string): { name?: unknown; version?: unknown } | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

import type { ClassConstructor } from 'class-transformer';
import type { HealthCheckContext, HealthCheckResult, HealthIndicatorCheck } from '../../check';
import type { HealthIndicatorOptions } from '../../decorators/health-indicator.options';
import { InvalidHealthIndicatorOptionsError } from '../../errors';
import { validateOptions } from '../../options/validate-options';

/**
 * The indicator options every built-in takes besides its own: `name`, `groups`, `critical`,
 * `mode`, `timeoutMs`, `intervalMs`, `failureThreshold`, `successThreshold`, `cacheTtlMs`, with
 * the meaning and defaults they have on `@HealthIndicator()`, except that each built-in has a
 * default `name` of its own (`'redis'`, `'event-loop'`, …).
 *
 * They apply when the built-in is registered through the module's `indicators` option or
 * `HealthRegistry.register(indicator, indicator.options)`. Inside your own `@HealthIndicator`
 * class, the class's decorator options apply instead.
 */
export type BuiltInIndicatorOptions = HealthIndicatorOptions;

/**
 * What every built-in factory (`eventLoopIndicator()`, `redisIndicator(client)`, …) returns. It
 * can be used two ways:
 *
 * - in the module options, `HealthModule.forRoot({ indicators: [redisIndicator(redis)] })`
 *   (also through `forRootAsync`, so that a client from DI can be passed in): the module
 *   registers it at init with {@link BuiltInIndicator.options} and closes it when the app has
 *   shut down or the indicator is unregistered;
 * - inside a class of your own marked `@HealthIndicator()`, by delegating `check(context)` to it:
 *   then your class's options apply, and your class closes it (`onApplicationShutdown`, so that
 *   it keeps working during the shutdown delay).
 *
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
 * @example
 * ```ts
 * import type { OnApplicationShutdown } from '@nestjs/common';
 * import { Redis } from 'ioredis';
 * import {
 *   HealthIndicator,
 *   redisIndicator,
 *   type BuiltInIndicator,
 *   type HealthCheckContext,
 *   type HealthIndicatorCheck,
 * } from 'nest-health';
 *
 * @HealthIndicator({ name: 'cache', groups: ['readiness'] })
 * export class CacheHealth implements HealthIndicatorCheck, OnApplicationShutdown {
 *   private readonly redis: BuiltInIndicator;
 *   constructor(client: Redis) {
 *     this.redis = redisIndicator(client, { responseTimeMs: { degradedAbove: 50 } });
 *   }
 *   check(context: HealthCheckContext) {
 *     return this.redis.check(context);
 *   }
 *   onApplicationShutdown() {
 *     return this.redis.close();
 *   }
 * }
 * ```
 */
export interface BuiltInIndicator extends HealthIndicatorCheck {
  /** Which built-in made it: `'event-loop'`, `'memory'`, `'redis'`, … */
  readonly kind: string;
  /**
   * The indicator options it registers with: those given to the factory, with its default
   * `name` filled in (and `groups: ['liveness']` for the event loop).
   */
  readonly options: Readonly<BuiltInIndicatorOptions> & { readonly name: string };
  /**
   * Checks once. Uses `context.signal`: when it aborts, the check stops waiting and releases
   * what it opened for this run (a socket, a channel, a pooled connection).
   *
   * @returns `up`, `degraded` or `down` with its measurements as data; rejects (which the
   *   engine records as `down`) when the dependency cannot be reached.
   */
  check(context: HealthCheckContext): Promise<HealthCheckResult>;
  /**
   * Releases what it holds across runs (the event-loop histogram, a RabbitMQ connection it
   * opened itself). Idempotent and never rejects; a later `check` acquires them again. Never
   * closes a client you passed in.
   */
  close(): Promise<void>;
}

/** Marks the values the factories make, across copies of the package. */
const BUILT_IN = Symbol.for('nest-health.built-in-indicator');

/**
 * Whether a value was made by one of the built-in factories.
 *
 * @param value - anything.
 */
export function isBuiltInIndicator(value: unknown): value is BuiltInIndicator {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as Record<symbol, unknown>)[BUILT_IN] === true &&
    typeof (value as Partial<BuiltInIndicator>).check === 'function' &&
    typeof (value as Partial<BuiltInIndicator>).close === 'function'
  );
}

/**
 * Base class of the built-ins: holds the brand, the kind and the registration options.
 *
 * @internal
 */
export abstract class BuiltInHealthIndicator implements BuiltInIndicator {
  readonly [BUILT_IN] = true;

  constructor(
    readonly kind: string,
    readonly options: Readonly<BuiltInIndicatorOptions> & { readonly name: string },
  ) {}

  abstract check(context: HealthCheckContext): Promise<HealthCheckResult>;

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The keys of {@link BuiltInIndicatorOptions}. */
const COMMON_KEYS = [
  'name',
  'groups',
  'critical',
  'mode',
  'timeoutMs',
  'intervalMs',
  'failureThreshold',
  'successThreshold',
  'cacheTtlMs',
] as const satisfies readonly (keyof BuiltInIndicatorOptions)[];

type CommonKey = (typeof COMMON_KEYS)[number];

/**
 * Validates a factory's options against its schema (the indicator options and its own) and
 * splits them into the registration options, with the default name filled in, and its own.
 *
 * @param factory - the factory's name, for messages: `"redisIndicator()"`.
 * @param schema - a class-validator schema that extends `HealthIndicatorOptionsSchema`.
 * @param options - what the caller gave; `undefined` means none.
 * @param defaults - the default `name`, and `groups` when the built-in has its own default.
 * @throws InvalidHealthIndicatorOptionsError naming the factory, every invalid option, the value
 *   and what is allowed.
 * @internal
 */
export function prepareOptions<T extends BuiltInIndicatorOptions>(
  factory: string,
  schema: ClassConstructor<object>,
  options: T | undefined,
  defaults: { name: string; groups?: readonly string[] },
): {
  registration: Readonly<BuiltInIndicatorOptions> & { readonly name: string };
  own: Omit<T, CommonKey>;
} {
  const validated = validateOptions(schema, options);
  if (validated.problems.length > 0) {
    throw new InvalidHealthIndicatorOptionsError(factory, validated.problems);
  }
  const given: Record<string, unknown> = { ...(validated.value ?? {}) };
  const registration: Record<string, unknown> = {};
  for (const key of COMMON_KEYS) {
    if (given[key] !== undefined) registration[key] = given[key];
    delete given[key];
  }
  registration.name ??= defaults.name;
  if (registration.groups === undefined && defaults.groups) {
    registration.groups = [...defaults.groups];
  }
  return {
    registration: Object.freeze(registration) as unknown as BuiltInIndicatorOptions & {
      name: string;
    },
    own: given as Omit<T, CommonKey>,
  };
}

import { Inject, Injectable } from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { HealthCheckFunction, HealthIndicatorCheck } from '../check';
import {
  HealthIndicatorOptionsSchema,
  type HealthIndicatorOptions,
} from '../decorators/health-indicator.options';
import { deriveIndicatorName } from '../decorators/health-indicator.decorator';
import {
  DuplicateHealthIndicatorError,
  InvalidHealthIndicatorOptionsError,
  MissingHealthCheckMethodError,
} from '../errors';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import { stripUndefined, type ResolvedHealthModuleOptions } from '../health-module-options';
import { findOptionProblems } from '../options/validate-options';
import type { HealthIndicatorDefinition } from './health-indicator.definition';

/**
 * A change of the registry's content: `type` says whether the indicator was `'added'` or
 * `'removed'`; `definition` is the indicator with its options resolved.
 */
export type HealthRegistryEvent =
  | { readonly type: 'added'; readonly definition: HealthIndicatorDefinition }
  | { readonly type: 'removed'; readonly definition: HealthIndicatorDefinition };

/**
 * Every indicator of the app, by name. Discovery fills it at boot; application code may also
 * register and unregister indicators at run time (a tenant's database, a plugin). The scheduler
 * follows its changes.
 *
 * @example
 * ```ts
 * constructor(private readonly registry: HealthRegistry) {}
 * onTenantAdded(tenant: Tenant) {
 *   this.registry.register(() => tenant.pool.query('SELECT 1').then(() => up()), {
 *     name: `tenant-${tenant.id}`,
 *     groups: ['tenants'],
 *   });
 * }
 * ```
 */
@Injectable()
export class HealthRegistry {
  private readonly indicators = new Map<string, HealthIndicatorDefinition>();
  private readonly events$ = new Subject<HealthRegistryEvent>();

  /** Every `added` and `removed` change, as it happens (no replay). */
  readonly events: Observable<HealthRegistryEvent> = this.events$.asObservable();

  /** Created by Nest's injector; inject the instance rather than constructing one. @internal */
  constructor(
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {}

  /**
   * Adds an indicator and starts checking it (at once if the app has bootstrapped, otherwise
   * at bootstrap).
   *
   * Registered after bootstrap, the indicator joins its groups' status at its first result,
   * or once its `timeoutMs` has passed since registration without one, whichever comes first;
   * from then on it counts as every member does (`unknown` as `down`, except in `liveness`).
   * Until then its groups answer as they did without it (it is listed, with status `unknown`,
   * and `?verbose` reads `pending`): adding a check to `readiness` does not take the pod out
   * of rotation while the check runs for the first time, and a first result that is `down`
   * counts at once. Registered before bootstrap (in a constructor or `onModuleInit`), it
   * counts from the start: readiness fails closed until the first results.
   *
   * @param indicator - an object with a `check(context)` method, or a check function.
   * @param options - indicator options; `name` is required for a function, and for an object
   *   defaults to its class name as `@HealthIndicator()` derives it.
   * @param source - where it comes from, for error messages.
   * @param module - the module that provides it (discovery sets it), for error messages.
   * @returns the resolved definition.
   * @throws InvalidHealthIndicatorOptionsError when an option is invalid or a function has no
   *   name; MissingHealthCheckMethodError when the object has no `check` method;
   *   DuplicateHealthIndicatorError when the name is taken.
   */
  register(
    indicator: HealthIndicatorCheck | HealthCheckFunction,
    options: HealthIndicatorOptions = {},
    source?: string,
    module?: string,
  ): HealthIndicatorDefinition {
    const label = source ?? describeSource(indicator, options);
    const problems = findOptionProblems(HealthIndicatorOptionsSchema, options);
    if (problems.length > 0) throw new InvalidHealthIndicatorOptionsError(label, problems);

    let check: HealthCheckFunction;
    let derivedName: string | undefined;
    if (typeof indicator === 'function') {
      check = indicator;
    } else if (indicator && typeof indicator.check === 'function') {
      check = (context) => indicator.check(context);
      const className = (indicator as object).constructor?.name;
      // A plain object has no class to name it after: it needs a name, as a function does.
      if (className && className !== 'Object') derivedName = deriveIndicatorName(className);
    } else {
      throw new MissingHealthCheckMethodError(label);
    }
    const name = options.name ?? derivedName;
    if (name === undefined) {
      throw new InvalidHealthIndicatorOptionsError(label, [
        {
          option: 'name',
          value: undefined,
          allowed: 'is required when registering a function or a plain object',
        },
      ]);
    }
    const existing = this.indicators.get(name);
    if (existing) {
      throw new DuplicateHealthIndicatorError(
        name,
        { source: label, module },
        { source: existing.source, module: existing.module },
        sameClass(indicator, existing.target),
      );
    }

    const timing = { ...this.options.defaults, ...stripUndefined(options) };
    const definition: HealthIndicatorDefinition = Object.freeze({
      name,
      groups: Object.freeze([...(options.groups?.length ? options.groups : ['readiness'])]),
      critical: options.critical ?? true,
      mode: options.mode ?? 'background',
      timeoutMs: timing.timeoutMs,
      intervalMs: timing.intervalMs,
      failureThreshold: timing.failureThreshold,
      successThreshold: timing.successThreshold,
      cacheTtlMs: timing.cacheTtlMs,
      check,
      source: label,
      ...(module === undefined ? {} : { module }),
      target: indicator,
    });
    this.indicators.set(name, definition);
    this.events$.next({ type: 'added', definition });
    return definition;
  }

  /**
   * Removes an indicator: its checks stop and it leaves its groups.
   *
   * @returns `true` if an indicator of that name was registered.
   */
  unregister(name: string): boolean {
    const definition = this.indicators.get(name);
    if (!definition) return false;
    this.indicators.delete(name);
    this.events$.next({ type: 'removed', definition });
    return true;
  }

  /** The indicator of that name, if any. */
  get(name: string): HealthIndicatorDefinition | undefined {
    return this.indicators.get(name);
  }

  /** Every registered indicator, in registration order. */
  list(): HealthIndicatorDefinition[] {
    return [...this.indicators.values()];
  }
}

/** The class both indicators are instances of, when they are two objects of one class. */
function sameClass(
  indicator: HealthIndicatorCheck | HealthCheckFunction,
  existing: HealthIndicatorCheck | HealthCheckFunction | undefined,
): string | undefined {
  if (typeof indicator !== 'object' || indicator === null) return undefined;
  if (typeof existing !== 'object' || existing === null) return undefined;
  const ctor = (indicator as object).constructor;
  return ctor !== Object && ctor === (existing as object).constructor && ctor.name
    ? ctor.name
    : undefined;
}

function describeSource(
  indicator: HealthIndicatorCheck | HealthCheckFunction,
  options: HealthIndicatorOptions,
): string {
  const named = options.name ? ` named "${options.name}"` : '';
  if (typeof indicator === 'function') return `HealthRegistry.register(function${named})`;
  const className = (indicator as object | null)?.constructor?.name;
  return className && className !== 'Object'
    ? className
    : `HealthRegistry.register(object${named})`;
}

import { ConfigurableModuleBuilder, type Provider, type ValueProvider } from '@nestjs/common';
import { InvalidHealthModuleOptionsError } from './errors';
import { HEALTH_ROUTE_OPTIONS } from './health.constants';
import {
  HEALTH_MODULE_DEFAULTS,
  HealthModuleRouteOptionsSchema,
  type HealthModuleOptions,
  type HealthModuleRouteOptions,
} from './health-module-options';
import { createDashboardController } from './dashboard/health-dashboard.controller';
import { decorateHealthControllers } from './http/health-endpoint';
import { createHealthControllers, type ResolvedRouteOptions } from './http/health.controllers';
import { createStreamController } from './stream/health-stream.controller';
import { documentHealthControllers } from './openapi/health-openapi';
import { createMetricsController } from './metrics/health-metrics.controller';
import { createFleetController } from './fleet/fleet.controller';
import { createHistoryController } from './history/health-history.controller';
import { validateHistoryOptions } from './history/health-history.options';
import {
  resolveMetricsOptions,
  validateMetricsOptions,
  type HealthMetricsOptions,
} from './metrics/health-metrics.options';
import { validateOptions } from './options/validate-options';
import {
  resolveProbeServerOptions,
  servedOnProbePortOnly,
  validateProbeServerOptions,
  type HealthProbeServerOptions,
  type HealthProbeServerRoute,
  type ResolvedProbeServerOptions,
} from './servers/probe-server.options';

const MODULE_OPTIONS_TOKEN = 'HEALTH:MODULE_OPTIONS';

/**
 * Builds the module's `forRoot` / `forRootAsync` with Nest's `ConfigurableModuleBuilder`. The
 * route options (`path`, `aliases`, `isGlobal`) are "extras": read synchronously when the module
 * is defined, because routes come from decorators.
 *
 * @internal
 */
export const {
  ConfigurableModuleClass: ConfigurableHealthModule,
  /**
   * Injection token (`'HEALTH:MODULE_OPTIONS'`) of the {@link HealthModuleOptions} as given to
   * `forRoot`, or as resolved by `forRootAsync`'s factory: before defaults are applied, and without
   * the route options ({@link HealthModuleRouteOptions}).
   * @example
   * ```ts
   * import { Inject, Injectable } from '@nestjs/common';
   * import { HEALTH_MODULE_OPTIONS, type HealthModuleOptions } from 'nest-health';
   *
   * @Injectable()
   * export class HealthSettings {
   *   constructor(@Inject(HEALTH_MODULE_OPTIONS) private readonly options: HealthModuleOptions) {}
   *
   *   get details() {
   *     return this.options.details;
   *   }
   * }
   * ```
   */
  MODULE_OPTIONS_TOKEN: HEALTH_MODULE_OPTIONS,
  OPTIONS_TYPE: HEALTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: HEALTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<HealthModuleOptions>({
  moduleName: 'Health',
  optionsInjectionToken: MODULE_OPTIONS_TOKEN,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createHealthOptions')
  .setExtras<HealthModuleRouteOptions>(
    {
      path: HEALTH_MODULE_DEFAULTS.path,
      aliases: HEALTH_MODULE_DEFAULTS.aliases,
      dashboard: HEALTH_MODULE_DEFAULTS.dashboard,
      isGlobal: HEALTH_MODULE_DEFAULTS.isGlobal,
      decorators: [],
    },
    (definition, extras) => {
      const route = resolveRouteOptions(extras);
      const probePort = probePortRoutes(definition.providers);
      const appServes = (kind: HealthProbeServerRoute) => !servedOnProbePortOnly(probePort, kind);
      return {
        ...definition,
        global: extras.isGlobal ?? HEALTH_MODULE_DEFAULTS.isGlobal,
        controllers: decorateHealthControllers(
          documentHealthControllers([
            ...(appServes('probes') || appServes('details') ? createHealthControllers(route) : []),
            ...(appServes('stream') ? [createStreamController(route.path)] : []),
            ...(servesMetrics(definition.providers) && appServes('metrics')
              ? [createMetricsController(route.path)]
              : []),
            ...(servesFleet(definition.providers) ? [createFleetController(route.path)] : []),
            ...(servesHistory(definition.providers) ? [createHistoryController(route.path)] : []),
            ...(route.dashboard && appServes('dashboard')
              ? [createDashboardController(route.path)]
              : []),
          ]),
          route.decorators,
        ),
        providers: [
          ...(definition.providers ?? []),
          { provide: HEALTH_ROUTE_OPTIONS, useValue: route },
        ],
      };
    },
  )
  .build();

/**
 * Whether the module may serve `GET /<path>/metrics`, read when the module is defined (routes
 * are fixed then): with `forRoot`, only when its options turn metrics on with their endpoint
 * (`metrics: true`, or `metrics: { ... }` without `registry` or with `endpoint: true`), so that
 * an app without metrics maps no metrics route and logs none. With `forRootAsync` the options
 * come from a factory at boot: the route is mapped, and answers 404 when metrics are off.
 *
 * @internal
 */
export function servesMetrics(providers: readonly Provider[] | undefined): boolean {
  const given = givenOptions(providers);
  if (!given) return true; // forRootAsync: known at boot only
  const options = given.useValue as { metrics?: unknown } | undefined;
  const { problems, value } = validateMetricsOptions(options?.metrics);
  if (problems.length > 0) return true; // the boot fails with the problems
  const metrics = resolveMetricsOptions(value as HealthMetricsOptions | boolean | undefined);
  return metrics.enabled && metrics.endpoint;
}

/**
 * Whether the module may serve `GET /<path>/fleet` and `/<path>/fleet/stream`: with `forRoot`,
 * only when its options set `fleet`; with `forRootAsync` the routes are mapped, and answer 404
 * when the fleet is off.
 *
 * @internal
 */
export function servesFleet(providers: readonly Provider[] | undefined): boolean {
  const given = givenOptions(providers);
  if (!given) return true;
  const options = given.useValue as { fleet?: unknown } | undefined;
  return options?.fleet !== undefined;
}

/**
 * Whether the module may serve `GET /<path>/history` and `/<path>/history/:indicator`: with
 * `forRoot`, unless its options turn history off (`history: false`, or `"false"`); with
 * `forRootAsync` the routes are mapped, and answer 404 when history is off.
 *
 * @internal
 */
export function servesHistory(providers: readonly Provider[] | undefined): boolean {
  const given = givenOptions(providers);
  if (!given) return true;
  const options = given.useValue as { history?: unknown } | undefined;
  const { problems, value } = validateHistoryOptions(options?.history);
  if (problems.length > 0) return true; // the boot fails with the problems
  return value !== false;
}

/**
 * With `forRoot`, the `server` option's `only` and `routes` (the routes the app's own server
 * does not map: see `server.only`); `undefined` with `forRootAsync` (the routes are mapped and
 * answer 404 when the resolved options serve them on the probe port only) or without `only`.
 *
 * @internal
 */
export function probePortRoutes(
  providers: readonly Provider[] | undefined,
): Pick<ResolvedProbeServerOptions, 'only' | 'routes'> | undefined {
  const given = givenOptions(providers);
  const options = given?.useValue as { server?: unknown } | undefined;
  const { problems, value } = validateProbeServerOptions(options?.server);
  if (problems.length > 0) return undefined; // the boot fails with the problems
  return resolveProbeServerOptions(value as HealthProbeServerOptions | undefined);
}

/** The options provider of `forRoot` (a value), or `undefined` with `forRootAsync`. */
function givenOptions(providers: readonly Provider[] | undefined): ValueProvider | undefined {
  return (providers ?? []).find(
    (provider): provider is ValueProvider =>
      typeof provider === 'object' &&
      'provide' in provider &&
      provider.provide === MODULE_OPTIONS_TOKEN &&
      'useValue' in provider,
  );
}

/**
 * Validates the route options and applies their defaults.
 *
 * @throws InvalidHealthModuleOptionsError naming the option, the value and what is allowed.
 * @internal
 */
export function resolveRouteOptions(extras: HealthModuleRouteOptions): ResolvedRouteOptions {
  const picked = {
    path: extras.path,
    aliases: extras.aliases,
    dashboard: extras.dashboard,
    isGlobal: extras.isGlobal,
    decorators: extras.decorators,
  };
  const validated = validateOptions(HealthModuleRouteOptionsSchema, picked);
  if (validated.problems.length > 0) throw new InvalidHealthModuleOptionsError(validated.problems);
  Object.assign(picked, validated.value);
  const path = (picked.path ?? HEALTH_MODULE_DEFAULTS.path).replace(/^\/+|\/+$/g, '');
  return {
    path,
    aliases: picked.aliases ?? HEALTH_MODULE_DEFAULTS.aliases,
    dashboard: picked.dashboard ?? HEALTH_MODULE_DEFAULTS.dashboard,
    decorators: [...(picked.decorators ?? [])],
  };
}

import { ConfigurableModuleBuilder } from '@nestjs/common';
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
import { findOptionProblems } from './options/validate-options';

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
   * @example `constructor(@Inject(HEALTH_MODULE_OPTIONS) options: HealthModuleOptions) {}`
   */
  MODULE_OPTIONS_TOKEN: HEALTH_MODULE_OPTIONS,
  OPTIONS_TYPE: HEALTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: HEALTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<HealthModuleOptions>({
  moduleName: 'Health',
  optionsInjectionToken: 'HEALTH:MODULE_OPTIONS',
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
      return {
        ...definition,
        global: extras.isGlobal ?? HEALTH_MODULE_DEFAULTS.isGlobal,
        controllers: decorateHealthControllers(
          documentHealthControllers([
            ...createHealthControllers(route),
            createStreamController(route.path),
            createMetricsController(route.path),
            ...(route.dashboard ? [createDashboardController(route.path)] : []),
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
  const problems = findOptionProblems(HealthModuleRouteOptionsSchema, picked);
  if (problems.length > 0) throw new InvalidHealthModuleOptionsError(problems);
  const path = (picked.path ?? HEALTH_MODULE_DEFAULTS.path).replace(/^\/+|\/+$/g, '');
  return {
    path,
    aliases: picked.aliases ?? HEALTH_MODULE_DEFAULTS.aliases,
    dashboard: picked.dashboard ?? HEALTH_MODULE_DEFAULTS.dashboard,
    decorators: [...(picked.decorators ?? [])],
  };
}

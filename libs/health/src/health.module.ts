import { Module, type DynamicModule, type NestModule } from '@nestjs/common';
import { DiscoveryModule, ModulesContainer } from '@nestjs/core';
import { HealthIndicatorExplorer } from './discovery/health-indicator.explorer';
import { HealthRegistry } from './discovery/health.registry';
import { HealthCheckRunner } from './engine/health-check.runner';
import { HealthStateStore } from './engine/health-state.store';
import { HealthScheduler } from './engine/health.scheduler';
import { HealthModuleImportedTwiceError, InvalidHealthModuleOptionsError } from './errors';
import { HEALTH_RESOLVED_OPTIONS } from './health.constants';
import {
  ConfigurableHealthModule,
  HEALTH_ASYNC_OPTIONS_TYPE,
  HEALTH_MODULE_OPTIONS,
  HEALTH_OPTIONS_TYPE,
} from './health.module-definition';
import {
  resolveHealthModuleOptions,
  validateModuleOptions,
  type HealthModuleOptions,
  type ResolvedHealthModuleOptions,
} from './health-module-options';
import { HealthAnswers } from './answers/health-answers';
import { HealthResponder } from './http/health-responder';
import { HealthProcessFacts } from './answers/process-facts';
import { HealthFormatter } from './formats/health-formatter';
import { HealthFastPath } from './fast-path/health-fast-path';
import { ProbeBodyCache } from './answers/probe-body.cache';
import { HealthDetailsPolicy } from './details/health-details.policy';
import { HealthShutdown } from './shutdown/health-shutdown';
import { HealthStreamService } from './stream/health-stream.service';
import { HealthTransitionLogger } from './logging/health-transition.logger';
import { HealthLogger } from './logging/health-logger';
import { HealthMetrics } from './metrics/health-metrics.service';
import { HealthChangeHooks } from './hooks/health-change-hooks';
import { BuiltInIndicatorsLifecycle } from './indicators/core/built-in-indicators.lifecycle';
import { FleetConnection } from './fleet/fleet-connection';
import { FleetPublisher } from './fleet/fleet-publisher';
import { FleetReader } from './fleet/fleet-reader';
import { FleetStreamService } from './fleet/fleet-stream.service';
import { HealthHistory } from './history/health-history.service';
import { HealthGrpcServer } from './servers/grpc/grpc-health.server';
import { HealthServingStatus } from './servers/grpc/serving-status';
import { HealthNotifications } from './notifications/health-notifications.service';
import { HealthProbeServer } from './servers/health-probe.server';
import { HealthTelemetry } from './telemetry/health-telemetry.service';

function resolveModuleOptions(raw: HealthModuleOptions | undefined): ResolvedHealthModuleOptions {
  const { problems, options } = validateModuleOptions(raw);
  if (problems.length > 0) throw new InvalidHealthModuleOptionsError(problems);
  return resolveHealthModuleOptions(options);
}

/**
 * Fails the boot when the app holds more than one `HealthModule` (two `forRoot()` /
 * `forRootAsync()` imports, which Nest keeps apart): every check would run twice, every route be
 * mapped twice, every line logged twice. The error names the modules that import it, as their
 * `@Module()` metadata declares (an import inside another module's `forRoot()` is counted but
 * cannot be named).
 */
function assertImportedOnce(modules: ModulesContainer): void {
  const own = [...modules.values()].filter((module) => module.metatype === HealthModule);
  if (own.length < 2) return;
  const importers: string[] = [];
  for (const module of modules.values()) {
    if (typeof module.metatype !== 'function') continue;
    const declared: unknown = Reflect.getMetadata('imports', module.metatype);
    if (!Array.isArray(declared)) continue;
    for (const entry of declared) {
      if (importsHealthModule(entry)) importers.push(module.name);
    }
  }
  throw new HealthModuleImportedTwiceError(
    importers.filter((name, index) => importers.indexOf(name) === index),
    own.length,
  );
}

/** Whether one entry of a module's `imports` is `HealthModule` (its `forRoot()` or the class). */
function importsHealthModule(entry: unknown): boolean {
  if (entry === HealthModule) return true;
  return (
    entry !== null &&
    typeof entry === 'object' &&
    (entry as { module?: unknown }).module === HealthModule
  );
}

/**
 * Health checks for a Nest app: discovers every `@HealthIndicator()` provider, runs the checks in
 * the background, and serves Kubernetes probes and a detailed endpoint without a controller of
 * yours.
 *
 * Routes (prefix `path`, default `health`): `GET /health/live`, `/health/ready`,
 * `/health/startup`, `/health/group/:name`, each with a per-check route (`/health/ready/:check`,
 * `/health/group/:name/:check`) and the query parameters `?verbose`, `?exclude=`, `?fresh=true`;
 * `GET /health`; and `GET /livez`, `/readyz`, `/startupz` unless `aliases: false`.
 *
 * Import it once, in the root module: it is global by default, so its providers can be
 * injected in every module. A second `forRoot()` / `forRootAsync()` in the same app (in a
 * feature module, say) fails the boot with {@link HealthModuleImportedTwiceError}.
 *
 * Providers to inject: `HealthRegistry`, `HealthStateStore`, `HealthDetailsPolicy` (who sees
 * details), `HealthShutdown` (the graceful shutdown: readiness down, `shutdownDelayMs`, then
 * close), `HealthMetrics` (the Prometheus registry, with `metrics`), `HealthHistory` (uptime
 * and transitions, with `history`, on by default) and `HealthTelemetry` (OpenTelemetry, with
 * `telemetry`). Methods marked
 * `@OnHealthChange()` on any provider are called on every transition they match.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 *
 * declare class DatabaseHealth {} // an @HealthIndicator() class of yours
 *
 * @Module({
 *   imports: [HealthModule.forRoot({ defaults: { intervalMs: 10_000 } })],
 *   providers: [DatabaseHealth],
 * })
 * export class AppModule {}
 * ```
 * @example
 * Options from `@nestjs/config` (environment variables are strings: numeric options take a
 * plain decimal string such as `"500"`, boolean options `"true"` / `"false"`):
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { ConfigModule, ConfigService } from '@nestjs/config';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRootAsync({
 *       path: 'health', // route options stay synchronous
 *       imports: [ConfigModule],
 *       inject: [ConfigService],
 *       useFactory: (config: ConfigService) => ({
 *         defaults: { timeoutMs: config.get('HEALTH_TIMEOUT_MS', 1_000) }, // "500" is accepted
 *         fastPath: config.get('HEALTH_FAST_PATH', false), // "true" / "false"
 *       }),
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: HEALTH_RESOLVED_OPTIONS,
      useFactory: resolveModuleOptions,
      inject: [HEALTH_MODULE_OPTIONS],
    },
    HealthRegistry,
    HealthIndicatorExplorer,
    HealthCheckRunner,
    HealthStateStore,
    HealthScheduler,
    HealthLogger,
    HealthTransitionLogger,
    HealthMetrics,
    HealthChangeHooks,
    HealthAnswers,
    HealthResponder,
    HealthProcessFacts,
    HealthFormatter,
    HealthFastPath,
    ProbeBodyCache,
    BuiltInIndicatorsLifecycle,
    HealthDetailsPolicy,
    HealthShutdown,
    HealthStreamService,
    FleetConnection,
    FleetPublisher,
    FleetReader,
    FleetStreamService,
    HealthHistory,
    HealthServingStatus,
    HealthGrpcServer,
    HealthNotifications,
    HealthProbeServer,
    HealthTelemetry,
  ],
  exports: [
    HealthRegistry,
    HealthStateStore,
    HealthDetailsPolicy,
    HealthShutdown,
    HealthMetrics,
    HealthHistory,
    HealthServingStatus,
    HealthGrpcServer,
    HealthProbeServer,
    HealthTelemetry,
  ],
})
export class HealthModule extends ConfigurableHealthModule implements NestModule {
  /**
   * Created by Nest's injector; inject the instance rather than constructing one.
   *
   * @throws HealthModuleImportedTwiceError when the app holds `forRoot()` / `forRootAsync()`
   *   more than once.
   * @internal
   */
  constructor(
    private readonly fastPath: HealthFastPath,
    modules: ModulesContainer,
  ) {
    super();
    assertImportedOnce(modules);
  }

  /**
   * Called by Nest when the app initialises (its HTTP server exists by then, also with
   * `Test.createTestingModule`), before it registers middleware and routes: puts the probe fast
   * path (`fastPath: true`) in front of the HTTP server's request listener.
   */
  configure(): void {
    this.fastPath.install();
  }

  /**
   * Configures the module with options known at import time.
   *
   * @param options - {@link HealthModuleOptions} and {@link HealthModuleRouteOptions}; all optional.
   * @throws InvalidHealthModuleOptionsError for an invalid route option (at once) or module
   *   option (when the app boots), naming the option, the value and what is allowed.
   */
  static override forRoot(options: typeof HEALTH_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /**
   * Configures the module with options from a factory, class or existing provider
   * (`useFactory` + `inject`, `useClass`, `useExisting`). Route options (`path`, `aliases`,
   * `isGlobal`) are given beside them, synchronously.
   *
   * Numeric and boolean options may be strings from configuration (`"500"`, `"true"`); see
   * {@link HealthModuleOptions}.
   *
   * @throws InvalidHealthModuleOptionsError when the resolved options are invalid, at boot.
   */
  static override forRootAsync(options: typeof HEALTH_ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }
}

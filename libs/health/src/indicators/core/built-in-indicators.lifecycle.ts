import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { HealthIndicatorDefinition } from '../../discovery/health-indicator.definition';
import { HealthRegistry } from '../../discovery/health.registry';
import { messageFromError } from '../../engine/sanitize';
import { HEALTH_RESOLVED_OPTIONS } from '../../health.constants';
import type { ResolvedHealthModuleOptions } from '../../health-module-options';
import { isBuiltInIndicator } from './built-in-indicator';
import { healthLoggerFor } from '../../logging/health-logger';

/**
 * Registers the module's `indicators` option when the module initialises, and closes a built-in
 * (its histogram, the connection it opened) when it is unregistered and when the app has shut
 * down — built-ins given in `indicators` and those registered with
 * `HealthRegistry.register()` alike.
 *
 * @internal
 */
@Injectable()
export class BuiltInIndicatorsLifecycle implements OnModuleInit, OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
    private readonly registry: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.subscription = this.registry.events.subscribe((event) => {
      if (event.type === 'removed') void this.release(event.definition);
    });
    this.options.indicators.forEach((indicator, index) => {
      this.registry.register(
        indicator,
        indicator.options,
        `HealthModule indicators[${index}] (${indicator.kind})`,
      );
    });
  }

  /**
   * Closes every built-in in the last shutdown hook: the checks stop when the shutdown delay
   * ends (see `HealthShutdown`), and until then they keep running while the app drains.
   */
  async onApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    await Promise.all(this.registry.list().map((definition) => this.release(definition)));
  }

  private async release(definition: HealthIndicatorDefinition): Promise<void> {
    const { target } = definition;
    if (!isBuiltInIndicator(target)) return;
    try {
      await target.close();
    } catch (error) {
      healthLoggerFor(this.options).warn(
        `${definition.name}: closing failed (${messageFromError(error)})`,
      );
    }
  }
}

import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { HealthIndicatorCheck } from '../check';
import { HealthIndicator } from '../decorators/health-indicator.decorator';
import type { HealthIndicatorOptions } from '../decorators/health-indicator.options';
import { HealthIndicatorScopeError, MissingHealthCheckMethodError } from '../errors';
import { HealthRegistry } from './health.registry';

type ProviderWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/**
 * Finds every provider marked `@HealthIndicator()` once, when the module initialises, and
 * registers it in the {@link HealthRegistry}. It only finds; state lives in the registry.
 *
 * Class, `useClass`, `useFactory` and `useValue` providers are all found: the class is read
 * from the instance when the provider is not a class.
 *
 * @internal
 */
@Injectable()
export class HealthIndicatorExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly registry: HealthRegistry,
  ) {}

  onModuleInit(): void {
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const found = this.read(wrapper);
      if (!found) continue;
      const { options, source } = found;
      if (!wrapper.isDependencyTreeStatic()) {
        throw new HealthIndicatorScopeError(source, 'request-scoped');
      }
      if (wrapper.isTransient) throw new HealthIndicatorScopeError(source, 'transient');
      const instance = wrapper.instance as Partial<HealthIndicatorCheck> | undefined;
      if (!instance || typeof instance.check !== 'function') {
        throw new MissingHealthCheckMethodError(source);
      }
      // An alias (`useExisting`) or a factory returning an instance Nest already holds is the
      // same indicator under a second token: register each instance once.
      if (seen.has(instance)) continue;
      seen.add(instance);
      this.registry.register(instance as HealthIndicatorCheck, options, source, wrapper.host?.name);
    }
  }

  private read(
    wrapper: ProviderWrapper,
  ): { options: HealthIndicatorOptions; source: string } | undefined {
    const classRef = this.classOf(wrapper);
    if (!classRef) return undefined;
    const options = Reflect.getMetadata(HealthIndicator.KEY, classRef) as
      HealthIndicatorOptions | undefined;
    if (options === undefined) return undefined;
    return { options, source: classRef.name || String(wrapper.token) };
  }

  private classOf(
    wrapper: ProviderWrapper,
  ): (abstract new (...args: never[]) => unknown) | undefined {
    // A class provider (or useClass) has its class as metatype. A useFactory provider has the
    // factory as metatype and an `inject` list; a useValue provider has no metatype. For those
    // two the class is the instance's constructor (as nestjs/bull's explorer reads it).
    const isClassProvider = wrapper.metatype && !wrapper.inject;
    if (isClassProvider) return wrapper.metatype as abstract new (...args: never[]) => unknown;
    if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
      return undefined;
    }
    const instance: unknown = wrapper.instance;
    if (instance === null || typeof instance !== 'object') return undefined;
    const ctor = (instance as { constructor?: unknown }).constructor;
    return typeof ctor === 'function' && ctor !== Object
      ? (ctor as abstract new (...args: never[]) => unknown)
      : undefined;
  }
}

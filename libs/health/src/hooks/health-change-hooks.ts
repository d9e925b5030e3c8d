import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { HealthStateStore } from '../engine/health-state.store';
import type { HealthChangeEvent } from '../engine/health-state.types';
import { messageFromError } from '../engine/sanitize';
import { HealthLogger } from '../logging/health-logger';
import { InvalidHealthChangeHookError } from './health-change-hook.error';
import {
  compileHealthChangeFilter,
  matchesHealthChange,
  type CompiledHealthChangeFilter,
} from './health-change.filter';
import { ON_HEALTH_CHANGE_KEY } from './on-health-change.decorator';

/** One discovered hook. */
interface Hook {
  /** `ClassName.method`, for logs and errors. */
  readonly source: string;
  readonly call: (event: HealthChangeEvent) => unknown;
  readonly filter: CompiledHealthChangeFilter;
}

/**
 * Finds every `@OnHealthChange()` method of the app's providers once, when the module
 * initialises, and calls the matching ones on each effective transition of
 * {@link HealthStateStore.changes}. A hook that throws or rejects is logged and never reaches
 * the engine.
 *
 * @internal
 */
@Injectable()
export class HealthChangeHooks implements OnModuleInit, OnApplicationShutdown {
  private hooks: readonly Hook[] = [];
  private subscription?: Subscription;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly state: HealthStateStore,
    private readonly logger: HealthLogger,
  ) {}

  /**
   * @throws InvalidHealthChangeHookError for an invalid filter.
   */
  onModuleInit(): void {
    this.hooks = this.discover();
    if (this.hooks.length === 0) return;
    this.subscription = this.state.changes.subscribe((event) => this.dispatch(event));
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  /** The hooks found, as `ClassName.method`. */
  get sources(): string[] {
    return this.hooks.map((hook) => hook.source);
  }

  private discover(): Hook[] {
    const hooks: Hook[] = [];
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (instance === null || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      const className = (instance.constructor as { name?: string } | undefined)?.name;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const target: unknown = Reflect.get(prototype, method);
        if (typeof target !== 'function') continue;
        const filter: unknown = Reflect.getMetadata(ON_HEALTH_CHANGE_KEY, target);
        if (filter === undefined) continue;
        const source = `${className || String(wrapper.token)}.${method}`;
        if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
          this.logger.warn(
            `@OnHealthChange() on ${source} is skipped: its provider is ${wrapper.isTransient ? 'transient' : 'request-scoped'}, and transitions happen outside any request`,
          );
          continue;
        }
        const compiled = compileHealthChangeFilter(filter);
        if (Array.isArray(compiled)) throw new InvalidHealthChangeHookError(source, compiled);
        const bound = (target as (event: HealthChangeEvent) => unknown).bind(instance);
        hooks.push({ source, call: bound, filter: compiled });
      }
    }
    return hooks;
  }

  /**
   * Calls each matching hook in a microtask of its own: after the store has finished recording
   * (the event's indicator transition and its groups'), in the order of the transitions, and
   * with whatever it throws caught.
   */
  private dispatch(event: HealthChangeEvent): void {
    for (const hook of this.hooks) {
      if (!matchesHealthChange(hook.filter, event)) continue;
      Promise.resolve(event)
        .then(hook.call)
        .catch((error: unknown) => {
          this.logger.error(
            `@OnHealthChange() hook ${hook.source} failed on ${event.type} ${event.name} ${event.previous} → ${event.current}: ${messageFromError(error)}`,
          );
        });
    }
  }
}

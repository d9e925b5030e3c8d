import { DiscoveryService } from '@nestjs/core';

/**
 * Which transitions call an `@OnHealthChange()` method, by name:
 *
 * - `indicator`: transitions of these indicators (`type: 'indicator'` events);
 * - `group`: transitions of these groups (`type: 'group'` events; a group moves when a member's
 *   effective status moves it, at bootstrap, and at shutdown).
 *
 * Given both, either matches. Names that no indicator or group has (yet) are allowed:
 * indicators can be registered at run time.
 */
export interface HealthChangeFilter {
  /** Indicator name or names. */
  indicator?: string | readonly string[];
  /** Group name or names. */
  group?: string | readonly string[];
}

/**
 * The argument of `@OnHealthChange()`: nothing (every transition, of indicators and groups), a
 * name or names (transitions of the indicators or groups so named), or a
 * {@link HealthChangeFilter}.
 */
export type HealthChangeHookFilter = string | readonly string[] | HealthChangeFilter;

const decorator = DiscoveryService.createDecorator<HealthChangeHookFilter>();

/** The metadata key of {@link OnHealthChange}, unique to this copy of the library. @internal */
export const ON_HEALTH_CHANGE_KEY = decorator.KEY;

/**
 * Marks a method of a provider (any module, any singleton provider) as a hook called on every
 * effective transition that matches `filter`, with the {@link HealthChangeEvent} as its only
 * argument: an {@link IndicatorChangeEvent} (`type: 'indicator'`, `name`, `previous`,
 * `current`, `since`, `message`, `durationMs`, `groups`, `state`) or a
 * {@link GroupChangeEvent} (`type: 'group'`, `name`, `previous`, `current`, `since`,
 * `reason`, `state`).
 *
 * Each hook is called once per transition, in the order of the transitions, just after the
 * state store has recorded it (in a microtask, so the store is consistent when it reads it).
 * A hook may be `async`; it is not awaited: a slow hook delays no check and no other hook. A
 * hook that throws or rejects is logged (an error through the module's logger, naming the
 * class and method) and is called again at the next transition; it never stops the engine.
 * Hooks on request-scoped or transient providers are skipped with a warning: transitions
 * happen outside any request. It is the same stream as `HealthStateStore.changes`, which you
 * can also subscribe to.
 *
 * @param filter - which transitions; see {@link HealthChangeHookFilter}. Default: all.
 * @throws InvalidHealthChangeHookError at boot when `filter` is not a valid filter (it names the
 *   class and method).
 *
 * @example
 * ```ts
 * import { Injectable } from '@nestjs/common';
 * import { OnHealthChange, type HealthChangeEvent } from 'nest-health';
 *
 * declare function page(text: string): void; // your pager
 * declare const audit: { write(line: string): Promise<void> }; // your audit log
 *
 * @Injectable()
 * export class PagerService {
 *   @OnHealthChange({ group: 'readiness' })
 *   onReadiness(event: HealthChangeEvent) {
 *     if (event.current === 'down') page(`not ready since ${event.since}`);
 *   }
 *
 *   @OnHealthChange('database')
 *   async onDatabase(event: HealthChangeEvent) {
 *     await audit.write(`database ${event.previous} → ${event.current}`);
 *   }
 * }
 * ```
 */
export function OnHealthChange(filter?: HealthChangeHookFilter): MethodDecorator {
  return decorator(filter);
}

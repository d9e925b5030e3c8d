import type { HealthChangeEvent } from '../engine/health-state.types';
import { NAME_PATTERN, NAME_RULE, isPlainObject } from '../options/option-rules';
import type { OptionProblem } from '../options/validate-options';

/** A filter, validated: which indicator and group names match (`undefined`: any). @internal */
export interface CompiledHealthChangeFilter {
  readonly indicators?: ReadonlySet<string>;
  readonly groups?: ReadonlySet<string>;
}

const FILTER_RULE =
  'must be a name, an array of names, or { indicator?: name(s), group?: name(s) }';

/**
 * Checks an `@OnHealthChange()` filter and turns it into sets of names.
 *
 * @returns the compiled filter, or the problems (options named `filter`, `filter.indicator`,
 *   `filter.group`).
 * @internal
 */
export function compileHealthChangeFilter(
  filter: unknown,
): CompiledHealthChangeFilter | OptionProblem[] {
  // `DiscoveryService.createDecorator()` stores `{}` for no argument.
  if (filter === undefined || (isPlainObject(filter) && Object.keys(filter).length === 0)) {
    return {};
  }
  if (typeof filter === 'string' || Array.isArray(filter)) {
    const names = readNames(filter);
    if (!names)
      return [{ option: 'filter', value: filter, allowed: `${FILTER_RULE}; a name ${NAME_RULE}` }];
    return { indicators: names, groups: names };
  }
  if (!isPlainObject(filter)) return [{ option: 'filter', value: filter, allowed: FILTER_RULE }];
  const problems: OptionProblem[] = [];
  for (const key of Object.keys(filter)) {
    if (key !== 'indicator' && key !== 'group') {
      problems.push({ option: `filter.${key}`, value: filter[key], allowed: 'no such option' });
    }
  }
  const read = (key: 'indicator' | 'group'): ReadonlySet<string> | undefined => {
    const value = filter[key];
    if (value === undefined) return undefined;
    const names = readNames(value);
    if (!names) {
      problems.push({
        option: `filter.${key}`,
        value,
        allowed: `must be a name or an array of names; a name ${NAME_RULE}`,
      });
    }
    return names;
  };
  const indicators = read('indicator');
  const groups = read('group');
  if (problems.length > 0) return problems;
  // Only one of the two given: the other kind of event never matches.
  return { indicators: indicators ?? new Set(), groups: groups ?? new Set() };
}

function readNames(value: unknown): ReadonlySet<string> | undefined {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) return undefined;
  if (!list.every((name) => typeof name === 'string' && NAME_PATTERN.test(name))) return undefined;
  return new Set(list as string[]);
}

/** Whether `event` matches a compiled filter. @internal */
export function matchesHealthChange(
  filter: CompiledHealthChangeFilter,
  event: HealthChangeEvent,
): boolean {
  const names = event.type === 'indicator' ? filter.indicators : filter.groups;
  return names === undefined || names.has(event.name);
}

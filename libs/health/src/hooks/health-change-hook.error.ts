import { HealthModuleError } from '../errors';
import { formatOptionProblems, type OptionProblem } from '../options/validate-options';

/**
 * Thrown at boot when an `@OnHealthChange()` filter is invalid. The message names the class and
 * method, the value given and what is allowed.
 */
export class InvalidHealthChangeHookError extends HealthModuleError {
  /** Always `'InvalidHealthChangeHookError'`, also where a minifier renames the class. */
  override name = 'InvalidHealthChangeHookError';
  /** One entry per invalid part of the filter. */
  readonly problems: readonly OptionProblem[];
  constructor(source: string, problems: readonly OptionProblem[]) {
    super(`Invalid @OnHealthChange() filter on ${source}:\n${formatOptionProblems(problems)}`);
    this.problems = problems;
  }
}

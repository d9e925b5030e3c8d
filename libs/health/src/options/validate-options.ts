import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/**
 * One invalid option: its dotted path, the value given, and what is allowed.
 */
export interface OptionProblem {
  /** Dotted path of the option, e.g. `defaults.timeoutMs`. */
  readonly option: string;
  /** The value given. */
  readonly value: unknown;
  /**
   * What the option accepts, as the message says it, e.g. `must be an integer from 1 to 300000
   * (milliseconds)`.
   */
  readonly allowed: string;
}

/**
 * Validates `value` against a class-validator schema class and returns the problems found, one
 * per option, in declaration order. Unknown keys are problems too (they are usually typos such as
 * `timeout` for `timeoutMs`).
 *
 * @internal
 */
export function findOptionProblems<T extends object>(
  schema: ClassConstructor<T>,
  value: unknown,
): OptionProblem[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) {
    return [{ option: '(options)', value, allowed: 'an object' }];
  }
  const instance = plainToInstance(schema, value);
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: true },
  });
  return errors.flatMap((error) => flatten(error, ''));
}

function flatten(error: ValidationError, parent: string): OptionProblem[] {
  const option = parent ? `${parent}.${error.property}` : error.property;
  const own: OptionProblem[] = [];
  if (error.constraints) {
    const messages = [...new Set(Object.values(error.constraints))];
    const unknown = 'whitelistValidation' in error.constraints;
    own.push({
      option,
      value: error.value,
      allowed: unknown ? 'no such option' : messages.join('; '),
    });
  }
  const nested = (error.children ?? []).flatMap((child) => flatten(child, option));
  return [...own, ...nested];
}

/**
 * Renders a value for an error message: short, single-line, never a whole object graph.
 *
 * @internal
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * Formats problems as the lines of an error message.
 *
 * @internal
 */
export function formatOptionProblems(problems: readonly OptionProblem[]): string {
  return problems
    .map((p) =>
      p.allowed === 'no such option'
        ? `  - "${p.option}" is not an option (given ${describeValue(p.value)})`
        : `  - "${p.option}" is ${describeValue(p.value)}: ${p.allowed}`,
    )
    .join('\n');
}

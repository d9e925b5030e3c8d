import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { isPlainObject } from './option-rules';
import { booleanFromString, UnconvertedOptionString } from './option-strings';
import { kindOf } from '../indicators/core/positional';

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
  return validateOptions(schema, value).problems;
}

/**
 * Validates `value` against a class-validator schema class, as {@link findOptionProblems} does,
 * and returns the options as they are to be used: a copy of `value` in which the strings that
 * the schema converts (a plain decimal number for a numeric option, `"true"` / `"false"` for a
 * boolean one; see `NumberFromString` and `BooleanFromString`) are numbers and booleans. A
 * string of another kind is a problem whose rule ends with what to do ("got a string; convert
 * it with Number()").
 *
 * @returns the problems (none when valid) and the converted options (`value` itself when it is
 *   not an object).
 * @internal
 */
export function validateOptions<T extends object>(
  schema: ClassConstructor<T>,
  value: unknown,
): { problems: OptionProblem[]; value: unknown } {
  if (value === undefined || value === null) return { problems: [], value };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { problems: [{ option: '(options)', value, allowed: 'an object' }], value };
  }
  const instance = plainToInstance(schema, value);
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: true },
  });
  return {
    problems: errors.flatMap((error) => flatten(error, '')),
    value: convertedCopy(value as Record<string, unknown>, instance as Record<string, unknown>),
  };
}

/**
 * `raw` with the values class-transformer produced for its keys: the same keys, plain objects
 * (not schema instances), and nothing the schema declares but `raw` does not give.
 */
function convertedCopy(
  raw: Record<string, unknown>,
  converted: Record<string, unknown>,
): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, given] of Object.entries(raw)) {
    const made = key in converted ? converted[key] : given;
    copy[key] =
      isPlainObject(given) && made !== null && typeof made === 'object' && !Array.isArray(made)
        ? convertedCopy(given, made as Record<string, unknown>)
        : made;
  }
  return copy;
}

function flatten(error: ValidationError, parent: string): OptionProblem[] {
  const option = parent ? `${parent}.${error.property}` : error.property;
  const own: OptionProblem[] = [];
  if (error.constraints) {
    const messages = [...new Set(Object.values(error.constraints))];
    const unknown = 'whitelistValidation' in error.constraints;
    const unconverted = findUnconverted(error.value);
    own.push({
      option,
      value: replaceUnconverted(error.value),
      allowed: unknown
        ? 'no such option'
        : [...messages, ...(unconverted ? [unconverted.advice] : [])].join('; '),
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

/** The first string that was not converted, in `value` or (for arrays and maps) inside it. */
function findUnconverted(value: unknown): UnconvertedOptionString | undefined {
  if (value instanceof UnconvertedOptionString) return value;
  if (Array.isArray(value)) return value.map(findUnconverted).find(Boolean);
  if (isPlainObject(value)) return Object.values(value).map(findUnconverted).find(Boolean);
  return undefined;
}

/** `value` as given: each string that was not converted, back in place of its placeholder. */
function replaceUnconverted(value: unknown): unknown {
  if (value instanceof UnconvertedOptionString) return value.text;
  if (Array.isArray(value)) return value.map(replaceUnconverted);
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, replaceUnconverted(item)]),
    );
  }
  return value;
}

/**
 * The first step of validating an option that is `true`, `false` or an object of its own options
 * (`metrics`, `history`): a boolean (or `"true"` / `"false"` from configuration, converted) and
 * `undefined` are valid as they are; anything else but a plain object is one problem naming
 * `option`, ending with what to do for an unconverted string.
 *
 * @param rule - what the option accepts, e.g. `must be true, false or an object of metrics options`.
 * @returns the outcome for a value that is not a plain object, or `undefined` for a plain object,
 *   which the caller validates against its schema.
 * @internal
 */
export function validateFlagOrObject(
  option: string,
  value: unknown,
  rule: string,
): { problems: OptionProblem[]; value: unknown } | undefined {
  if (typeof value === 'string') {
    const flag = booleanFromString(value);
    if (typeof flag === 'boolean') return { problems: [], value: flag };
  }
  if (value === undefined || typeof value === 'boolean') return { problems: [], value };
  if (isPlainObject(value)) return undefined;
  const given = typeof value === 'object' && value !== null ? kindOf(value) : value;
  const advice = typeof value === 'string' ? new UnconvertedOptionString(value, 'boolean') : null;
  return {
    problems: [{ option, value: given, allowed: `${rule}${advice ? `; ${advice.advice}` : ''}` }],
    value,
  };
}

/**
 * Validates an option that takes an object of options (`server: { port }`) against its schema:
 * one problem naming `option` when the value is not a plain object, otherwise the schema's
 * problems dotted under it (`server.port`). `undefined` is valid (the option is off).
 *
 * @returns the problems and the options with strings converted (see {@link validateOptions}).
 * @internal
 */
export function validateObjectOption<T extends object>(
  option: string,
  schema: ClassConstructor<T>,
  value: unknown,
  allowed: string,
): { problems: OptionProblem[]; value: unknown } {
  if (value === undefined) return { problems: [], value };
  if (!isPlainObject(value)) {
    const given = typeof value === 'object' && value !== null ? kindOf(value) : value;
    return { problems: [{ option, value: given, allowed }], value };
  }
  const validated = validateOptions(schema, value);
  const problems = validated.problems.map((problem) => ({
    ...problem,
    option: `${option}.${problem.option}`,
  }));
  return { problems, value: validated.value };
}

import { InvalidHealthIndicatorOptionsError } from '../../errors';

/**
 * Checks a factory's positional argument (a URL, a host, a client), throwing the same error as
 * an invalid option, named after the parameter.
 *
 * @param factory - `"httpIndicator()"`.
 * @param name - the parameter, e.g. `"url"`.
 * @param value - what was given.
 * @param valid - whether it is acceptable.
 * @param allowed - what is allowed, in words.
 * @throws InvalidHealthIndicatorOptionsError when `valid` is false.
 * @internal
 */
export function requireArgument(
  factory: string,
  name: string,
  value: unknown,
  valid: boolean,
  allowed: string,
): void {
  if (!valid)
    throw new InvalidHealthIndicatorOptionsError(factory, [{ option: name, value, allowed }]);
}

/** Whether `value` is an object with a method of each name. @internal */
export function hasMethods(value: unknown, ...methods: string[]): boolean {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    methods.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
  );
}

/**
 * Describes a value for an error message without printing its content (a client's options may
 * hold a password): `"undefined"`, `"a string"`, `"an instance of Pool"`.
 *
 * @internal
 */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object' && typeof value !== 'function') return `a ${typeof value}`;
  if (typeof value === 'function') return 'a function';
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name && name !== 'Object'
    ? `an instance of ${name}`
    : 'a plain object';
}

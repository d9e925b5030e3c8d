import { Transform } from 'class-transformer';

/**
 * A plain decimal number in a string, as an environment variable holds it: `"100"`, `" 250 "`,
 * `"-1"`, `"0.5"`. Not `""`, `"1e3"`, `"0x10"`, `"1_000"`, `"100ms"`, `"Infinity"`.
 */
const PLAIN_DECIMAL = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*$/;

/**
 * A string given for a numeric or boolean option that is not one the module converts. It takes
 * the string's place while the options are validated, so that the error can say what to do.
 *
 * @internal
 */
export class UnconvertedOptionString {
  constructor(
    /** The string as given. */
    readonly text: string,
    /** What the option takes. */
    readonly kind: 'number' | 'boolean',
  ) {}

  /** What the error message adds after the option's own rule. */
  get advice(): string {
    return this.kind === 'number'
      ? 'got a string; convert it with Number()'
      : 'got a string; convert it to a boolean (only "true" and "false" are converted)';
  }
}

/**
 * The number a plain decimal string holds; any other string becomes an
 * {@link UnconvertedOptionString} (so that validation fails with advice); other values pass
 * unchanged.
 *
 * @internal
 */
export function numberFromString(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return PLAIN_DECIMAL.test(value) ? Number(value) : new UnconvertedOptionString(value, 'number');
}

/**
 * `true` for `"true"`, `false` for `"false"` (surrounding spaces ignored, lower case only, as
 * JSON and YAML write them); any other string becomes an {@link UnconvertedOptionString}; other
 * values pass unchanged.
 *
 * @internal
 */
export function booleanFromString(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === 'true') return true;
  if (text === 'false') return false;
  return new UnconvertedOptionString(value, 'boolean');
}

/**
 * Converts a string option value to a number on the way into validation (see
 * {@link numberFromString}); on an array, each item.
 *
 * @internal
 */
export function NumberFromString(): PropertyDecorator {
  return Transform(
    ({ value }: { value: unknown }) =>
      Array.isArray(value) ? value.map(numberFromString) : numberFromString(value),
    { toClassOnly: true },
  );
}

/**
 * Converts a string option value to a boolean on the way into validation (see
 * {@link booleanFromString}).
 *
 * @internal
 */
export function BooleanFromString(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => booleanFromString(value), {
    toClassOnly: true,
  });
}

import { applyDecorators } from '@nestjs/common';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsNumber,
  IsPositive,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { Transform } from 'class-transformer';
import { BooleanFromString, NumberFromString, numberFromString } from './option-strings';

/**
 * Names of indicators and groups: they appear in URLs (`/health/ready/<name>`), Prometheus labels
 * and log lines, so they are kept to a URL- and label-safe alphabet.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** What {@link NAME_PATTERN} allows, in words. */
export const NAME_RULE =
  'must be 1 to 63 characters of letters, digits, ".", "_" or "-", starting with a letter or digit';

/**
 * An integer option within `[min, max]`, with one message that says so. A string holding a plain
 * decimal number is converted first (see {@link NumberFromString}).
 *
 * @internal
 */
export function IntegerInRange(min: number, max: number, unit = ''): PropertyDecorator {
  const message = `must be an integer from ${min} to ${max}${unit ? ` (${unit})` : ''}`;
  return applyDecorators(
    NumberFromString(),
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  );
}

/**
 * A map from group name to an HTTP status mapping `{ up?, degraded?, down? }` whose values are
 * integer HTTP status codes from 200 to 599.
 *
 * @internal
 */
export function IsHttpStatusMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHttpStatusMap',
      validator: {
        validate: (value: unknown) => {
          if (!isPlainObject(value)) return false;
          return Object.entries(value).every(
            ([group, mapping]) =>
              NAME_PATTERN.test(group) &&
              isPlainObject(mapping) &&
              Object.entries(mapping).every(
                ([status, code]) =>
                  ['up', 'degraded', 'down'].includes(status) &&
                  Number.isInteger(code) &&
                  (code as number) >= 200 &&
                  (code as number) <= 599,
              ),
          );
        },
        defaultMessage: () =>
          'must map group names to { up?, degraded?, down? } with integer HTTP status codes from 200 to 599',
      },
    },
    options,
  );
}

/** @internal */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * An array of at most `max` functions (decorators).
 *
 * @internal
 */
export function IsFunctionArray(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isFunctionArray',
      validator: {
        validate: (value: unknown) =>
          Array.isArray(value) &&
          value.length <= max &&
          value.every((item) => typeof item === 'function'),
        defaultMessage: () => `must be an array of at most ${max} decorators (functions)`,
      },
    },
    options,
  );
}

/**
 * A boolean option, with the message "must be true or false". The strings `"true"` and
 * `"false"` are converted first (see {@link BooleanFromString}).
 *
 * @internal
 */
export function BooleanOption(): PropertyDecorator {
  return applyDecorators(BooleanFromString(), IsBoolean({ message: 'must be true or false' }));
}

/**
 * A name that goes into keys and messages as it is (a service, a replica, a channel): a string of
 * 1 to `max` letters, digits, `.`, `_` and `-`, with one message that says so.
 *
 * @internal
 */
export function SafeNameOption(max: number): PropertyDecorator {
  const message = `must be letters, digits, ".", "_" and "-" (at most ${max} characters)`;
  return applyDecorators(
    IsString({ message }),
    Matches(new RegExp(`^[A-Za-z0-9._-]{1,${max}}$`), { message }),
  );
}

/**
 * The `service` option of `fleet` and `notifications`: a {@link SafeNameOption} of at most 100
 * characters.
 *
 * @internal
 */
export function ServiceNameOption(): PropertyDecorator {
  return SafeNameOption(100);
}

/**
 * The `instance` option of `fleet` and `notifications`: a {@link SafeNameOption} of at most 253
 * characters (a pod name is a DNS subdomain, at most 253).
 *
 * @internal
 */
export function InstanceNameOption(): PropertyDecorator {
  return SafeNameOption(253);
}

/**
 * Histogram bucket boundaries in seconds (`durationBucketsSeconds` of `metrics` and `telemetry`):
 * 1 to 32 positive numbers, ascending, with one message that says so. Strings holding plain
 * decimal numbers are converted first (see {@link NumberFromString}).
 *
 * @internal
 */
export function DurationBucketsOption(): PropertyDecorator {
  const message = 'must be 1 to 32 positive numbers of seconds, in ascending order';
  return applyDecorators(
    NumberFromString(),
    IsArray({ message }),
    ArrayMinSize(1, { message }),
    ArrayMaxSize(32, { message }),
    IsNumber({ allowNaN: false, allowInfinity: false }, { each: true, message }),
    IsPositive({ each: true, message }),
    ValidateBy(
      {
        name: 'isAscending',
        validator: {
          validate: (value: unknown) =>
            !Array.isArray(value) ||
            !value.some(
              (item, index) => index > 0 && (item as number) <= (value[index - 1] as number),
            ),
        },
      },
      { message },
    ),
  );
}

/**
 * Converts the codes of a map of HTTP status mappings (`{ readiness: { degraded: "503" } }`)
 * from plain decimal strings, before {@link IsHttpStatusMap} checks them.
 *
 * @internal
 */
export function HttpStatusCodesFromStrings(): PropertyDecorator {
  return Transform(
    ({ value }: { value: unknown }) =>
      isPlainObject(value)
        ? Object.fromEntries(
            Object.entries(value).map(([group, mapping]) => [
              group,
              isPlainObject(mapping)
                ? Object.fromEntries(
                    Object.entries(mapping).map(([status, code]) => [
                      status,
                      numberFromString(code),
                    ]),
                  )
                : mapping,
            ]),
          )
        : value,
    { toClassOnly: true },
  );
}

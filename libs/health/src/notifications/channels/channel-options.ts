import { ValidateBy, type ValidationOptions } from 'class-validator';
import type { ClassConstructor } from 'class-transformer';
import { validateOptions, type OptionProblem } from '../../options/validate-options';
import { COMMON_CHANNEL_KEYS } from '../notification.types';

/** What a problem shows instead of a secret's value (a webhook URL, a token, a password). */
export const REDACTED = '[redacted]';

/** What {@link IsWebhookUrl} accepts, in words. */
export const WEBHOOK_URL_RULE = 'must be an absolute http:// or https:// URL';

/**
 * The options of one channel without the keys every channel shares ({@link COMMON_CHANNEL_KEYS}),
 * which the notifications pipeline checks itself.
 * @internal
 */
export function ownChannelOptions(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(raw).filter(([key]) => !COMMON_CHANNEL_KEYS.includes(key)),
  );
}

/**
 * Validates a channel's own keys against a class-validator schema (unknown keys are problems),
 * naming each problem `${prefix}.<key>` and showing {@link REDACTED} instead of the value of an
 * option that holds a secret, and of an unknown key (a misspelt `url` or `password` holds one
 * too), so that a boot error never prints a webhook token or a password.
 *
 * @param secretKeys - top-level keys whose values (and nested values) are secrets, e.g. `url`.
 * @internal
 */
export function validateChannelOptions<T extends object>(
  schema: ClassConstructor<T>,
  raw: Readonly<Record<string, unknown>>,
  prefix: string,
  secretKeys: readonly string[],
): OptionProblem[] {
  return validateOptions(schema, ownChannelOptions(raw)).problems.map((problem) => ({
    ...problem,
    option: `${prefix}.${problem.option}`,
    value:
      secretKeys.includes(problem.option.split('.')[0]) || problem.allowed === 'no such option'
        ? REDACTED
        : problem.value,
  }));
}

/** Whether `value` is an absolute `http:` or `https:` URL, as `fetch` takes it. @internal */
export function isWebhookUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * class-validator rule: {@link isWebhookUrl}; `undefined` passes (pair it with `IsDefined`, whose
 * message says the option is required).
 * @internal
 */
export function IsWebhookUrl(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isWebhookUrl',
      validator: {
        validate: (value) => value === undefined || isWebhookUrl(value),
        defaultMessage: () => WEBHOOK_URL_RULE,
      },
    },
    options,
  );
}

/** The channel's `name` option, else its type. @internal */
export function channelName(raw: Readonly<Record<string, unknown>>, type: string): string {
  return typeof raw.name === 'string' ? raw.name : type;
}

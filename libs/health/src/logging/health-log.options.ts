import { applyDecorators, type LoggerService } from '@nestjs/common';
import { ValidateBy } from 'class-validator';
import { NumberFromString } from '../options/option-strings';

/**
 * What the `logger` module option accepts: `true` (Nest's `Logger`, so the app's logger), `false`
 * (nothing is logged), or a `LoggerService` of your own (each line is passed to it with the
 * context `HealthModule` as the last argument).
 */
export type HealthLoggerOption = boolean | LoggerService;

/**
 * Whether `value` can serve as the module's logger: an object with `log`, `warn` and `error`
 * methods (Nest's `LoggerService`).
 *
 * @internal
 */
export function isLoggerService(value: unknown): value is LoggerService {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return ['log', 'warn', 'error'].every((method) => typeof record[method] === 'function');
}

/** What the `logger` option allows, in words. @internal */
export const LOGGER_RULE =
  'must be true or false, or a LoggerService (an object with log, warn and error methods)';

/** The least `reminderIntervalMs` other than 0, in milliseconds. */
export const MIN_REMINDER_INTERVAL_MS = 1_000;
/** The most `reminderIntervalMs`, in milliseconds (a day). */
export const MAX_REMINDER_INTERVAL_MS = 86_400_000;

/**
 * The `reminderIntervalMs` option: 0 (no reminders) or an integer from
 * {@link MIN_REMINDER_INTERVAL_MS} to {@link MAX_REMINDER_INTERVAL_MS}.
 *
 * @internal
 */
export function IsReminderInterval(): PropertyDecorator {
  return applyDecorators(
    NumberFromString(),
    ValidateBy({
      name: 'isReminderInterval',
      validator: {
        validate: (value: unknown) =>
          value === 0 ||
          (Number.isInteger(value) &&
            (value as number) >= MIN_REMINDER_INTERVAL_MS &&
            (value as number) <= MAX_REMINDER_INTERVAL_MS),
        defaultMessage: () =>
          `must be 0 (no reminders) or an integer from ${MIN_REMINDER_INTERVAL_MS} to ${MAX_REMINDER_INTERVAL_MS} (milliseconds)`,
      },
    }),
  );
}

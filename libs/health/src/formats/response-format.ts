import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isPlainObject, NAME_PATTERN } from '../options/option-rules';

/**
 * The JSON shape of the health endpoints' answers:
 *
 * - `'default'`: the module's own JSON (`{ status: 'up' | 'degraded' | 'down', group, timestamp,
 *   checks }` for probes, every detail for `GET /<path>`), with the group's `httpStatus` codes.
 * - `'terminus'`: the body of `@nestjs/terminus`'s `HealthCheckService.check()`:
 *   `{ status: 'ok' | 'error' | 'shutting_down', info, error, details }`, 200 for `ok` and 503
 *   for `error` and `shutting_down` (the group's `httpStatus` codes, whose defaults are
 *   Terminus's), so that dashboards and tests written against a Terminus endpoint keep working.
 *
 * Whatever the option, a request with `Accept: application/health+json` gets the IETF draft's
 * format (`HealthJsonBody`), and `?verbose` gets plain text.
 */
export type HealthResponseFormat = 'default' | 'terminus';

/** The allowed values of {@link HealthResponseFormat}. */
export const HEALTH_RESPONSE_FORMATS: readonly HealthResponseFormat[] = ['default', 'terminus'];

/**
 * The `format` module option: one {@link HealthResponseFormat} for every health endpoint
 * (probes and `GET /<path>`), or a map from group name to format for those groups' probes
 * (groups left out, and `GET /<path>`, keep `'default'`).
 *
 * @example `format: 'terminus'`
 * @example `format: { readiness: 'terminus' }`
 */
export type HealthFormatOption =
  HealthResponseFormat | Readonly<Record<string, HealthResponseFormat>>;

/**
 * What an answer is shaped as: a configured {@link HealthResponseFormat}, or `'health+json'`
 * when the request asked for `application/health+json`.
 *
 * @internal
 */
export type NegotiatedFormat = HealthResponseFormat | 'health+json';

/** The `format` option after validation: a format for `GET /<path>` and one per group. @internal */
export interface ResolvedHealthFormat {
  /** The format of `GET /<path>`. */
  readonly details: HealthResponseFormat;
  /** The format of the probes of groups not in {@link groups}. */
  readonly fallback: HealthResponseFormat;
  /** Per group, when the option was a map. */
  readonly groups: Readonly<Record<string, HealthResponseFormat>>;
}

/**
 * Resolves the `format` option (already validated).
 *
 * @internal
 */
export function resolveFormatOption(option: HealthFormatOption | undefined): ResolvedHealthFormat {
  if (option === undefined) return { details: 'default', fallback: 'default', groups: {} };
  if (typeof option === 'string') return { details: option, fallback: option, groups: {} };
  return { details: 'default', fallback: 'default', groups: { ...option } };
}

const FORMAT_RULE =
  'must be "default" or "terminus", or map group names to "default" or "terminus" (e.g. { readiness: "terminus" })';

/**
 * Validates the `format` option: a {@link HealthResponseFormat}, or a plain object from group
 * names to one.
 *
 * @internal
 */
export function IsHealthFormatOption(options?: ValidationOptions): PropertyDecorator {
  const isFormat = (value: unknown) => HEALTH_RESPONSE_FORMATS.some((format) => format === value);
  return ValidateBy(
    {
      name: 'isHealthFormatOption',
      validator: {
        validate: (value: unknown) =>
          isFormat(value) ||
          (isPlainObject(value) &&
            Object.entries(value).every(
              ([group, format]) => NAME_PATTERN.test(group) && isFormat(format),
            )),
        defaultMessage: () => FORMAT_RULE,
      },
    },
    options,
  );
}

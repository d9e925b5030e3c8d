import { applyDecorators, type CanActivate, type Type } from '@nestjs/common';
import { ValidateBy, ValidateIf } from 'class-validator';

/**
 * Who sees the details of the health state (messages, data, process facts, failure reasons):
 *
 * - `'never'`: nobody; every caller gets statuses only.
 * - `'local'`: callers on the loopback interface (the socket's remote address is in
 *   `127.0.0.0/8`, `::1` or `::ffff:127.0.0.0/104`; `X-Forwarded-For` is never read), and callers
 *   that `authorize` admits.
 * - `'authorized'`: callers that `authorize` admits.
 * - `'always'`: everybody. Only for a private network: health messages name hosts and errors.
 */
export type HealthDetailsMode = 'never' | 'local' | 'authorized' | 'always';

/**
 * Decides whether a caller may see details: admitted only when it returns (or resolves to)
 * exactly `true`. Throwing or rejecting means not admitted.
 *
 * @param request - the request as Nest hands it to a controller: Express's `Request`, or
 *   Fastify's `FastifyRequest`.
 */
export type HealthAuthorizeFunction = (request: unknown) => boolean | Promise<boolean>;

/**
 * The `authorize` option: a function, or a Nest guard class (its `canActivate()` is called with
 * an HTTP `ExecutionContext` of the health endpoint; a guard that throws, as most auth guards do
 * for a bad credential, means not admitted). The guard is taken from the app's providers when
 * it is one (in any module), otherwise created once by the module with its dependencies.
 */
export type HealthAuthorize = HealthAuthorizeFunction | Type<CanActivate>;

/** Whether `value` is a guard class (its prototype has `canActivate`) rather than a function. */
export function isGuardClass(value: unknown): value is Type<CanActivate> {
  return (
    typeof value === 'function' &&
    typeof (value as { prototype?: { canActivate?: unknown } }).prototype?.canActivate ===
      'function'
  );
}

/** The allowed values of {@link HealthDetailsMode}. @internal */
export const HEALTH_DETAILS_MODES: readonly HealthDetailsMode[] = [
  'never',
  'local',
  'authorized',
  'always',
];

/**
 * Validates the `authorize` option: a function or a guard class. Checked whenever it is given,
 * and required when `details` is `'authorized'` (with nobody to admit, that mode would withhold
 * details from everybody, which `'never'` says more clearly).
 *
 * @internal
 */
export function IsHealthAuthorize(): PropertyDecorator {
  return applyDecorators(
    ValidateIf(
      (options: { authorize?: unknown; details?: unknown }) =>
        options.authorize !== undefined || options.details === 'authorized',
    ),
    ValidateBy({
      name: 'isHealthAuthorize',
      validator: {
        validate: (value: unknown) => typeof value === 'function',
        defaultMessage: () =>
          'must be a function (request) => boolean | Promise<boolean>, or a guard class (CanActivate); required when details is "authorized"',
      },
    }),
  );
}

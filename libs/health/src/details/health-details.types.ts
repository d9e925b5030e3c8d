import { applyDecorators, type CanActivate, type Type } from '@nestjs/common';
import { ValidateBy, ValidateIf } from 'class-validator';
import type { IncomingHttpHeaders } from 'node:http';

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
 * What an HTTP request carries on both of Nest's platforms: the part of Express's `Request` and
 * of Fastify's `FastifyRequest` that {@link HealthAuthorizeFunction} can rely on without a cast.
 * The object is the framework's own request, so a function that declares its parameter as
 * `Request` (express) or `FastifyRequest` (fastify) gets everything else too.
 */
export interface HealthRequest {
  /** The request headers, names in lower case (Node's `IncomingHttpHeaders`). */
  readonly headers: IncomingHttpHeaders;
  /**
   * The caller's address as the framework reports it: the socket's remote address, or, behind
   * a proxy the framework is told to trust (Express's `trust proxy`, Fastify's `trustProxy`),
   * the address from `X-Forwarded-For`.
   */
  readonly ip?: string | undefined;
  /** The HTTP method, e.g. `GET`. */
  readonly method?: string | undefined;
  /** The request URL: path and query string, e.g. `/health?verbose`. */
  readonly url?: string | undefined;
}

/**
 * Decides whether a caller may see details: admitted only when it returns (or resolves to)
 * exactly `true`. Throwing or rejecting means not admitted.
 *
 * The parameter may be left to inference (`(req) => …`: a {@link HealthRequest}) or declared as
 * your platform's request type: `(req: Request) => …` with Express's `Request`, or
 * `(req: FastifyRequest) => …`, without a cast, also under `strict`. The type is declared as a
 * method signature (the pattern of React's event handler types): TypeScript compares a method's
 * parameter both ways ("bivariance"), so a function that takes a richer request type than
 * `HealthRequest` fits, while one that takes something unrelated (a `number`) does not.
 *
 * @param request - the request as Nest hands it to a controller: Express's `Request`, or
 *   Fastify's `FastifyRequest`.
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       details: 'authorized',
 *       authorize: (req) => req.headers['x-health-token'] === process.env.HEALTH_TOKEN,
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import type { Request } from 'express';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       authorize: (req: Request) => req.get('x-health-token') === process.env.HEALTH_TOKEN,
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export type HealthAuthorizeFunction = {
  // A method, not a property: its parameter is compared bivariantly (see above).
  /**
   * Whether the caller may see details.
   *
   * @param request - the request as Nest hands it to a controller.
   * @returns `true` (or a promise of it) to admit the caller.
   */
  authorize(request: HealthRequest): boolean | Promise<boolean>;
}['authorize'];

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

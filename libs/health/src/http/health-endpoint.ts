import { SetMetadata, UseFilters, type ExecutionContext, type Type } from '@nestjs/common';
import { NoStoreExceptionFilter } from './no-store-exception.filter';

/**
 * Metadata key that the module sets (to `true`) on each of its controllers: probes, details,
 * stream and dashboard. A global guard can let health endpoints through by checking it, so that
 * the kubelet and load balancers reach the probes without credentials:
 *
 * @example
 * ```ts
 * import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
 * import { Reflector } from '@nestjs/core';
 * import { HEALTH_ENDPOINT_METADATA } from 'nest-health';
 *
 * declare function authenticate(context: ExecutionContext): Promise<boolean>; // yours
 *
 * @Injectable()
 * export class AuthGuard implements CanActivate {
 *   constructor(private readonly reflector: Reflector) {}
 *   async canActivate(context: ExecutionContext) {
 *     if (this.reflector.get(HEALTH_ENDPOINT_METADATA, context.getClass())) return true;
 *     return authenticate(context);
 *   }
 * }
 * ```
 */
export const HEALTH_ENDPOINT_METADATA = 'nest-health:endpoint';

/**
 * Whether the route of `context` is one of the health module's endpoints (its controller
 * carries {@link HEALTH_ENDPOINT_METADATA}).
 *
 * @param context - the `ExecutionContext` a guard or interceptor receives.
 */
export function isHealthEndpoint(context: ExecutionContext): boolean {
  return Reflect.getMetadata(HEALTH_ENDPOINT_METADATA, context.getClass()) === true;
}

/**
 * Marks each controller as a health endpoint, makes its error answers `Cache-Control: no-store`
 * too, and applies the `decorators` route option to it, as a class decorator.
 *
 * @internal
 */
export function decorateHealthControllers(
  controllers: readonly Type[],
  decorators: readonly ClassDecorator[],
): Type[] {
  const mark = SetMetadata(HEALTH_ENDPOINT_METADATA, true);
  const noStore = UseFilters(NoStoreExceptionFilter);
  for (const controller of controllers) {
    mark(controller);
    noStore(controller);
    for (const decorate of decorators) decorate(controller);
  }
  return [...controllers];
}

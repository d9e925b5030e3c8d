import {
  HttpException,
  Inject,
  Injectable,
  type CanActivate,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import { messageFromError } from '../engine/sanitize';
import { InvalidHealthModuleOptionsError } from '../errors';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { isGuardClass, type HealthDetailsMode } from './health-details.types';
import { HealthHttpExecutionContext, type HealthDetailsTarget } from './http-execution-context';
import { isLoopbackAddress, remoteAddressOf } from './loopback';
import { healthLoggerFor } from '../logging/health-logger';

/**
 * Decides, per request, whether the caller may see the details of the health state: messages,
 * data and process facts in `GET /health`, failure reasons in `?verbose`, and whether
 * `?fresh=true` may run checks. One decision for every surface (the probes, the detailed
 * endpoint, the stream, metrics), from the module options `details` and `authorize`.
 *
 * The decision is synchronous whenever it can be (`never`, `always`, a loopback caller under
 * `local`); only an `authorize` that returns a promise makes it asynchronous. Plain probes never
 * ask for it.
 *
 * @example
 * ```ts
 * constructor(private readonly details: HealthDetailsPolicy) {}
 * async handler(@Req() request: Request) {
 *   const admitted = await this.details.admits(request);
 * }
 * ```
 */
@Injectable()
export class HealthDetailsPolicy implements OnModuleInit {
  private guard?: CanActivate;
  private warned = false;

  /** Created by Nest's injector; inject the instance rather than constructing one. @internal */
  constructor(
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The configured `details` mode. */
  get mode(): HealthDetailsMode {
    return this.options.details;
  }

  /**
   * Resolves a guard class given as `authorize`: the app's own instance when the guard is a
   * provider of any module, otherwise one created with its dependencies.
   *
   * @throws InvalidHealthModuleOptionsError when Nest cannot create the guard.
   */
  async onModuleInit(): Promise<void> {
    const { authorize } = this.options;
    if (!isGuardClass(authorize)) return;
    try {
      this.guard = this.moduleRef.get(authorize, { strict: false });
      return;
    } catch {
      // Not a provider anywhere: create one below.
    }
    try {
      this.guard = await this.moduleRef.create(authorize);
    } catch (error) {
      throw new InvalidHealthModuleOptionsError([
        {
          option: 'authorize',
          value: authorize,
          allowed: `a guard Nest can create (${messageFromError(error)}); register it as a provider of a module whose dependencies it can see`,
        },
      ]);
    }
  }

  /**
   * Whether `request`'s caller may see details.
   *
   * @param request - the request as Nest hands it to a controller (Express or Fastify).
   * @param target - the route, for a guard that reads route metadata; defaults to this method.
   * @param response - the response, for a guard that reads or writes it.
   * @returns `true` when admitted; a promise only when `authorize` answers with one. Never
   *   throws or rejects: an `authorize` that fails means not admitted.
   */
  admits(
    request: unknown,
    target: HealthDetailsTarget = DEFAULT_TARGET,
    response?: unknown,
  ): boolean | Promise<boolean> {
    switch (this.options.details) {
      case 'always':
        return true;
      case 'never':
        return false;
      case 'local':
        return (
          isLoopbackAddress(remoteAddressOf(request)) || this.authorized(request, target, response)
        );
      case 'authorized':
        return this.authorized(request, target, response);
    }
  }

  private authorized(
    request: unknown,
    target: HealthDetailsTarget,
    response: unknown,
  ): boolean | Promise<boolean> {
    const { authorize } = this.options;
    if (!authorize) return false;
    let answer: unknown;
    try {
      if (isGuardClass(authorize)) {
        if (!this.guard) return false;
        answer = this.guard.canActivate(new HealthHttpExecutionContext(request, response, target));
      } else {
        answer = authorize(request);
      }
    } catch (error) {
      return this.refused(error);
    }
    if (isObservable(answer)) answer = lastValueFrom(answer);
    if (isThenable(answer)) {
      return Promise.resolve(answer).then(
        (value) => value === true,
        (error: unknown) => this.refused(error),
      );
    }
    return answer === true;
  }

  /** An `authorize` that throws refuses; an unexpected error is logged once. */
  private refused(error: unknown): false {
    if (!(error instanceof HttpException) && !this.warned) {
      this.warned = true;
      healthLoggerFor(this.options).warn(
        `authorize failed (${messageFromError(error)}); callers it fails for see no details (logged once)`,
      );
    }
    return false;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

const DEFAULT_TARGET: HealthDetailsTarget = {
  controller: HealthDetailsPolicy,
  // eslint-disable-next-line @typescript-eslint/unbound-method -- only its metadata is read
  handler: HealthDetailsPolicy.prototype.admits,
};

import type { ContextType, ExecutionContext, Type } from '@nestjs/common';

type HttpArgumentsHost = ReturnType<ExecutionContext['switchToHttp']>;
type RpcArgumentsHost = ReturnType<ExecutionContext['switchToRpc']>;
type WsArgumentsHost = ReturnType<ExecutionContext['switchToWs']>;

/**
 * The route a details decision is made for: the controller class and its handler, so that a
 * guard reading metadata with `Reflector` (`@Roles()`, `@Public()`) sees the health endpoint's.
 */
export interface HealthDetailsTarget {
  /** The controller class. */
  readonly controller: Type;
  /** The route handler (a method of the controller's prototype). */
  readonly handler: (...args: never[]) => unknown;
}

/**
 * A minimal HTTP `ExecutionContext`, enough to call a guard's `canActivate()` outside Nest's
 * guard pipeline: `switchToHttp()` gives the request and response, `getClass()` and
 * `getHandler()` the target route, `getType()` is `'http'`. (Nest's own implementation lives in
 * `@nestjs/core`'s internals, which are not public API.)
 *
 * @internal
 */
export class HealthHttpExecutionContext implements ExecutionContext {
  private readonly args: [unknown, unknown, undefined];

  constructor(
    request: unknown,
    response: unknown,
    private readonly target: HealthDetailsTarget,
  ) {
    this.args = [request, response, undefined];
  }

  getClass<T = unknown>(): Type<T> {
    return this.target.controller as Type<T>;
  }

  getHandler(): (...args: never[]) => unknown {
    return this.target.handler;
  }

  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as unknown as T;
  }

  getArgByIndex<T = unknown>(index: number): T {
    return this.args[index] as T;
  }

  switchToHttp(): HttpArgumentsHost {
    const [request, response] = this.args;
    return {
      getRequest: <T>() => request as T,
      getResponse: <T>() => response as T,
      getNext: <T>() => undefined as T,
    };
  }

  switchToRpc(): RpcArgumentsHost {
    const [data, context] = this.args;
    return { getData: <T>() => data as T, getContext: <T>() => context as T };
  }

  switchToWs(): WsArgumentsHost {
    const [client, data] = this.args;
    return { getClient: <T>() => client as T, getData: <T>() => data as T, getPattern: () => '' };
  }

  getType<TContext extends string = ContextType>(): TContext {
    return 'http' as TContext;
  }
}

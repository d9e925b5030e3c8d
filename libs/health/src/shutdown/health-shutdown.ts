import {
  Inject,
  Injectable,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ReplaySubject, type Observable } from 'rxjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthScheduler } from '../engine/health.scheduler';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { healthLoggerFor } from '../logging/health-logger';

/**
 * Where a shutdown is:
 * - `running`: no shutdown has begun.
 * - `draining`: readiness is down (reason `shutting_down`) and the app keeps serving for
 *   `shutdownDelayMs`, so that load balancers stop sending it traffic first.
 * - `closing`: the delay is over: long-lived responses (streams) end and the checks stop; Nest
 *   goes on closing the app.
 */
export type HealthShutdownPhase = 'running' | 'draining' | 'closing';

/**
 * The graceful shutdown of the health module, run by Nest's shutdown hooks
 * (`app.enableShutdownHooks()`, or `app.close()`):
 *
 * 1. readiness turns `down` with reason `shutting_down` at once (liveness is untouched: the
 *    process is alive, and a failing liveness probe would have it killed);
 * 2. for `shutdownDelayMs` the app keeps serving requests, probes included, while load
 *    balancers notice (the `shutdownDelay` of lightship, the `preStop` sleep of many charts);
 * 3. then {@link closing} emits (streams complete) and the scheduler stops its checks;
 * 4. Nest then closes the HTTP server and calls `onApplicationShutdown` hooks.
 *
 * Steps 1–3 run in this provider's `onModuleDestroy`, the first of Nest's shutdown hooks:
 * Nest calls `onModuleDestroy` on every module, then `beforeApplicationShutdown`, then closes
 * the HTTP server, then `onApplicationShutdown`. Resources closed in `beforeApplicationShutdown`
 * or `onApplicationShutdown` (where `@nestjs/typeorm`, `@nestjs/mongoose` and `@nestjs/bullmq`
 * close theirs) stay open during the delay. Nest runs each hook module by module, from the
 * root module to the deepest import and the global modules (this one, by default) last: a
 * resource that a module of yours closes in `onModuleDestroy` is closed before the delay
 * begins, unless that hook first awaits {@link begin}.
 *
 * @example
 * ```ts
 * // a stream that ends when the app starts closing
 * return events$.pipe(takeUntil(this.shutdown.closing));
 * ```
 */
@Injectable()
export class HealthShutdown implements OnModuleDestroy, OnApplicationShutdown {
  private readonly closing$ = new ReplaySubject<void>(1);
  private readonly closingController = new AbortController();
  private currentPhase: HealthShutdownPhase = 'running';
  private run?: Promise<void>;

  /**
   * Emits once, then completes, when the delay is over and long-lived responses must end.
   * Replayed: a subscriber that comes later gets it at once.
   */
  readonly closing: Observable<void> = this.closing$.asObservable();

  /** Created by Nest's injector; inject the instance rather than constructing one. @internal */
  constructor(
    private readonly state: HealthStateStore,
    private readonly scheduler: HealthScheduler,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {}

  /** Aborts when {@link closing} emits, for code that takes an `AbortSignal`. */
  get signal(): AbortSignal {
    return this.closingController.signal;
  }

  /** Where the shutdown is; see {@link HealthShutdownPhase}. */
  get phase(): HealthShutdownPhase {
    return this.currentPhase;
  }

  /**
   * Begins the shutdown: readiness turns down now; after `shutdownDelayMs`, {@link closing}
   * emits and the checks stop. Idempotent: every call returns the same promise, which resolves
   * when the delay is over. Nest calls it from `onModuleDestroy`; call it yourself first in a
   * hook of yours that closes a resource the app needs while it drains.
   */
  begin(): Promise<void> {
    this.run ??= this.drainThenClose();
    return this.run;
  }

  /** Nest's first shutdown hook: see the class description. */
  onModuleDestroy(): Promise<void> {
    return this.begin();
  }

  /** Closes at once if the delay was skipped (the module was destroyed some other way). */
  onApplicationShutdown(): void {
    this.close();
  }

  private async drainThenClose(): Promise<void> {
    this.currentPhase = 'draining';
    this.state.markShuttingDown();
    const delayMs = this.options.shutdownDelayMs;
    if (delayMs > 0) {
      healthLoggerFor(this.options).log(
        `Shutting down: readiness is down (shutting_down); serving for ${delayMs} ms before closing`,
      );
      await sleep(delayMs);
    }
    this.close();
  }

  private close(): void {
    if (this.currentPhase === 'closing') return;
    this.currentPhase = 'closing';
    this.state.markShuttingDown();
    this.closing$.next();
    this.closing$.complete();
    this.closingController.abort(
      new DOMException('the application is shutting down', 'AbortError'),
    );
    this.scheduler.stop();
  }
}

import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Observable, distinctUntilChanged, filter, map, merge, startWith, Subject } from 'rxjs';
import type { HealthStatus } from '../../check';
import { HealthStateStore } from '../../engine/health-state.store';
import { HEALTH_RESOLVED_OPTIONS } from '../../health.constants';
import { httpStatusFor, type ResolvedHealthModuleOptions } from '../../health-module-options';

/**
 * A service's status in the gRPC health protocol (`grpc.health.v1.HealthCheckResponse`):
 * `SERVICE_UNKNOWN` is only ever sent on `Watch`, for a name that is not a group.
 */
export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** The readiness group answers for the empty service name: "the process as a whole". */
const WHOLE_PROCESS = '';

/**
 * The engine's group statuses as the gRPC health protocol names them, for the module's own gRPC
 * server and for a health service added to an app's own Nest gRPC microservice:
 *
 * - service `""` is readiness; every group (`liveness`, `readiness`, `startup`, custom ones)
 *   answers by its name; any other name is unknown;
 * - a group is `SERVING` when its HTTP probe succeeds (a code below 400 by the `httpStatus`
 *   mapping, so by default `up` and `degraded`), else `NOT_SERVING`;
 * - from the moment the app begins to shut down, every service is `NOT_SERVING` at once, as
 *   grpc-go's `Server.Shutdown()` sets them, while readiness turns down on HTTP.
 *
 * A reader of the state store: it never runs a check.
 */
@Injectable()
export class HealthServingStatus implements OnModuleDestroy {
  private readonly shutdown$ = new Subject<void>();
  private shuttingDown = false;

  /** Created by Nest's injector; inject the instance rather than constructing one. @internal */
  constructor(
    private readonly state: HealthStateStore,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {}

  /**
   * The status of `service` now.
   * @param service - `""` (readiness) or a group's name.
   * @returns `undefined` when `service` names no group.
   */
  current(service: string): Exclude<ServingStatus, 'SERVICE_UNKNOWN'> | undefined {
    const group = groupOf(service);
    const state = this.state.group(group);
    if (state === undefined) return undefined;
    return this.servingFor(group, state.status);
  }

  /**
   * Every service the protocol knows now, by name (`""` first), with its status: for `List`.
   */
  all(): Map<string, Exclude<ServingStatus, 'SERVICE_UNKNOWN'>> {
    const statuses = new Map<string, Exclude<ServingStatus, 'SERVICE_UNKNOWN'>>();
    const readiness = this.current(WHOLE_PROCESS);
    if (readiness !== undefined) statuses.set(WHOLE_PROCESS, readiness);
    for (const name of this.state.groupNames()) {
      const status = this.current(name);
      if (status !== undefined) statuses.set(name, status);
    }
    return statuses;
  }

  /**
   * The status of `service` now, then each change (never the same status twice in a row), as
   * `Watch` sends it: `SERVICE_UNKNOWN` while no group has that name. Completes when the engine's
   * changes complete (at the end of the shutdown).
   */
  watch(service: string): Observable<ServingStatus> {
    const group = groupOf(service);
    const read = (): ServingStatus => this.current(service) ?? 'SERVICE_UNKNOWN';
    return merge(
      this.state.changes.pipe(filter((change) => change.type === 'group' && change.name === group)),
      this.shutdown$,
    ).pipe(map(read), startWith(read()), distinctUntilChanged());
  }

  /** Whether the shutdown has begun (every service is `NOT_SERVING`). */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Nest's first shutdown hook: every service turns `NOT_SERVING` at once. */
  onModuleDestroy(): void {
    this.beginShutdown();
  }

  /** Turns every service `NOT_SERVING` now (idempotent). @internal */
  beginShutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.shutdown$.next();
    this.shutdown$.complete();
  }

  private servingFor(
    group: string,
    status: HealthStatus,
  ): Exclude<ServingStatus, 'SERVICE_UNKNOWN'> {
    if (this.shuttingDown) return 'NOT_SERVING';
    return httpStatusFor(this.options, group, status) < 400 ? 'SERVING' : 'NOT_SERVING';
  }
}

function groupOf(service: string): string {
  return service === WHOLE_PROCESS ? 'readiness' : service;
}

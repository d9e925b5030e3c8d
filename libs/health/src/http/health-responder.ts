import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import type { HealthStatus } from '../check';
import type { HealthDetailsTarget } from '../details/http-execution-context';
import { HealthDetailsPolicy } from '../details/health-details.policy';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthScheduler } from '../engine/health.scheduler';
import type { GroupState } from '../engine/health-state.types';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import { httpStatusFor, type ResolvedHealthModuleOptions } from '../health-module-options';
import { HealthFormatter, type FormattedBody } from '../formats/health-formatter';
import { HealthFastPath } from '../fast-path/health-fast-path';
import { PROBE_CONTENT_TYPE, ProbeBodyCache } from '../fast-path/probe-body.cache';
import { HealthHistory } from '../history/health-history.service';
import { FreshRuns } from './fresh-runs';
import { HealthProcessFacts } from './process-facts';
import type { HealthDetailsQuery, HealthProbeQuery } from './health-probe.query';
import { NO_QUERY } from './health-query.pipe';
import {
  toDetailsBody,
  toProbeBody,
  unknownCheckBody,
  unknownGroupBody,
  type HealthDetailsBody,
  type HealthProbeBody,
} from './health-response';
import { memberStatus, probeTitle, unmatchedWarning, viewGroup } from './probe-view';
import { formatVerbose, type VerboseCheck } from './verbose-answer';

/** The query of a probe as the controllers receive it. @internal */
export type ProbeQuery = HealthProbeQuery | typeof NO_QUERY;

/** The query of `GET /<path>` as the controller receives it. @internal */
export type DetailsQuery = HealthDetailsQuery | typeof NO_QUERY;

/** A 404 body. @internal */
export type NotFoundBody = ReturnType<typeof unknownGroupBody>;

/**
 * What a probe handler returns: a JSON body (the module's own, or in another format), a verbose
 * text, or a promise of either. @internal
 */
export type ProbeAnswer = HealthProbeBody | NotFoundBody | FormattedBody | string;

/** The request and response of one call, and the route, for the details policy. @internal */
export interface HealthCall {
  readonly request: unknown;
  readonly response: unknown;
  readonly target: HealthDetailsTarget;
}

/**
 * What the health controllers answer: bodies and status codes from the state store.
 *
 * A probe without query parameters is answered synchronously from the snapshot, as cheaply as a
 * constant route (unless its group has on-demand members); no check runs and the details policy
 * is not asked. Only `?verbose`, `?fresh` and `GET /<path>` ask the policy.
 *
 * Its body is the group's JSON, serialized once per state ({@link ProbeBodyCache}) and returned
 * as text with `Content-Type: application/json; charset=utf-8`, so that neither the handler nor
 * Express or Fastify builds and serializes an object per request: the same bytes as the object
 * would give. When an interceptor applies to the route (a global one, or one put on the module's
 * controllers through the `decorators` route option), the handler returns the object instead, as
 * an interceptor expects to see one. Nest fixes a route's interceptors when the app initialises;
 * this is decided then too ({@link onApplicationBootstrap}).
 *
 * @internal
 */
@Injectable()
export class HealthResponder implements OnApplicationBootstrap {
  private readonly freshRuns: FreshRuns;
  /** Whether the app has global interceptors; until the app has initialised, assume so. */
  private globalInterceptors = true;
  /** Per route: whether an interceptor of its controller or handler applies. */
  private readonly routeInterceptors = new WeakMap<HealthDetailsTarget, boolean>();

  constructor(
    private readonly state: HealthStateStore,
    private readonly scheduler: HealthScheduler,
    private readonly policy: HealthDetailsPolicy,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
    private readonly formatter: HealthFormatter,
    private readonly fastPath: HealthFastPath,
    private readonly bodies: ProbeBodyCache,
    private readonly appConfig: ApplicationConfig,
    private readonly history: HealthHistory,
    private readonly processFacts: HealthProcessFacts,
  ) {
    this.freshRuns = new FreshRuns(options.freshMinIntervalMs);
  }

  /**
   * Reads the app's global interceptors once its routes exist: Nest gives each route the global
   * interceptors registered by then (`useGlobalInterceptors`, `APP_INTERCEPTOR`).
   */
  onApplicationBootstrap(): void {
    this.globalInterceptors =
      this.appConfig.getGlobalInterceptors().length > 0 ||
      this.appConfig.getGlobalRequestInterceptors().length > 0;
  }

  /** Answers a probe of one group; 404 for an unknown group. */
  probe(group: string, query: ProbeQuery, call: HealthCall): ProbeAnswer | Promise<ProbeAnswer> {
    if (!this.state.group(group)) return this.notFound(call.response, unknownGroupBody(group));
    if (query === NO_QUERY && this.formatter.negotiate(group, call.request) === 'default') {
      this.fastPath.learn(call.request, group);
      const refresh = this.scheduler.refreshGroup(group);
      if (refresh) return refresh.then(() => this.answerGroup(group, NO_QUERY, false, call));
      return this.answerGroup(group, NO_QUERY, false, call);
    }
    const probeQuery = query === NO_QUERY ? {} : (query as HealthProbeQuery);
    return this.prepare(probeQuery, call, group, undefined, (admitted) =>
      this.answerGroup(group, probeQuery, admitted, call),
    );
  }

  /** Answers for one check of a group (`/<path>/ready/:check`); 404 for an unknown one. */
  probeCheck(
    group: string,
    check: string,
    query: ProbeQuery,
    call: HealthCall,
  ): ProbeAnswer | Promise<ProbeAnswer> {
    const state = this.state.group(group);
    if (!state) return this.notFound(call.response, unknownGroupBody(group));
    if (!Object.prototype.hasOwnProperty.call(state.checks, check)) {
      return this.notFound(call.response, unknownCheckBody(group, check));
    }
    const probeQuery = query === NO_QUERY ? {} : (query as HealthProbeQuery);
    return this.prepare(probeQuery, call, group, check, (admitted) =>
      this.answerCheck(group, check, probeQuery, admitted, call),
    );
  }

  /**
   * Answers `GET /<path>`: 200 with every detail the caller is admitted to (in another format:
   * 503 when down).
   */
  details(
    query: DetailsQuery,
    call: HealthCall,
  ): HealthDetailsBody | FormattedBody | Promise<HealthDetailsBody | FormattedBody> {
    const fresh = query !== NO_QUERY && (query as HealthDetailsQuery).fresh === true;
    return then(this.policy.admits(call.request, call.target, call.response), (admitted) =>
      then(
        admitted && fresh
          ? this.runFresh('*', () => this.allChecks())
          : this.scheduler.refreshAll(),
        () => this.detailsBody(admitted, call),
      ),
    );
  }

  private detailsBody(
    admitted: boolean,
    call: HealthCall,
  ): HealthDetailsBody | FormattedBody | Promise<HealthDetailsBody> {
    const snapshot = this.state.snapshot();
    const format = this.formatter.negotiate(null, call.request);
    if (format === 'default') {
      if (!admitted) return toDetailsBody(snapshot, admitted);
      return this.processFacts.read().then((container) => {
        const now = Date.now();
        const history = this.history.enabled
          ? (name: string) => this.history.summary(name, now)
          : undefined;
        return toDetailsBody(snapshot, admitted, history, container);
      });
    }
    const now = Date.now();
    const history =
      admitted && this.history.enabled
        ? (name: string) => this.history.summary(name, now)
        : undefined;
    const { code, body } = this.formatter.details(
      format,
      snapshot,
      admitted,
      call.response,
      history,
    );
    this.setStatus(call.response, code);
    return body;
  }

  /**
   * Asks the policy when the query needs it (`verbose`, `fresh`), runs the checks for an
   * admitted `?fresh=true` (or refreshes on-demand members as any probe does), then answers.
   */
  private prepare(
    query: HealthProbeQuery,
    call: HealthCall,
    group: string,
    check: string | undefined,
    answer: (admitted: boolean) => ProbeAnswer,
  ): ProbeAnswer | Promise<ProbeAnswer> {
    const needsPolicy =
      query.verbose === true ||
      query.fresh === true ||
      this.formatter.negotiate(group, call.request) !== 'default';
    const decision = needsPolicy
      ? this.policy.admits(call.request, call.target, call.response)
      : false;
    return then(decision, (admitted) => {
      let run: Promise<void> | undefined;
      if (!admitted || query.fresh !== true) run = this.scheduler.refreshGroup(group);
      else if (check === undefined) run = this.runFresh(group, () => this.membersOf(group));
      else run = this.runFresh(`${group}/${check}`, () => [check]);
      return then(run, () => answer(admitted));
    });
  }

  /**
   * Runs the checks `names()` names now, through the scheduler's single-flight (a run already
   * in flight is shared), at most once per `freshMinIntervalMs` per key.
   */
  private runFresh(key: string, names: () => readonly string[]): Promise<void> | undefined {
    return this.freshRuns.run(key, async () => {
      await Promise.all(names().map((name) => this.scheduler.runNow(name)));
    });
  }

  private membersOf(group: string): string[] {
    return Object.keys(this.state.group(group)?.checks ?? {});
  }

  private allChecks(): string[] {
    return Object.keys(this.state.snapshot().checks);
  }

  private answerGroup(
    group: string,
    query: ProbeQuery,
    admitted: boolean,
    call: HealthCall,
  ): ProbeAnswer {
    const state = this.state.group(group);
    if (!state) return this.notFound(call.response, unknownGroupBody(group));
    if (query === NO_QUERY) {
      this.setStatus(call.response, this.statusCode(group, state.status));
      if (this.intercepted(call.target)) return toProbeBody(state);
      this.adapterHost.httpAdapter.setHeader(call.response, 'Content-Type', PROBE_CONTENT_TYPE);
      return this.bodies.render(state).body;
    }
    const { exclude, verbose } = query as HealthProbeQuery;
    const view = viewGroup(state, exclude, (name) => this.isCritical(name));
    const warnings = view.unmatched.length > 0 ? [unmatchedWarning(view.unmatched)] : [];
    const code = this.statusCode(group, view.status);
    this.setStatus(call.response, code);
    if (verbose) {
      const excluded = new Set(view.excluded);
      return this.verbose(call.response, {
        group,
        title: probeTitle(group),
        passed: code < 400,
        reason: view.reason,
        warnings,
        admitted,
        checks: Object.keys(state.checks).map((name) => this.verboseCheck(name, state, excluded)),
      });
    }
    const format = this.formatter.negotiate(group, call.request);
    if (format !== 'default') {
      const checks = Object.keys(view.checks);
      const answer = { group, status: view.status, code, reason: view.reason, warnings, checks };
      return this.formatter.probe(format, { ...answer, admitted }, call.response);
    }
    return toProbeBody(state, { status: view.status, checks: view.checks, warnings });
  }

  private answerCheck(
    group: string,
    check: string,
    query: HealthProbeQuery,
    admitted: boolean,
    call: HealthCall,
  ): ProbeAnswer {
    const state = this.state.group(group);
    const indicator = this.state.indicator(check);
    if (!state || !indicator || !Object.prototype.hasOwnProperty.call(state.checks, check)) {
      return this.notFound(call.response, unknownCheckBody(group, check));
    }
    const status = memberStatus(group, indicator.status, indicator.critical);
    const code = this.statusCode(group, status);
    this.setStatus(call.response, code);
    if (query.verbose) {
      return this.verbose(call.response, {
        group,
        title: check,
        passed: code < 400,
        reason: null,
        warnings: [],
        admitted,
        checks: [this.verboseCheck(check, state, new Set())],
      });
    }
    const format = this.formatter.negotiate(group, call.request);
    if (format !== 'default') {
      const answer = { group, status, code, reason: null, warnings: [], checks: [check] };
      return this.formatter.probe(format, { ...answer, admitted }, call.response);
    }
    return toProbeBody(state, {
      status,
      check,
      checks: { [check]: { status: indicator.status } },
    });
  }

  /** Whether an interceptor sees what the handler of `target` returns. */
  private intercepted(target: HealthDetailsTarget): boolean {
    if (this.globalInterceptors) return true;
    let intercepted = this.routeInterceptors.get(target);
    if (intercepted === undefined) {
      intercepted = [target.controller, target.handler].some(
        (decorated) =>
          ((Reflect.getMetadata(INTERCEPTORS_METADATA, decorated) as unknown[] | undefined)
            ?.length ?? 0) > 0,
      );
      this.routeInterceptors.set(target, intercepted);
    }
    return intercepted;
  }

  private verboseCheck(
    name: string,
    group: GroupState,
    excluded: ReadonlySet<string>,
  ): VerboseCheck {
    const indicator = this.state.indicator(name);
    return {
      name,
      status: indicator?.status ?? group.checks[name]?.status ?? 'unknown',
      critical: indicator?.critical ?? true,
      message: indicator?.message ?? null,
      excluded: excluded.has(name),
      joining: this.state.isJoining(name),
    };
  }

  private verbose(response: unknown, answer: Parameters<typeof formatVerbose>[0]): string {
    const { httpAdapter } = this.adapterHost;
    httpAdapter.setHeader(response, 'Content-Type', 'text/plain; charset=utf-8');
    httpAdapter.setHeader(response, 'X-Content-Type-Options', 'nosniff');
    return formatVerbose(answer);
  }

  private isCritical(name: string): boolean {
    return this.state.indicator(name)?.critical ?? true;
  }

  private notFound(response: unknown, body: NotFoundBody): NotFoundBody {
    this.setStatus(response, 404);
    return body;
  }

  private statusCode(group: string, status: HealthStatus): number {
    return httpStatusFor(this.options, group, status);
  }

  private setStatus(response: unknown, code: number): void {
    this.adapterHost.httpAdapter.status(response, code);
  }
}

/** Applies `next` to a value or a promise of it, staying synchronous for a plain value. */
function then<T, R>(
  value: T | Promise<T> | undefined,
  next: (value: T) => R | Promise<R>,
): R | Promise<R> {
  if (value instanceof Promise) return value.then(next);
  return next(value as T);
}

import { Inject, Injectable, NotFoundException, type OnApplicationBootstrap } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import type { HealthAnswer, HealthCaller } from '../answers/health-answer';
import { HealthAnswers } from '../answers/health-answers';
import type { HealthDetailsQuery, HealthProbeQuery } from '../answers/health-probe.query';
import type { HealthDetailsTarget } from '../details/http-execution-context';
import { HealthDetailsPolicy } from '../details/health-details.policy';
import { HealthFastPath } from '../fast-path/health-fast-path';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { servedOnProbePortOnly } from '../servers/probe-server.options';
import { NO_QUERY } from '../answers/health-query.pipe';

/** The query of a probe as the controllers receive it. @internal */
export type ProbeQuery = HealthProbeQuery | typeof NO_QUERY;

/** The query of `GET /<path>` as the controller receives it. @internal */
export type DetailsQuery = HealthDetailsQuery | typeof NO_QUERY;

/**
 * What a handler returns: a body already serialized (a plain probe, a verbose answer), or an
 * object for the framework to serialize. @internal
 */
export type ProbeAnswer = string | object;

/** The request and response of one call, and the route, for the details policy. @internal */
export interface HealthCall {
  readonly request: unknown;
  readonly response: unknown;
  readonly target: HealthDetailsTarget;
}

/**
 * Carries the answers of the answer layer ({@link HealthAnswers}) over a Nest route: the caller
 * is the framework's request (its headers, and the details policy asked with the route), and the
 * answer's status code and headers are set on the framework's response.
 *
 * A plain probe's body is text serialized once per state, with `Content-Type:
 * application/json; charset=utf-8`, so that neither the handler nor Express or Fastify builds and
 * serializes an object per request: the same bytes as the object would give. When an
 * interceptor applies to the route (a global one, or one put on the module's controllers through
 * the `decorators` route option), the handler returns the object instead, as an interceptor
 * expects to see one. Nest fixes a route's interceptors when the app initialises; this is
 * decided then too ({@link onApplicationBootstrap}).
 *
 * @internal
 */
@Injectable()
export class HealthResponder implements OnApplicationBootstrap {
  /** Whether the app has global interceptors; until the app has initialised, assume so. */
  private globalInterceptors = true;
  /** Per route: whether an interceptor of its controller or handler applies. */
  private readonly routeInterceptors = new WeakMap<HealthDetailsTarget, boolean>();
  /** Whether `server.only` moved the probes to the probe port (`forRootAsync`: mapped, 404). */
  private readonly probesMoved: boolean;
  /** Whether `server.only` moved `GET /<path>` to the probe port. */
  private readonly detailsMoved: boolean;

  constructor(
    private readonly answers: HealthAnswers,
    private readonly policy: HealthDetailsPolicy,
    private readonly adapterHost: HttpAdapterHost,
    private readonly fastPath: HealthFastPath,
    private readonly appConfig: ApplicationConfig,
    @Inject(HEALTH_RESOLVED_OPTIONS) options: ResolvedHealthModuleOptions,
  ) {
    this.probesMoved = servedOnProbePortOnly(options.server, 'probes');
    this.detailsMoved = servedOnProbePortOnly(options.server, 'details');
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
    if (this.probesMoved) notMapped(call.request);
    const caller = this.callerOf(call);
    if (query === NO_QUERY && this.answers.isPlain(group, caller)) {
      this.fastPath.learn(call.request, group);
      const asObject = this.intercepted(call.target);
      return this.send(this.answers.probe(group, undefined, caller, asObject), call);
    }
    return this.send(this.answers.probe(group, probeQuery(query), caller), call);
  }

  /** Answers for one check of a group (`/<path>/ready/:check`); 404 for an unknown one. */
  probeCheck(
    group: string,
    check: string,
    query: ProbeQuery,
    call: HealthCall,
  ): ProbeAnswer | Promise<ProbeAnswer> {
    if (this.probesMoved) notMapped(call.request);
    const answer = this.answers.probeCheck(group, check, probeQuery(query), this.callerOf(call));
    return this.send(answer, call);
  }

  /**
   * Answers `GET /<path>`: 200 with every detail the caller is admitted to (in another format:
   * 503 when down).
   */
  details(query: DetailsQuery, call: HealthCall): ProbeAnswer | Promise<ProbeAnswer> {
    if (this.detailsMoved) notMapped(call.request);
    const detailsQuery = query === NO_QUERY ? undefined : (query as HealthDetailsQuery);
    return this.send(this.answers.details(detailsQuery, this.callerOf(call)), call);
  }

  private callerOf(call: HealthCall): HealthCaller {
    return {
      headers: (call.request as { headers?: HealthCaller['headers'] } | undefined)?.headers,
      admitted: () => this.policy.admits(call.request, call.target, call.response),
    };
  }

  /** Sets the answer's status code and headers on the response; returns its body. */
  private send(
    answer: HealthAnswer | Promise<HealthAnswer>,
    call: HealthCall,
  ): ProbeAnswer | Promise<ProbeAnswer> {
    if (answer instanceof Promise) return answer.then((settled) => this.send(settled, call));
    const { httpAdapter } = this.adapterHost;
    httpAdapter.status(call.response, answer.statusCode);
    for (const [name, value] of Object.entries(answer.headers)) {
      // Cache-Control is the routes' own (@Header), also on their error answers.
      if (name !== 'Cache-Control') httpAdapter.setHeader(call.response, name, value);
    }
    return answer.body;
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
}

function probeQuery(query: ProbeQuery): HealthProbeQuery | undefined {
  return query === NO_QUERY ? undefined : query;
}

/**
 * Answers as Nest answers a route it does not map (`404 Cannot GET /health/ready`): the route
 * is served on the probe port only (`server.only`, with `forRootAsync`).
 *
 * @throws NotFoundException always.
 */
function notMapped(request: unknown): never {
  const { method, originalUrl, url, raw } = request as {
    method?: string;
    originalUrl?: string;
    url?: string;
    raw?: { url?: string };
  };
  throw new NotFoundException(`Cannot ${method ?? 'GET'} ${originalUrl ?? raw?.url ?? url ?? ''}`);
}

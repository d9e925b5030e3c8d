import {
  Controller,
  Get,
  Header,
  Param,
  Req,
  Res,
  VERSION_NEUTRAL,
  type Type,
} from '@nestjs/common';
import type { HealthDetailsTarget } from '../details/http-execution-context';
import { LIVENESS, READINESS, STARTUP } from '../engine/aggregation';
import { HealthDetailsQuery, HealthProbeQuery } from '../answers/health-probe.query';
import { HealthQueryPipe } from '../answers/health-query.pipe';
import {
  HealthResponder,
  type DetailsQuery,
  type HealthCall,
  type ProbeQuery,
} from './health-responder';

/** Route options after validation and defaults. @internal */
export interface ResolvedRouteOptions {
  readonly path: string;
  readonly aliases: boolean;
  readonly dashboard: boolean;
  /** Applied to every controller of the module. */
  readonly decorators: readonly ClassDecorator[];
}

const NO_STORE = ['Cache-Control', 'no-store'] as const;

/** Validates probe query parameters; a request without any skips validation. */
const PROBE_QUERY = new HealthQueryPipe(HealthProbeQuery);
/** Validates the query parameters of `GET /<path>`. */
const DETAILS_QUERY = new HealthQueryPipe(HealthDetailsQuery);

/**
 * Reads the request's query parameters with `pipe` (see {@link HealthQueryPipe.read}), then
 * answers: at once for a URL without a query string, after validation otherwise (an invalid
 * value rejects with a 400 naming the parameter). The parameters are read here rather than with
 * `@Query()`, so that a plain probe runs no pipe at all, the app's global pipes included.
 */
function withQuery<Q, R>(
  pipe: HealthQueryPipe,
  request: unknown,
  answer: (query: Q) => R | Promise<R>,
): R | Promise<R> {
  const query = pipe.read(request);
  if (query instanceof Promise) return query.then((read) => answer(read as Q));
  return answer(query as Q);
}

/**
 * The request of a response, as `@Req()` would give it: Express's `res.req`, Fastify's
 * `reply.request`. The plain probe routes take only `@Res()`: each parameter decorator costs
 * Nest an async step per request.
 */
function requestOf(response: unknown): unknown {
  const { req, request } = response as { req?: unknown; request?: unknown };
  return request ?? req;
}

/** The route a handler serves, for a guard given as `authorize` that reads route metadata. */
function targetOf(controller: Type, method: string): HealthDetailsTarget {
  const handler = (controller.prototype as Record<string, unknown>)[method];
  return { controller, handler: handler as HealthDetailsTarget['handler'] };
}

/**
 * Builds the controllers for one module instance: routes come from decorators, so the path is
 * fixed here, when the module is defined. Version-neutral, so that an app's URI versioning does
 * not move the probes.
 *
 * Every probe takes `?verbose`, `?exclude=` (repeatable) and `?fresh=true`, and has a per-check
 * route (`/<path>/ready/:check`). The query parameters are read from the request by the
 * module's own pipe ({@link withQuery}), so that an app's global pipes never see them and a plain
 * probe runs no pipe.
 *
 * @internal
 */
export function createHealthControllers(route: ResolvedRouteOptions): Type[] {
  @Controller({ path: route.path, version: VERSION_NEUTRAL })
  class HealthController {
    constructor(private readonly responder: HealthResponder) {}

    /** Every indicator, group and process fact the caller is admitted to; 200 whatever the status. */
    @Get()
    @Header(...NO_STORE)
    details(@Req() request: unknown, @Res({ passthrough: true }) response: unknown) {
      return withQuery(DETAILS_QUERY, request, (query: DetailsQuery) =>
        this.responder.details(query, { request, response, target: targets.details }),
      );
    }

    /** The liveness group. */
    @Get('live')
    @Header(...NO_STORE)
    live(@Res({ passthrough: true }) response: unknown) {
      const request = requestOf(response);
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probe(LIVENESS, query, { request, response, target: targets.live }),
      );
    }

    /** One check of the liveness group; 404 for a check that is not a member. */
    @Get('live/:check')
    @Header(...NO_STORE)
    liveCheck(
      @Param('check') check: string,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.liveCheck };
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probeCheck(LIVENESS, check, query, call),
      );
    }

    /** The readiness group. */
    @Get('ready')
    @Header(...NO_STORE)
    ready(@Res({ passthrough: true }) response: unknown) {
      const request = requestOf(response);
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probe(READINESS, query, { request, response, target: targets.ready }),
      );
    }

    /** One check of the readiness group; 404 for a check that is not a member. */
    @Get('ready/:check')
    @Header(...NO_STORE)
    readyCheck(
      @Param('check') check: string,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.readyCheck };
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probeCheck(READINESS, check, query, call),
      );
    }

    /** The startup group. */
    @Get('startup')
    @Header(...NO_STORE)
    startup(@Res({ passthrough: true }) response: unknown) {
      const request = requestOf(response);
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probe(STARTUP, query, { request, response, target: targets.startup }),
      );
    }

    /** One check of the startup group; 404 for a check that is not a member. */
    @Get('startup/:check')
    @Header(...NO_STORE)
    startupCheck(
      @Param('check') check: string,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.startupCheck };
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probeCheck(STARTUP, check, query, call),
      );
    }

    /** Any group by name; 404 for an unknown group. */
    @Get('group/:name')
    @Header(...NO_STORE)
    group(
      @Param('name') name: string,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probe(name, query, { request, response, target: targets.group }),
      );
    }

    /** One check of any group; 404 for an unknown group or a check that is not a member. */
    @Get('group/:name/:check')
    @Header(...NO_STORE)
    groupCheck(
      @Param('name') name: string,
      @Param('check') check: string,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.groupCheck };
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probeCheck(name, check, query, call),
      );
    }
  }

  @Controller({ version: VERSION_NEUTRAL })
  class HealthAliasController {
    constructor(private readonly responder: HealthResponder) {}

    @Get('livez')
    @Header(...NO_STORE)
    livez(@Res({ passthrough: true }) response: unknown) {
      const request = requestOf(response);
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probe(LIVENESS, query, { request, response, target: targets.livez }),
      );
    }

    @Get('livez/:check')
    @Header(...NO_STORE)
    livezCheck(
      @Param('check') check: string,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.livezCheck };
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probeCheck(LIVENESS, check, query, call),
      );
    }

    @Get('readyz')
    @Header(...NO_STORE)
    readyz(@Res({ passthrough: true }) response: unknown) {
      const request = requestOf(response);
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probe(READINESS, query, { request, response, target: targets.readyz }),
      );
    }

    @Get('readyz/:check')
    @Header(...NO_STORE)
    readyzCheck(
      @Param('check') check: string,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.readyzCheck };
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probeCheck(READINESS, check, query, call),
      );
    }

    @Get('startupz')
    @Header(...NO_STORE)
    startupz(@Res({ passthrough: true }) response: unknown) {
      const request = requestOf(response);
      const call: HealthCall = { request, response, target: targets.startupz };
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probe(STARTUP, query, call),
      );
    }

    @Get('startupz/:check')
    @Header(...NO_STORE)
    startupzCheck(
      @Param('check') check: string,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.startupzCheck };
      return withQuery(PROBE_QUERY, request, (query: ProbeQuery) =>
        this.responder.probeCheck(STARTUP, check, query, call),
      );
    }
  }

  const targets = {
    details: targetOf(HealthController, 'details'),
    live: targetOf(HealthController, 'live'),
    liveCheck: targetOf(HealthController, 'liveCheck'),
    ready: targetOf(HealthController, 'ready'),
    readyCheck: targetOf(HealthController, 'readyCheck'),
    startup: targetOf(HealthController, 'startup'),
    startupCheck: targetOf(HealthController, 'startupCheck'),
    group: targetOf(HealthController, 'group'),
    groupCheck: targetOf(HealthController, 'groupCheck'),
    livez: targetOf(HealthAliasController, 'livez'),
    livezCheck: targetOf(HealthAliasController, 'livezCheck'),
    readyz: targetOf(HealthAliasController, 'readyz'),
    readyzCheck: targetOf(HealthAliasController, 'readyzCheck'),
    startupz: targetOf(HealthAliasController, 'startupz'),
    startupzCheck: targetOf(HealthAliasController, 'startupzCheck'),
  } as const;

  return route.aliases ? [HealthController, HealthAliasController] : [HealthController];
}

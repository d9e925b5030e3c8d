import {
  Controller,
  Get,
  Header,
  Param,
  Query,
  Req,
  Res,
  VERSION_NEUTRAL,
  type Type,
} from '@nestjs/common';
import type { HealthDetailsTarget } from '../details/http-execution-context';
import { LIVENESS, READINESS, STARTUP } from '../engine/aggregation';
import { HealthDetailsQuery, HealthProbeQuery } from './health-probe.query';
import { HealthQueryPipe } from './health-query.pipe';
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
 * route (`/<path>/ready/:check`). The query parameters are declared as interfaces, so that an
 * app's global `ValidationPipe` leaves them to the module's own pipe.
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
    details(
      @Query(DETAILS_QUERY) query: DetailsQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      return this.responder.details(query, { request, response, target: targets.details });
    }

    /** The liveness group. */
    @Get('live')
    @Header(...NO_STORE)
    live(
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      return this.responder.probe(LIVENESS, query, { request, response, target: targets.live });
    }

    /** One check of the liveness group; 404 for a check that is not a member. */
    @Get('live/:check')
    @Header(...NO_STORE)
    liveCheck(
      @Param('check') check: string,
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.liveCheck };
      return this.responder.probeCheck(LIVENESS, check, query, call);
    }

    /** The readiness group. */
    @Get('ready')
    @Header(...NO_STORE)
    ready(
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      return this.responder.probe(READINESS, query, { request, response, target: targets.ready });
    }

    /** One check of the readiness group; 404 for a check that is not a member. */
    @Get('ready/:check')
    @Header(...NO_STORE)
    readyCheck(
      @Param('check') check: string,
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.readyCheck };
      return this.responder.probeCheck(READINESS, check, query, call);
    }

    /** The startup group. */
    @Get('startup')
    @Header(...NO_STORE)
    startup(
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      return this.responder.probe(STARTUP, query, { request, response, target: targets.startup });
    }

    /** One check of the startup group; 404 for a check that is not a member. */
    @Get('startup/:check')
    @Header(...NO_STORE)
    startupCheck(
      @Param('check') check: string,
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.startupCheck };
      return this.responder.probeCheck(STARTUP, check, query, call);
    }

    /** Any group by name; 404 for an unknown group. */
    @Get('group/:name')
    @Header(...NO_STORE)
    group(
      @Param('name') name: string,
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      return this.responder.probe(name, query, { request, response, target: targets.group });
    }

    /** One check of any group; 404 for an unknown group or a check that is not a member. */
    @Get('group/:name/:check')
    @Header(...NO_STORE)
    groupCheck(
      @Param('name') name: string,
      @Param('check') check: string,
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.groupCheck };
      return this.responder.probeCheck(name, check, query, call);
    }
  }

  @Controller({ version: VERSION_NEUTRAL })
  class HealthAliasController {
    constructor(private readonly responder: HealthResponder) {}

    @Get('livez')
    @Header(...NO_STORE)
    livez(
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      return this.responder.probe(LIVENESS, query, { request, response, target: targets.livez });
    }

    @Get('livez/:check')
    @Header(...NO_STORE)
    livezCheck(
      @Param('check') check: string,
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.livezCheck };
      return this.responder.probeCheck(LIVENESS, check, query, call);
    }

    @Get('readyz')
    @Header(...NO_STORE)
    readyz(
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      return this.responder.probe(READINESS, query, { request, response, target: targets.readyz });
    }

    @Get('readyz/:check')
    @Header(...NO_STORE)
    readyzCheck(
      @Param('check') check: string,
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.readyzCheck };
      return this.responder.probeCheck(READINESS, check, query, call);
    }

    @Get('startupz')
    @Header(...NO_STORE)
    startupz(
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.startupz };
      return this.responder.probe(STARTUP, query, call);
    }

    @Get('startupz/:check')
    @Header(...NO_STORE)
    startupzCheck(
      @Param('check') check: string,
      @Query(PROBE_QUERY) query: ProbeQuery,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ) {
      const call: HealthCall = { request, response, target: targets.startupzCheck };
      return this.responder.probeCheck(STARTUP, check, query, call);
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

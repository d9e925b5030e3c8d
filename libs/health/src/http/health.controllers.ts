import { Controller, Get, Header, Param, Res, VERSION_NEUTRAL, type Type } from '@nestjs/common';
import { LIVENESS, READINESS, STARTUP } from '../engine/aggregation';
import { HealthResponder } from './health-responder';

/** Route options after validation and defaults. @internal */
export interface ResolvedRouteOptions {
  readonly path: string;
  readonly aliases: boolean;
}

const NO_STORE = ['Cache-Control', 'no-store'] as const;

/**
 * Builds the controllers for one module instance: routes come from decorators, so the path is
 * fixed here, when the module is defined. Version-neutral, so that an app's URI versioning does
 * not move the probes.
 *
 * @internal
 */
export function createHealthControllers(route: ResolvedRouteOptions): Type[] {
  @Controller({ path: route.path, version: VERSION_NEUTRAL })
  class HealthController {
    constructor(private readonly responder: HealthResponder) {}

    /** Every indicator, group and process fact; 200 whatever the status. */
    @Get()
    @Header(...NO_STORE)
    details() {
      return this.responder.details();
    }

    /** The liveness group. */
    @Get('live')
    @Header(...NO_STORE)
    live(@Res({ passthrough: true }) response: unknown) {
      return this.responder.probe(LIVENESS, response);
    }

    /** The readiness group. */
    @Get('ready')
    @Header(...NO_STORE)
    ready(@Res({ passthrough: true }) response: unknown) {
      return this.responder.probe(READINESS, response);
    }

    /** The startup group. */
    @Get('startup')
    @Header(...NO_STORE)
    startup(@Res({ passthrough: true }) response: unknown) {
      return this.responder.probe(STARTUP, response);
    }

    /** Any group by name; 404 for an unknown group. */
    @Get('group/:name')
    @Header(...NO_STORE)
    group(@Param('name') name: string, @Res({ passthrough: true }) response: unknown) {
      return this.responder.probe(name, response);
    }
  }

  @Controller({ version: VERSION_NEUTRAL })
  class HealthAliasController {
    constructor(private readonly responder: HealthResponder) {}

    @Get('livez')
    @Header(...NO_STORE)
    livez(@Res({ passthrough: true }) response: unknown) {
      return this.responder.probe(LIVENESS, response);
    }

    @Get('readyz')
    @Header(...NO_STORE)
    readyz(@Res({ passthrough: true }) response: unknown) {
      return this.responder.probe(READINESS, response);
    }

    @Get('startupz')
    @Header(...NO_STORE)
    startupz(@Res({ passthrough: true }) response: unknown) {
      return this.responder.probe(STARTUP, response);
    }
  }

  return route.aliases ? [HealthController, HealthAliasController] : [HealthController];
}

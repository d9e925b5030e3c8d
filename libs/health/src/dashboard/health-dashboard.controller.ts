import {
  Controller,
  Get,
  Header,
  Inject,
  NotFoundException,
  Req,
  VERSION_NEUTRAL,
  type Type,
} from '@nestjs/common';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { servedOnProbePortOnly } from '../servers/probe-server.options';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.page';

/**
 * Builds the dashboard controller for one module instance (`GET /<path>/dashboard`).
 *
 * @internal
 */
export function createDashboardController(path: string): Type {
  @Controller({ path, version: VERSION_NEUTRAL })
  class HealthDashboardController {
    constructor(
      @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
    ) {}

    /**
     * The dashboard page; it reads `<path>/stream` and `<path>/history` (and, with `fleet`,
     * `<path>/fleet`), found from its own URL's path (with or without a trailing slash, under
     * any global prefix or `RouterModule` path). 404 as an unmapped route when `server.only`
     * serves it on the probe port only (`forRootAsync`).
     */
    @Get('dashboard')
    @Header('Content-Type', 'text/html; charset=utf-8')
    @Header('Cache-Control', 'no-store')
    @Header('Content-Security-Policy', DASHBOARD_CSP)
    @Header('X-Content-Type-Options', 'nosniff')
    page(@Req() request: { originalUrl?: string; url?: string }): string {
      if (servedOnProbePortOnly(this.options.server, 'dashboard')) {
        throw new NotFoundException(`Cannot GET ${request.originalUrl ?? request.url ?? ''}`);
      }
      return DASHBOARD_HTML;
    }
  }
  return HealthDashboardController;
}

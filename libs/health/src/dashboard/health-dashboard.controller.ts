import { Controller, Get, Header, VERSION_NEUTRAL, type Type } from '@nestjs/common';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.page';

/**
 * Builds the dashboard controller for one module instance (`GET /<path>/dashboard`).
 *
 * @internal
 */
export function createDashboardController(path: string): Type {
  @Controller({ path, version: VERSION_NEUTRAL })
  class HealthDashboardController {
    /**
     * The dashboard page; it reads `<path>/stream` and `<path>/history` (and, with `fleet`,
     * `<path>/fleet`), found from its own URL's path (with or without a trailing slash, under
     * any global prefix or `RouterModule` path).
     */
    @Get('dashboard')
    @Header('Content-Type', 'text/html; charset=utf-8')
    @Header('Cache-Control', 'no-store')
    @Header('Content-Security-Policy', DASHBOARD_CSP)
    @Header('X-Content-Type-Options', 'nosniff')
    page(): string {
      return DASHBOARD_HTML;
    }
  }
  return HealthDashboardController;
}

import { InvalidHealthModuleOptionsError } from '../errors';
import { HEALTH_MODULE_DEFAULTS, HealthModuleRouteOptionsSchema } from '../health-module-options';
import { findOptionProblems } from '../options/validate-options';

/**
 * The `exclude` entries of Nest's `app.setGlobalPrefix()` that keep every route of the health
 * module outside the app's global prefix, where a Kubernetes manifest points: `GET /<path>`,
 * `/<path>/live`, `/ready`, `/startup` and their per-check routes (`/<path>/ready/:check`),
 * `/<path>/group/:name` and `/<path>/group/:name/:check`, `/<path>/stream`, `/<path>/dashboard`,
 * `/<path>/metrics`, `/<path>/fleet`, `/<path>/fleet/stream`, `/<path>/history` and
 * `/<path>/history/:indicator`, and the aliases `/livez`,
 * `/readyz`, `/startupz` with their per-check routes.
 * The app's other routes keep the prefix, also those of its own controllers under `/<path>`.
 *
 * Nest lets only the app choose what its global prefix leaves out (a module cannot take its
 * routes out by itself), so this is passed to `setGlobalPrefix`. The entries are route paths in
 * Nest 11's syntax (path-to-regexp v8: `{/:check}` is an optional segment), matched against the
 * module's route paths; they cover every HTTP method. With `fastPath: true`, the fast path
 * answers the probes at the excluded URLs as well.
 *
 * Without the exclusions, the global prefix applies to the health routes too
 * (`/api/health/ready`, `/api/readyz`).
 *
 * @param path - the module's `path` option: the same value, with or without slashes. (For a
 *   module mounted with `RouterModule`, its routes are under the mount path: pass the two joined,
 *   `'ops/health'`, and exclude its aliases, `/ops/readyz` …, yourself.)
 * @default path `'health'`
 * @returns a new array of route paths (strings), for `exclude`.
 * @throws InvalidHealthModuleOptionsError when `path` is not a valid route path (the rule of
 *   the module's `path` option).
 * @example
 * ```ts
 * // main.ts
 * import { NestFactory } from '@nestjs/core';
 * import { healthPrefixExclusions } from 'nest-health';
 *
 * declare class AppModule {} // your root module
 *
 * async function bootstrap() {
 *   const app = await NestFactory.create(AppModule);
 *   // Every route under /api, but the probes stay at /health/ready, /readyz, … for the kubelet.
 *   app.setGlobalPrefix('api', { exclude: healthPrefixExclusions() });
 *   await app.listen(process.env.PORT ?? 3000);
 * }
 * void bootstrap();
 * ```
 */
export function healthPrefixExclusions(path: string = HEALTH_MODULE_DEFAULTS.path): string[] {
  const problems = findOptionProblems(HealthModuleRouteOptionsSchema, { path });
  if (problems.length > 0) throw new InvalidHealthModuleOptionsError(problems);
  const normalized = path.replace(/^\/+|\/+$/g, '');
  const base = normalized ? `/${normalized}` : '';
  return [
    base || '/',
    `${base}/live{/:check}`,
    `${base}/ready{/:check}`,
    `${base}/startup{/:check}`,
    `${base}/group/:name{/:check}`,
    `${base}/stream`,
    `${base}/dashboard`,
    `${base}/metrics`,
    `${base}/fleet`,
    `${base}/fleet/stream`,
    `${base}/history{/:indicator}`,
    '/livez{/:check}',
    '/readyz{/:check}',
    '/startupz{/:check}',
  ];
}

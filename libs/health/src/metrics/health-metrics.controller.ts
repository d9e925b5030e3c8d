import {
  Controller,
  ForbiddenException,
  Get,
  Header,
  Inject,
  NotFoundException,
  Req,
  Res,
  StreamableFile,
  VERSION_NEUTRAL,
  type Type,
} from '@nestjs/common';
import { HealthDetailsPolicy } from '../details/health-details.policy';
import type { HealthDetailsTarget } from '../details/http-execution-context';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { servedOnProbePortOnly } from '../servers/probe-server.options';
import { HealthMetrics } from './health-metrics.service';

/**
 * Builds the metrics controller for one module instance (`GET /<path>/metrics`). `forRoot`
 * adds it only when its options serve metrics; with `forRootAsync` (whose `metrics` comes from
 * a factory at boot, after routes are fixed) it is always added and answers 404 when the module
 * does not serve metrics.
 *
 * @internal
 */
export function createMetricsController(path: string): Type {
  @Controller({ path, version: VERSION_NEUTRAL })
  class HealthMetricsController {
    constructor(
      private readonly metrics: HealthMetrics,
      private readonly policy: HealthDetailsPolicy,
      @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
    ) {}

    /**
     * The module's own registry in the Prometheus text format, with prom-client's content type
     * and `Cache-Control: no-store`. 403 for callers the details policy does not admit; 404
     * when metrics are off or not served here (`metrics.endpoint`, or `server.only` with
     * `'metrics'` among `server.routes`). Reads the state: no check
     * runs.
     */
    @Get('metrics')
    @Header('Cache-Control', 'no-store')
    async scrape(
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ): Promise<StreamableFile> {
      if (!this.metrics.served || servedOnProbePortOnly(this.options.server, 'metrics'))
        throw new NotFoundException(`Cannot GET /${path}/metrics`);
      if (!(await this.policy.admits(request, TARGET, response))) {
        throw new ForbiddenException(
          `Health metrics are shown only to callers the details policy admits (details: "${this.policy.mode}").`,
        );
      }
      const { contentType, body } = await this.metrics.scrape();
      // A StreamableFile keeps the content type exactly as prom-client gives it (Express would
      // rewrite the parameters of a string answer's type) on Express and Fastify alike.
      const bytes = Buffer.from(body, 'utf8');
      return new StreamableFile(bytes, { type: contentType, length: bytes.length });
    }
  }
  // The route, for a guard given as `authorize` that reads route metadata.
  const TARGET: HealthDetailsTarget = {
    controller: HealthMetricsController,
    handler: Reflect.get(HealthMetricsController.prototype, 'scrape'),
  };
  return HealthMetricsController;
}

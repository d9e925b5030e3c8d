import {
  Controller,
  Get,
  Inject,
  NotFoundException,
  Query,
  Req,
  Res,
  ServiceUnavailableException,
  VERSION_NEUTRAL,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HealthDetailsPolicy } from '../details/health-details.policy';
import type { HealthDetailsTarget } from '../details/http-execution-context';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthQueryPipe } from '../answers/health-query.pipe';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { servedOnProbePortOnly } from '../servers/probe-server.options';
import { HealthStreamQuery } from './health-stream.query';
import { HealthStreamService } from './health-stream.service';
import { takeOverResponse } from './stream-response';

const STREAM_QUERY = new HealthQueryPipe(HealthStreamQuery);

/** Seconds a client refused for the subscriber limit is asked to wait. */
export const STREAM_RETRY_AFTER_SECONDS = 5;

/**
 * Builds the stream controller for one module instance (`GET /<path>/stream`).
 *
 * @internal
 */
export function createStreamController(path: string): Type {
  @Controller({ path, version: VERSION_NEUTRAL })
  class HealthStreamController {
    constructor(
      private readonly stream: HealthStreamService,
      private readonly state: HealthStateStore,
      private readonly adapterHost: HttpAdapterHost,
      private readonly policy: HealthDetailsPolicy,
      @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
    ) {}

    /**
     * Server-Sent Events (written to the socket directly, see {@link HealthStreamService}): a
     * `snapshot` event on connect, then a `change` event per effective
     * transition; with `?interval=<seconds>` also a snapshot every N seconds; with
     * `?group=<name>` only that group. 400 for invalid parameters, 404 for an unknown group,
     * 503 with `Retry-After` beyond `stream.maxSubscribers`; 404 as an unmapped route when
     * `server.only` serves the stream on the probe port only.
     */
    @Get('stream')
    async events(
      @Query(STREAM_QUERY) query: object,
      @Req() request: unknown,
      @Res() response: unknown,
    ): Promise<void> {
      if (servedOnProbePortOnly(this.options.server, 'stream')) {
        throw new NotFoundException(`Cannot GET ${requestUrl(request)}`);
      }
      const { group, interval } = query as HealthStreamQuery;
      if (group !== undefined && !this.state.group(group)) {
        throw new NotFoundException(`No health group is named "${group}".`);
      }
      if (!this.stream.hasRoom()) {
        this.adapterHost.httpAdapter.setHeader(
          response,
          'Retry-After',
          String(STREAM_RETRY_AFTER_SECONDS),
        );
        throw new ServiceUnavailableException('Too many health stream subscribers; retry later.');
      }
      const admitted = await this.policy.admits(request, STREAM_TARGET, response);
      const raw = takeOverResponse(request, response);
      this.stream.open(raw, {
        group,
        intervalMs: interval === undefined ? undefined : Math.round(interval * 1000),
        admitted,
      });
    }
  }
  // The route, for a guard given as `authorize` that reads route metadata.
  const STREAM_TARGET: HealthDetailsTarget = {
    controller: HealthStreamController,
    handler: Reflect.get(HealthStreamController.prototype, 'events'),
  };
  return HealthStreamController;
}

/** The URL of a request as the client sent it (Express's `originalUrl`, Fastify's raw URL). */
function requestUrl(request: unknown): string {
  const { originalUrl, url, raw } = request as {
    originalUrl?: string;
    url?: string;
    raw?: { url?: string };
  };
  return originalUrl ?? raw?.url ?? url ?? '';
}

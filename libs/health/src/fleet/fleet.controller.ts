import {
  Controller,
  Get,
  Header,
  HttpException,
  HttpStatus,
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
import { HealthQueryPipe } from '../answers/health-query.pipe';
import { STREAM_RETRY_AFTER_SECONDS } from '../stream/health-stream.controller';
import { takeOverResponse } from '../stream/stream-response';
import { FleetReader, FleetUnavailableError } from './fleet-reader';
import { FleetBodies } from './fleet-body';
import { withheldFleetView } from './fleet-shown';
import { FleetStreamService } from './fleet-stream.service';
import { filterFleetView } from './fleet-view';
import { FleetQuery } from './fleet.query';
import type { FleetView } from './fleet.types';

const FLEET_QUERY = new HealthQueryPipe(FleetQuery);

/** The body of `GET /<path>/fleet` while Redis is away: the last view, and why. */
export interface FleetUnavailableBody extends Partial<FleetView> {
  /** Always `"fleet data unavailable"`. */
  readonly error: 'fleet data unavailable';
  /** Always `false`. */
  readonly available: false;
}

/**
 * Builds the fleet controller for one module instance (`GET /<path>/fleet` and
 * `GET /<path>/fleet/stream`). `forRoot` adds it only when its options set `fleet`; with
 * `forRootAsync` it is always added and answers 404 when the fleet is off.
 *
 * @internal
 */
export function createFleetController(path: string): Type {
  @Controller({ path, version: VERSION_NEUTRAL })
  class HealthFleetController {
    private readonly bodies = new FleetBodies();

    constructor(
      private readonly reader: FleetReader,
      private readonly stream: FleetStreamService,
      private readonly policy: HealthDetailsPolicy,
      private readonly adapterHost: HttpAdapterHost,
    ) {}

    /**
     * Every replica of the service (a {@link FleetView}): 200 while Redis answers, whatever the
     * fleet's status; 503 with `{ error: "fleet data unavailable", available: false }` and the
     * last view read (with its `ageMs`) while it does not. Callers the details policy does not
     * admit see statuses only. `?indicator=` and `?status=` narrow the replicas; 400 for invalid
     * values, 404 when the fleet is off. Reads Redis (shared, at most one read per 100 ms); never
     * runs a check.
     */
    @Get('fleet')
    @Header('Cache-Control', 'no-store')
    @Header('Content-Type', 'application/json; charset=utf-8')
    async fleetView(
      @Query(FLEET_QUERY) query: object,
      @Req() request: unknown,
      @Res({ passthrough: true }) response: unknown,
    ): Promise<string> {
      if (!this.reader.enabled) throw new NotFoundException(`Cannot GET /${path}/fleet`);
      const admitted = await this.policy.admits(request, VIEW_TARGET, response);
      const filter = query as FleetQuery;
      const shown = (view: FleetView) => {
        const filtered = filterFleetView(view, filter);
        return admitted ? filtered : withheldFleetView(filtered);
      };
      try {
        const view = await this.reader.read();
        // Serialized once per view read, kind of caller and filter; only the age is new.
        const { body, etag } = this.bodies.answer(view, filter, admitted, Date.now());
        this.adapterHost.httpAdapter.setHeader(response, 'ETag', etag);
        return body;
      } catch (error) {
        if (!(error instanceof FleetUnavailableError)) throw error;
        const body: FleetUnavailableBody = {
          ...(error.lastView ? shown(error.lastView) : {}),
          error: 'fleet data unavailable',
          available: false,
        };
        throw new HttpException(body, HttpStatus.SERVICE_UNAVAILABLE);
      }
    }

    /**
     * Server-Sent Events of the fleet (see {@link FleetStreamService}): a `snapshot` event, then
     * `transition` and `instance` events. 404 when the fleet is off, 503 with `Retry-After`
     * beyond `stream.maxSubscribers`.
     */
    @Get('fleet/stream')
    async fleetStream(@Req() request: unknown, @Res() response: unknown): Promise<void> {
      if (!this.reader.enabled) throw new NotFoundException(`Cannot GET /${path}/fleet/stream`);
      if (!this.stream.hasRoom()) {
        this.adapterHost.httpAdapter.setHeader(
          response,
          'Retry-After',
          String(STREAM_RETRY_AFTER_SECONDS),
        );
        throw new ServiceUnavailableException('Too many fleet stream subscribers; retry later.');
      }
      const admitted = await this.policy.admits(request, STREAM_TARGET, response);
      await this.stream.open(takeOverResponse(request, response), admitted);
    }
  }
  // The routes, for a guard given as `authorize` that reads route metadata.
  const VIEW_TARGET: HealthDetailsTarget = {
    controller: HealthFleetController,
    handler: Reflect.get(HealthFleetController.prototype, 'fleetView'),
  };
  const STREAM_TARGET: HealthDetailsTarget = {
    controller: HealthFleetController,
    handler: Reflect.get(HealthFleetController.prototype, 'fleetStream'),
  };
  return HealthFleetController;
}

import {
  Controller,
  Get,
  NotFoundException,
  Query,
  Req,
  Res,
  ServiceUnavailableException,
  VERSION_NEUTRAL,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { HealthDetailsPolicy } from '../details/health-details.policy';
import type { HealthDetailsTarget } from '../details/http-execution-context';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthQueryPipe } from '../http/health-query.pipe';
import { HealthStreamQuery } from './health-stream.query';
import { HealthStreamService, type StreamResponse } from './health-stream.service';

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
    ) {}

    /**
     * Server-Sent Events (written to the socket directly, see {@link HealthStreamService}): a
     * `snapshot` event on connect, then a `change` event per effective
     * transition; with `?interval=<seconds>` also a snapshot every N seconds; with
     * `?group=<name>` only that group. 400 for invalid parameters, 404 for an unknown group,
     * 503 with `Retry-After` beyond `stream.maxSubscribers`.
     */
    @Get('stream')
    async events(
      @Query(STREAM_QUERY) query: object,
      @Req() request: unknown,
      @Res() response: unknown,
    ): Promise<void> {
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
      // The stream writes to Node's own response: Express's is one; Fastify's is `reply.raw`,
      // once Fastify is told the reply is taken over.
      const fastify = response as { raw?: StreamResponse; hijack?: () => void };
      if (fastify.raw && typeof fastify.hijack === 'function') fastify.hijack();
      const raw = fastify.raw ?? (response as StreamResponse);
      const socket = ((request as { raw?: IncomingMessage }).raw ?? (request as IncomingMessage))
        .socket;
      socket?.setKeepAlive(true);
      socket?.setNoDelay(true);
      // An idle timeout the app set on its server would cut the stream; without one, leave the
      // socket as it is (setTimeout(0) would add a property to every stream's socket).
      if (socket?.timeout) socket.setTimeout(0);
      this.stream.open(raw, {
        group,
        intervalMs: interval === undefined ? undefined : Math.round(interval * 1000),
        admitted,
      });
      releaseRouterState(request);
    }
  }
  // The route, for a guard given as `authorize` that reads route metadata.
  const STREAM_TARGET: HealthDetailsTarget = {
    controller: HealthStreamController,
    handler: Reflect.get(HealthStreamController.prototype, 'events'),
  };
  return HealthStreamController;
}

/**
 * Lets go of what Express's router keeps reachable from a request it has handed over for good.
 * Express keeps its `next` (the router's closure over its stack position, the route's dispatch and
 * the final handler) on `req.next` for as long as the request lives; a stream lives for hours,
 * and never hands the request back to the router (calling `next` would run the following
 * handlers against a response the stream owns), so the stream drops it. Fastify's request has no
 * such field. Nothing else is touched: `req.params`, `res.locals` and the rest may still be read
 * by the app's interceptors and loggers.
 */
function releaseRouterState(request: unknown): void {
  const express = request as { next?: unknown };
  if (typeof express.next === 'function') express.next = undefined;
}

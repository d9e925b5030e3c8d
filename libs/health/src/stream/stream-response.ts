import type { IncomingMessage } from 'node:http';

/** The response of one subscriber: a Node `ServerResponse` (Express's, or Fastify's `raw`). */
export interface StreamResponse {
  readonly writableNeedDrain: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  readonly socket?: { destroySoon(): unknown } | null;
  writeHead(status: number, headers: Record<string, string>): unknown;
  flushHeaders(): void;
  write(chunk: string): boolean;
  end(): unknown;
  on(event: 'close', listener: (this: StreamResponse) => void): unknown;
  once(event: 'drain' | 'finish', listener: (this: StreamResponse) => void): unknown;
  removeListener(event: 'close', listener: (this: StreamResponse) => void): unknown;
}

/**
 * Takes a request's response over for a long-lived stream, on Express or Fastify, and returns
 * Node's own response to write the stream to: Express's is one; Fastify's is `reply.raw`, once
 * Fastify is told the reply is taken over (`hijack()`). The socket gets keep-alive and no Nagle
 * delay, and loses an idle timeout the app set on its server (which would cut the stream;
 * without one, the socket is left as it is: `setTimeout(0)` would add a property to every
 * stream's socket). Lets go of what Express's router keeps reachable from the request (see
 * {@link releaseRouterState}).
 *
 * @internal
 */
export function takeOverResponse(request: unknown, response: unknown): StreamResponse {
  const fastify = response as { raw?: StreamResponse; hijack?: () => void };
  if (fastify.raw && typeof fastify.hijack === 'function') fastify.hijack();
  const raw = fastify.raw ?? (response as StreamResponse);
  const socket = ((request as { raw?: IncomingMessage }).raw ?? (request as IncomingMessage))
    .socket;
  socket?.setKeepAlive(true);
  socket?.setNoDelay(true);
  if (socket?.timeout) socket.setTimeout(0);
  releaseRouterState(request);
  return raw;
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

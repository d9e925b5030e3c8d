import {
  HttpException,
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  NO_STORE_HEADERS,
  writeAnswer,
  type HealthAnswer,
  type HealthCaller,
} from '../answers/health-answer';
import { HealthAnswers } from '../answers/health-answers';
import { HealthDetailsQuery, HealthProbeQuery } from '../answers/health-probe.query';
import type { HealthRequest } from '../details/health-details.types';
import { HealthDetailsPolicy } from '../details/health-details.policy';
import type { HealthDetailsTarget } from '../details/http-execution-context';
import { LIVENESS, READINESS, STARTUP } from '../engine/aggregation';
import { messageFromError } from '../engine/sanitize';
import { JSON_CONTENT_TYPE } from '../formats/health-formatter';
import { DASHBOARD_CSP, DASHBOARD_HTML } from '../dashboard/dashboard.page';
import { HealthStateStore } from '../engine/health-state.store';
import { HealthStreamQuery } from '../stream/health-stream.query';
import { HealthStreamService } from '../stream/health-stream.service';
import { HEALTH_RESOLVED_OPTIONS, HEALTH_ROUTE_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { HealthQueryPipe, NO_QUERY } from '../answers/health-query.pipe';
import { HealthLogger } from '../logging/health-logger';
import { HealthMetrics } from '../metrics/health-metrics.service';
import { HealthShutdown } from '../shutdown/health-shutdown';
import type { ResolvedProbeServerOptions } from './probe-server.options';

const PROBE_QUERY = new HealthQueryPipe(HealthProbeQuery);
const DETAILS_QUERY = new HealthQueryPipe(HealthDetailsQuery);
const STREAM_QUERY = new HealthQueryPipe(HealthStreamQuery);

/** Seconds a stream client refused for the subscriber limit is asked to wait (as on the app's). */
const STREAM_RETRY_AFTER_SECONDS = 5;

/** The built-in groups by the name of their route (`/<path>/ready`, `/readyz`). */
const GROUP_ROUTES: Readonly<Record<string, string>> = {
  live: LIVENESS,
  ready: READINESS,
  startup: STARTUP,
};
const ALIAS_ROUTES: Readonly<Record<string, string>> = {
  livez: LIVENESS,
  readyz: READINESS,
  startupz: STARTUP,
};

/**
 * Requests answered on a connection of the probe port, for `maxRequestsPerSocket`: kept on the
 * socket (the probe port's own) under a symbol, a property read where a `WeakMap` would hash.
 */
const REQUESTS_ON_SOCKET = Symbol('nest-health.requestsOnSocket');
type CountedSocket = Socket & { [REQUESTS_ON_SOCKET]?: number };

/** How long in-flight answers may take to finish once the probe port closes, in milliseconds. */
const CLOSE_GRACE_MS = 1_000;

/** One request on the probe port, as the details policy and `authorize` see it. */
interface ProbePortRequest extends HealthRequest {
  /** The socket's remote address: no proxy is trusted on the probe port. */
  readonly ip: string | undefined;
  /** The connection, for the `'local'` policy (`socket.remoteAddress`). */
  readonly socket: IncomingMessage['socket'];
  /** Node's own request. */
  readonly raw: IncomingMessage;
}

/** What the probe port reads of the route options: the prefix, and whether `/livez` & co are on. */
interface ProbeRouteOptions {
  readonly path: string;
  readonly aliases: boolean;
  readonly dashboard: boolean;
}

/** A route of the probe port, once matched: what to answer. */
type Route =
  | { readonly kind: 'details' }
  | { readonly kind: 'metrics' }
  | { readonly kind: 'stream' }
  | { readonly kind: 'dashboard' }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'check'; readonly group: string; readonly check: string };

/** A segment of a path that does not decode (`%E0%A4%A`). */
class UndecodablePathError extends Error {}

/**
 * The probe port (`server` option): a `node:http` server owned by the module that answers the
 * probe routes through the same answer layer as the app's routes: the same
 * bodies, headers, status codes, formats, details policy and query parameters, and the same 400
 * and 404 answers. No Nest pipeline runs: the app's guards, interceptors, pipes, filters and
 * middleware never see its requests.
 *
 * It listens when the app boots (`onApplicationBootstrap`, also in an application context with
 * no HTTP adapter) and, at shutdown, goes on answering through the drain delay
 * (`shutdownDelayMs`, readiness down) as the app's own server does, then closes in
 * `beforeApplicationShutdown`: answers carry `Connection: close` from the start of the shutdown,
 * idle connections close at once, busy ones after at most one second.
 *
 * Details policy: `'local'` admits callers whose socket is a loopback address. A function
 * `authorize` receives a {@link HealthRequest} made of Node's request (`headers`, `method`, `url`,
 * `ip` = the socket's remote address; no proxy is trusted); a guard class receives an
 * `ExecutionContext` whose `switchToHttp().getRequest()` is that request, `getResponse()` Node's
 * `ServerResponse`, and `getClass()` / `getHandler()` this class and its `answer` method.
 *
 * Inject it to read the port it listens on ({@link port}), e.g. with `port: 0` in a test.
 */
@Injectable()
export class HealthProbeServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private server?: Server;
  private readonly settings: ResolvedProbeServerOptions | undefined;
  private readonly base: string;
  /** The path of each built-in group's probe (and alias), for the plain probes' short way. */
  private readonly plainPaths: ReadonlyMap<string, string>;
  private warned = false;

  /** Created by Nest's injector; inject the instance rather than constructing one. @internal */
  constructor(
    private readonly answers: HealthAnswers,
    private readonly policy: HealthDetailsPolicy,
    private readonly metrics: HealthMetrics,
    private readonly stream: HealthStreamService,
    private readonly state: HealthStateStore,
    private readonly shutdown: HealthShutdown,
    private readonly logger: HealthLogger,
    @Inject(HEALTH_RESOLVED_OPTIONS) options: ResolvedHealthModuleOptions,
    @Inject(HEALTH_ROUTE_OPTIONS) private readonly route: ProbeRouteOptions,
  ) {
    this.settings = options.server;
    this.base = route.path === '' ? '' : `/${route.path}`;
    this.plainPaths = plainProbePaths(this.base, route.aliases, this.settings?.routes ?? []);
  }

  /** The port it listens on (useful with `port: 0`); `undefined` when it does not listen. */
  get port(): number | undefined {
    const address = this.server?.address();
    return address !== null && typeof address === 'object' ? address.port : undefined;
  }

  /**
   * Starts listening, with the `server` option's limits.
   *
   * @throws Error (`EADDRINUSE`, `EACCES`) when the port cannot be listened on: the boot fails.
   */
  async onApplicationBootstrap(): Promise<void> {
    const settings = this.settings;
    if (!settings || this.server) return;
    const server = createServer(
      {
        maxHeaderSize: settings.maxHeaderSizeBytes,
        // How often Node checks headersTimeout and requestTimeout (default 30 s, which would let
        // a slow client hold a socket that long whatever the timeouts say).
        connectionsCheckingInterval: Math.min(1_000, settings.headersTimeoutMs),
      },
      (request, response) => this.answer(request, response),
    );
    server.headersTimeout = settings.headersTimeoutMs;
    server.requestTimeout = settings.requestTimeoutMs;
    server.keepAliveTimeout = settings.keepAliveTimeoutMs;
    // Not Node's server.maxRequestsPerSocket: past it Node answers 503 to a client that keeps
    // sending on the connection, and a 503 from a probe route says "not ready". The limit is
    // kept in answer() instead, closing the connection after the last answer.
    // Malformed requests, header floods and slow clients get Node's own answers (400, 431,
    // 408) and a closed connection: no 'clientError' listener replaces them.
    this.server = server;
    server.listen(settings.port, settings.host);
    await once(server, 'listening');
    this.logger.log(`Probe port listening on ${describe(server.address() as AddressInfo)}`);
  }

  /**
   * Closes the probe port once the shutdown's drain delay is over (Nest calls this hook after
   * every module's `onModuleDestroy`, where the delay runs).
   */
  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await this.shutdown.begin();
    this.server = undefined;
    const closed = once(server, 'close');
    server.close();
    server.closeIdleConnections();
    const grace = sleep(CLOSE_GRACE_MS, undefined, { ref: false }).then(() =>
      server.closeAllConnections(),
    );
    await Promise.race([closed, grace]);
    await closed;
  }

  /**
   * Counts the requests of `socket`: whether this one reaches `maxRequestsPerSocket` (its answer
   * then says `Connection: close` and the connection ends after it; later requests a client
   * pipelined on it are never answered, rather than answered 503 as Node would).
   */
  private lastOnSocket(socket: Socket): boolean {
    const limit = this.settings?.maxRequestsPerSocket ?? 0;
    if (limit === 0) return false;
    const counted = socket as CountedSocket;
    const count = (counted[REQUESTS_ON_SOCKET] ?? 0) + 1;
    counted[REQUESTS_ON_SOCKET] = count;
    return count >= limit;
  }

  /** Answers one request of the probe port (its `request` listener). @internal */
  answer(request: IncomingMessage, response: ServerResponse): void {
    const method = request.method;
    if (this.shutdown.phase !== 'running' || this.lastOnSocket(request.socket)) {
      response.setHeader('Connection', 'close');
      response.once('finish', () => request.socket.end());
    }
    // The kubelet's probe (GET of a built-in group's path, no query string): no routing, no
    // query pipe. In the module's own format with nothing to refresh first, it is written from
    // the cached body and nothing else is allocated.
    const plainGroup = method === 'GET' ? this.plainPaths.get(request.url ?? '') : undefined;
    if (plainGroup !== undefined) {
      const plain = this.answers.plainProbe(plainGroup, request.headers.accept);
      if (plain !== undefined) return writeAnswer(response, plain);
    }
    const head = method === 'HEAD';
    let answer: HealthAnswer | Promise<HealthAnswer | undefined> | undefined;
    try {
      answer =
        plainGroup === undefined
          ? this.answerFor(request, response)
          : this.answers.probe(plainGroup, undefined, this.callerOf(request, response));
    } catch (error) {
      answer = this.failed(error);
    }
    if (answer instanceof Promise) {
      answer.then(
        (settled) => settled && writeAnswer(response, settled, head),
        (error: unknown) => writeAnswer(response, this.failed(error), head),
      );
    } else if (answer) writeAnswer(response, answer, head);
  }

  /** The answer to write; `undefined` (or a promise of it) when a stream took the response over. */
  private answerFor(
    request: IncomingMessage,
    response: ServerResponse,
  ): HealthAnswer | Promise<HealthAnswer | undefined> | undefined {
    const url = request.url ?? '/';
    const mark = url.indexOf('?');
    const path = mark === -1 ? url : url.slice(0, mark);
    const method = request.method ?? 'GET';
    let route: Route | undefined;
    try {
      route = method === 'GET' || method === 'HEAD' ? this.match(path) : undefined;
    } catch (error) {
      if (error instanceof UndecodablePathError) return badRequest('Bad Request');
      throw error;
    }
    if (!route) return routeNotFound(method, url);
    const caller = this.callerOf(request, response);
    const query = mark === -1 ? undefined : parseQuery(url.slice(mark + 1));
    const read = { url, query };
    switch (route.kind) {
      case 'details':
        return withQuery(DETAILS_QUERY, read, (parsed) =>
          this.answers.details(parsed as HealthDetailsQuery | undefined, caller),
        );
      case 'metrics':
        return this.scrape(caller, method, url);
      case 'dashboard':
        return { statusCode: 200, headers: DASHBOARD_HEADERS, body: DASHBOARD_HTML };
      case 'stream':
        return withQuery(STREAM_QUERY, read, (parsed) =>
          this.openStream(request, response, (parsed ?? {}) as HealthStreamQuery, caller),
        );
      case 'group':
        return withQuery(PROBE_QUERY, read, (parsed) =>
          this.answers.probe(route.group, parsed as HealthProbeQuery | undefined, caller),
        );
      case 'check':
        return withQuery(PROBE_QUERY, read, (parsed) =>
          this.answers.probeCheck(
            route.group,
            route.check,
            parsed as HealthProbeQuery | undefined,
            caller,
          ),
        );
    }
  }

  /** The route a path names, among those the `server.routes` option serves. */
  private match(path: string): Route | undefined {
    const routes = this.settings?.routes ?? [];
    const probes = routes.includes('probes');
    if (this.route.aliases && probes) {
      const [alias, check, ...rest] = segments(path.slice(1));
      const group = alias === undefined ? undefined : ALIAS_ROUTES[alias];
      if (group !== undefined && rest.length === 0) {
        return check === undefined ? { kind: 'group', group } : { kind: 'check', group, check };
      }
    }
    if (path === (this.base || '/'))
      return routes.includes('details') ? { kind: 'details' } : undefined;
    if (!path.startsWith(`${this.base}/`)) return undefined;
    const [first, second, third, ...rest] = segments(path.slice(this.base.length + 1));
    if (first === undefined || rest.length > 0) return undefined;
    if (second === undefined) {
      if (first === 'metrics') {
        return routes.includes('metrics') && this.metrics.served ? { kind: 'metrics' } : undefined;
      }
      if (first === 'stream' && routes.includes('stream')) return { kind: 'stream' };
      if (first === 'dashboard' && routes.includes('dashboard') && this.route.dashboard) {
        return { kind: 'dashboard' };
      }
    }
    if (!probes) return undefined;
    const builtIn = GROUP_ROUTES[first];
    if (builtIn !== undefined && third === undefined) {
      return second === undefined
        ? { kind: 'group', group: builtIn }
        : { kind: 'check', group: builtIn, check: second };
    }
    if (first === 'group' && second !== undefined) {
      return third === undefined
        ? { kind: 'group', group: second }
        : { kind: 'check', group: second, check: third };
    }
    return undefined;
  }

  private callerOf(request: IncomingMessage, response: ServerResponse): HealthCaller {
    const headers = request.headers;
    return {
      headers,
      admitted: () => this.policy.admits(portRequest(request, headers), TARGET, response),
    };
  }

  /**
   * `GET /<path>/stream`, as the app's route answers it: 404 for an unknown group, 503 with
   * `Retry-After` beyond `stream.maxSubscribers`, else the stream takes the response over.
   */
  private async openStream(
    request: IncomingMessage,
    response: ServerResponse,
    query: HealthStreamQuery,
    caller: HealthCaller,
  ): Promise<HealthAnswer | undefined> {
    const { group, interval } = query;
    if (group !== undefined && !this.state.group(group)) {
      const message = `No health group is named "${group}".`;
      return { statusCode: 404, headers: JSON_HEADERS, body: errorBody(404, 'Not Found', message) };
    }
    if (!this.stream.hasRoom()) {
      const message = 'Too many health stream subscribers; retry later.';
      const body = errorBody(503, 'Service Unavailable', message);
      const headers = { ...JSON_HEADERS, 'Retry-After': String(STREAM_RETRY_AFTER_SECONDS) };
      return { statusCode: 503, headers, body };
    }
    const admitted = await caller.admitted();
    request.socket.setKeepAlive(true);
    request.socket.setNoDelay(true);
    this.stream.open(response, {
      group,
      intervalMs: interval === undefined ? undefined : Math.round(interval * 1000),
      admitted,
    });
    return undefined;
  }

  /** `GET /<path>/metrics`, as the app's route answers it. */
  private async scrape(caller: HealthCaller, method: string, url: string): Promise<HealthAnswer> {
    if (!this.metrics.served) return routeNotFound(method, url);
    if (!(await caller.admitted())) {
      const message = `Health metrics are shown only to callers the details policy admits (details: "${this.policy.mode}").`;
      return { statusCode: 403, headers: JSON_HEADERS, body: errorBody(403, 'Forbidden', message) };
    }
    const { contentType, body } = await this.metrics.scrape();
    return { statusCode: 200, headers: { ...NO_STORE_HEADERS, 'Content-Type': contentType }, body };
  }

  /** A 400 from query validation, or a 500 (logged once) for anything unexpected. */
  private failed(error: unknown): HealthAnswer {
    if (error instanceof HttpException) {
      const response = error.getResponse();
      const body =
        typeof response === 'string'
          ? { statusCode: error.getStatus(), message: response }
          : response;
      return { statusCode: error.getStatus(), headers: JSON_HEADERS, body };
    }
    if (!this.warned) {
      this.warned = true;
      this.logger.warn(
        `The probe port failed to answer a request (${messageFromError(error)}); answered 500 (logged once)`,
      );
    }
    return {
      statusCode: 500,
      headers: JSON_HEADERS,
      body: { statusCode: 500, message: 'Internal server error' },
    };
  }
}

/** The route the probe port answers, for a guard given as `authorize` that reads route metadata. */
const TARGET: HealthDetailsTarget = {
  controller: HealthProbeServer,
  // eslint-disable-next-line @typescript-eslint/unbound-method -- only its metadata is read
  handler: HealthProbeServer.prototype.answer,
};

const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...NO_STORE_HEADERS,
  'Content-Type': JSON_CONTENT_TYPE,
});

/** The dashboard page's headers, as its route sets them. */
const DASHBOARD_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...NO_STORE_HEADERS,
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': DASHBOARD_CSP,
  'X-Content-Type-Options': 'nosniff',
});

function portRequest(request: IncomingMessage, headers: IncomingHttpHeaders): ProbePortRequest {
  return {
    headers,
    method: request.method,
    url: request.url,
    ip: request.socket.remoteAddress,
    socket: request.socket,
    raw: request,
  };
}

/** Reads the query with `pipe` (validated, 400 naming the parameter), then answers. */
function withQuery<A>(
  pipe: HealthQueryPipe,
  request: { url: string; query: unknown },
  answer: (query: unknown) => A | Promise<A>,
): A | Promise<A> {
  const query = pipe.read(request);
  const given = (read: unknown) => answer(read === NO_QUERY ? undefined : read);
  if (query instanceof Promise) return query.then(given);
  return given(query);
}

/** `/<path>/live`, `/livez`, … → the group each probe of a built-in group answers for. */
function plainProbePaths(
  base: string,
  aliases: boolean,
  routes: readonly string[],
): ReadonlyMap<string, string> {
  const paths = new Map<string, string>();
  if (!routes.includes('probes')) return paths;
  for (const [segment, group] of Object.entries(GROUP_ROUTES))
    paths.set(`${base}/${segment}`, group);
  if (aliases) {
    for (const [alias, group] of Object.entries(ALIAS_ROUTES)) paths.set(`/${alias}`, group);
  }
  return paths;
}

/** The decoded, non-empty segments of a path; an empty segment (`//`, a trailing `/`) matches nothing. */
function segments(path: string): (string | undefined)[] {
  const parts = path.split('/');
  if (parts.some((part) => part === '')) return [undefined, undefined, undefined, 'unmatched'];
  return parts.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new UndecodablePathError(part);
    }
  });
}

/** Nest's answer to a route that does not exist (`Cannot GET /x`), on either platform. */
function routeNotFound(method: string, url: string): HealthAnswer {
  const body = errorBody(404, 'Not Found', `Cannot ${method} ${url}`);
  return { statusCode: 404, headers: JSON_HEADERS, body };
}

function badRequest(message: string): HealthAnswer {
  return { statusCode: 400, headers: JSON_HEADERS, body: errorBody(400, 'Bad Request', message) };
}

/** The body of Nest's `HttpException`s (`new NotFoundException(message)`), in their key order. */
function errorBody(statusCode: number, error: string, message: string): object {
  return { message, error, statusCode };
}

function describe(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}

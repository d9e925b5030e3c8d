import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeAnswer } from '../answers/health-answer';
import { HealthAnswers } from '../answers/health-answers';
import { HealthScheduler } from '../engine/health.scheduler';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { HealthLogger } from '../logging/health-logger';

/** The most URLs the fast path answers for; more are left to Nest's routes. */
export const FAST_PATH_MAX_URLS = 64;

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/** What the fast path reads of a request that a Nest route received (Express or Fastify). */
interface RouteRequest {
  readonly method?: string;
  /** Express and Fastify: the URL as the client sent it, before any rewrite. */
  readonly originalUrl?: string;
  readonly url?: string;
  readonly raw?: { readonly url?: string };
}

/**
 * The probe fast path (`fastPath: true`): answers plain probes from a prebuilt body before the
 * HTTP framework sees the request. When the app initialises (`HealthModule.configure`, before
 * Nest registers middleware and routes), it takes the HTTP server's `request` listener (the
 * Express app, or Fastify's router), found through `HttpAdapterHost`, and puts itself in front:
 * a request it answers never reaches Express or Fastify; any other goes on to them unchanged.
 * (An Express middleware or a Fastify hook would run after the framework's own per-request
 * work, which costs Express 5 more than half of what a Nest route costs.)
 *
 * It answers only URLs that Nest's own probe routes have answered: when a probe route answers a
 * plain `GET` (no query string, in the module's own format), the responder tells {@link learn}
 * the request's URL, as the client sent it, and its group; from then on that exact URL is
 * answered here. So the global prefix, `RouterModule`, exclusions and the router's case and
 * trailing-slash rules stay Nest's, and a URL Nest would not route to a probe is never answered
 * here. The answer is the route's status code and JSON body, with `Cache-Control: no-store`; the
 * body is serialized once per state change ({@link ProbeBodyCache}). Everything else goes on to
 * the framework: another method, a query string, `Accept: application/health+json`, a group
 * answered in another format, a group that no longer exists, a URL never answered by a route.
 *
 * @internal
 */
@Injectable()
export class HealthFastPath {
  private readonly urls = new Map<string, string>();
  private active = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly answers: HealthAnswers,
    private readonly scheduler: HealthScheduler,
    private readonly logger: HealthLogger,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {}

  /** Whether the fast path is on and in front of the HTTP server's request listener. */
  get installed(): boolean {
    return this.active;
  }

  /**
   * Puts the fast path in front of the HTTP server's `request` listeners, once, when `fastPath`
   * is on and the app has an HTTP server. Without a `request` listener to put itself in front
   * of, it logs a warning and stays off.
   */
  install(): void {
    if (!this.options.fastPath || this.active) return;
    const server = this.adapterHost?.httpAdapter?.getHttpServer() as EventEmitter | undefined;
    if (!server || typeof server.listeners !== 'function') return;
    const listeners = server.listeners('request') as RequestListener[];
    if (listeners.length === 0) {
      this.logger.warn(
        "fastPath is off: the HTTP server has no request listener to go ahead of; probes are answered by Nest's routes",
      );
      return;
    }
    server.removeAllListeners('request');
    const passOn = (request: IncomingMessage, response: ServerResponse) => {
      for (const listener of listeners) listener.call(server, request, response);
    };
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      if (!this.answer(request, response, passOn)) passOn(request, response);
    });
    this.active = true;
  }

  /**
   * Called by a probe route that answered a plain `GET` of `group`: the fast path answers that
   * request's exact URL from now on (at most {@link FAST_PATH_MAX_URLS} URLs).
   *
   * @param request - the request as the route received it (Express's or Fastify's).
   */
  learn(request: unknown, group: string): void {
    if (!this.active || this.urls.size >= FAST_PATH_MAX_URLS) return;
    const { method, originalUrl, url, raw } = request as RouteRequest;
    const sent = originalUrl ?? raw?.url ?? url;
    if (method !== 'GET' || sent === undefined || sent.includes('?')) return;
    if (!this.urls.has(sent)) this.urls.set(sent, group);
  }

  /**
   * Answers a request from memory. Returns `false` when the framework should answer it instead;
   * `true` when answered, or being answered once the group's on-demand members have refreshed
   * (should that fail, `passOn` hands the request to the framework).
   */
  private answer(
    request: IncomingMessage,
    response: ServerResponse,
    passOn: RequestListener,
  ): boolean {
    const { url } = request;
    if (url === undefined || request.method !== 'GET') return false;
    const group = this.urls.get(url);
    if (group === undefined) return false;
    const plain = this.answers.plainProbe(group, request.headers.accept);
    if (plain !== undefined) {
      writeAnswer(response, plain);
      return true;
    }
    if (!this.answers.isPlain(group, request)) return false;
    const refresh = this.scheduler.refreshGroup(group);
    if (!refresh) return this.send(group, response);
    refresh.then(
      () => this.send(group, response) || passOn(request, response),
      () => passOn(request, response),
    );
    return true;
  }

  private send(group: string, response: ServerResponse): boolean {
    const answer = this.answers.plainGroup(group);
    if (answer.statusCode === 404) return false;
    writeAnswer(response, answer);
    return true;
  }
}

import { IsOptional, ValidateBy } from 'class-validator';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { degraded, down, type HealthCheckContext, type HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import { messageFromError } from '../../engine/sanitize';
import { InvalidHealthIndicatorOptionsError } from '../../errors';
import { BooleanOption, isPlainObject } from '../../options/option-rules';
import {
  abortable,
  abortReason,
  BuiltInHealthIndicator,
  elapsedMs,
  Findings,
  hasMethods,
  IsUpperThreshold,
  kindOf,
  noop,
  onAbort,
  prepareOptions,
  requireArgument,
  toError,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';

/** What `subscribe()` returns, by shape (an RxJS `Subscription`). */
export interface MicroserviceUnsubscribable {
  /** Ends the subscription. */
  unsubscribe(): void;
}

/**
 * An observable, by shape (an RxJS `Observable`): what `ClientProxy.status`,
 * `INestMicroservice.status` and `ClientProxy.send()` return.
 */
export interface MicroserviceSubscribable<T> {
  /** Subscribes; values, an error or completion come through `observer`. */
  subscribe(observer: {
    next?: (value: T) => void;
    error?: (error: unknown) => void;
    complete?: () => void;
  }): MicroserviceUnsubscribable;
}

/**
 * The server side of a Nest microservice, by shape: an `INestMicroservice` (what
 * `app.connectMicroservice()` returns, or one of `app.getMicroservices()`, or
 * `NestFactory.createMicroservice()`), or a transport's `Server` (`ServerTCP`, `ServerRedis`, …)
 * — anything with the `status` observable of `@nestjs/microservices` ≥ 10.
 */
export interface MicroserviceServerLike {
  /**
   * The transport's status events: `'connected'` when listening (TCP) or connected to the
   * broker; `'disconnected'`, `'reconnecting'`, `'closed'` (MQTT), `'blocked'` (RMQ) otherwise.
   * It replays the latest one to a new subscriber.
   */
  readonly status: MicroserviceSubscribable<string>;
}

/**
 * A Nest microservice client, by shape: a `ClientProxy` of `@nestjs/microservices` ≥ 10
 * (`ClientTCP`, `ClientRedis`, `ClientNats`, `ClientMqtt`, `ClientRMQ`, as injected with
 * `@Inject(<name>)` from `ClientsModule`, or made by `ClientProxyFactory.create()`).
 */
export interface MicroserviceClientLike extends MicroserviceServerLike {
  /**
   * Connects, or resolves with the connection the client has. The indicator calls it only when
   * the client has reported no status yet or reports `'disconnected'` (see
   * {@link MicroserviceIndicatorOptions.connect}).
   */
  connect(): Promise<unknown>;
  /** Sends a request and observes its reply: used only with {@link MicroserviceIndicatorOptions.send}. */
  send(pattern: unknown, data: unknown): MicroserviceSubscribable<unknown>;
}

/** The request/response round trip of {@link MicroserviceIndicatorOptions.send}. */
export interface MicroserviceSendCheck {
  /**
   * The message pattern a handler of yours answers (`@MessagePattern(...)`): a string or an
   * object such as `{ cmd: 'health' }`.
   */
  pattern: string | Record<string, unknown>;
  /**
   * The payload sent. Nest refuses `null` and `undefined`.
   * @default {}
   */
  data?: unknown;
  /**
   * The reply expected (compared deeply, after the transport's serialization: plain JSON
   * values); any other reply is `down`. Without it, any reply (or a reply-less completion) is up.
   * @default none
   */
  expect?: unknown;
}

/**
 * Options of {@link microserviceIndicator}: the usual indicator options (default name
 * `'microservice'`, default groups `['readiness']`) and its own.
 */
export interface MicroserviceIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * A client only: a request/response round trip per check (`client.send(pattern, data)`, the
   * first reply or completion ends it), timed as `responseTimeMs`. Without it, the check sends
   * nothing and reads the client's status. Your service must answer the pattern.
   * @default none (status only)
   */
  send?: MicroserviceSendCheck;
  /**
   * A client only: when it has reported no status yet (Nest clients connect at their first
   * message) or reports `'disconnected'` (the TCP client, and the Redis client without
   * `retryAttempts`, do not reconnect by themselves), the check calls `client.connect()` — what
   * the client does itself before its next message — and reports the status that follows. With
   * `false`, such a client is `down` until the app sends a message.
   * @default true
   */
  connect?: boolean;
  /**
   * Levels for the `send` round trip, in milliseconds.
   * @default none (the indicator's `timeoutMs` bounds it)
   */
  responseTimeMs?: UpperThreshold;
}

function validSend(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  if (Object.keys(value).some((key) => !['pattern', 'data', 'expect'].includes(key))) return false;
  const { pattern } = value;
  const patternOk =
    (typeof pattern === 'string' && pattern.length > 0) ||
    (isPlainObject(pattern) && Object.keys(pattern).length > 0);
  return patternOk && !('data' in value && (value.data === null || value.data === undefined));
}

class MicroserviceIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @ValidateBy({
    name: 'isMicroserviceSend',
    validator: {
      validate: validSend,
      defaultMessage: () =>
        'must be { pattern, data?, expect? } with a non-empty string or object pattern and data that is not null',
    },
  })
  send?: MicroserviceSendCheck;

  @IsOptional()
  @BooleanOption()
  connect?: boolean;

  @IsOptional()
  @IsUpperThreshold()
  responseTimeMs?: UpperThreshold;
}

/** Statuses that are `up`: a connection (or a listening server), and RMQ's end of a block. */
const UP_STATUSES = new Set(['connected', 'unblocked']);
/** Kafka's consumer group rebalancing: working, not consuming for a moment. */
const DEGRADED_STATUSES = new Set(['rebalancing']);

/** @internal */
export class MicroserviceHealthIndicator extends BuiltInHealthIndicator {
  private subscription?: MicroserviceUnsubscribable;
  private subscribed = false;
  private latest?: string;
  private statusFailure?: Error;

  constructor(
    options: BuiltInIndicator['options'],
    private readonly target:
      | { readonly role: 'client'; readonly client: MicroserviceClientLike }
      | { readonly role: 'server'; readonly server: MicroserviceServerLike },
    private readonly settings: {
      readonly send?: MicroserviceSendCheck;
      readonly connect: boolean;
      readonly responseTimeMs?: UpperThreshold;
    },
  ) {
    super('microservice', options);
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    signal.throwIfAborted();
    this.watchStatus();
    if (this.target.role === 'client') {
      const { client } = this.target;
      if (this.settings.send) return this.roundTrip(client, this.settings.send, signal);
      const status = this.latest;
      if (this.settings.connect && (status === undefined || status === 'disconnected')) {
        try {
          await abortable(client.connect(), signal);
        } catch (error) {
          if (signal.aborted) throw error;
          const now = this.latest ?? status;
          return down(
            `not connected (${now ?? 'no status yet'}): ${messageFromError(transportError(error))}`,
            {
              status: now ?? null,
            },
          );
        }
      }
    }
    return this.fromStatus();
  }

  /** Unsubscribes from the status; never closes the client or the server. */
  override close(): Promise<void> {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.subscribed = false;
    this.latest = undefined;
    this.statusFailure = undefined;
    return Promise.resolve();
  }

  /** Subscribes to the status once (again after `close()`, or after the observable ended). */
  private watchStatus(): void {
    if (this.subscribed) return;
    this.statusFailure = undefined;
    const source = this.target.role === 'client' ? this.target.client : this.target.server;
    this.subscribed = true;
    try {
      const subscription = source.status.subscribe({
        next: (status) => {
          this.latest = String(status);
        },
        error: (error) => {
          this.statusFailure = toError(error);
          this.subscribed = false;
          this.subscription = undefined;
        },
        complete: () => {
          this.subscribed = false;
          this.subscription = undefined;
        },
      });
      // An observable that ended while subscribing is not kept.
      if (this.subscribed) this.subscription = subscription;
    } catch (error) {
      // The gRPC transport's `status` getter throws: it has no status.
      this.subscribed = false;
      this.statusFailure = toError(error);
    }
  }

  private fromStatus(): HealthCheckResult {
    const status = this.latest;
    if (this.statusFailure && status === undefined) {
      return down(`no status: ${this.statusFailure.message || 'the status observable failed'}`);
    }
    const data = { status: status ?? null };
    if (status === undefined) {
      return down(
        this.target.role === 'client'
          ? 'no status yet: the client has not connected'
          : 'no status yet: the server is not listening',
        data,
      );
    }
    if (UP_STATUSES.has(status)) return new Findings().result(data);
    if (DEGRADED_STATUSES.has(status)) return degraded(status, data);
    if (status === 'blocked') return down('blocked by the broker (resource alarm)', data);
    return down(`not connected (${status})`, data);
  }

  /**
   * Sends the pattern and waits for the first reply or the completion, until the deadline: at
   * the deadline the subscription ends (Nest drops the pending request), and the check rejects.
   */
  private async roundTrip(
    client: MicroserviceClientLike,
    send: MicroserviceSendCheck,
    signal: AbortSignal,
  ): Promise<HealthCheckResult> {
    const started = performance.now();
    const reply = await new Promise<{ value?: unknown }>((resolve, reject) => {
      let subscription: MicroserviceUnsubscribable | undefined;
      let done = false;
      let stopListening = noop;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        stopListening();
        subscription?.unsubscribe();
        settle();
      };
      stopListening = onAbort(signal, () => finish(() => reject(abortReason(signal))));
      if (done) return;
      try {
        subscription = client.send(send.pattern, 'data' in send ? send.data : {}).subscribe({
          next: (value) => finish(() => resolve({ value })),
          error: (error) => finish(() => reject(transportError(error))),
          complete: () => finish(() => resolve({})),
        });
      } catch (error) {
        finish(() => reject(toError(error)));
      }
      // A reply delivered while subscribing: the subscription exists only now.
      if (done) subscription?.unsubscribe();
    });
    const responseTimeMs = elapsedMs(started);
    const data = { status: this.latest ?? null, responseTimeMs };
    const findings = new Findings();
    if ('expect' in send && !isDeepStrictEqual(reply.value, send.expect)) {
      findings.down('the reply is not the one expected');
    }
    return findings
      .above('responseTimeMs', responseTimeMs, this.settings.responseTimeMs)
      .result(data);
  }
}

/**
 * What a Nest client rejects with, as an Error: an Error; the plain object a server sent back
 * (`{ status: 'error', message }`, or `{ err }`); amqp-connection-manager's `connectFailed`
 * event (`{ err, url }`: its error, never its URL, which may hold a password); or a string.
 */
function transportError(error: unknown): Error {
  if (error instanceof Error) return error;
  if (isPlainObject(error)) {
    const { message, err } = error;
    if (typeof message === 'string' && message) return new Error(message);
    // an Error, also one of another realm (Node's own socket errors under a test runner's VM)
    if (err !== null && typeof err === 'object') return toError(err);
    if (typeof err === 'string' && err) return new Error(err);
  }
  return toError(error);
}

function isSubscribable(value: unknown): boolean {
  return hasMethods(value, 'subscribe');
}

/** Reads `status` without letting a throwing getter (gRPC) escape the factory. */
function hasStatus(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return isSubscribable((value as { status?: unknown }).status);
  } catch {
    // gRPC's getter throws: still a server, whose checks say so.
    return true;
  }
}

/**
 * Checks a Nest microservice transport through the `ClientProxy` or the server your app already
 * has, from the status events of `@nestjs/microservices` ≥ 10 (`client.status`,
 * `microservice.status`): it subscribes once, keeps the latest status, and by default sends
 * nothing and opens nothing.
 *
 * - A client (`ClientProxy`: TCP, Redis, NATS, MQTT, RMQ): `'connected'` is up;
 *   `'disconnected'`, `'reconnecting'`, `'closed'` (MQTT) and `'blocked'` (RMQ) are down. Nest
 *   clients connect at their first message: a client that has reported no status yet, or that
 *   reports `'disconnected'` (TCP and Redis do not reconnect by themselves), is asked to
 *   `connect()` — what its next message would do — unless `connect: false`.
 *   With `send`, each check makes one request/response round trip of a pattern your service
 *   answers (`client.send(pattern, data)`), timed as `responseTimeMs`; at the deadline it
 *   unsubscribes (no request is left waiting) and the run is down.
 * - A server (the side of a hybrid app, `app.connectMicroservice(...)` — keep what it returns, or
 *   take it from `app.getMicroservices()` — or a standalone `NestFactory.createMicroservice()`):
 *   `'connected'` (listening, or connected to the broker) is up, anything else down; no status
 *   yet (before `app.startAllMicroservices()`) is down.
 *
 * Kafka's `'rebalancing'` is degraded. gRPC has no status (its getter throws): down.
 *
 * `@nestjs/microservices` is an optional peer: the library never loads it, the shapes are
 * structural. The indicator never closes the client or the server; {@link BuiltInIndicator.close}
 * ends its status subscription.
 *
 * Data: `status` (`null` before the first one); with `send`, `responseTimeMs`.
 *
 * @param target - a {@link MicroserviceClientLike} (recognised by its `send()` and `connect()`)
 *   or a {@link MicroserviceServerLike}.
 * @param options - see {@link MicroserviceIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when `target` has no `status` observable, an option
 *   is invalid, or `send` / `connect` is given for a server.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { ClientsModule, Transport, type ClientProxy } from '@nestjs/microservices';
 * import { HealthModule, microserviceIndicator } from 'nest-health';
 *
 * const Clients = ClientsModule.register([
 *   { name: 'ORDERS', transport: Transport.NATS, options: { servers: ['nats://127.0.0.1:4222'] } },
 * ]);
 *
 * @Module({
 *   imports: [
 *     Clients,
 *     HealthModule.forRootAsync({
 *       imports: [Clients],
 *       inject: ['ORDERS'],
 *       useFactory: (orders: ClientProxy) => ({
 *         indicators: [microserviceIndicator(orders, { name: 'orders' })],
 *       }),
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function microserviceIndicator(
  target: MicroserviceClientLike | MicroserviceServerLike,
  options?: MicroserviceIndicatorOptions,
): BuiltInIndicator {
  requireArgument(
    'microserviceIndicator()',
    'target',
    kindOf(target),
    hasStatus(target),
    'must be a ClientProxy or a microservice server (INestMicroservice) of @nestjs/microservices ≥ 10, with a status observable',
  );
  const { registration, own } = prepareOptions(
    'microserviceIndicator()',
    MicroserviceIndicatorOptionsSchema,
    options,
    { name: 'microservice' },
  );
  const isClient = hasMethods(target, 'send', 'connect');
  if (!isClient) {
    const clientOnly = (['send', 'connect'] as const).filter((key) => own[key] !== undefined);
    if (clientOnly.length > 0) {
      throw new InvalidHealthIndicatorOptionsError(
        'microserviceIndicator()',
        clientOnly.map((option) => ({
          option,
          value: kindOf(own[option]),
          allowed: 'only for a client (ClientProxy), not for a server',
        })),
      );
    }
  }
  // `send` as given (its data and expected reply untouched by the options' conversion).
  const send = options?.send;
  return new MicroserviceHealthIndicator(
    registration,
    isClient
      ? { role: 'client', client: target as MicroserviceClientLike }
      : { role: 'server', server: target },
    { send, connect: own.connect !== false, responseTimeMs: own.responseTimeMs },
  );
}

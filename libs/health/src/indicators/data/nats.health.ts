import { IsOptional, ValidateBy } from 'class-validator';
import { performance } from 'node:perf_hooks';
import { down, type HealthCheckContext, type HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import { redactSecrets } from '../../engine/sanitize';
import { BooleanOption, isPlainObject } from '../../options/option-rules';
import {
  abortable,
  BuiltInHealthIndicator,
  elapsedMs,
  Findings,
  hasMethods,
  IsUpperThreshold,
  kindOf,
  noop,
  prepareOptions,
  requireArgument,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';

/**
 * One event of a NATS connection's status stream (`connection.status()` of the `nats` client):
 * `type` is `'disconnect'`, `'reconnecting'`, `'reconnect'`, `'ldm'` (the server is in lame
 * duck mode), `'error'` (an asynchronous error from the server), `'update'`, `'pingTimer'`,
 * `'staleConnection'`, …; `data` is the server's `host:port` for the connection events, an
 * error code for `'error'`.
 */
export interface NatsStatusLike {
  /** The event's kind. */
  readonly type: string;
  /** The server (`host:port`) or the error code the event is about. */
  readonly data?: unknown;
}

/** What a NATS server says about itself (the `INFO` it sends on connect), as far as it is read. */
export interface NatsServerInfoLike {
  /** The server's name (its id when no name is configured). */
  readonly server_name?: string;
  /** The server's id. */
  readonly server_id?: string;
  /** The server's version, e.g. `"2.10.22"`. */
  readonly version?: string;
  /** The cluster the server belongs to, if any. */
  readonly cluster?: string;
  /** Whether JetStream is enabled on the server. */
  readonly jetstream?: boolean;
}

/** The part of a JetStream stream's info the indicator reads (`jsm.streams.info(name)`). */
export interface NatsStreamInfoLike {
  /** The stream's state. */
  readonly state: {
    /** Messages stored in the stream. */
    readonly messages: number;
    /** Bytes stored in the stream. */
    readonly bytes: number;
    /** Consumers of the stream. */
    readonly consumer_count: number;
    /** The sequence of the last message. */
    readonly last_seq: number;
  };
}

/** The part of a JetStream consumer's info the indicator reads (`jsm.consumers.info(stream, name)`). */
export interface NatsConsumerInfoLike {
  /** Messages in the stream the consumer has not been delivered yet: its lag. */
  readonly num_pending: number;
  /** Messages delivered and not acknowledged yet. */
  readonly num_ack_pending: number;
  /** Messages delivered more than once and not acknowledged yet. */
  readonly num_redelivered: number;
  /** Pull requests waiting (pull consumers). */
  readonly num_waiting: number;
}

/** A JetStream manager of the `nats` client, by shape (what `connection.jetstreamManager()` resolves to). */
export interface NatsJetStreamManagerLike {
  /** Stream administration. */
  readonly streams: {
    /** A stream's info; rejects (`stream not found`) when it does not exist. */
    info(stream: string): Promise<NatsStreamInfoLike>;
  };
  /** Consumer administration. */
  readonly consumers: {
    /** A consumer's info; rejects (`consumer not found`) when it does not exist. */
    info(stream: string, consumer: string): Promise<NatsConsumerInfoLike>;
  };
}

/**
 * A NATS connection, by shape: a `NatsConnection` of the `nats` client (v2, what `connect()`
 * resolves to). The indicator never opens, drains or closes a connection.
 */
export interface NatsConnectionLike {
  /**
   * A new iterator over the connection's status events; its `stop()` (nats.js's
   * `QueuedIterator`) ends it.
   */
  status(): AsyncIterable<NatsStatusLike>;
  /** Whether the connection is closed for good (closed by the app, or out of reconnect attempts). */
  isClosed(): boolean;
  /** A round trip to the server (PING / PONG); rejects when the connection is closed. */
  flush(): Promise<void>;
  /** Whether the app is draining the connection. */
  isDraining?(): boolean;
  /** The server the connection is on, `host:port`. */
  getServer?(): string;
  /** The server's `INFO`; `undefined` when closed. */
  readonly info?: NatsServerInfoLike;
  /** Settles when the connection closes, with the error that closed it if any. */
  closed?(): Promise<void | Error>;
  /** A JetStream manager on this connection (needed for the `jetstream` option). */
  jetstreamManager?(options?: {
    timeout?: number;
    checkAPI?: boolean;
  }): Promise<NatsJetStreamManagerLike>;
}

/** A JetStream stream to check, with levels. */
export interface NatsStreamCheck {
  /** The stream's name. It must exist: a missing stream is `down`. */
  name: string;
  /**
   * Levels for the messages stored in the stream (`messages`): a work queue that is not
   * drained grows.
   * @default none
   */
  messages?: UpperThreshold;
}

/** A JetStream consumer to check, with levels on its lag. */
export interface NatsConsumerCheck {
  /** The stream the consumer reads. */
  stream: string;
  /** The consumer's (durable) name. It must exist: a missing consumer is `down`. */
  name: string;
  /**
   * Levels for the messages not delivered to the consumer yet (`num_pending`, data `pending`).
   * @default none
   */
  pending?: UpperThreshold;
  /**
   * Levels for the messages delivered and not acknowledged yet (`num_ack_pending`, data
   * `ackPending`).
   * @default none
   */
  ackPending?: UpperThreshold;
}

/** The `jetstream` option of {@link natsIndicator}: a stream and/or a consumer to look at. */
export interface NatsJetStreamCheck {
  /** A stream: its name, or {@link NatsStreamCheck} with levels. */
  stream?: string | NatsStreamCheck;
  /** A consumer, with levels on its lag. */
  consumer?: NatsConsumerCheck;
}

/**
 * Options of {@link natsIndicator}: the usual indicator options (default name `'nats'`,
 * default groups `['readiness']`) and its own.
 */
export interface NatsIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * Also make a round trip to the server (`flush()`: PING / PONG on the connection) and report
   * its time as `rttMs`. Without it the check sends nothing and reads the state the client
   * reports; a server that hangs with the connection open is then seen only when the client's
   * own pings time out (`pingInterval` × `maxPingOut`, 4 minutes by default).
   * @default false
   */
  roundTrip?: boolean;
  /**
   * Levels for the round trip's time, in milliseconds (with `roundTrip`).
   * @default none (the indicator's `timeoutMs` bounds it)
   */
  rttMs?: UpperThreshold;
  /**
   * A JetStream stream and/or consumer to check (`$JS.API` requests on the connection, one per
   * item and check), with levels on stored messages and consumer lag.
   * @default none
   */
  jetstream?: NatsJetStreamCheck;
}

const validLevel = (v: unknown) =>
  v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);

function validUpper(v: unknown): boolean {
  if (v === undefined) return true;
  if (!isPlainObject(v)) return false;
  if (Object.keys(v).some((k) => k !== 'degradedAbove' && k !== 'downAbove')) return false;
  const { degradedAbove, downAbove } = v;
  if (!validLevel(degradedAbove) || !validLevel(downAbove)) return false;
  return (
    typeof degradedAbove !== 'number' || typeof downAbove !== 'number' || downAbove >= degradedAbove
  );
}

const validName = (v: unknown) => typeof v === 'string' && v.length > 0;

function onlyKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(value).every((k) => keys.includes(k));
}

function validJetStream(value: unknown): boolean {
  if (!isPlainObject(value) || !onlyKeys(value, ['stream', 'consumer'])) return false;
  const { stream, consumer } = value;
  if (stream === undefined && consumer === undefined) return false;
  const streamOk =
    stream === undefined ||
    validName(stream) ||
    (isPlainObject(stream) &&
      onlyKeys(stream, ['name', 'messages']) &&
      validName(stream.name) &&
      validUpper(stream.messages));
  const consumerOk =
    consumer === undefined ||
    (isPlainObject(consumer) &&
      onlyKeys(consumer, ['stream', 'name', 'pending', 'ackPending']) &&
      validName(consumer.stream) &&
      validName(consumer.name) &&
      validUpper(consumer.pending) &&
      validUpper(consumer.ackPending));
  return streamOk && consumerOk;
}

class NatsIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @BooleanOption()
  roundTrip?: boolean;

  @IsOptional()
  @IsUpperThreshold()
  rttMs?: UpperThreshold;

  @IsOptional()
  @ValidateBy({
    name: 'isNatsJetStreamCheck',
    validator: {
      validate: validJetStream,
      defaultMessage: () =>
        'must be { stream?: name | { name, messages?: { degradedAbove?, downAbove? } }, consumer?: { stream, name, pending?: { degradedAbove?, downAbove? }, ackPending?: { degradedAbove?, downAbove? } } } with at least one of them, and numbers ≥ 0',
    },
  })
  jetstream?: NatsJetStreamCheck;
}

/** The connection's state as the status events tell it. */
type ConnectionState =
  | { kind: 'connected'; since: Date }
  | { kind: 'disconnected' | 'reconnecting'; since: Date; server: string; attempts: number };

/** A status iterator the indicator runs, and how to stop it. */
interface Watch {
  stop(): void;
}

/** A `flush()` that has not come back yet, shared by the runs that wait for it. */
interface RoundTrip {
  readonly promise: Promise<void>;
  readonly started: number;
}

/** @internal */
export class NatsHealthIndicator extends BuiltInHealthIndicator {
  private watch?: Watch;
  private state: ConnectionState = { kind: 'connected', since: new Date() };
  private reconnects = 0;
  private lameDuckSince?: Date;
  private lastError?: { code: string; at: Date };
  private closedBy?: string;
  private roundTrip?: RoundTrip;
  private readonly stream?: NatsStreamCheck;
  private readonly consumer?: NatsConsumerCheck;

  constructor(
    options: BuiltInIndicator['options'],
    private readonly connection: NatsConnectionLike,
    private readonly settings: Omit<NatsIndicatorOptions, keyof BuiltInIndicatorOptions>,
  ) {
    super('nats', options);
    const stream = settings.jetstream?.stream;
    this.stream = typeof stream === 'string' ? { name: stream } : stream;
    this.consumer = settings.jetstream?.consumer;
    this.startWatching();
  }

  async check({ signal, timeoutMs }: HealthCheckContext): Promise<HealthCheckResult> {
    signal.throwIfAborted();
    this.startWatching();
    const data: Record<string, unknown> = this.connectionData();
    if (this.connection.isClosed()) {
      return down(
        this.closedBy ? `connection closed (${this.closedBy})` : 'connection closed',
        data,
      );
    }
    if (this.connection.isDraining?.() === true) return down('connection draining', data);
    const state = this.state;
    if (state.kind !== 'connected') {
      const attempts =
        state.kind === 'reconnecting'
          ? `, reconnecting, ${state.attempts} attempt${state.attempts === 1 ? '' : 's'}`
          : '';
      return down(
        `disconnected from ${state.server} since ${state.since.toISOString()}${attempts}`,
        data,
      );
    }
    const findings = new Findings();
    if (this.lameDuckSince) {
      findings.degraded(`server in lame duck mode since ${this.lameDuckSince.toISOString()}`);
    }
    const [rttMs, jetstream] = await Promise.all([
      this.settings.roundTrip === true ? this.flush(signal) : undefined,
      this.stream || this.consumer ? this.jetstream(signal, timeoutMs, findings) : undefined,
    ]);
    if (rttMs !== undefined) {
      data.rttMs = rttMs;
      findings.above('rttMs', rttMs, this.settings.rttMs);
    }
    if (jetstream) data.jetstream = jetstream;
    return findings.result(data);
  }

  /** Stops the status iterator it started; the next check starts a new one. */
  override close(): Promise<void> {
    const watch = this.watch;
    this.watch = undefined;
    this.roundTrip = undefined;
    watch?.stop();
    return Promise.resolve();
  }

  /**
   * Starts following the connection's status events, unless it does already. The state starts
   * as connected (the `nats` client hands out a connection once it is connected; a closed one is
   * seen through `isClosed()`), or as disconnected when the client is between servers.
   */
  private startWatching(): void {
    if (this.watch || this.connection.isClosed()) return;
    const iterable = this.connection.status();
    const iterator = iterable[Symbol.asyncIterator]();
    const watch: Watch = {
      stop: () => {
        // nats.js's QueuedIterator: stop() ends a pending next() at once (return() would wait
        // for the next event) and removes it from the connection's listeners.
        const stoppable = iterable as { stop?: () => void };
        if (typeof stoppable.stop === 'function') stoppable.stop();
        else void iterator.return?.()?.catch(noop);
      },
    };
    this.watch = watch;
    // nats.js clears `info` when it dials a server again and sets it when the server answers:
    // no `info` on an open connection means it is between servers.
    const between = 'info' in this.connection && this.connection.info === undefined;
    this.state = between
      ? { kind: 'disconnected', since: new Date(), server: this.server(), attempts: 0 }
      : { kind: 'connected', since: new Date() };
    this.lameDuckSince = undefined;
    this.closedBy = undefined;
    this.connection.closed?.().then((error) => {
      if (this.watch === watch && error) this.closedBy = redactSecrets(errorText(error));
    }, noop);
    const follow = async () => {
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done || this.watch !== watch) break;
          this.onStatus(next.value);
        }
      } catch {
        // the iterator failed: the next check starts a new one
      }
      if (this.watch === watch) this.watch = undefined;
    };
    void follow();
  }

  private onStatus(status: NatsStatusLike): void {
    const server = typeof status.data === 'string' ? redactSecrets(status.data) : '';
    switch (status.type) {
      case 'disconnect':
        if (this.state.kind === 'connected') {
          this.state = {
            kind: 'disconnected',
            since: new Date(),
            server: server || this.server(),
            attempts: 0,
          };
        }
        this.lameDuckSince = undefined;
        break;
      case 'reconnecting':
        if (this.state.kind === 'connected') {
          this.state = { kind: 'reconnecting', since: new Date(), server, attempts: 1 };
        } else {
          this.state = { ...this.state, kind: 'reconnecting', attempts: this.state.attempts + 1 };
        }
        break;
      case 'reconnect':
        this.state = { kind: 'connected', since: new Date() };
        this.reconnects += 1;
        this.lameDuckSince = undefined;
        break;
      case 'ldm':
        this.lameDuckSince ??= new Date();
        break;
      case 'error':
        this.lastError = { code: redactSecrets(String(status.data)), at: new Date() };
        break;
      default:
        break;
    }
  }

  private server(): string {
    try {
      return redactSecrets(this.connection.getServer?.() ?? '');
    } catch {
      return '';
    }
  }

  private connectionData(): Record<string, unknown> {
    const state = this.connection.isClosed() ? 'closed' : this.state.kind;
    const data: Record<string, unknown> = { state };
    if (state !== 'closed') data.since = this.state.since.toISOString();
    const server = this.server();
    if (server) data.server = server;
    const info = this.connection.info;
    if (info) {
      if (info.server_name !== undefined) data.serverName = info.server_name;
      if (info.version !== undefined) data.serverVersion = info.version;
      if (info.cluster !== undefined) data.cluster = info.cluster;
      if (info.jetstream !== undefined) data.jetstreamEnabled = info.jetstream;
    }
    data.reconnects = this.reconnects;
    if (this.lameDuckSince) data.lameDuckSince = this.lameDuckSince.toISOString();
    if (this.lastError) {
      data.lastError = this.lastError.code;
      data.lastErrorAt = this.lastError.at.toISOString();
    }
    return data;
  }

  /**
   * One PING / PONG, in milliseconds. A round trip still out from an earlier run (a hung
   * server) is waited for again instead of sending another: a hung server costs one pending
   * PONG on the client, not one per run.
   */
  private async flush(signal: AbortSignal): Promise<number> {
    let trip = this.roundTrip;
    if (!trip) {
      const promise = Promise.resolve().then(() => this.connection.flush());
      trip = { promise, started: performance.now() };
      const current = trip;
      const forget = () => {
        if (this.roundTrip === current) this.roundTrip = undefined;
      };
      promise.then(forget, forget);
      this.roundTrip = trip;
    }
    await abortable(trip.promise, signal);
    return elapsedMs(trip.started);
  }

  private async jetstream(
    signal: AbortSignal,
    timeoutMs: number,
    findings: Findings,
  ): Promise<Record<string, unknown>> {
    // checkAPI: false — no account-info request; each request ends at the check's time budget.
    const managing = this.connection.jetstreamManager?.({ timeout: timeoutMs, checkAPI: false });
    if (!managing) throw new Error('the connection has no jetstreamManager()');
    const jsm = await abortable(managing, signal);
    const { stream, consumer } = this;
    const [streamInfo, consumerInfo] = await Promise.all([
      stream ? abortable(jsm.streams.info(stream.name), signal) : undefined,
      consumer ? abortable(jsm.consumers.info(consumer.stream, consumer.name), signal) : undefined,
    ]);
    const data: Record<string, unknown> = {};
    if (stream && streamInfo) {
      const { messages, bytes, consumer_count, last_seq } = streamInfo.state;
      data.stream = {
        name: stream.name,
        messages,
        bytes,
        consumers: consumer_count,
        lastSeq: last_seq,
      };
      findings.above(`stream ${stream.name}: messages`, messages, stream.messages);
    }
    if (consumer && consumerInfo) {
      const { num_pending, num_ack_pending, num_redelivered, num_waiting } = consumerInfo;
      data.consumer = {
        stream: consumer.stream,
        name: consumer.name,
        pending: num_pending,
        ackPending: num_ack_pending,
        redelivered: num_redelivered,
        waiting: num_waiting,
      };
      const label = `consumer ${consumer.stream}/${consumer.name}`;
      findings
        .above(`${label}: pending`, num_pending, consumer.pending)
        .above(`${label}: ackPending`, num_ack_pending, consumer.ackPending);
    }
    return data;
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Checks a NATS connection you already have (the `nats` client, v2): its state from the
 * client's own status events, with no round trip — `up` while connected; `down` when closed,
 * draining, or disconnected / reconnecting (the message says from which server, since when, and
 * how many reconnect attempts); `degraded` while the server is in lame duck mode. Optionally a
 * `flush()` round trip (`roundTrip: true`, time as `rttMs`), and JetStream stream / consumer info
 * with levels on stored messages and consumer lag.
 *
 * The indicator starts one status iterator on the connection (`connection.status()`) and stops
 * it on {@link BuiltInIndicator.close} (the module calls it when it registered the indicator);
 * a later check starts a new one. It never opens, drains or closes a connection. Calls cannot be
 * cancelled: when the run's signal aborts, the check stops waiting, and a round trip still out
 * is shared by the next runs rather than sent again.
 *
 * `nats` is not imported by the library: pass the connection; no package is loaded.
 *
 * Data: `state` (`connected`, `disconnected`, `reconnecting`, `closed`), `since` (ISO time the
 * state began, or the indicator started watching), `server` (`host:port`), `serverName`,
 * `serverVersion`, `cluster`, `jetstreamEnabled` (from the server's INFO), `reconnects` (since
 * watching), `lameDuckSince`, `lastError` / `lastErrorAt` (the last asynchronous error code
 * the server sent); with `roundTrip`, `rttMs`; with `jetstream`, `jetstream: { stream?: { name,
 * messages, bytes, consumers, lastSeq }, consumer?: { stream, name, pending, ackPending,
 * redelivered, waiting } }`.
 *
 * @param connection - see {@link NatsConnectionLike}. It is never closed by the indicator.
 * @param options - see {@link NatsIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when `connection` has no `status()` / `isClosed()`
 *   / `flush()` (or no `jetstreamManager()` with `jetstream`) or an option is invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, natsIndicator, type NatsConnectionLike } from 'nest-health';
 *
 * declare const nats: NatsConnectionLike; // your NatsConnection: await connect({ servers })
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       indicators: [
 *         natsIndicator(nats, {
 *           roundTrip: true,
 *           rttMs: { degradedAbove: 100 },
 *           jetstream: {
 *             consumer: { stream: 'ORDERS', name: 'billing', pending: { degradedAbove: 1_000 } },
 *           },
 *         }),
 *       ],
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function natsIndicator(
  connection: NatsConnectionLike,
  options?: NatsIndicatorOptions,
): BuiltInIndicator {
  requireArgument(
    'natsIndicator()',
    'connection',
    kindOf(connection),
    hasMethods(connection, 'status', 'isClosed', 'flush'),
    'must be a NATS connection (the nats client, with status(), isClosed() and flush())',
  );
  const { registration, own } = prepareOptions(
    'natsIndicator()',
    NatsIndicatorOptionsSchema,
    options,
    { name: 'nats' },
  );
  if (own.jetstream) {
    requireArgument(
      'natsIndicator()',
      'connection',
      kindOf(connection),
      hasMethods(connection, 'jetstreamManager'),
      'must have jetstreamManager() for the jetstream option',
    );
  }
  return new NatsHealthIndicator(registration, connection, own);
}

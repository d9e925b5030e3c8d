import { IsArray, IsOptional, ValidateBy } from 'class-validator';
import { performance } from 'node:perf_hooks';
import type { HealthCheckContext, HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import { redactSecrets } from '../../engine/sanitize';
import { isPlainObject } from '../../options/option-rules';
import {
  abortable,
  BuiltInHealthIndicator,
  elapsedMs,
  Findings,
  hasMethods,
  IsUpperThreshold,
  kindOf,
  loadOptionalPeer,
  noop,
  onAbort,
  prepareOptions,
  requireArgument,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type LowerThreshold,
  type UpperThreshold,
} from '../core';

/** An amqplib channel, by shape (promise API). */
export interface AmqpChannelLike {
  /**
   * Passive declare: the queue's counts (`messageCount`: messages ready for delivery;
   * `consumerCount`: consumers); fails (and closes the channel) if the queue does not exist.
   */
  checkQueue(queue: string): Promise<{ messageCount: number; consumerCount: number }>;
  /** Closes the channel. */
  close(): Promise<void>;
  /** The channel's 'error' event (a failed `checkQueue` closes the channel with one). */
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

/** An amqplib connection, by shape: what `amqplib.connect()` resolves to (promise API). */
export interface AmqpConnectionLike {
  /** Opens a channel; rejects when the connection is closed. */
  createChannel(): Promise<AmqpChannelLike>;
}

/** A connection the indicator opened itself from a URL. */
interface OwnedConnection extends AmqpConnectionLike {
  close(): Promise<void>;
  on(event: 'error' | 'close', listener: (arg?: unknown) => void): unknown;
  /** amqplib's connection machinery; `stream` is its socket. */
  readonly connection?: { readonly stream?: { destroy(error?: Error): unknown } };
}

/** The part of amqplib the indicator loads for a URL. */
interface AmqplibModule {
  connect(url: string, socketOptions?: Record<string, unknown>): Promise<OwnedConnection>;
}

/**
 * A queue to check, with levels on its counts.
 */
export interface RabbitMqQueueCheck {
  /** The queue's name. It must exist: a missing queue is `down`. */
  name: string;
  /**
   * Levels for the messages ready in the queue (`messages`).
   * @default none
   */
  messages?: UpperThreshold;
  /**
   * Levels for the consumers of the queue, worse when low (`consumers`), e.g.
   * `{ downBelow: 1 }`: down when nothing consumes it.
   * @default none
   */
  consumers?: LowerThreshold;
}

/**
 * Options of {@link rabbitmqIndicator}: the usual indicator options (default name `'rabbitmq'`,
 * default groups `['readiness']`) and its own.
 */
export interface RabbitMqIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * Queues to check: names, or {@link RabbitMqQueueCheck} objects with levels.
   * @default [] (only the connection is checked, by opening and closing a channel)
   */
  queues?: Array<string | RabbitMqQueueCheck>;
  /**
   * Levels for the time to open a channel and check the queues, in milliseconds.
   * @default none (the indicator's `timeoutMs` bounds it)
   */
  responseTimeMs?: UpperThreshold;
}

function validQueueCheck(item: unknown): boolean {
  if (typeof item === 'string') return item.length > 0;
  if (!isPlainObject(item)) return false;
  if (Object.keys(item).some((k) => k !== 'name' && k !== 'messages' && k !== 'consumers')) {
    return false;
  }
  const { name, messages, consumers } = item;
  const level = (v: unknown) =>
    v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);
  const pair = (v: unknown, keys: [string, string]) =>
    v === undefined ||
    (isPlainObject(v) &&
      Object.keys(v).every((k) => keys.includes(k)) &&
      keys.every((k) => level(v[k])));
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    pair(messages, ['degradedAbove', 'downAbove']) &&
    pair(consumers, ['degradedBelow', 'downBelow'])
  );
}

class RabbitMqIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @IsArray({ message: 'must be an array of queue names or { name, messages?, consumers? }' })
  @ValidateBy({
    name: 'isQueueCheckList',
    validator: {
      validate: (value: unknown) => Array.isArray(value) && value.every(validQueueCheck),
      defaultMessage: () =>
        'must be an array of queue names or { name, messages?: { degradedAbove?, downAbove? }, consumers?: { degradedBelow?, downBelow? } } with numbers ≥ 0',
    },
  })
  queues?: Array<string | RabbitMqQueueCheck>;

  @IsOptional()
  @IsUpperThreshold()
  responseTimeMs?: UpperThreshold;
}

/** @internal */
export class RabbitMqHealthIndicator extends BuiltInHealthIndicator {
  /** The connection opened from the URL; dropped when it closes, opened again by a check. */
  private owned?: Promise<OwnedConnection>;
  /** The time budget of the last check, in milliseconds: also what `close()` waits at most. */
  private timeoutMs = 5_000;
  private readonly queues: RabbitMqQueueCheck[];
  private readonly responseTimeMs?: UpperThreshold;

  constructor(
    options: BuiltInIndicator['options'],
    private readonly target:
      | { readonly connection: AmqpConnectionLike }
      | { readonly url: string; readonly amqplib: AmqplibModule },
    settings: Omit<RabbitMqIndicatorOptions, keyof BuiltInIndicatorOptions>,
  ) {
    super('rabbitmq', options);
    this.queues = (settings.queues ?? []).map((q) => (typeof q === 'string' ? { name: q } : q));
    this.responseTimeMs = settings.responseTimeMs;
  }

  async check({ signal, timeoutMs }: HealthCheckContext): Promise<HealthCheckResult> {
    signal.throwIfAborted();
    const started = performance.now();
    if ('connection' in this.target) return this.checkOn(this.target.connection, signal, started);
    this.timeoutMs = timeoutMs;
    const opening = this.ownedConnection(this.target, timeoutMs);
    // A connection of the indicator's own on which a call outlived the deadline is destroyed
    // (its socket), so that nothing waits on it any longer and the next run opens a new one.
    const stopDestroying = onAbort(signal, () => this.destroy(opening));
    try {
      return await this.checkOn(await abortable(opening, signal), signal, started);
    } finally {
      stopDestroying();
    }
  }

  private async checkOn(
    connection: AmqpConnectionLike,
    signal: AbortSignal,
    started: number,
  ): Promise<HealthCheckResult> {
    const data: { responseTimeMs?: number; queues?: Record<string, unknown> } = {};
    const findings = new Findings();
    if (this.queues.length === 0) {
      await this.withChannel(connection, signal, () => Promise.resolve());
    } else {
      const counts = await Promise.all(
        this.queues.map((queue) =>
          this.withChannel(connection, signal, (channel) => channel.checkQueue(queue.name)),
        ),
      );
      data.queues = {};
      this.queues.forEach((queue, index) => {
        const { messageCount, consumerCount } = counts[index];
        (data.queues as Record<string, unknown>)[queue.name] = {
          messages: messageCount,
          consumers: consumerCount,
        };
        findings
          .above(`queue ${queue.name}: messages`, messageCount, queue.messages)
          .below(`queue ${queue.name}: consumers`, consumerCount, queue.consumers);
      });
    }
    data.responseTimeMs = elapsedMs(started);
    return findings.above('responseTimeMs', data.responseTimeMs, this.responseTimeMs).result(data);
  }

  /**
   * Closes the connection of its own: amqplib's `close()` settles only on the broker's answer
   * (never from a hung broker, nor when the connection drops first), so this waits for that or
   * for the connection's 'close' event, and after one check's time budget destroys the socket.
   */
  override async close(): Promise<void> {
    const owned = this.owned;
    this.owned = undefined;
    if (!owned) return;
    const connection = await owned.catch(() => undefined);
    if (!connection) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        destroySocket(connection);
        resolve();
      }, this.timeoutMs);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      connection.on('close', done);
      connection.close().then(done, done);
    });
  }

  /**
   * Forgets a connection of the indicator's own and destroys its socket (at once, or when it
   * opens if it is still opening): amqplib then closes its channels and rejects every call
   * waiting for a reply. amqplib's own `close()` would wait for the broker's answer, which a hung
   * broker never sends.
   */
  private destroy(opening: Promise<OwnedConnection>): void {
    if (this.owned === opening) this.owned = undefined;
    opening.then(destroySocket, noop);
  }

  private ownedConnection(
    target: { readonly url: string; readonly amqplib: AmqplibModule },
    timeoutMs: number,
  ): Promise<OwnedConnection> {
    if (!this.owned) {
      // amqplib's `timeout` bounds the TCP connect and the AMQP handshake and destroys the
      // socket when it passes: a broker that accepts and never answers costs one socket for
      // one run's time budget.
      const opening = target.amqplib.connect(target.url, {
        timeout: timeoutMs,
        clientProperties: { connection_name: `nest-health ${this.options.name}` },
      });
      this.owned = opening;
      const forget = () => {
        if (this.owned === opening) this.owned = undefined;
      };
      opening.then((connection) => {
        // An 'error' without a listener would crash the process; 'close' follows it.
        connection.on('error', noop);
        connection.on('close', forget);
      }, forget);
    }
    return this.owned;
  }

  /**
   * Opens a channel, runs `use` on it, closes it; every step ends at the deadline at the latest.
   * On abort, the channel is closed without waiting: amqplib's `close()` settles only when the
   * broker confirms, and never when the connection goes away first.
   */
  private async withChannel<T>(
    connection: AmqpConnectionLike,
    signal: AbortSignal,
    use: (channel: AmqpChannelLike) => Promise<T>,
  ): Promise<T> {
    const opening = connection.createChannel();
    let channel: AmqpChannelLike;
    try {
      channel = await abortable(opening, signal);
    } catch (error) {
      if (signal.aborted) opening.then(closeWithoutWaiting, noop);
      throw error;
    }
    // A failed checkQueue closes the channel with an 'error' event: without a listener it
    // would crash the process.
    channel.on('error', noop);
    const stopListening = onAbort(signal, () => closeWithoutWaiting(channel));
    let value: T;
    try {
      value = await abortable(use(channel), signal);
    } finally {
      stopListening();
      if (!signal.aborted) await abortable(channel.close(), signal).catch(noop);
    }
    // The close may have outlived the deadline: the run is over, and so is the check.
    signal.throwIfAborted();
    return value;
  }
}

/**
 * Destroys the socket of a connection the indicator opened; amqplib then closes the connection
 * and its channels, and rejects every call waiting for a reply.
 */
function destroySocket(connection: OwnedConnection): void {
  const socket = connection.connection?.stream;
  if (socket) socket.destroy(new Error('destroyed by the health check: the broker did not answer'));
  else void connection.close().catch(noop);
}

function closeWithoutWaiting(channel: AmqpChannelLike): void {
  try {
    void channel.close().catch(noop);
  } catch {
    // already closed
  }
}

/**
 * Checks RabbitMQ: the connection is open (a channel opens), and for each queue in `queues`, its
 * ready messages and consumers (`checkQueue`), with levels.
 *
 * Give it either an amqplib connection you already have (what `amqplib.connect()` resolves to;
 * the indicator opens one short-lived channel per queue and check and never closes your
 * connection), or a URL: it then loads `amqplib` (an optional peer dependency: without it the
 * factory throws `MissingOptionalDependencyError`), opens one connection at the first check,
 * reuses it, opens it again at the next check after it closed, and closes it on
 * {@link BuiltInIndicator.close} (which the module calls when it registered the indicator).
 *
 * Data: `responseTimeMs`; with `queues`, `queues: { <name>: { messages, consumers } }`.
 *
 * @param connection - an amqplib connection ({@link AmqpConnectionLike}) or an `amqp:` /
 *   `amqps:` URL.
 * @param options - see {@link RabbitMqIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when the connection, the URL or an option is
 *   invalid; MissingOptionalDependencyError for a URL when `amqplib` is not installed.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, rabbitmqIndicator } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       indicators: [
 *         rabbitmqIndicator(process.env.AMQP_URL!, {
 *           queues: [
 *             { name: 'orders', messages: { degradedAbove: 1_000 }, consumers: { downBelow: 1 } },
 *           ],
 *         }),
 *       ],
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function rabbitmqIndicator(
  connection: AmqpConnectionLike | string | URL,
  options?: RabbitMqIndicatorOptions,
): BuiltInIndicator {
  const isUrl = typeof connection === 'string' || connection instanceof URL;
  let url: string | undefined;
  if (isUrl) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(connection);
    } catch {
      parsed = undefined;
    }
    requireArgument(
      'rabbitmqIndicator()',
      'connection',
      redactSecrets(String(connection)),
      parsed !== undefined && (parsed.protocol === 'amqp:' || parsed.protocol === 'amqps:'),
      'must be an amqp: or amqps: URL, or an amqplib connection',
    );
    url = String(connection);
  } else {
    requireArgument(
      'rabbitmqIndicator()',
      'connection',
      kindOf(connection),
      hasMethods(connection, 'createChannel'),
      'must be an amqplib connection (with createChannel()) or an amqp: / amqps: URL',
    );
  }
  const { registration, own } = prepareOptions(
    'rabbitmqIndicator()',
    RabbitMqIndicatorOptionsSchema,
    options,
    { name: 'rabbitmq' },
  );
  const target =
    url === undefined
      ? { connection: connection as AmqpConnectionLike }
      : {
          url,
          amqplib: loadOptionalPeer<AmqplibModule>('amqplib', 'rabbitmqIndicator() with a URL'),
        };
  return new RabbitMqHealthIndicator(registration, target, own);
}

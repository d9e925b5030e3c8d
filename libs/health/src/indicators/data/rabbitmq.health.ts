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
    const connection = await abortable(this.connection(timeoutMs), signal);
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

  override async close(): Promise<void> {
    const owned = this.owned;
    this.owned = undefined;
    if (!owned) return;
    const connection = await owned.catch(() => undefined);
    await connection?.close().catch(noop);
  }

  private connection(timeoutMs: number): Promise<AmqpConnectionLike> {
    if ('connection' in this.target) return Promise.resolve(this.target.connection);
    if (!this.owned) {
      // amqplib's `timeout` bounds the TCP connect and the AMQP handshake and destroys the
      // socket when it passes: a broker that accepts and never answers costs one socket for
      // one run's time budget.
      const opening = this.target.amqplib.connect(this.target.url, {
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

  /** Opens a channel, runs `use` on it, closes it; on abort, closes it at once. */
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
      if (signal.aborted) opening.then((late) => late.close().catch(noop), noop);
      throw error;
    }
    // A failed checkQueue closes the channel with an 'error' event: without a listener it
    // would crash the process.
    channel.on('error', noop);
    const stopListening = onAbort(signal, () => void channel.close().catch(noop));
    try {
      return await abortable(use(channel), signal);
    } finally {
      stopListening();
      if (!signal.aborted) await channel.close().catch(noop);
    }
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
 * rabbitmqIndicator(process.env.AMQP_URL!, {
 *   queues: [{ name: 'orders', messages: { degradedAbove: 1_000 }, consumers: { downBelow: 1 } }],
 * });
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

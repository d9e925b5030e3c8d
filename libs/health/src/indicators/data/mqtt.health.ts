import { IsOptional, ValidateBy } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { down, type HealthCheckContext, type HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import { messageFromError } from '../../engine/sanitize';
import { BooleanOption } from '../../options/option-rules';
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
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';

/**
 * An MQTT client, by shape: the `MqttClient` of the `mqtt` package (v4 and v5), as
 * `mqtt.connect()` / `mqtt.connectAsync()` return it. The indicator reads its state flags,
 * listens to its events, and (with a round trip) subscribes, publishes and unsubscribes through
 * it. It never connects, reconnects or ends it.
 */
export interface MqttClientLike {
  /** `true` while the client has a connection the broker acknowledged (CONNACK). */
  readonly connected: boolean;
  /** `true` after it lost its connection, while it tries again every `reconnectPeriod`. */
  readonly reconnecting: boolean;
  /** `true` once `end()` was called (the app is closing the client). */
  readonly disconnecting: boolean;
  /** `true` once `end()` has finished. */
  readonly disconnected?: boolean;
  /**
   * Adds a listener; the indicator uses `connect`, `reconnect`, `offline`, `close`, `end`,
   * `error` and, during a round trip, `message`.
   */
  on(event: string, listener: (...args: never[]) => void): unknown;
  /** Removes a listener added with `on`. */
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  /** Subscribes; `granted[i].qos` is 128 when the broker refused. */
  subscribe(
    topic: string,
    options: { qos: 1 },
    callback: (error: Error | null, granted?: ReadonlyArray<{ qos: number }>) => void,
  ): unknown;
  /** Publishes; the callback runs on PUBACK for QoS 1. */
  publish(
    topic: string,
    message: string,
    options: { qos: 1; retain: false },
    callback: (error?: Error) => void,
  ): unknown;
  /** Unsubscribes; the callback runs on UNSUBACK. */
  unsubscribe(topic: string, callback: (error?: Error) => void): unknown;
}

/**
 * The state of an MQTT client as {@link mqttIndicator} reports it (data `state`):
 *
 * - `connected` — the broker acknowledged the connection;
 * - `connecting` — it has not connected yet and has not failed yet;
 * - `reconnecting` — it lost the connection (or failed to connect) and tries again every
 *   `reconnectPeriod`;
 * - `offline` — it is not connected and does not try again (`reconnectPeriod: 0`);
 * - `closed` — the app called `end()` on it.
 */
export type MqttClientState = 'connected' | 'connecting' | 'reconnecting' | 'offline' | 'closed';

/**
 * Options of {@link mqttIndicator}: the usual indicator options (default name `'mqtt'`, default
 * groups `['readiness']`) and its own.
 */
export interface MqttIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * Also send a message through the broker at each check: subscribe to a topic of the check's
   * own (QoS 1), publish one message to it (QoS 1, not retained), wait until it comes back,
   * unsubscribe. Proves the broker routes messages, not only that the connection is open.
   * @default false, or `true` when `roundTripTopic` is given
   */
  roundTrip?: boolean;
  /**
   * The prefix of the round trip's topics: each check uses `<prefix>/<16 random hex digits>/ping`.
   * The default starts with `$`, so that the app's wildcard subscriptions (`#`, `+/…`) never
   * match it; give another prefix where the broker's ACL does not allow it. It must not hold
   * the wildcards `+` or `#`, nor end with `/`. Setting it turns `roundTrip` on.
   * @default '$nest-health'
   */
  roundTripTopic?: string;
  /**
   * Levels for the round trip (publish until the message is back), in milliseconds.
   * @default none (the indicator's `timeoutMs` bounds it)
   */
  roundTripMs?: UpperThreshold;
}

/** The default prefix of the round trip's topics. */
const DEFAULT_TOPIC_PREFIX = '$nest-health';

function validTopicPrefix(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= 200 &&
    !value.includes('+') &&
    !value.includes('#') &&
    !value.includes(String.fromCharCode(0)) &&
    !value.endsWith('/') &&
    !value.startsWith('$SYS')
  );
}

class MqttIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @BooleanOption()
  roundTrip?: boolean;

  @IsOptional()
  @ValidateBy({
    name: 'isTopicPrefix',
    validator: {
      validate: validTopicPrefix,
      defaultMessage: () =>
        'must be a topic of 1 to 200 characters without "+", "#" or a trailing "/", not under $SYS',
    },
  })
  roundTripTopic?: string;

  @IsOptional()
  @IsUpperThreshold()
  roundTripMs?: UpperThreshold;
}

/**
 * The client's state, from its flags and the events seen. `connected` needs both the flag and
 * the last event: mqtt.js emits `offline` (and `error`) while its `connected` flag is still true
 * when its keepalive gives up, and sets the flag before it emits `connect` once it has replayed
 * its stored messages. Its `reconnecting` flag stays true after the first reconnection.
 */
function stateOf(
  client: MqttClientLike,
  connectedByEvents: boolean,
  everConnected: boolean,
  lostOnce: boolean,
): MqttClientState {
  if (client.disconnecting || client.disconnected === true) return 'closed';
  if (client.connected && connectedByEvents) return 'connected';
  if (client.reconnecting) return 'reconnecting';
  return everConnected || lostOnce ? 'offline' : 'connecting';
}

/** The events the indicator listens to between checks. */
const WATCHED = ['connect', 'reconnect', 'offline', 'close', 'end', 'error'] as const;

/** @internal */
export class MqttHealthIndicator extends BuiltInHealthIndicator {
  private readonly listeners: Record<(typeof WATCHED)[number], (...args: never[]) => void>;
  private watching = false;
  /** Whether the last event seen said connected (`connect`) or not, and when that was. */
  private wasConnected = false;
  private since = Date.now();
  private everConnected = false;
  /** Whether a connection attempt failed or a connection was lost since watching began. */
  private lostOnce = false;
  private reconnectAttempts = 0;
  private lastError?: string;
  private readonly topicPrefix?: string;
  private readonly roundTripMs?: UpperThreshold;

  constructor(
    options: BuiltInIndicator['options'],
    private readonly client: MqttClientLike,
    settings: Omit<MqttIndicatorOptions, keyof BuiltInIndicatorOptions>,
  ) {
    super('mqtt', options);
    const roundTrip = settings.roundTrip ?? settings.roundTripTopic !== undefined;
    this.topicPrefix = roundTrip ? (settings.roundTripTopic ?? DEFAULT_TOPIC_PREFIX) : undefined;
    this.roundTripMs = settings.roundTripMs;
    const lost = () => {
      this.lostOnce = true;
      this.changed(false);
    };
    this.listeners = {
      connect: () => this.changed(true),
      reconnect: () => {
        this.reconnectAttempts += 1;
      },
      offline: lost,
      close: lost,
      end: lost,
      error: (error: unknown) => {
        this.lastError = messageFromError(error);
      },
    };
    this.watch();
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    signal.throwIfAborted();
    this.watch();
    // A connection the flags say is gone is gone, whatever event is still due.
    if (!this.client.connected) this.changed(false);
    const state = stateOf(this.client, this.wasConnected, this.everConnected, this.lostOnce);
    const since = new Date(this.since).toISOString();
    if (state !== 'connected') {
      const data: Record<string, unknown> = { state, since };
      if (this.reconnectAttempts > 0) data.reconnectAttempts = this.reconnectAttempts;
      if (this.lastError !== undefined) data.lastError = this.lastError;
      const cause = this.lastError === undefined ? '' : ` (last error: ${this.lastError})`;
      return down(`${state} since ${since}${cause}`, data);
    }
    const data: Record<string, unknown> = { state, since };
    const findings = new Findings();
    if (this.topicPrefix !== undefined) {
      data.roundTripMs = await this.roundTrip(this.topicPrefix, signal);
      findings.above('roundTripMs', data.roundTripMs as number, this.roundTripMs);
    }
    return findings.result(data);
  }

  /** Stops listening to the client's events; a later check listens again. */
  override close(): Promise<void> {
    if (this.watching) {
      this.watching = false;
      for (const event of WATCHED) this.client.removeListener(event, this.listeners[event]);
    }
    return Promise.resolve();
  }

  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    for (const event of WATCHED) this.client.on(event, this.listeners[event]);
    this.wasConnected = this.client.connected;
    this.everConnected ||= this.wasConnected;
    this.since = Date.now();
  }

  private changed(connected: boolean): void {
    if (connected) this.everConnected = true;
    if (connected === this.wasConnected) return;
    this.wasConnected = connected;
    this.since = Date.now();
    if (connected) {
      this.reconnectAttempts = 0;
      this.lastError = undefined;
    }
  }

  /**
   * Subscribes to a topic of this check's own, publishes one message to it and waits for it.
   * Whatever happens (the message back, an error, the signal), the `message` listener is removed
   * and the topic unsubscribed; after a success the UNSUBACK is awaited too, so that no
   * subscription is left when the check resolves.
   *
   * @returns the time from publishing to the message coming back, in milliseconds.
   */
  private async roundTrip(prefix: string, signal: AbortSignal): Promise<number> {
    const { client } = this;
    const topic = `${prefix}/${randomBytes(8).toString('hex')}/ping`;
    // JSON, in case a `message` listener of the app parses everything it gets.
    const payload = JSON.stringify({ nestHealthPing: topic });
    let unsubscribed: Promise<void> | undefined;
    const elapsed = await new Promise<number>((resolve, reject) => {
      let settled = false;
      let started = 0;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        client.removeListener('message', onMessage);
        stopWaiting();
        // Sent after the SUBSCRIBE even when its SUBACK is still due: the broker handles them
        // in order. Offline, the client queues it, and it has already dropped the topic from
        // the topics it would subscribe to again on reconnecting. It waits for the next turn of
        // the event loop so that the client acknowledges the message (PUBACK) first: sent the
        // other way round, Nagle's algorithm and delayed ACKs hold the UNSUBACK for ~40 ms.
        unsubscribed = new Promise<void>((done, fail) =>
          setImmediate(() => client.unsubscribe(topic, (error) => (error ? fail(error) : done()))),
        );
        unsubscribed.catch(noop);
        settle();
      };
      const onMessage = (received: string, message: Buffer | string) => {
        if (received !== topic || String(message) !== payload) return;
        const ms = elapsedMs(started);
        finish(() => resolve(ms));
      };
      client.on('message', onMessage);
      const stopWaiting = onAbort(signal, () => finish(() => reject(abortReason(signal))));
      if (settled) return;
      client.subscribe(topic, { qos: 1 }, (error, granted) => {
        if (settled) return;
        if (error) {
          finish(() => reject(error));
          return;
        }
        if (granted?.some((grant) => grant.qos > 2)) {
          finish(() => reject(new Error(`the broker refused the subscription to ${topic}`)));
          return;
        }
        started = performance.now();
        client.publish(topic, payload, { qos: 1, retain: false }, (publishError) => {
          if (publishError) finish(() => reject(publishError));
        });
      });
    });
    await abortable(unsubscribed ?? Promise.resolve(), signal);
    return elapsed;
  }
}

/**
 * Checks an MQTT broker through the `mqtt` client the app already has, at no cost by default:
 * the client's own state (`connected`, `reconnecting`, `end()` called) and the events that
 * changed it (`connect`, `reconnect`, `offline`, `close`, `end`, `error`), which the indicator
 * listens to from its creation until {@link BuiltInIndicator.close} (the module calls it when
 * it registered the indicator). Anything but `connected` is `down` at once, saying which state
 * and since when, with the client's last error. It never opens a connection of its own and
 * never connects, reconnects or ends the client (Terminus's MQTT check opened one per check).
 *
 * With `roundTrip` (or `roundTripTopic`), each check also subscribes to a topic of its own,
 * publishes one QoS 1 message to it and times its return (`roundTripMs`), then unsubscribes;
 * nothing is retained. When the run's signal aborts (the deadline), the check rejects at once,
 * stops listening and unsubscribes. The app's own `message` listeners see that message too:
 * its topic is `<roundTripTopic>/<random>/ping`, by default under `$nest-health/`, which
 * wildcard subscriptions do not match but a listener without a topic filter does.
 *
 * A broker that hangs without closing the connection (no packet back, socket open) is seen by
 * the client's keepalive (after about 1.5 × `keepalive` seconds), or by the round trip at the
 * first check. The indicator's `error` listener keeps an `error` event from being thrown while
 * it listens, if the app has no listener of its own.
 *
 * Data: `state` (see {@link MqttClientState}) and `since` (ISO 8601: when the indicator saw the
 * client's connection come or go, or when it began listening); down, also `reconnectAttempts`
 * and `lastError` when there are; with the round trip, `roundTripMs`.
 *
 * @param client - see {@link MqttClientLike}. It is never closed by the indicator.
 * @param options - see {@link MqttIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when `client` is not an MQTT client or an option is
 *   invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, mqttIndicator, type MqttClientLike } from 'nest-health';
 *
 * declare const client: MqttClientLike; // your client: mqtt.connect(process.env.MQTT_URL)
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       indicators: [
 *         mqttIndicator(client, {
 *           roundTrip: true,
 *           roundTripMs: { degradedAbove: 100, downAbove: 1_000 },
 *         }),
 *       ],
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function mqttIndicator(
  client: MqttClientLike,
  options?: MqttIndicatorOptions,
): BuiltInIndicator {
  requireArgument(
    'mqttIndicator()',
    'client',
    kindOf(client),
    hasMethods(client, 'on', 'removeListener', 'subscribe', 'publish', 'unsubscribe') &&
      typeof (client as { connected?: unknown }).connected === 'boolean',
    'must be an MQTT client (the MqttClient of the mqtt package, from mqtt.connect())',
  );
  const { registration, own } = prepareOptions(
    'mqttIndicator()',
    MqttIndicatorOptionsSchema,
    options,
    { name: 'mqtt' },
  );
  return new MqttHealthIndicator(registration, client, own);
}

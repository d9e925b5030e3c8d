import type { HealthStatus, IndicatorStatus } from '../check';
import { HealthModuleError } from '../errors';
import type { OptionProblem } from '../options/validate-options';

/**
 * What happened to one indicator or group, as a notification reports it.
 *
 * - `down`: it went `down`.
 * - `degraded`: it went `degraded` (from `up`, `unknown` or `down`).
 * - `recovered`: it went back `up`.
 */
export type HealthNotificationTransition = 'down' | 'degraded' | 'recovered';

/** One transition (or one reminder of a state that lasts) in a {@link HealthNotification}. */
export interface HealthNotificationEvent {
  /** Which kind of transition this is. */
  readonly transition: HealthNotificationTransition;
  /** `true` when this is a reminder that the subject is still in the state, not a new transition. */
  readonly reminder: boolean;
  /** Whether the subject is an indicator or a group. */
  readonly type: 'indicator' | 'group';
  /** The indicator's or group's name. */
  readonly name: string;
  /** Status before the transition (`unknown` before an indicator's first result). */
  readonly from: IndicatorStatus;
  /** Status after the transition (the current status, for a reminder). */
  readonly to: IndicatorStatus;
  /** ISO-8601 time of the transition (for a reminder: of the transition it reminds of). */
  readonly at: string;
  /** The run's message (sanitized and redacted by the engine), or `null`. */
  readonly message: string | null;
  /** How long the subject had been in the state it left, in milliseconds, or `null` if unknown. */
  readonly previousDurationMs: number | null;
}

/**
 * The message one channel sends: every transition of one batching window that passed the
 * channel's filters. Webhook receivers get exactly this JSON (see `docs/notifications.md`); the
 * other channels render it into their service's format. Versioned: fields are only ever added
 * within a version.
 */
export interface HealthNotification {
  /** Payload version, `1`. */
  readonly version: 1;
  /** Unique id of this message (a UUID); retries of one message keep it, so receivers can dedupe. */
  readonly id: string;
  /** The service's name (the fleet's `service`, else the app's `package.json` name). */
  readonly service: string;
  /** The replica that sent it (the fleet's `instance`, else `os.hostname()`). */
  readonly instance: string;
  /** Worst current status among the subjects of `events` (`down` > `degraded` > `up`). */
  readonly status: HealthStatus;
  /** The transitions, oldest first (at least one). */
  readonly events: readonly HealthNotificationEvent[];
  /** ISO-8601 time the message was built (before the first attempt). */
  readonly createdAt: string;
}

/**
 * A configured destination. The delivery queue calls {@link NotificationChannel.deliver} once per
 * attempt, with a signal that aborts at the channel's per-attempt timeout or at shutdown.
 * @internal
 */
export interface NotificationChannel {
  /** The channel's type: `webhook`, `slack`, `discord`, `teams`, `ntfy` or `email`. */
  readonly type: string;
  /** The channel's name (unique among channels; defaults to its type), used in logs and metrics. */
  readonly name: string;
  /** A description of the destination that is safe to log: never a token, a password or a path secret. */
  readonly target: string;
  /**
   * Sends one message. Resolves once the service accepted it.
   * @throws NotificationDeliveryError for every failure (network, status, timeout), redacted.
   */
  deliver(notification: HealthNotification, signal: AbortSignal): Promise<void>;
  /** Frees what the channel holds (an SMTP pool), at shutdown after the final flush. */
  close?(): Promise<void>;
}

/**
 * A delivery attempt failed. The message never holds the destination's URL, token or password.
 * `retryable` is `true` for network errors, timeouts, 429 and 5xx (and SMTP 4xx), `false` for other
 * 4xx (and SMTP 5xx): retrying those would fail the same way.
 */
export class NotificationDeliveryError extends HealthModuleError {
  /** Always `'NotificationDeliveryError'`, also where a minifier renames the class. */
  override name = 'NotificationDeliveryError';
  /** Whether another attempt may succeed. */
  readonly retryable: boolean;
  /** The HTTP (or SMTP) status the service answered, or `undefined` for a network error or timeout. */
  readonly statusCode: number | undefined;
  /** The delay the service asked for (`Retry-After`), in milliseconds, or `undefined`. */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    details: { retryable: boolean; statusCode?: number; retryAfterMs?: number },
  ) {
    super(message);
    this.retryable = details.retryable;
    this.statusCode = details.statusCode;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * The keys every channel's options share, read by the notifications pipeline (filters, intervals,
 * retries). A channel type's `validate` ignores these and checks only its own keys.
 * @internal
 */
export const COMMON_CHANNEL_KEYS: readonly string[] = [
  'type',
  'name',
  'filter',
  'transitions',
  'sendOnResolved',
  'minimumIntervalMs',
  'reminderIntervalMs',
  'timeoutMs',
  'maxAttempts',
  'queueSize',
];

/** What a channel type gets besides its own options when it is created. @internal */
export interface NotificationChannelContext {
  /** The service's name, as in {@link HealthNotification.service}. */
  readonly service: string;
  /** This replica's name, as in {@link HealthNotification.instance}. */
  readonly instance: string;
}

/**
 * One kind of channel (`webhook`, `slack`, …): checks its own options and builds the channel.
 * The pipeline keeps one of these per `type` value in `channels/index.ts`.
 * @internal
 */
export interface NotificationChannelType {
  /** The `type` value that selects it. */
  readonly type: string;
  /**
   * Checks the channel's own keys of `raw` (everything but {@link COMMON_CHANNEL_KEYS}), also
   * rejecting unknown keys. `prefix` names the channel in problems, e.g.
   * `notifications.channels[2]`, so a problem reads `notifications.channels[2].url`.
   */
  validate(raw: Readonly<Record<string, unknown>>, prefix: string): OptionProblem[];
  /**
   * Builds the channel from options `validate` accepted. May load an optional peer (nodemailer)
   * and then throws `MissingOptionalDependencyError` naming it.
   */
  create(
    raw: Readonly<Record<string, unknown>>,
    context: NotificationChannelContext,
  ): NotificationChannel;
}

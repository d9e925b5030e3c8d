import { hostname } from 'node:os';
import { IsIn, IsOptional, IsString } from 'class-validator';
import {
  compileHealthChangeFilter,
  type CompiledHealthChangeFilter,
} from '../hooks/health-change.filter';
import { appManifest, safeName, type ResolvedFleetOptions } from '../fleet/fleet.options';
import { kindOf } from '../indicators/core/positional';
import {
  BooleanOption,
  InstanceNameOption,
  IntegerInRange,
  isPlainObject,
  SafeNameOption,
  ServiceNameOption,
} from '../options/option-rules';
import {
  validateObjectOption,
  validateOptions,
  type OptionProblem,
} from '../options/validate-options';
import { NOTIFICATION_CHANNEL_TYPES } from './channels';
import {
  COMMON_CHANNEL_KEYS,
  type HealthNotificationTransition,
  type NotificationChannelType,
} from './notification.types';

/** Every transition a channel can be told of, in the order the docs list them. */
export const HEALTH_NOTIFICATION_TRANSITIONS: readonly HealthNotificationTransition[] = [
  'down',
  'degraded',
  'recovered',
];

/**
 * Which indicators and groups a channel is told about: the same shape as `@OnHealthChange()`'s
 * filter. A name or an array of names matches indicators and groups of those names; `{ indicator,
 * group }` matches indicators by the one and groups by the other (a kind left out matches none).
 */
export type HealthNotificationFilter =
  | string
  | readonly string[]
  | {
      /** Indicator name(s) that match; without it, no indicator matches. */
      indicator?: string | readonly string[];
      /** Group name(s) that match; without it, no group matches. */
      group?: string | readonly string[];
    };

/**
 * One channel of the `notifications` option: the keys every channel type shares, and the keys
 * of its `type` (for `webhook`: `url`, `secret`, `headers`; see `docs/notifications.md`).
 *
 * @example `{ type: 'webhook', url: 'https://hooks.example.com/health', secret: process.env.HOOK_SECRET }`
 */
export interface HealthNotificationChannelOptions {
  /** The channel's type: `webhook` (and the other registered types). Required. */
  type: string;
  /**
   * The channel's name, used in logs and metrics (`channel` label); unique among channels.
   * Letters, digits, `.`, `_`, `-`, at most 63 characters.
   * @default the `type`
   */
  name?: string;
  /**
   * The indicators and groups this channel is told about; see {@link HealthNotificationFilter}.
   * @default every indicator and group
   */
  filter?: HealthNotificationFilter;
  /**
   * The transitions this channel is told about: `down`, `degraded`, `recovered` (back to `up`
   * after a `down` or `degraded` the channel was told of). A non-empty array.
   * @default ['down', 'degraded', 'recovered']
   */
  transitions?: readonly HealthNotificationTransition[];
  /**
   * Whether a recovery is sent at all (as Alertmanager's `send_resolved`).
   * @default true
   */
  sendOnResolved?: boolean;
  /**
   * After an alert (`down` or `degraded`) about a subject, no other alert about it is sent for
   * this many milliseconds; if the subject is still not `up` when it ends and the channel was
   * last told something else, the current state is sent then. Integer from 0 (no limit) to
   * 86400000.
   * @default 60000 (one minute)
   */
  minimumIntervalMs?: number;
  /**
   * While a subject stays `down` or `degraded`, a reminder every this many milliseconds after
   * the alert. Integer from 60000 to 604800000, or 0 for none.
   * @default 0 (no reminders)
   */
  reminderIntervalMs?: number;
  /**
   * Deadline of one delivery attempt, in milliseconds. Integer from 100 to 120000.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Most attempts per message (the first one included); retries only follow retryable failures
   * (network errors, timeouts, 429, 5xx). Integer from 1 to 20.
   * @default 5
   */
  maxAttempts?: number;
  /**
   * Most messages waiting for this channel; one more drops the oldest (counted as `dropped`).
   * Integer from 1 to 10000.
   * @default 100
   */
  queueSize?: number;
  /** The keys of the channel's type (`url`, `secret`, `headers` for `webhook`). */
  [key: string]: unknown;
}

/**
 * The `notifications` module option: who is told when an indicator or group goes `down`,
 * `degraded`, or recovers. A reader of the state store's transitions: it never runs a check,
 * never answers a probe and never holds up the engine; deliveries that fail are retried, logged
 * once and counted.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       notifications: {
 *         channels: [
 *           {
 *             type: 'webhook',
 *             url: process.env.HEALTH_WEBHOOK_URL ?? 'https://hooks.example.com/health',
 *             secret: process.env.HEALTH_WEBHOOK_SECRET,
 *             transitions: ['down', 'recovered'],
 *           },
 *         ],
 *       },
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export interface HealthNotificationsOptions {
  /** The channels, at least one, at most 20. */
  channels: HealthNotificationChannelOptions[];
  /**
   * Transitions within this many milliseconds of the first one go out as one message per
   * channel. Integer from 0 (each transition at once) to 300000.
   * @default 2000
   */
  batchWindowMs?: number;
  /**
   * The service named in each message. Letters, digits, `.`, `_`, `-`, at most 100 characters.
   * @default the fleet's `service` with `fleet` set, else the `name` of the app's
   *   `package.json` (without an npm scope), else `"app"`
   */
  service?: string;
  /**
   * This replica's name in each message. Letters, digits, `.`, `_`, `-`, at most 253 characters.
   * @default the fleet's `instance` with `fleet` set, else `os.hostname()`
   */
  instance?: string;
  /**
   * At shutdown, how long the final flush may take, in milliseconds, counted from the start of
   * the shutdown (it runs during `shutdownDelayMs`, and at most this long past it); then what is
   * left is dropped and logged per channel. Integer from 0 to 60000.
   * @default 3000
   */
  shutdownTimeoutMs?: number;
}

/** One channel with every default applied. @internal */
export interface ResolvedNotificationChannelOptions {
  readonly type: string;
  readonly name: string;
  readonly filter: CompiledHealthChangeFilter;
  readonly transitions: ReadonlySet<HealthNotificationTransition>;
  readonly sendOnResolved: boolean;
  readonly minimumIntervalMs: number;
  readonly reminderIntervalMs: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly queueSize: number;
  /** The options as given (the type's own keys included), for `NotificationChannelType.create`. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The `notifications` option with every default applied. @internal */
export interface ResolvedNotificationsOptions {
  readonly channels: readonly ResolvedNotificationChannelOptions[];
  readonly batchWindowMs: number;
  readonly service: string;
  readonly instance: string;
  readonly shutdownTimeoutMs: number;
}

/** Every default of the `notifications` option and of its channels. */
export const HEALTH_NOTIFICATIONS_DEFAULTS = {
  /** Default of {@link HealthNotificationsOptions.batchWindowMs}, in milliseconds. */
  batchWindowMs: 2_000,
  /** Default of {@link HealthNotificationsOptions.shutdownTimeoutMs}, in milliseconds. */
  shutdownTimeoutMs: 3_000,
  /** Default of {@link HealthNotificationChannelOptions.sendOnResolved}. */
  sendOnResolved: true,
  /** Default of {@link HealthNotificationChannelOptions.minimumIntervalMs}, in milliseconds. */
  minimumIntervalMs: 60_000,
  /** Default of {@link HealthNotificationChannelOptions.reminderIntervalMs}: no reminders. */
  reminderIntervalMs: 0,
  /** Default of {@link HealthNotificationChannelOptions.timeoutMs}, in milliseconds. */
  timeoutMs: 10_000,
  /** Default of {@link HealthNotificationChannelOptions.maxAttempts}. */
  maxAttempts: 5,
  /** Default of {@link HealthNotificationChannelOptions.queueSize}, in messages. */
  queueSize: 100,
  /** Most channels. */
  maxChannels: 20,
} as const;

/** The class-validator schema of the top-level keys but `channels`. @internal */
export class HealthNotificationsOptionsSchema {
  @IsOptional()
  @IntegerInRange(0, 300_000, 'milliseconds')
  batchWindowMs?: number;

  @IsOptional()
  @ServiceNameOption()
  service?: string;

  @IsOptional()
  @InstanceNameOption()
  instance?: string;

  @IsOptional()
  @IntegerInRange(0, 60_000, 'milliseconds')
  shutdownTimeoutMs?: number;
}

/** The class-validator schema of a channel's common keys but `filter`. @internal */
export class HealthNotificationChannelSchema {
  @IsString({ message: 'must be a channel type' })
  type!: string;

  @IsOptional()
  @SafeNameOption(63)
  name?: string;

  @IsOptional()
  @IsIn(HEALTH_NOTIFICATION_TRANSITIONS, {
    each: true,
    message: 'must be a non-empty array of "down", "degraded" and "recovered"',
  })
  transitions?: HealthNotificationTransition[];

  @IsOptional()
  @BooleanOption()
  sendOnResolved?: boolean;

  @IsOptional()
  @IntegerInRange(0, 86_400_000, 'milliseconds; 0 for no limit')
  minimumIntervalMs?: number;

  @IsOptional()
  @IntegerInRange(0, 604_800_000, 'milliseconds; 0 for none, else at least 60000')
  reminderIntervalMs?: number;

  @IsOptional()
  @IntegerInRange(100, 120_000, 'milliseconds')
  timeoutMs?: number;

  @IsOptional()
  @IntegerInRange(1, 20)
  maxAttempts?: number;

  @IsOptional()
  @IntegerInRange(1, 10_000)
  queueSize?: number;
}

const NOTIFICATIONS_RULE = 'must be an object of notifications options with channels';
const CHANNELS_RULE = `must be a non-empty array of at most ${HEALTH_NOTIFICATIONS_DEFAULTS.maxChannels} channel objects`;

/**
 * Validates the `notifications` option: the top-level keys, then each channel's common keys,
 * its filter, its `type` (registered in `channels/index.ts`) and the type's own keys.
 *
 * @param types - the channel types by `type`; the registry by default.
 * @returns the problems (named `notifications.channels[1].url` and so on) and the option with
 *   strings converted.
 * @internal
 */
export function validateNotificationsOptions(
  value: unknown,
  types: Readonly<Record<string, NotificationChannelType>> = NOTIFICATION_CHANNEL_TYPES,
): { problems: OptionProblem[]; value: unknown } {
  // Not an object: nothing to take `channels` from; `undefined` is valid, anything else one problem.
  if (!isPlainObject(value)) {
    return validateObjectOption(
      'notifications',
      HealthNotificationsOptionsSchema,
      value,
      NOTIFICATIONS_RULE,
    );
  }
  const { channels, ...rest } = value;
  const validated = validateObjectOption(
    'notifications',
    HealthNotificationsOptionsSchema,
    rest,
    NOTIFICATIONS_RULE,
  );
  const { problems } = validated;
  if (
    !Array.isArray(channels) ||
    channels.length === 0 ||
    channels.length > HEALTH_NOTIFICATIONS_DEFAULTS.maxChannels
  ) {
    const given = Array.isArray(channels) ? `an array of ${channels.length}` : channels;
    problems.push({ option: 'notifications.channels', value: given, allowed: CHANNELS_RULE });
    return { problems, value };
  }
  const names = new Map<string, number>();
  const converted = channels.map((channel: unknown, index) => {
    const prefix = `notifications.channels[${index}]`;
    const checked = validateChannel(channel, prefix, types);
    problems.push(...checked.problems);
    if (checked.problems.length === 0) {
      const name = channelName(checked.value);
      const first = names.get(name);
      if (first !== undefined) {
        problems.push({
          option: `${prefix}.name`,
          value: name,
          allowed: `must be unique: notifications.channels[${first}] is named "${name}" too`,
        });
      } else {
        names.set(name, index);
      }
    }
    return checked.value;
  });
  return { problems, value: { ...(validated.value as object), channels: converted } };
}

function channelName(channel: Readonly<Record<string, unknown>>): string {
  return typeof channel.name === 'string' ? channel.name : String(channel.type);
}

function validateChannel(
  channel: unknown,
  prefix: string,
  types: Readonly<Record<string, NotificationChannelType>>,
): { problems: OptionProblem[]; value: Record<string, unknown> } {
  if (!isPlainObject(channel)) {
    const given = typeof channel === 'object' && channel !== null ? kindOf(channel) : channel;
    return {
      problems: [{ option: prefix, value: given, allowed: 'must be a channel object with type' }],
      value: {},
    };
  }
  const common: Record<string, unknown> = {};
  for (const key of COMMON_CHANNEL_KEYS) {
    if (key !== 'filter' && channel[key] !== undefined) common[key] = channel[key];
  }
  const validated = validateOptions(HealthNotificationChannelSchema, common);
  const problems = validated.problems.map((problem) => ({
    ...problem,
    option: `${prefix}.${problem.option}`,
  }));
  const transitions = channel.transitions;
  if (transitions !== undefined && (!Array.isArray(transitions) || transitions.length === 0)) {
    if (!problems.some((problem) => problem.option === `${prefix}.transitions`)) {
      problems.push({
        option: `${prefix}.transitions`,
        value: transitions,
        allowed: 'must be a non-empty array of "down", "degraded" and "recovered"',
      });
    }
  }
  const reminder = (validated.value as Record<string, unknown>).reminderIntervalMs;
  if (typeof reminder === 'number' && reminder > 0 && reminder < 60_000) {
    problems.push({
      option: `${prefix}.reminderIntervalMs`,
      value: reminder,
      allowed: 'must be 0 (no reminders) or at least 60000 (milliseconds)',
    });
  }
  if (channel.filter !== undefined) {
    const filter = compileHealthChangeFilter(channel.filter);
    if (Array.isArray(filter)) {
      problems.push(
        ...filter.map((problem) => ({ ...problem, option: `${prefix}.${problem.option}` })),
      );
    }
  }
  const value = { ...channel, ...(validated.value as Record<string, unknown>) };
  const type = typeof channel.type === 'string' ? types[channel.type] : undefined;
  if (typeof channel.type === 'string' && type === undefined) {
    const known = Object.keys(types)
      .map((name) => `"${name}"`)
      .join(', ');
    problems.push({
      option: `${prefix}.type`,
      value: channel.type,
      allowed: `must be a registered channel type: ${known}`,
    });
  }
  if (type) problems.push(...type.validate(value, prefix));
  return { problems, value };
}

/**
 * Applies the defaults to a validated `notifications` option; `undefined` when it is not set.
 * `service` and `instance` come from the option, else from the fleet's, else from the app's
 * `package.json` name and the hostname (as the fleet's defaults).
 *
 * @internal
 */
export function resolveNotificationsOptions(
  options: HealthNotificationsOptions | undefined,
  fleet: ResolvedFleetOptions | undefined,
): ResolvedNotificationsOptions | undefined {
  if (options === undefined) return undefined;
  const d = HEALTH_NOTIFICATIONS_DEFAULTS;
  return {
    batchWindowMs: options.batchWindowMs ?? d.batchWindowMs,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? d.shutdownTimeoutMs,
    service: options.service ?? fleet?.service ?? appManifest().name ?? 'app',
    instance: options.instance ?? fleet?.instance ?? safeName(hostname()),
    channels: options.channels.map((channel) => {
      const filter = compileHealthChangeFilter(channel.filter);
      return {
        type: channel.type,
        name: channel.name ?? channel.type,
        filter: Array.isArray(filter) ? {} : filter,
        transitions: new Set(channel.transitions ?? HEALTH_NOTIFICATION_TRANSITIONS),
        sendOnResolved: channel.sendOnResolved ?? d.sendOnResolved,
        minimumIntervalMs: channel.minimumIntervalMs ?? d.minimumIntervalMs,
        reminderIntervalMs: channel.reminderIntervalMs ?? d.reminderIntervalMs,
        timeoutMs: channel.timeoutMs ?? d.timeoutMs,
        maxAttempts: channel.maxAttempts ?? d.maxAttempts,
        queueSize: channel.queueSize ?? d.queueSize,
        raw: channel,
      };
    }),
  };
}

import { IsDefined, IsOptional, IsString, Matches } from 'class-validator';
import type { HealthStatus } from '../../check';
import type { OptionProblem } from '../../options/validate-options';
import { redactUrl, sendHttpNotification } from '../notification-http';
import type {
  HealthNotification,
  NotificationChannel,
  NotificationChannelType,
} from '../notification.types';
import { channelName, isWebhookUrl, REDACTED, validateChannelOptions } from './channel-options';
import { notificationTitle, plainTextLines } from './channel-text';

/**
 * An ntfy channel (`type: 'ntfy'`): publishes to an ntfy topic (ntfy.sh or a self-hosted server)
 * with a plain-text `POST` to the topic URL, as ntfy's publishing guide describes.
 *
 * The body lists each event on its own line (with its message below it), then service, instance
 * and time; it is cut at 4096 bytes (ntfy's default message size limit; past it ntfy would turn
 * the message into an attachment). Headers:
 * - `Title`: the notification's title (RFC 2047-encoded when it holds non-ASCII characters, which
 *   ntfy decodes).
 * - `Priority`, by the worst current status: `down` → `5` (urgent: long vibration bursts, pop-over),
 *   `degraded` → `4` (high), `up` (everything recovered) → `3` (default).
 * - `Tags`, shown as emoji: `rotating_light` 🚨 for `down`, `warning` ⚠️ for `degraded`,
 *   `white_check_mark` ✅ for `up`.
 * - `Authorization`: `Bearer <token>` with `token`, or Basic with `username` and `password`.
 */
export interface NtfyChannelOptions {
  /** Selects this channel type. */
  type: 'ntfy';
  /**
   * The topic URL, e.g. `https://ntfy.sh/orders-alerts-7f3k` (on ntfy.sh the topic name is the
   * only secret: pick one nobody can guess). Never logged nor shown in errors (only its scheme
   * and host are). Required.
   */
  url: string;
  /** An access token (`tk_…`), sent as `Authorization: Bearer <token>`. Not with `username`. */
  token?: string;
  /** A user of the ntfy server (Basic authentication, with `password`). Not with `token`. */
  username?: string;
  /** The password of `username`. Required with `username`. */
  password?: string;
}

/** ntfy priority by worst current status (1 min … 5 max/urgent). @internal */
export const NTFY_PRIORITY: Readonly<Record<HealthStatus, number>> = {
  down: 5,
  degraded: 4,
  up: 3,
};

/** ntfy tags (emoji short codes) by worst current status. @internal */
export const NTFY_TAGS: Readonly<Record<HealthStatus, string>> = {
  down: 'rotating_light',
  degraded: 'warning',
  up: 'white_check_mark',
};

/** ntfy's default message size limit, in bytes. @internal */
export const NTFY_MAX_BODY_BYTES = 4096;

const TOPIC_URL_RULE =
  'must be an absolute http:// or https:// URL of an ntfy topic (https://ntfy.sh/<topic>)';
const SECRET_RULE = 'must be a non-empty string without line breaks';

class NtfyOptionsSchema {
  @IsDefined({ message: `is required: ${TOPIC_URL_RULE}` })
  @IsString({ message: TOPIC_URL_RULE })
  url!: string;

  @IsOptional()
  @IsString({ message: SECRET_RULE })
  @Matches(/^[^\r\n]+$/, { message: SECRET_RULE })
  token?: string;

  @IsOptional()
  @IsString({ message: `${SECRET_RULE}, without ":"` })
  @Matches(/^[^\r\n:]+$/, { message: `${SECRET_RULE}, without ":"` })
  username?: string;

  @IsOptional()
  @IsString({ message: SECRET_RULE })
  @Matches(/^[^\r\n]+$/, { message: SECRET_RULE })
  password?: string;
}

function isTopicUrl(value: unknown): boolean {
  return isWebhookUrl(value) && new URL(value).pathname.length > 1;
}

function validateNtfy(raw: Readonly<Record<string, unknown>>, prefix: string): OptionProblem[] {
  const problems = validateChannelOptions(NtfyOptionsSchema, raw, prefix, [
    'url',
    'token',
    'password',
  ]);
  if (typeof raw.url === 'string' && !isTopicUrl(raw.url)) {
    problems.push({ option: `${prefix}.url`, value: REDACTED, allowed: TOPIC_URL_RULE });
  }
  if (raw.token !== undefined && (raw.username !== undefined || raw.password !== undefined)) {
    problems.push({
      option: `${prefix}.token`,
      value: REDACTED,
      allowed: 'must not be given with username and password (one way to authenticate)',
    });
  }
  if ((raw.username === undefined) !== (raw.password === undefined)) {
    problems.push({
      option: `${prefix}.${raw.username === undefined ? 'username' : 'password'}`,
      value: undefined,
      allowed: 'is required with username and password given together',
    });
  }
  return problems;
}

/** A header value as ntfy reads it: one line; RFC 2047 `B` encoding for non-ASCII text. @internal */
export function ntfyHeaderValue(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ');
  if (/^[\x20-\x7e]*$/.test(line)) return line;
  return `=?UTF-8?B?${Buffer.from(line, 'utf8').toString('base64')}?=`;
}

/** Cuts `text` to at most `maxBytes` of UTF-8, on a character boundary, ending with `…` when cut. */
function truncateBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = Buffer.byteLength('…');
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    out += char;
  }
  return `${out}…`;
}

/** The plain-text body of one notification. @internal */
export function ntfyBody(notification: HealthNotification): string {
  return truncateBytes(plainTextLines(notification).join('\n'), NTFY_MAX_BODY_BYTES);
}

/** The `ntfy` channel type: see {@link NtfyChannelOptions}. @internal */
export const ntfyChannelType: NotificationChannelType = {
  type: 'ntfy',
  validate: validateNtfy,
  create(raw): NotificationChannel {
    const url = new URL(raw.url as string);
    const auth =
      typeof raw.token === 'string'
        ? `Bearer ${raw.token}`
        : typeof raw.username === 'string'
          ? `Basic ${Buffer.from(`${raw.username}:${String(raw.password)}`).toString('base64')}`
          : undefined;
    return {
      type: 'ntfy',
      name: channelName(raw, 'ntfy'),
      target: redactUrl(url),
      deliver: (notification, signal) =>
        sendHttpNotification(
          {
            url,
            headers: {
              'content-type': 'text/plain; charset=utf-8',
              title: ntfyHeaderValue(notificationTitle(notification)),
              priority: String(NTFY_PRIORITY[notification.status]),
              tags: NTFY_TAGS[notification.status],
              ...(auth === undefined ? {} : { authorization: auth }),
            },
            body: ntfyBody(notification),
          },
          signal,
        ),
    };
  },
};

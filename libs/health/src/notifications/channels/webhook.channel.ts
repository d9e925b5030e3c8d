import { isPlainObject } from '../../options/option-rules';
import type { OptionProblem } from '../../options/validate-options';
import { redactUrl, sendHttpNotification } from '../notification-http';
import { HEALTH_SIGNATURE_HEADER, signHealthNotification } from '../notification-signature';
import {
  COMMON_CHANNEL_KEYS,
  type HealthNotification,
  type NotificationChannel,
  type NotificationChannelType,
} from '../notification.types';

/** The `User-Agent` of every HTTP channel's request. @internal */
export const NOTIFICATION_USER_AGENT = 'nest-health-notifications/1';

/** Headers a channel's `headers` may not set: the module sets them. */
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'host',
  HEALTH_SIGNATURE_HEADER.toLowerCase(),
]);

const OWN_KEYS = new Set(['url', 'secret', 'headers']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

/** Whether `value` is an `http:` or `https:` URL. @internal */
export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '';
  } catch {
    return false;
  }
}

/**
 * The `webhook` channel: a `POST` of the {@link HealthNotification} as JSON, exactly, with
 * `Content-Type: application/json`, a `User-Agent` naming the module, the channel's `headers`,
 * and, with a `secret`, `X-Health-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>">` (see `verifyHealthNotificationSignature`). Own keys: `url` (required, `http:` or
 * `https:`, no credentials in it), `secret` (a non-empty string), `headers` (header name → string).
 * @internal
 */
export const webhookChannelType: NotificationChannelType = {
  type: 'webhook',
  validate(raw, prefix) {
    const problems: OptionProblem[] = [];
    for (const key of Object.keys(raw)) {
      if (!OWN_KEYS.has(key) && !COMMON_CHANNEL_KEYS.includes(key)) {
        problems.push({ option: `${prefix}.${key}`, value: '(hidden)', allowed: 'no such option' });
      }
    }
    // The URL and the secret are never echoed: they carry tokens.
    if (!isHttpUrl(raw.url)) {
      problems.push({
        option: `${prefix}.url`,
        value: typeof raw.url === 'string' ? '(hidden)' : raw.url,
        allowed: 'must be an http:// or https:// URL without credentials',
      });
    }
    if (raw.secret !== undefined && (typeof raw.secret !== 'string' || raw.secret === '')) {
      problems.push({
        option: `${prefix}.secret`,
        value: '(hidden)',
        allowed: 'must be a non-empty string',
      });
    }
    const headers = raw.headers;
    if (headers !== undefined) {
      const valid =
        isPlainObject(headers) &&
        Object.entries(headers).every(
          ([name, value]) =>
            HEADER_NAME.test(name) &&
            !RESERVED_HEADERS.has(name.toLowerCase()) &&
            typeof value === 'string' &&
            !/[\r\n]/.test(value),
        );
      if (!valid) {
        problems.push({
          option: `${prefix}.headers`,
          value: '(hidden)',
          allowed:
            'must be an object of header names to single-line strings, without Content-Type, Content-Length, Host or X-Health-Signature',
        });
      }
    }
    return problems;
  },
  create(raw) {
    const url = new URL(raw.url as string);
    const secret = raw.secret as string | undefined;
    const headers = (raw.headers as Record<string, string> | undefined) ?? {};
    const name = typeof raw.name === 'string' ? raw.name : 'webhook';
    return new WebhookChannel(name, url, secret, headers);
  },
};

/** One configured webhook. @internal */
export class WebhookChannel implements NotificationChannel {
  readonly type = 'webhook';
  readonly target: string;

  constructor(
    readonly name: string,
    private readonly url: URL,
    private readonly secret: string | undefined,
    private readonly headers: Readonly<Record<string, string>>,
    private readonly now: () => number = Date.now,
  ) {
    this.target = redactUrl(url);
  }

  async deliver(notification: HealthNotification, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify(notification);
    const headers: Record<string, string> = {
      'User-Agent': NOTIFICATION_USER_AGENT,
      ...this.headers,
      'Content-Type': 'application/json',
    };
    // Signed per attempt: a retry an hour later still passes the receiver's tolerance.
    if (this.secret !== undefined) {
      headers[HEALTH_SIGNATURE_HEADER] = signHealthNotification(body, this.secret, this.now());
    }
    await sendHttpNotification({ url: this.url, headers, body }, signal);
  }
}

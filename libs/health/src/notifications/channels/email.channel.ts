import { IsDefined, IsOptional, IsString, Matches, ValidateBy } from 'class-validator';
import type { HealthStatus } from '../../check';
import { loadOptionalPeer } from '../../indicators/core/optional-peer';
import { IntegerInRange, isPlainObject } from '../../options/option-rules';
import { validateOptions, type OptionProblem } from '../../options/validate-options';
import {
  NotificationDeliveryError,
  type HealthNotification,
  type NotificationChannel,
  type NotificationChannelType,
} from '../notification.types';
import { channelName, REDACTED, validateChannelOptions } from './channel-options';
import {
  eventDetail,
  eventHeadline,
  notificationFooter,
  notificationTitle,
  plainTextLines,
  STATUS_COLOUR,
  TRANSITION_EMOJI,
  truncate,
} from './channel-text';

/**
 * An SMTP server given as an object (the shape nodemailer's SMTP transport takes).
 */
export interface EmailSmtpOptions {
  /** The server's host name or IP address. Required. */
  host: string;
  /**
   * The server's port, 1 to 65535.
   * @default 465 with `secure`, else 587
   */
  port?: number;
  /**
   * `true`: TLS from the start (port 465). `false`: plain, upgraded with STARTTLS when the server
   * offers it.
   * @default false
   */
  secure?: boolean;
  /** Credentials for SMTP AUTH. The password is never logged nor shown in errors. */
  auth?: {
    /** The user name. */
    user: string;
    /** The password. */
    pass: string;
  };
}

/**
 * An email channel (`type: 'email'`): sends each notification as one email through an SMTP
 * server with nodemailer, an optional peer dependency loaded only when an email channel is
 * configured (without it the module fails at boot with `MissingOptionalDependencyError` naming
 * `nodemailer`).
 *
 * The email has a plain-text part (each event on a line, its message below it, then service,
 * instance and time) and a simple HTML part with the same content, every text HTML-escaped. The
 * subject is `subjectPrefix` and the notification's title, e.g.
 * `[health] orders-api: database is down`.
 *
 * Failures: an SMTP 4xx answer (a full mailbox, greylisting) and connection errors are
 * retryable; a 5xx answer (an unknown recipient, refused credentials) is not. Neither the
 * password nor the user appears in errors or in the channel's `target` (`smtp://host:port`).
 */
export interface EmailChannelOptions {
  /** Selects this channel type. */
  type: 'email';
  /**
   * The SMTP server: a URL (`smtp://user:pass@host:587`, `smtps://…:465`; percent-encode special
   * characters of the password) or an {@link EmailSmtpOptions} object. Required.
   */
  smtp: string | EmailSmtpOptions;
  /** The sender, e.g. `"Health <health@example.com>"`. Required. */
  from: string;
  /** The recipient, or recipients (1 to 50). Required. */
  to: string | string[];
  /**
   * Put before the title in the subject. At most 100 characters, no line breaks.
   * @default '[health]'
   */
  subjectPrefix?: string;
}

/** Every default of the email channel. @internal */
export const EMAIL_CHANNEL_DEFAULTS = {
  /** Default of {@link EmailChannelOptions.subjectPrefix}. */
  subjectPrefix: '[health]',
  /** Characters of a subject at most (the title is cut to fit). */
  subjectChars: 200,
} as const;

/** The feature that needs nodemailer, as `MissingOptionalDependencyError` names it. @internal */
export const EMAIL_FEATURE = 'An email notification channel (notifications.channels, type "email")';

/** The part of nodemailer the channel uses (the library's types never import nodemailer). */
interface NodemailerPackage {
  createTransport(options: unknown): MailTransport;
}

interface MailTransport {
  sendMail(message: Record<string, unknown>): Promise<unknown>;
  close(): void;
}

const ADDRESS_RULE = 'must be an email address ("ops@example.com" or "Ops <ops@example.com>")';
const TO_RULE = `must be one address or an array of 1 to 50; each ${ADDRESS_RULE}`;
const SMTP_RULE =
  'must be an smtp:// or smtps:// URL, or { host, port?, secure?, auth?: { user, pass } }';
const PREFIX_RULE = 'must be a string of at most 100 characters without line breaks';
/** SMTP errors of nodemailer that say the message or the configuration is wrong, not the network. */
const FINAL_ERROR_CODES = new Set(['ECONFIG', 'EENVELOPE', 'EMESSAGE', 'EAUTH', 'ENOAUTH']);

function isAddress(value: unknown): boolean {
  return typeof value === 'string' && /^[^\r\n]{1,318}@[^\r\n]{1,255}$/.test(value);
}

class EmailOptionsSchema {
  @IsDefined({ message: `is required: ${SMTP_RULE}` })
  smtp!: unknown;

  @IsDefined({ message: `is required: ${ADDRESS_RULE}` })
  @ValidateBy({
    name: 'isAddress',
    validator: { validate: isAddress, defaultMessage: () => ADDRESS_RULE },
  })
  from!: string;

  @IsDefined({ message: `is required: ${TO_RULE}` })
  @ValidateBy({
    name: 'isAddressList',
    validator: {
      validate: (value: unknown) =>
        isAddress(value) ||
        (Array.isArray(value) && value.length >= 1 && value.length <= 50 && value.every(isAddress)),
      defaultMessage: () => TO_RULE,
    },
  })
  to!: string | string[];

  @IsOptional()
  @IsString({ message: PREFIX_RULE })
  @Matches(/^[^\r\n]{0,100}$/, { message: PREFIX_RULE })
  subjectPrefix?: string;
}

class SmtpAuthSchema {
  @IsString({ message: 'must be a string' })
  user!: string;

  @IsString({ message: 'must be a string' })
  pass!: string;
}

class SmtpSchema {
  @IsString({ message: 'must be a host name or an IP address' })
  @Matches(/^[^\s/]+$/, { message: 'must be a host name or an IP address' })
  host!: string;

  @IsOptional()
  @IntegerInRange(1, 65_535)
  port?: number;

  @IsOptional()
  @ValidateBy({
    name: 'isBooleanFlag',
    validator: {
      validate: (v) => typeof v === 'boolean',
      defaultMessage: () => 'must be a boolean',
    },
  })
  secure?: boolean;

  @IsOptional()
  @ValidateBy({
    name: 'isAuth',
    validator: {
      validate: (v) => isPlainObject(v),
      defaultMessage: () => 'must be { user, pass }',
    },
  })
  auth?: SmtpAuthSchema;
}

function isSmtpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function smtpProblems(smtp: unknown, option: string): OptionProblem[] {
  if (smtp === undefined) return [];
  if (typeof smtp === 'string') {
    return isSmtpUrl(smtp) ? [] : [{ option, value: REDACTED, allowed: SMTP_RULE }];
  }
  if (!isPlainObject(smtp)) return [{ option, value: REDACTED, allowed: SMTP_RULE }];
  const problems = validateOptions(SmtpSchema, smtp).problems;
  if (isPlainObject(smtp.auth)) {
    problems.push(
      ...validateOptions(SmtpAuthSchema, smtp.auth).problems.map((p) => ({
        ...p,
        option: `auth.${p.option}`,
      })),
    );
  }
  return problems.map((p) => ({
    ...p,
    option: `${option}.${p.option}`,
    value: p.option.startsWith('auth') || p.allowed === 'no such option' ? REDACTED : p.value,
  }));
}

function validateEmail(raw: Readonly<Record<string, unknown>>, prefix: string): OptionProblem[] {
  return [
    ...validateChannelOptions(EmailOptionsSchema, raw, prefix, ['smtp']),
    ...smtpProblems(raw.smtp, `${prefix}.smtp`),
  ];
}

/** Escapes text for HTML content and attribute values. @internal */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function hexColour(status: HealthStatus): string {
  return `#${STATUS_COLOUR[status].toString(16).padStart(6, '0')}`;
}

/** The HTML part of one notification's email. @internal */
export function emailHtml(notification: HealthNotification): string {
  const items = notification.events.map((event) => {
    const detail = eventDetail(event);
    const message = event.message
      ? `<br><code style="white-space:pre-wrap">${escapeHtml(event.message)}</code>`
      : '';
    return `<li>${TRANSITION_EMOJI[event.transition]} <strong>${escapeHtml(eventHeadline(event))}</strong>${
      detail ? ` (${escapeHtml(detail)})` : ''
    }${message}</li>`;
  });
  return [
    '<!doctype html>',
    '<html><body style="font-family:sans-serif">',
    `<h2 style="color:${hexColour(notification.status)}">${escapeHtml(notificationTitle(notification))}</h2>`,
    `<ul>${items.join('')}</ul>`,
    `<p style="color:#5f6368;font-size:12px">${escapeHtml(notificationFooter(notification))}</p>`,
    '</body></html>',
  ].join('\n');
}

/** `smtp://host:port` (or `smtps://…`): the server without its credentials. @internal */
export function smtpTarget(smtp: string | EmailSmtpOptions): string {
  if (typeof smtp === 'string') {
    const url = new URL(smtp);
    return `${url.protocol}//${url.host}`;
  }
  const port = smtp.port ?? (smtp.secure ? 465 : 587);
  return `${smtp.secure ? 'smtps' : 'smtp'}://${smtp.host}:${port}`;
}

/** A nodemailer failure as a redacted {@link NotificationDeliveryError}. @internal */
export function smtpDeliveryError(
  error: unknown,
  target: string,
  signal: AbortSignal,
): NotificationDeliveryError {
  const record = (error ?? {}) as { responseCode?: unknown; code?: unknown };
  const responseCode = typeof record.responseCode === 'number' ? record.responseCode : undefined;
  const code = typeof record.code === 'string' && /^E[A-Z_]+$/.test(record.code) ? record.code : '';
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 600) {
    return new NotificationDeliveryError(
      `${target} answered SMTP ${responseCode}${code ? ` (${code})` : ''}`,
      { retryable: responseCode < 500, statusCode: responseCode },
    );
  }
  const reason = signal.aborted ? 'timed out or aborted' : code || 'connection error';
  return new NotificationDeliveryError(`sending through ${target} failed: ${reason}`, {
    retryable: signal.aborted || !FINAL_ERROR_CODES.has(code),
  });
}

/** Rejects with the signal's reason when it aborts before `promise` settles. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The `email` channel type: see {@link EmailChannelOptions}. @internal */
export const emailChannelType: NotificationChannelType = {
  type: 'email',
  validate: validateEmail,
  create(raw): NotificationChannel {
    const nodemailer = loadOptionalPeer<NodemailerPackage>('nodemailer', EMAIL_FEATURE);
    const smtp = raw.smtp as string | EmailSmtpOptions;
    const target = smtpTarget(smtp);
    const transport = nodemailer.createTransport(smtp);
    const prefix =
      typeof raw.subjectPrefix === 'string'
        ? raw.subjectPrefix
        : EMAIL_CHANNEL_DEFAULTS.subjectPrefix;
    return {
      type: 'email',
      name: channelName(raw, 'email'),
      target,
      async deliver(notification, signal) {
        const title = notificationTitle(notification).replace(/[\r\n]+/g, ' ');
        const subject = truncate(
          prefix ? `${prefix} ${title}` : title,
          EMAIL_CHANNEL_DEFAULTS.subjectChars,
        );
        try {
          // nodemailer ≥ 10.5 cancels the send on `signal`; for older ones the race ends the wait.
          await untilAborted(
            transport.sendMail({
              from: raw.from,
              to: raw.to,
              subject,
              text: plainTextLines(notification).join('\n'),
              html: emailHtml(notification),
              signal,
            }),
            signal,
          );
        } catch (error) {
          throw smtpDeliveryError(error, target, signal);
        }
      },
      close() {
        transport.close();
        return Promise.resolve();
      },
    };
  },
};

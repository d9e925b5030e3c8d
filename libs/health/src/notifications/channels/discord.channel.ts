import { IsOptional, IsString, Matches } from 'class-validator';
import type { HealthNotification, HealthNotificationEvent } from '../notification.types';
import {
  eventDetail,
  eventHeadline,
  notificationTitle,
  STATUS_COLOUR,
  transitionCounts,
  TRANSITION_EMOJI,
  truncate,
} from './channel-text';
import { jsonWebhookChannelType, WebhookUrlOptionsSchema } from './json-webhook-channel';

/**
 * A Discord channel (`type: 'discord'`): posts one embed to a Discord webhook.
 *
 * The embed has a title, a description (the counts of each transition), a colour by the worst
 * current status (red `down`, amber `degraded`, green `up`), one field per event (status emoji
 * and subject; what it left and the run's message), a footer (service and instance) and a
 * timestamp. Discord's documented limits are kept: 25 fields, 256 characters in a title or a
 * field name, 1024 in a field value, 6000 in the whole embed (past them the rest of the events are
 * summarised in the last field). Texts are escaped for Discord markdown, and
 * `allowed_mentions: { parse: [] }` keeps a message from pinging `@everyone` or anyone else.
 */
export interface DiscordChannelOptions {
  /** Selects this channel type. */
  type: 'discord';
  /**
   * The webhook URL (`https://discord.com/api/webhooks/<id>/<token>`). A secret: it is never
   * logged nor shown in errors (only its scheme and host are). Required.
   */
  url: string;
  /**
   * The name the message is posted under, 1 to 80 characters.
   * @default the name set on the webhook in Discord
   */
  username?: string;
}

/** Discord's documented embed limits (Discord API reference, "Embed Limits"). @internal */
export const DISCORD_LIMITS = {
  /** Fields in one embed. */
  fields: 25,
  /** Characters in a title. */
  titleChars: 256,
  /** Characters in a description. */
  descriptionChars: 4096,
  /** Characters in a field's name. */
  fieldNameChars: 256,
  /** Characters in a field's value. */
  fieldValueChars: 1024,
  /** Characters in a footer's text. */
  footerChars: 2048,
  /** Characters of title, description, field names and values, footer and author together. */
  totalChars: 6000,
} as const;

const USERNAME_RULE = 'must be a string of 1 to 80 characters';

class DiscordOptionsSchema extends WebhookUrlOptionsSchema {
  @IsOptional()
  @IsString({ message: USERNAME_RULE })
  @Matches(/^[^\r\n]{1,80}$/u, { message: USERNAME_RULE })
  username?: string;
}

/**
 * Escapes Discord markdown: a backslash before every punctuation character that markdown reads
 * (Discord drops a backslash before any punctuation, so the text reads as given).
 * @internal
 */
export function escapeDiscord(text: string): string {
  return text.replace(/[\\`*_~|>#[\]()<:@-]/g, '\\$&');
}

interface DiscordField {
  name: string;
  value: string;
  inline: boolean;
}

function eventField(event: HealthNotificationEvent): DiscordField {
  const detail = eventDetail(event);
  const lines = [detail, event.message].filter((line): line is string => line !== null);
  return {
    name: truncate(
      `${TRANSITION_EMOJI[event.transition]} ${eventHeadline(event)}`,
      DISCORD_LIMITS.fieldNameChars,
    ),
    value: truncate(
      lines.map(escapeDiscord).join('\n') || '\u200b',
      DISCORD_LIMITS.fieldValueChars,
    ),
    inline: false,
  };
}

function fieldChars(field: DiscordField): number {
  return Array.from(field.name).length + Array.from(field.value).length;
}

/** The webhook body of one notification (a plain JSON object). @internal */
export function discordMessage(
  notification: HealthNotification,
  username: string | undefined,
): Record<string, unknown> {
  const title = truncate(notificationTitle(notification), DISCORD_LIMITS.titleChars);
  const description = truncate(
    escapeDiscord(transitionCounts(notification.events)),
    DISCORD_LIMITS.descriptionChars,
  );
  const footer = truncate(
    `${notification.service} · ${notification.instance}`,
    DISCORD_LIMITS.footerChars,
  );
  /** Kept free for the summary field. */
  const summaryReserve = DISCORD_LIMITS.fieldNameChars + DISCORD_LIMITS.fieldValueChars;
  let used = [title, description, footer].reduce((sum, t) => sum + Array.from(t).length, 0);
  const fields: DiscordField[] = [];
  const events = notification.events;
  for (const [index, event] of events.entries()) {
    const field = eventField(event);
    const isLast = index === events.length - 1;
    const room = isLast
      ? fields.length < DISCORD_LIMITS.fields &&
        used + fieldChars(field) <= DISCORD_LIMITS.totalChars
      : fields.length < DISCORD_LIMITS.fields - 1 &&
        used + fieldChars(field) + summaryReserve <= DISCORD_LIMITS.totalChars;
    if (!room) break;
    fields.push(field);
    used += fieldChars(field);
  }
  const rest = events.slice(fields.length);
  if (rest.length > 0) {
    fields.push({
      name: truncate(
        `…and ${rest.length} more (${transitionCounts(rest)})`,
        DISCORD_LIMITS.fieldNameChars,
      ),
      value: truncate(
        escapeDiscord(rest.map((e) => `${e.name} (${e.transition})`).join(', ')),
        DISCORD_LIMITS.fieldValueChars,
      ),
      inline: false,
    });
  }
  return {
    ...(username === undefined ? {} : { username }),
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title,
        description,
        color: STATUS_COLOUR[notification.status],
        fields,
        footer: { text: footer },
        timestamp: notification.createdAt,
      },
    ],
  };
}

/** The `discord` channel type: see {@link DiscordChannelOptions}. @internal */
export const discordChannelType = jsonWebhookChannelType(
  'discord',
  DiscordOptionsSchema,
  (n, raw) => discordMessage(n, typeof raw.username === 'string' ? raw.username : undefined),
);

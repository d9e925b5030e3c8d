import type { HealthNotification, HealthNotificationEvent } from '../notification.types';
import {
  eventDetail,
  eventHeadline,
  notificationFooter,
  notificationTitle,
  transitionCounts,
  TRANSITION_EMOJI,
  truncate,
} from './channel-text';
import { jsonWebhookChannelType, WebhookUrlOptionsSchema } from './json-webhook-channel';

/**
 * A Slack channel (`type: 'slack'`): posts a Block Kit message to a Slack incoming webhook.
 *
 * The message holds a `header` block (the title), one `section` per event (status emoji, subject
 * and transition in bold, what it left and for how long, the run's message quoted) and a
 * `context` block (service, instance, time), plus a `text` fallback that Slack shows in
 * notifications. Slack's documented limits are kept: at most 50 blocks (past 47 events the rest
 * are summarised in one section), 150 characters in a header, 3000 in a section's text. Texts are
 * escaped for mrkdwn (`&`, `<`, `>`), so a message cannot mention `@channel` or forge a link.
 */
export interface SlackChannelOptions {
  /** Selects this channel type. */
  type: 'slack';
  /**
   * The incoming webhook URL (`https://hooks.slack.com/services/T…/B…/…`). A secret: it is never
   * logged nor shown in errors (only its scheme and host are). Required.
   */
  url: string;
}

/** Slack's documented limits (Block Kit reference). @internal */
export const SLACK_LIMITS = {
  /** Blocks in one message. */
  blocks: 50,
  /** Characters in a `header` block's text. */
  headerChars: 150,
  /** Characters in a `section` block's text. */
  sectionChars: 3000,
  /** Characters of the top-level `text` we send (Slack truncates past 40000). */
  fallbackChars: 3000,
} as const;

/** The header and the context around the event sections, and one summary section. */
const EVENT_SECTIONS = SLACK_LIMITS.blocks - 3;

/** Escapes Slack mrkdwn's control characters (Slack's "Escaping text" guide). @internal */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function eventSection(event: HealthNotificationEvent): Record<string, unknown> {
  const detail = eventDetail(event);
  const lines = [
    `${TRANSITION_EMOJI[event.transition]} *${escapeSlack(eventHeadline(event))}*${
      detail ? ` (${escapeSlack(detail)})` : ''
    }`,
  ];
  if (event.message) lines.push(`>${escapeSlack(event.message).replace(/\n/g, '\n>')}`);
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: truncate(lines.join('\n'), SLACK_LIMITS.sectionChars) },
  };
}

/** The Block Kit body of one notification (a plain JSON object). @internal */
export function slackMessage(notification: HealthNotification): Record<string, unknown> {
  const title = notificationTitle(notification);
  const events = notification.events;
  const shown = events.length > EVENT_SECTIONS + 1 ? events.slice(0, EVENT_SECTIONS) : events;
  const rest = events.slice(shown.length);
  const blocks: Record<string, unknown>[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(title, SLACK_LIMITS.headerChars), emoji: true },
    },
    ...shown.map(eventSection),
  ];
  if (rest.length > 0) {
    const names = rest.map((e) => `${e.name} (${e.transition})`).join(', ');
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `…and ${rest.length} more (${transitionCounts(rest)}): ${escapeSlack(names)}`,
          SLACK_LIMITS.sectionChars,
        ),
      },
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      { type: 'mrkdwn', text: truncate(escapeSlack(notificationFooter(notification)), 3000) },
    ],
  });
  return { text: truncate(escapeSlack(title), SLACK_LIMITS.fallbackChars), blocks };
}

/** The `slack` channel type: see {@link SlackChannelOptions}. @internal */
export const slackChannelType = jsonWebhookChannelType('slack', WebhookUrlOptionsSchema, (n) =>
  slackMessage(n),
);

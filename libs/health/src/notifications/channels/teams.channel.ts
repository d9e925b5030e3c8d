import type { HealthStatus } from '../../check';
import type { HealthNotification, HealthNotificationEvent } from '../notification.types';
import {
  eventDetail,
  eventHeadline,
  notificationTitle,
  transitionCounts,
  TRANSITION_EMOJI,
  truncate,
} from './channel-text';
import { jsonWebhookChannelType, WebhookUrlOptionsSchema } from './json-webhook-channel';

/**
 * A Microsoft Teams channel (`type: 'teams'`): posts an Adaptive Card to a Teams Workflows
 * (Power Automate) webhook, the replacement of the retired Office 365 connectors, whose
 * MessageCard format Workflows do not accept.
 *
 * The body is `{ type: 'message', attachments: [{ contentType:
 * 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: <card> }] }`, the card an
 * `AdaptiveCard` of version 1.4 (the highest Teams renders everywhere): a bold title coloured by
 * the worst current status, one `TextBlock` per event (with its message, subtle, below) and a
 * `FactSet` of service, instance and time. At most 30 events are listed (the rest summarised) and
 * each message is cut at 500 characters, keeping the card well under Teams' 28 KB message size.
 * Texts are escaped for the card's markdown.
 */
export interface TeamsChannelOptions {
  /** Selects this channel type. */
  type: 'teams';
  /**
   * The Workflows webhook URL ("When a Teams webhook request is received" trigger; it carries a
   * signature `sig=` in its query). A secret: it is never logged nor shown in errors (only its
   * scheme and host are). Required.
   */
  url: string;
}

/** What a Teams card holds at most. @internal */
export const TEAMS_LIMITS = {
  /** Events listed one by one. */
  events: 30,
  /** Characters of one event's message. */
  messageChars: 500,
} as const;

/** The Adaptive Card version sent. @internal */
export const ADAPTIVE_CARD_VERSION = '1.4';

const TITLE_COLOUR: Readonly<Record<HealthStatus, string>> = {
  down: 'Attention',
  degraded: 'Warning',
  up: 'Good',
};

/**
 * Escapes the markdown an Adaptive Card's `TextBlock` reads with CommonMark backslash escapes:
 * emphasis, code and links anywhere (`\ ` * _ [ ] < >`), lists and headings at a line's start
 * (`-`, `+`, `#`, `1.`); other characters stay as they are, so the text reads as given.
 * @internal
 */
export function escapeTeams(text: string): string {
  return text
    .replace(/[\\`*_[\]<>]/g, '\\$&')
    .replace(/^(\s*)([#+-])/gm, '$1\\$2')
    .replace(/^(\s*\d+)\./gm, '$1\\.');
}

function eventBlocks(event: HealthNotificationEvent): Record<string, unknown>[] {
  const detail = eventDetail(event);
  const blocks: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: `${TRANSITION_EMOJI[event.transition]} **${escapeTeams(eventHeadline(event))}**${
        detail ? ` (${escapeTeams(detail)})` : ''
      }`,
      wrap: true,
      spacing: 'Medium',
    },
  ];
  if (event.message) {
    blocks.push({
      type: 'TextBlock',
      text: escapeTeams(truncate(event.message, TEAMS_LIMITS.messageChars)),
      wrap: true,
      isSubtle: true,
      spacing: 'None',
    });
  }
  return blocks;
}

/** The Workflows webhook body of one notification (a plain JSON object). @internal */
export function teamsMessage(notification: HealthNotification): Record<string, unknown> {
  const events = notification.events;
  const shown =
    events.length > TEAMS_LIMITS.events ? events.slice(0, TEAMS_LIMITS.events - 1) : events;
  const rest = events.slice(shown.length);
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: escapeTeams(notificationTitle(notification)),
      weight: 'Bolder',
      size: 'Medium',
      color: TITLE_COLOUR[notification.status],
      wrap: true,
    },
    ...shown.flatMap(eventBlocks),
  ];
  if (rest.length > 0) {
    body.push({
      type: 'TextBlock',
      text: escapeTeams(
        truncate(
          `…and ${rest.length} more (${transitionCounts(rest)}): ${rest.map((e) => e.name).join(', ')}`,
          TEAMS_LIMITS.messageChars,
        ),
      ),
      wrap: true,
      spacing: 'Medium',
    });
  }
  body.push({
    type: 'FactSet',
    spacing: 'Medium',
    facts: [
      { title: 'Service', value: escapeTeams(notification.service) },
      { title: 'Instance', value: escapeTeams(notification.instance) },
      { title: 'Time', value: notification.createdAt },
    ],
  });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: ADAPTIVE_CARD_VERSION,
          body,
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}

/** The `teams` channel type: see {@link TeamsChannelOptions}. @internal */
export const teamsChannelType = jsonWebhookChannelType('teams', WebhookUrlOptionsSchema, (n) =>
  teamsMessage(n),
);

import type { NotificationChannelType } from '../notification.types';
import { discordChannelType } from './discord.channel';
import { emailChannelType } from './email.channel';
import { ntfyChannelType } from './ntfy.channel';
import { slackChannelType } from './slack.channel';
import { teamsChannelType } from './teams.channel';
import { webhookChannelType } from './webhook.channel';

export type { DiscordChannelOptions } from './discord.channel';
export type { EmailChannelOptions, EmailSmtpOptions } from './email.channel';
export type { NtfyChannelOptions } from './ntfy.channel';
export type { SlackChannelOptions } from './slack.channel';
export type { TeamsChannelOptions } from './teams.channel';

/**
 * Every channel type, by its `type` value: one line per type. The `notifications` option's
 * `type` must be one of these keys. Loading it loads no optional peer: the email channel loads
 * nodemailer only when one is created.
 * @internal
 */
export const NOTIFICATION_CHANNEL_TYPES: Readonly<Record<string, NotificationChannelType>> = {
  webhook: webhookChannelType,
  slack: slackChannelType,
  discord: discordChannelType,
  teams: teamsChannelType,
  ntfy: ntfyChannelType,
  email: emailChannelType,
};

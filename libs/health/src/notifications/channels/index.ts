import type { NotificationChannelType } from '../notification.types';
import { discordChannelType } from './discord.channel';
import { emailChannelType } from './email.channel';
import { ntfyChannelType } from './ntfy.channel';
import { slackChannelType } from './slack.channel';
import { teamsChannelType } from './teams.channel';

export type { DiscordChannelOptions } from './discord.channel';
export type { EmailChannelOptions, EmailSmtpOptions } from './email.channel';
export type { NtfyChannelOptions } from './ntfy.channel';
export type { SlackChannelOptions } from './slack.channel';
export type { TeamsChannelOptions } from './teams.channel';

/**
 * Every channel type, by its `type` value. Loading this map loads no optional peer: the email
 * channel loads nodemailer only when one is created.
 * @internal
 */
export const NOTIFICATION_CHANNEL_TYPES: ReadonlyMap<string, NotificationChannelType> = new Map([
  [slackChannelType.type, slackChannelType],
  [discordChannelType.type, discordChannelType],
  [teamsChannelType.type, teamsChannelType],
  [ntfyChannelType.type, ntfyChannelType],
  [emailChannelType.type, emailChannelType],
]);

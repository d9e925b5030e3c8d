import type { NotificationChannelType } from '../notification.types';
import { webhookChannelType } from './webhook.channel';

/**
 * Every channel type, by its `type` value: one line per type. The `notifications` option's
 * `type` must be one of these keys.
 * @internal
 */
export const NOTIFICATION_CHANNEL_TYPES: Readonly<Record<string, NotificationChannelType>> = {
  webhook: webhookChannelType,
};

import { IsDefined } from 'class-validator';
import type { ClassConstructor } from 'class-transformer';
import { redactUrl, sendHttpNotification } from '../notification-http';
import type {
  HealthNotification,
  NotificationChannel,
  NotificationChannelType,
} from '../notification.types';
import {
  channelName,
  IsWebhookUrl,
  validateChannelOptions,
  WEBHOOK_URL_RULE,
} from './channel-options';

/** The schema of a channel whose only own option is its webhook `url`. @internal */
export class WebhookUrlOptionsSchema {
  @IsDefined({ message: `is required: ${WEBHOOK_URL_RULE}` })
  @IsWebhookUrl()
  url!: string;
}

/**
 * A channel type that POSTs a JSON body rendered from each notification to its `url` (Slack,
 * Discord, Teams): validated by `schema` (`url` redacted in problems), sent with
 * `sendHttpNotification`, shown as `redactUrl(url)`.
 *
 * @param render - the JSON body of one notification, given the channel's options.
 * @internal
 */
export function jsonWebhookChannelType(
  type: string,
  schema: ClassConstructor<WebhookUrlOptionsSchema>,
  render: (
    notification: HealthNotification,
    raw: Readonly<Record<string, unknown>>,
  ) => Record<string, unknown>,
): NotificationChannelType {
  return {
    type,
    validate: (raw, prefix) => validateChannelOptions(schema, raw, prefix, ['url']),
    create(raw): NotificationChannel {
      const url = new URL(raw.url as string);
      return {
        type,
        name: channelName(raw, type),
        target: redactUrl(url),
        deliver: (notification, signal) =>
          sendHttpNotification(
            {
              url,
              headers: { 'content-type': 'application/json; charset=utf-8' },
              body: JSON.stringify(render(notification, raw)),
            },
            signal,
          ),
      };
    },
  };
}

export {
  NotificationDeliveryError,
  type HealthNotification,
  type HealthNotificationEvent,
  type HealthNotificationTransition,
} from './notification.types';
export {
  HEALTH_NOTIFICATIONS_DEFAULTS,
  HEALTH_NOTIFICATION_TRANSITIONS,
  type HealthNotificationsOptions,
  type HealthNotificationChannelOptions,
  type HealthNotificationFilter,
} from './notifications.options';
export type { HealthNotificationOutcome } from './notification-queue';
export { HEALTH_NOTIFICATION_RETRY } from './notification-backoff';
export {
  verifyHealthNotificationSignature,
  HEALTH_SIGNATURE_HEADER,
  HEALTH_SIGNATURE_TOLERANCE_MS,
} from './notification-signature';

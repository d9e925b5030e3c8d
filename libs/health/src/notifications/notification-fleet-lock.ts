import type { FleetConnection } from '../fleet/fleet-connection';
import { fleetKeys } from '../fleet/fleet-keys';
import type { ResolvedFleetOptions } from '../fleet/fleet.options';
import type { HealthNotificationEvent } from './notification.types';
import type { NotificationLock, NotificationLockKind } from './notification-pipeline';
import type { ResolvedNotificationChannelOptions } from './notifications.options';

/** The shortest lifetime of a notification lock, in milliseconds. */
export const NOTIFICATION_LOCK_MIN_TTL_MS = 5_000;

/**
 * The fleet's notification lock: with `fleet` set, the replica that first sets
 * `<prefix>:{<service>}:notify:<channel>:<indicator|group>:<name>:<transition>` (`SET … NX PX`)
 * sends the event, and the others, which saw the same transition within the lock's lifetime,
 * do not. The lifetime is the channel's `minimumIntervalMs` (at least 5 s): within it no replica
 * would send a second alert about the subject anyway. A state held back by the minimum interval
 * and sent at its end uses its own key (`…:held`), and a reminder `…:reminder` for half the
 * reminder interval. Redis away or past `fleet.timeoutMs`: `'unavailable'` (the event is sent).
 * @internal
 */
export function fleetNotificationLock(
  connection: FleetConnection,
  fleet: ResolvedFleetOptions,
): NotificationLock {
  const keys = fleetKeys(fleet.prefix, fleet.service);
  return async (
    channel: ResolvedNotificationChannelOptions,
    event: HealthNotificationEvent,
    kind: NotificationLockKind,
  ) => {
    const redis = connection.redis;
    if (!redis) return 'unavailable';
    const parts = [channel.name, event.type, event.name, event.transition];
    let ttlMs = Math.max(NOTIFICATION_LOCK_MIN_TTL_MS, channel.minimumIntervalMs);
    if (kind === 'reminder') {
      parts.push('reminder');
      ttlMs = Math.max(NOTIFICATION_LOCK_MIN_TTL_MS, Math.floor(channel.reminderIntervalMs / 2));
    } else if (kind === 'held') {
      parts.push('held');
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'unavailable'>((resolve) => {
      timer = setTimeout(() => resolve('unavailable'), fleet.timeoutMs);
    });
    try {
      const set = redis.set(keys.notify(parts), '1', 'PX', ttlMs, 'NX').then(
        (answer) => answer === 'OK',
        () => 'unavailable' as const,
      );
      return await Promise.race([set, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}

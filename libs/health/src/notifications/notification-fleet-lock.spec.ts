import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { FleetConnection } from '../fleet/fleet-connection';
import { resolveFleetOptions } from '../fleet/fleet.options';
import { fleetNotificationLock } from './notification-fleet-lock';
import type { HealthNotificationEvent } from './notification.types';
import { resolveNotificationsOptions } from './notifications.options';

const REDIS_URL = process.env.E2E_REDIS_URL ?? 'redis://127.0.0.1:6379';

const event: HealthNotificationEvent = {
  transition: 'down',
  reminder: false,
  type: 'indicator',
  name: 'database',
  from: 'up',
  to: 'down',
  at: new Date().toISOString(),
  message: null,
  previousDurationMs: null,
};

function setup(url: string) {
  const service = `lock-spec-${randomUUID().slice(0, 8)}`;
  const fleet = resolveFleetOptions({ redis: url, service, instance: 'a', timeoutMs: 500 })!;
  const channel = resolveNotificationsOptions(
    { channels: [{ type: 'webhook', name: 'ops', minimumIntervalMs: 30_000 }] },
    fleet,
  )!.channels[0];
  const client = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  const connection = { redis: client } as unknown as FleetConnection;
  return { service, fleet, channel, client, lock: fleetNotificationLock(connection, fleet) };
}

describe('the fleet notification lock', () => {
  it('lets one replica of three take an event, for the minimum interval, under the service hash tag', async () => {
    const { service, fleet, channel, client, lock } = setup(REDIS_URL);
    try {
      await new Promise((resolve) => client.once('ready', resolve));
      const answers = await Promise.all([
        lock(channel, event, 'transition'),
        lock(channel, event, 'transition'),
        lock(channel, event, 'transition'),
      ]);
      expect(answers.filter((answer) => answer === true)).toHaveLength(1);
      expect(answers.filter((answer) => answer === false)).toHaveLength(2);
      const key = `${fleet.prefix}:{${service}}:notify:ops:indicator:database:down`;
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(20_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
      // Another kind of event about the same subject has a key of its own.
      await expect(lock(channel, event, 'held')).resolves.toBe(true);
      await expect(
        lock(channel, { ...event, transition: 'recovered' }, 'transition'),
      ).resolves.toBe(true);
      await client.del(key, `${key}:held`, key.replace(/down$/, 'recovered'));
    } finally {
      client.disconnect();
    }
  });

  it('answers "unavailable" when Redis cannot be asked, so that the event is sent anyway', async () => {
    const { client, channel, lock } = setup('redis://127.0.0.1:1');
    try {
      await expect(lock(channel, event, 'transition')).resolves.toBe('unavailable');
    } finally {
      client.disconnect();
    }
  });
});

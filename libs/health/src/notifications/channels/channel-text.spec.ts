import { sampleNotification } from '../../../spec-helpers/notification-receiver';
import type { HealthNotificationEvent } from '../notification.types';
import {
  durationText,
  eventDetail,
  eventHeadline,
  notificationTitle,
  transitionCounts,
  truncate,
} from './channel-text';

const [down, degraded, recovered] = sampleNotification().events;

describe('channel text', () => {
  it('says what happened to an indicator or a group, and what it left', () => {
    expect(eventHeadline(down)).toBe('database is down');
    expect(eventHeadline(degraded)).toBe('cache is degraded');
    expect(eventHeadline(recovered)).toBe('group readiness recovered');
    expect(eventDetail(down)).toBe('was up for 5m 3s');
    expect(eventDetail(degraded)).toBe('was up');
    expect(eventDetail({ ...down, from: 'unknown' })).toBe('first result');
  });

  it('says a reminder is one, with the time of the transition it reminds of', () => {
    const reminder: HealthNotificationEvent = { ...down, reminder: true };
    expect(eventHeadline(reminder)).toBe('database is still down');
    expect(eventDetail(reminder)).toBe('since 2026-12-06T19:00:00.000Z');
    expect(eventHeadline({ ...degraded, reminder: true })).toBe('cache is still degraded');
  });

  it('titles one event by itself and more by their counts', () => {
    const notification = sampleNotification();
    expect(notificationTitle({ ...notification, events: [down] })).toBe(
      'orders-api: database is down',
    );
    expect(notificationTitle(notification)).toBe(
      'orders-api: 3 health changes (1 down, 1 degraded, 1 recovered)',
    );
    expect(transitionCounts([recovered, down, recovered])).toBe('1 down, 2 recovered');
  });

  it('writes durations in the two largest units', () => {
    expect([0, 45_000, 303_000, 7_800_000, 273_600_000].map(durationText)).toEqual([
      '0s',
      '45s',
      '5m 3s',
      '2h 10m',
      '3d 4h',
    ]);
  });

  it('cuts by characters (not UTF-16 units), marking the cut', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
    expect(truncate('🔴🔴🔴🔴', 3)).toBe('🔴🔴…');
  });
});

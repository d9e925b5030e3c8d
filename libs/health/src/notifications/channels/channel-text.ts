import type { HealthStatus } from '../../check';
import type { HealthNotification, HealthNotificationEvent } from '../notification.types';

/**
 * The words and symbols every channel renders a notification with, so that Slack, Discord,
 * Teams, ntfy and email say the same thing. Plain text: each channel escapes it for its format.
 * @internal
 */
export const TRANSITION_EMOJI: Readonly<Record<HealthNotificationEvent['transition'], string>> = {
  down: '🔴',
  degraded: '🟡',
  recovered: '🟢',
};

/** Colour by worst current status, as `0xRRGGBB` (Discord) and a hex string (email). @internal */
export const STATUS_COLOUR: Readonly<Record<HealthStatus, number>> = {
  down: 0xd93025,
  degraded: 0xf29900,
  up: 0x1e8e3e,
};

/** Cuts `text` to at most `max` characters (code points), ending with `…` when cut. @internal */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** A duration in words: `45s`, `5m 3s`, `2h 10m`, `3d 4h`. @internal */
export function durationText(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** `database is down`, `group readiness recovered`, `database is still down`. @internal */
export function eventHeadline(event: HealthNotificationEvent): string {
  const subject = event.type === 'group' ? `group ${event.name}` : event.name;
  const state =
    event.transition === 'recovered'
      ? event.reminder
        ? 'is up'
        : 'recovered'
      : `is ${event.reminder ? 'still ' : ''}${event.transition}`;
  return `${subject} ${state}`;
}

/** `was up for 5m 3s` (or `unknown` → `first result`), or `null` when there is nothing to say. @internal */
export function eventDetail(event: HealthNotificationEvent): string | null {
  if (event.reminder) return `since ${event.at}`;
  if (event.from === 'unknown') return 'first result';
  if (event.previousDurationMs === null) return `was ${event.from}`;
  return `was ${event.from} for ${durationText(event.previousDurationMs)}`;
}

/** `2 down, 1 recovered`: how many events of each transition, in a fixed order. @internal */
export function transitionCounts(events: readonly HealthNotificationEvent[]): string {
  return (['down', 'degraded', 'recovered'] as const)
    .map((transition) => [transition, events.filter((e) => e.transition === transition).length])
    .filter(([, count]) => count !== 0)
    .map(([transition, count]) => `${count} ${transition}`)
    .join(', ');
}

/**
 * The one-line title of a notification: `orders-api: database is down` for one event,
 * `orders-api: 3 health changes (2 down, 1 recovered)` for more.
 * @internal
 */
export function notificationTitle(notification: HealthNotification): string {
  const { events, service } = notification;
  if (events.length === 1) return `${service}: ${eventHeadline(events[0])}`;
  return `${service}: ${events.length} health changes (${transitionCounts(events)})`;
}

/** `service orders-api · instance pod-1 · 2026-12-06T19:00:00.000Z`. @internal */
export function notificationFooter(notification: HealthNotification): string {
  return `service ${notification.service} · instance ${notification.instance} · ${notification.createdAt}`;
}

/**
 * A notification as plain-text lines: each event (`database is down (was up for 5m 3s)`) with its
 * message indented below it, a blank line, then the footer. Not escaped: for plain-text bodies.
 * @internal
 */
export function plainTextLines(notification: HealthNotification): string[] {
  const lines = notification.events.flatMap((event) => {
    const detail = eventDetail(event);
    const head = `${eventHeadline(event)}${detail ? ` (${detail})` : ''}`;
    return event.message ? [head, `  ${event.message}`] : [head];
  });
  return [...lines, '', notificationFooter(notification)];
}

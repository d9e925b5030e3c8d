import { randomUUID } from 'node:crypto';
import type { HealthStatus, IndicatorStatus } from '../check';
import type { HealthChangeEvent } from '../engine/health-state.types';
import { matchesHealthChange } from '../hooks/health-change.filter';
import type { NotificationClock, NotificationTimer } from './notification-clock';
import {
  NotificationQueue,
  type HealthNotificationOutcome,
  type NotificationLogger,
} from './notification-queue';
import type {
  HealthNotification,
  HealthNotificationEvent,
  HealthNotificationTransition,
  NotificationChannel,
} from './notification.types';
import type {
  ResolvedNotificationChannelOptions,
  ResolvedNotificationsOptions,
} from './notifications.options';

/**
 * Decides, across replicas, whether this one sends `event` on `channel` (the fleet lock);
 * `'unavailable'` when it could not tell (then it sends).
 * @internal
 */
export type NotificationLock = (
  channel: ResolvedNotificationChannelOptions,
  event: HealthNotificationEvent,
  kind: NotificationLockKind,
) => Promise<boolean | 'unavailable'>;

/**
 * What an event is to the fleet lock: a new transition, a state held back by the minimum
 * interval and sent at its end, or a reminder.
 * @internal
 */
export type NotificationLockKind = 'transition' | 'held' | 'reminder';

/** What the pipeline needs from its surroundings. @internal */
export interface NotificationPipelineDeps {
  readonly clock: NotificationClock;
  readonly random: () => number;
  readonly logger: NotificationLogger;
  readonly report: (channel: string, outcome: HealthNotificationOutcome) => void;
  /** The fleet lock; without one, every event is sent. */
  readonly lock?: NotificationLock;
  /** Called when the lock could not be asked (Redis away): the event is sent anyway. */
  readonly lockUnavailable?: (channel: string) => void;
}

type Told = 'up' | 'down' | 'degraded';

/** One channel's memory of one subject (an indicator or a group). */
interface SubjectMemory {
  /** What the channel last told the receiver about the subject. */
  told: Told;
  /** When the last alert (`down` / `degraded`) about it was sent, in milliseconds. */
  lastAlertAt?: number;
  /** The alert it told, for reminders. */
  alert?: HealthNotificationEvent;
  /** Fires at the end of the minimum interval, to send the state if it was held back. */
  trailing?: NotificationTimer;
  reminder?: NotificationTimer;
}

/** One channel: its options, its channel, its queue, its batch and its subjects. */
interface ChannelSlot {
  readonly options: ResolvedNotificationChannelOptions;
  readonly queue: NotificationQueue;
  readonly subjects: Map<string, SubjectMemory>;
  batch: HealthNotificationEvent[];
  batchTimer?: NotificationTimer;
}

/**
 * The notifications pipeline: turns the state store's transitions into messages, one channel
 * at a time, and hands them to each channel's {@link NotificationQueue}. Synchronous and cheap
 * on the engine's side ({@link accept} only files the event and sets timers); everything slow
 * (the fleet lock, delivery) is asynchronous.
 *
 * Which transitions count: an indicator or a group going `down` or `degraded`, and going back
 * `up` from either (`recovered`). `unknown → up` (an indicator's first result) is not a
 * recovery, and a group transition with a reason of the module's (`starting`, `shutting_down`)
 * is not one at all. Per channel: its filter and `transitions`; a recovery is sent only when the
 * channel told the receiver of the outage (and with `sendOnResolved`); `minimumIntervalMs`
 * holds back another alert about the same subject, sending the state at the interval's end if
 * the receiver would otherwise be left with an outdated one; reminders while it stays down or
 * degraded. Events of one channel within `batchWindowMs` of the first go out as one message.
 * @internal
 */
export class NotificationPipeline {
  private readonly slots: ChannelSlot[];
  /** The current status of each subject and since when (milliseconds), from the changes seen. */
  private readonly current = new Map<string, { status: IndicatorStatus; since: number }>();
  private readonly dispatches = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  private closed = false;
  private lockFailing = false;
  /** Events sent at the end of a minimum interval (see {@link NotificationLockKind}). */
  private readonly held = new WeakSet<HealthNotificationEvent>();

  constructor(
    private readonly options: ResolvedNotificationsOptions,
    channels: readonly NotificationChannel[],
    private readonly deps: NotificationPipelineDeps,
  ) {
    this.slots = options.channels.map((channelOptions, index) => ({
      options: channelOptions,
      queue: new NotificationQueue(
        channels[index],
        {
          timeoutMs: channelOptions.timeoutMs,
          maxAttempts: channelOptions.maxAttempts,
          capacity: channelOptions.queueSize,
        },
        {
          clock: deps.clock,
          random: deps.random,
          logger: deps.logger,
          shutdown: this.shutdown.signal,
          report: deps.report,
        },
      ),
      subjects: new Map(),
      batch: [],
    }));
  }

  /** Each channel's queue depth (waiting and in flight), by channel name. */
  queueDepths(): Record<string, number> {
    return Object.fromEntries(this.slots.map((slot) => [slot.options.name, slot.queue.depth]));
  }

  /** Files one change of the state store. Never throws. */
  accept(change: HealthChangeEvent): void {
    if (this.closed) return;
    const now = this.deps.clock.now();
    const key = subjectKey(change.type, change.name);
    const before = this.current.get(key);
    this.current.set(key, { status: change.current, since: now });
    if (change.type === 'group' && change.reason !== null) return;
    const transition = classify(change.previous, change.current);
    if (!transition) return;
    const event: HealthNotificationEvent = {
      transition,
      reminder: false,
      type: change.type,
      name: change.name,
      from: change.previous,
      to: change.current,
      at: change.since,
      message: change.type === 'indicator' ? change.message : null,
      previousDurationMs: before ? Math.max(0, now - before.since) : null,
    };
    for (const slot of this.slots) {
      if (!matchesHealthChange(slot.options.filter, change)) continue;
      if (!slot.options.transitions.has(transition)) continue;
      this.route(slot, key, event, now);
    }
  }

  /**
   * Forgets an indicator that was unregistered (its timers, what each channel told of it), so
   * that registering and removing indicators at run time does not grow the pipeline. Events of
   * it already in a batch are still sent.
   */
  forget(name: string): void {
    const key = subjectKey('indicator', name);
    this.current.delete(key);
    for (const slot of this.slots) {
      const memory = slot.subjects.get(key);
      if (memory) this.clearTimers(memory);
      slot.subjects.delete(key);
    }
  }

  /** Sends every pending batch now. */
  flush(): void {
    for (const slot of this.slots) this.send(slot);
  }

  /**
   * The final flush: stops taking changes, sends the pending batches, waits for the queues to
   * empty until `deadline` (a promise that resolves when time is up), then aborts what is in
   * flight and drops what waits.
   * @returns the messages dropped, by channel name (channels that dropped none are left out).
   */
  async close(deadline: Promise<void>): Promise<Record<string, number>> {
    this.closed = true;
    for (const slot of this.slots) {
      for (const memory of slot.subjects.values()) this.clearTimers(memory);
    }
    this.flush();
    const idle = (async () => {
      while (this.dispatches.size > 0) await Promise.all([...this.dispatches]);
      await Promise.all(this.slots.map((slot) => slot.queue.idle()));
    })();
    await Promise.race([idle, deadline]);
    const waiting = Object.fromEntries(
      this.slots.map((slot) => [slot.options.name, slot.queue.depth]),
    );
    this.shutdown.abort();
    await Promise.all(this.slots.map((slot) => slot.queue.idle()));
    const dropped: Record<string, number> = {};
    for (const slot of this.slots) {
      const count = waiting[slot.options.name] + slot.queue.dropWaiting();
      if (count > 0) dropped[slot.options.name] = count;
    }
    return dropped;
  }

  private route(slot: ChannelSlot, key: string, event: HealthNotificationEvent, now: number): void {
    let memory = slot.subjects.get(key);
    if (!memory) slot.subjects.set(key, (memory = { told: 'up' }));
    if (event.transition === 'recovered') {
      if (memory.told === 'up') return;
      this.clearTimers(memory);
      memory.told = 'up';
      memory.alert = undefined;
      if (slot.options.sendOnResolved) this.add(slot, event);
      return;
    }
    const status = event.transition as Told;
    if (memory.told === status) return;
    const interval = slot.options.minimumIntervalMs;
    if (memory.lastAlertAt !== undefined && interval > 0 && now - memory.lastAlertAt < interval) {
      if (memory.trailing === undefined) {
        const at = memory.lastAlertAt + interval;
        memory.trailing = this.deps.clock.setTimeout(
          () => this.trailing(slot, key, event),
          Math.max(0, at - now),
        );
      }
      return;
    }
    this.alert(slot, memory, event, now);
  }

  /** At the end of a minimum interval: sends the subject's state if the receiver lacks it. */
  private trailing(slot: ChannelSlot, key: string, held: HealthNotificationEvent): void {
    const memory = slot.subjects.get(key);
    if (!memory || this.closed) return;
    memory.trailing = undefined;
    const current = this.current.get(key)?.status;
    if (current !== 'down' && current !== 'degraded') return;
    if (memory.told === current) return;
    const event: HealthNotificationEvent = {
      ...held,
      transition: current,
      to: current,
    };
    this.held.add(event);
    this.alert(slot, memory, event, this.deps.clock.now());
  }

  private alert(
    slot: ChannelSlot,
    memory: SubjectMemory,
    event: HealthNotificationEvent,
    now: number,
  ): void {
    this.clearTimers(memory);
    memory.told = event.transition as Told;
    memory.lastAlertAt = now;
    memory.alert = event;
    this.add(slot, event);
    this.scheduleReminder(slot, memory);
  }

  private scheduleReminder(slot: ChannelSlot, memory: SubjectMemory): void {
    const every = slot.options.reminderIntervalMs;
    if (every <= 0) return;
    memory.reminder = this.deps.clock.setTimeout(() => {
      memory.reminder = undefined;
      if (this.closed || memory.told === 'up' || !memory.alert) return;
      this.add(slot, { ...memory.alert, reminder: true });
      this.scheduleReminder(slot, memory);
    }, every);
  }

  private clearTimers(memory: SubjectMemory): void {
    if (memory.trailing !== undefined) this.deps.clock.clearTimeout(memory.trailing);
    if (memory.reminder !== undefined) this.deps.clock.clearTimeout(memory.reminder);
    memory.trailing = undefined;
    memory.reminder = undefined;
  }

  /** Adds an event to the channel's batch, which goes out `batchWindowMs` after its first. */
  private add(slot: ChannelSlot, event: HealthNotificationEvent): void {
    slot.batch.push(event);
    if (this.options.batchWindowMs === 0 || this.closed) {
      this.send(slot);
      return;
    }
    slot.batchTimer ??= this.deps.clock.setTimeout(
      () => this.send(slot),
      this.options.batchWindowMs,
    );
  }

  private send(slot: ChannelSlot): void {
    if (slot.batchTimer !== undefined) this.deps.clock.clearTimeout(slot.batchTimer);
    slot.batchTimer = undefined;
    const events = slot.batch;
    if (events.length === 0) return;
    slot.batch = [];
    const createdAt = new Date(this.deps.clock.now()).toISOString();
    const dispatch = this.dispatch(slot, events, createdAt).finally(() =>
      this.dispatches.delete(dispatch),
    );
    this.dispatches.add(dispatch);
  }

  private async dispatch(
    slot: ChannelSlot,
    events: HealthNotificationEvent[],
    createdAt: string,
  ): Promise<void> {
    const kept = this.deps.lock ? await this.locked(slot, events) : events;
    if (kept.length === 0) return;
    const notification: HealthNotification = {
      version: 1,
      id: randomUUID(),
      service: this.options.service,
      instance: this.options.instance,
      status: worstCurrent(kept),
      events: kept,
      createdAt,
    };
    slot.queue.push(notification);
  }

  /** The events this replica won the fleet lock for (all of them when Redis cannot tell). */
  private async locked(
    slot: ChannelSlot,
    events: HealthNotificationEvent[],
  ): Promise<HealthNotificationEvent[]> {
    const lock = this.deps.lock;
    if (!lock) return events;
    const answers = await Promise.all(
      events.map((event) => {
        const kind = event.reminder ? 'reminder' : this.held.has(event) ? 'held' : 'transition';
        return lock(slot.options, event, kind).catch(() => 'unavailable' as const);
      }),
    );
    let unavailable = false;
    const kept = events.filter((_, index) => {
      const answer = answers[index];
      if (answer === 'unavailable') {
        unavailable = true;
        this.deps.lockUnavailable?.(slot.options.name);
      }
      return answer !== false;
    });
    if (unavailable && !this.lockFailing) {
      this.lockFailing = true;
      this.deps.logger.warn(
        `Notifications: the fleet lock is unavailable (Redis); channel "${slot.options.name}" sends without it, so other replicas may send the same transition`,
      );
    } else if (!unavailable && this.lockFailing) {
      this.lockFailing = false;
      this.deps.logger.log('Notifications: the fleet lock is available again');
    }
    return kept;
  }
}

/** The key of a subject in the pipeline's maps. @internal */
export function subjectKey(type: 'indicator' | 'group', name: string): string {
  return `${type}:${name}`;
}

/**
 * Which notification transition a status change is, if any: into `down` or `degraded`, or back
 * to `up` from either. `unknown → up` is a first result, not a recovery.
 * @internal
 */
export function classify(
  previous: IndicatorStatus,
  current: IndicatorStatus,
): HealthNotificationTransition | undefined {
  if (current === 'down' || current === 'degraded') return current;
  if (current === 'up' && (previous === 'down' || previous === 'degraded')) return 'recovered';
  return undefined;
}

const RANK: Record<HealthStatus, number> = { up: 0, degraded: 1, down: 2 };

/** The worst current status among the events' subjects (the last event of each counts). */
function worstCurrent(events: readonly HealthNotificationEvent[]): HealthStatus {
  const latest = new Map<string, IndicatorStatus>();
  for (const event of events) latest.set(subjectKey(event.type, event.name), event.to);
  let worst: HealthStatus = 'up';
  for (const status of latest.values()) {
    const known: HealthStatus = status === 'unknown' ? 'down' : status;
    if (RANK[known] > RANK[worst]) worst = known;
  }
  return worst;
}

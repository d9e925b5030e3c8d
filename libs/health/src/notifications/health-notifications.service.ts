import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { Subject, Subscription, type Observable } from 'rxjs';
import { HealthRegistry } from '../discovery/health.registry';
import { HealthStateStore } from '../engine/health-state.store';
import { FleetConnection } from '../fleet/fleet-connection';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { HealthLogger } from '../logging/health-logger';
import { NOTIFICATION_CHANNEL_TYPES } from './channels';
import { SYSTEM_NOTIFICATION_CLOCK, sleepOn } from './notification-clock';
import { fleetNotificationLock } from './notification-fleet-lock';
import { NotificationPipeline } from './notification-pipeline';
import type { HealthNotificationOutcome } from './notification-queue';
import type { NotificationChannel } from './notification.types';

/** One counted outcome, as {@link HealthNotifications.outcomes} emits it. @internal */
export interface HealthNotificationOutcomeEvent {
  /** The channel's name. */
  readonly channel: string;
  /** What happened; see {@link HealthNotificationOutcome}. */
  readonly outcome: HealthNotificationOutcome | 'lock_unavailable';
}

/**
 * The `notifications` option at work: builds the channels at init (a missing optional peer
 * fails the boot), feeds the state store's transitions to the {@link NotificationPipeline}, and
 * at shutdown sends the pending batches at once (when shutdown begins, Nest's
 * `onModuleDestroy`), lets the queues deliver during `shutdownDelayMs`, then waits at most
 * `notifications.shutdownTimeoutMs` more (`beforeApplicationShutdown`, before the HTTP server
 * closes) and logs what it dropped, per channel.
 * @internal
 */
@Injectable()
export class HealthNotifications
  implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown
{
  private pipeline?: NotificationPipeline;
  private channels: NotificationChannel[] = [];
  private readonly subscription = new Subscription();
  private closing?: Promise<void>;
  private readonly outcomes$ = new Subject<HealthNotificationOutcomeEvent>();

  /** Every counted outcome, for the metrics. */
  readonly outcomes: Observable<HealthNotificationOutcomeEvent> = this.outcomes$.asObservable();

  /** Created by Nest's injector. @internal */
  constructor(
    private readonly state: HealthStateStore,
    private readonly registry: HealthRegistry,
    private readonly connection: FleetConnection,
    private readonly logger: HealthLogger,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {}

  /** The channels' names, in the order configured (none when notifications are off). */
  get channelNames(): string[] {
    return this.options.notifications?.channels.map((channel) => channel.name) ?? [];
  }

  /** Each channel's queue depth (messages waiting and in flight), by channel name. */
  queueDepths(): Record<string, number> {
    return this.pipeline?.queueDepths() ?? {};
  }

  /**
   * Builds the channels and starts reading the transitions.
   * @throws MissingOptionalDependencyError when a channel's type needs a peer that is missing.
   */
  onModuleInit(): void {
    const notifications = this.options.notifications;
    if (!notifications) return;
    const context = { service: notifications.service, instance: notifications.instance };
    this.channels = notifications.channels.map((channel) =>
      NOTIFICATION_CHANNEL_TYPES[channel.type].create(
        { ...channel.raw, name: channel.name },
        context,
      ),
    );
    const fleet = this.options.fleet;
    this.pipeline = new NotificationPipeline(notifications, this.channels, {
      clock: SYSTEM_NOTIFICATION_CLOCK,
      random: Math.random,
      logger: this.logger,
      report: (channel, outcome) => this.outcomes$.next({ channel, outcome }),
      lock: fleet ? fleetNotificationLock(this.connection, fleet) : undefined,
      lockUnavailable: (channel) => this.outcomes$.next({ channel, outcome: 'lock_unavailable' }),
    });
    const pipeline = this.pipeline;
    this.subscription.add(
      this.state.changes.subscribe((change) => {
        try {
          pipeline.accept(change);
        } catch (error) {
          // A bug here must never reach the engine.
          this.logger.error(`Notifications: a transition could not be filed (${String(error)})`);
        }
      }),
    );
    this.subscription.add(
      this.registry.events.subscribe((event) => {
        if (event.type === 'removed') pipeline.forget(event.definition.name);
      }),
    );
  }

  /** Shutdown began: the pending batches go out now. */
  onModuleDestroy(): void {
    this.pipeline?.flush();
  }

  /**
   * After `shutdownDelayMs`, before the HTTP server closes: waits for the queues to empty, at
   * most `notifications.shutdownTimeoutMs`, then drops the rest and logs it per channel.
   */
  beforeApplicationShutdown(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  /** Closes the channels (an SMTP pool) after the final flush. */
  async onApplicationShutdown(): Promise<void> {
    await this.beforeApplicationShutdown();
    this.outcomes$.complete();
    await Promise.all(
      this.channels.map((channel) =>
        channel.close ? channel.close().catch(() => undefined) : Promise.resolve(),
      ),
    );
  }

  private async close(): Promise<void> {
    const pipeline = this.pipeline;
    if (!pipeline) return;
    this.subscription.unsubscribe();
    const timeoutMs = this.options.notifications?.shutdownTimeoutMs ?? 0;
    const stop = new AbortController();
    const deadline = sleepOn(SYSTEM_NOTIFICATION_CLOCK, timeoutMs, stop.signal);
    const dropped = await pipeline.close(deadline);
    stop.abort();
    for (const [channel, count] of Object.entries(dropped)) {
      this.logger.warn(
        `Notifications: shutting down; channel "${channel}" dropped ${count} undelivered message(s) after ${timeoutMs} ms`,
      );
    }
  }
}

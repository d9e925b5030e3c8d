import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { HealthStateStore } from '../engine/health-state.store';
import type { HealthChangeEvent } from '../engine/health-state.types';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { HealthHistory } from '../history/health-history.service';
import { HealthLogger } from '../logging/health-logger';
import { FleetConnection, type FleetMulti } from './fleet-connection';
import { withDeadline } from './fleet-deadline';
import { fleetKeys, type FleetKeys } from './fleet-keys';
import { fleetSnapshotJson, type FleetIdentity } from './fleet-snapshot';
import type { ResolvedFleetOptions } from './fleet.options';

/** One publish, as {@link FleetPublisher.publishes} reports it. @internal */
export interface FleetPublishEvent {
  /** Whether Redis took it within the deadline. */
  readonly ok: boolean;
  /** Milliseconds from sending to the reply (or to the deadline). */
  readonly durationMs: number;
}

/** A transition waiting to be appended to the stream: its fields, in order. */
type TransitionFields = string[];

/** Most transitions kept while Redis is away, to append when it is back (the oldest go first). */
const MAX_PENDING_TRANSITIONS = 100;

/** At shutdown, removing the replica's keys waits at most this long (and at most `timeoutMs`). */
const LEAVE_DEADLINE_MS = 500;

/**
 * Publishes this replica's state to Redis (the `fleet` option): on every change of its state
 * (the changes of one turn in one publish) and at least every `publishIntervalMs`, each publish
 * one `MULTI` (one round trip): the snapshot with its TTL, the replica's score in the index, the
 * index's stale members past `retentionMs` dropped, the transitions appended to the capped
 * stream, and the lifetimes of the index and the stream renewed.
 *
 * Fire and forget: a publish never delays anything of the replica's own. One publish is in flight
 * at a time; changes meanwhile are folded into the next. A publish past `timeoutMs` counts as
 * failed (logged once until one succeeds again; counted in the metrics); transitions that did
 * not go out are kept (at most 100) for the next. At shutdown it publishes `terminating` as
 * soon as readiness turns down, and at close removes its keys (waiting at most 500 ms), so a
 * hung Redis never holds up the shutdown.
 *
 * @internal
 */
@Injectable()
export class FleetPublisher
  implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  private fleet?: ResolvedFleetOptions;
  private keys?: FleetKeys;
  private identity?: FleetIdentity;
  private seq = 0;
  private inFlight?: Promise<void>;
  private dirty = false;
  private scheduled = false;
  private terminating = false;
  private closed = false;
  private failing = false;
  private joined = false;
  private pending: TransitionFields[] = [];
  private timer?: NodeJS.Timeout;
  private subscription?: Subscription;
  private stopReady?: () => void;
  private readonly publishes$ = new Subject<FleetPublishEvent>();

  /** Every publish's outcome, for the metrics. */
  readonly publishes: Observable<FleetPublishEvent> = this.publishes$.asObservable();

  /** Created by Nest's injector. @internal */
  constructor(
    private readonly state: HealthStateStore,
    private readonly connection: FleetConnection,
    private readonly logger: HealthLogger,
    @Inject(HEALTH_RESOLVED_OPTIONS) options: ResolvedHealthModuleOptions,
    private readonly history: HealthHistory,
  ) {
    this.fleet = options.fleet;
  }

  /** Starts publishing once the app has started (its first snapshot, a `joined` transition). */
  onApplicationBootstrap(): void {
    const fleet = this.fleet;
    if (!fleet || !this.connection.redis) return;
    this.keys = fleetKeys(fleet.prefix, fleet.service);
    this.identity = {
      service: fleet.service,
      instance: fleet.instance,
      version: fleet.version,
      startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    };
    this.subscription = this.state.changes.subscribe((change) => this.changed(change));
    this.stopReady = this.connection.onceReady(() => this.schedule());
    this.timer = setInterval(() => this.schedule(), fleet.publishIntervalMs);
    this.timer.unref();
    this.schedule();
  }

  /**
   * Shutdown began (Nest's first shutdown hook, beside the one that turns readiness down):
   * publishes `terminating` at once.
   */
  onModuleDestroy(): void {
    this.markTerminating();
  }

  /** Removes this replica's keys (bounded), then closes the module's own connections. */
  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.subscription?.unsubscribe();
    this.stopReady?.();
    try {
      await this.leave();
    } finally {
      this.publishes$.complete();
      this.connection.close();
    }
  }

  /** Publishes done and failed since start. */
  readonly counts = { published: 0, failed: 0 };

  private markTerminating(): void {
    if (this.terminating || !this.keys) return;
    this.terminating = true;
    this.queue(this.instanceFields('terminating', 'joined'));
    this.schedule();
  }

  private changed(change: HealthChangeEvent): void {
    if (this.state.isShuttingDown()) this.markTerminating();
    this.queue([
      'kind',
      change.type,
      'name',
      change.name,
      'previous',
      change.previous,
      'current',
      change.current,
      'since',
      change.since,
      ...(change.type === 'indicator' && change.message !== null
        ? ['message', change.message]
        : []),
    ]);
    this.schedule();
  }

  private instanceFields(current: string, previous: string): TransitionFields {
    const instance = this.fleet?.instance ?? '';
    return [
      'kind',
      'instance',
      'name',
      instance,
      'previous',
      previous,
      'current',
      current,
      'since',
      new Date().toISOString(),
    ];
  }

  private queue(fields: TransitionFields): void {
    this.pending.push(fields);
    if (this.pending.length > MAX_PENDING_TRANSITIONS) this.pending.shift();
  }

  /** Publishes soon: the changes of this turn (an indicator's and its groups') go out together. */
  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.publish();
    });
  }

  private publish(): void {
    if (this.closed) return;
    if (this.inFlight) {
      this.dirty = true;
      return;
    }
    const redis = this.connection.redis;
    const fleet = this.fleet;
    const keys = this.keys;
    if (!redis || !fleet || !keys || !this.identity) return;
    // The module's own connection is still making its first connection: the publish goes out
    // when it is ready (a failed connection is 'reconnecting', and counts as a failure).
    if (this.connection.firstConnecting) return;
    if (!this.joined) {
      this.joined = true;
      this.pending.unshift(this.instanceFields('joined', ''));
    }
    const transitions = this.pending;
    this.pending = [];
    const now = new Date();
    this.seq += 1;
    const json = fleetSnapshotJson(
      this.identity,
      this.state.snapshot(),
      this.seq,
      this.terminating,
      now,
      this.history.enabled ? (name) => this.uptimeOf(name, now.getTime()) : undefined,
    );
    const multi = redis
      .multi()
      .set(keys.instance(fleet.instance), json, 'PX', fleet.ttlMs)
      .zadd(keys.index, now.getTime(), fleet.instance)
      .zremrangebyscore(keys.index, '-inf', now.getTime() - fleet.retentionMs)
      .pexpire(keys.index, fleet.retentionMs);
    appendTransitions(multi, keys, fleet, transitions);
    const started = performance.now();
    this.inFlight = this.settle(multi, started, transitions).finally(() => {
      this.inFlight = undefined;
      if (this.dirty) {
        this.dirty = false;
        this.schedule();
      }
    });
  }

  /** One check's uptime over 1 h and 24 h, for the snapshot. */
  private uptimeOf(name: string, now: number) {
    const uptime = this.history.summary(name, now)?.uptime;
    if (!uptime) return undefined;
    return { uptime1hPercent: uptime['1h'].up, uptime24hPercent: uptime['24h'].up };
  }

  /**
   * Waits for the transaction, at most `timeoutMs` for the outcome; the next publish still waits
   * for the transaction itself to settle, so that a hung Redis never gets a pile of them.
   */
  private async settle(
    multi: FleetMulti,
    started: number,
    transitions: TransitionFields[],
  ): Promise<void> {
    const fleet = this.fleet!;
    const sent = execChecked(multi);
    const outcome = await withDeadline(sent, fleet.timeoutMs);
    const durationMs = performance.now() - started;
    if (outcome.ok) {
      this.counts.published += 1;
      this.publishes$.next({ ok: true, durationMs });
      if (this.failing) {
        this.failing = false;
        this.logger.log('Fleet: publishing to Redis again');
      }
      return;
    }
    this.counts.failed += 1;
    this.publishes$.next({ ok: false, durationMs });
    // Kept for the next publish, in order, before the ones that came meanwhile; `joined` is
    // made again by the next publish that goes out.
    const kept = transitions.filter((fields) => !isJoined(fields));
    if (kept.length < transitions.length) this.joined = false;
    this.pending = [...kept, ...this.pending].slice(-MAX_PENDING_TRANSITIONS);
    if (!this.failing) {
      this.failing = true;
      this.logger.warn(
        `Fleet: publishing to Redis failed (${outcome.reason}); retrying every ${fleet.publishIntervalMs} ms. This replica's own probes are not affected`,
      );
    }
    // The deadline passed: wait for the transaction itself before the next one.
    if (outcome.timedOut) await sent.catch(() => undefined);
  }

  /** Deletes this replica's snapshot and index entry and appends `left`, within the deadline. */
  private async leave(): Promise<void> {
    const redis = this.connection.redis;
    const fleet = this.fleet;
    const keys = this.keys;
    if (!redis || !fleet || !keys) return;
    const multi = redis.multi().del(keys.instance(fleet.instance)).zrem(keys.index, fleet.instance);
    appendTransitions(multi, keys, fleet, [
      ...this.pending,
      this.instanceFields('left', this.terminating ? 'terminating' : 'joined'),
    ]);
    this.pending = [];
    const outcome = await withDeadline(
      execChecked(multi),
      Math.min(fleet.timeoutMs, LEAVE_DEADLINE_MS),
    );
    if (!outcome.ok) {
      this.logger.warn(
        `Fleet: could not remove this replica's keys (${outcome.reason}); they expire after ${fleet.ttlMs} ms`,
      );
    }
  }
}

/** Whether the fields are this replica's `joined` transition. */
function isJoined(fields: TransitionFields): boolean {
  return fields[1] === 'instance' && fields[7] === 'joined';
}

function appendTransitions(
  multi: FleetMulti,
  keys: FleetKeys,
  fleet: ResolvedFleetOptions,
  transitions: readonly TransitionFields[],
): void {
  if (transitions.length === 0) return;
  for (const fields of transitions) {
    multi.xadd(
      keys.transitions,
      'MAXLEN',
      '~',
      fleet.maxTransitions,
      '*',
      'instance',
      fleet.instance,
      ...fields,
    );
  }
  multi.pexpire(keys.transitions, fleet.retentionMs);
}

/** Runs the transaction; a command's own error (in the reply) fails it too. */
async function execChecked(multi: FleetMulti): Promise<void> {
  const replies = await multi.exec();
  if (replies === null) throw new Error('the transaction was aborted');
  const failed = replies.find(([error]) => error !== null)?.[0];
  if (failed) throw failed;
}

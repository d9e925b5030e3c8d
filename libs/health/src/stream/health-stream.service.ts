import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { HealthStateStore } from '../engine/health-state.store';
import type {
  GroupState,
  HealthChangeEvent,
  HealthSnapshot,
  IndicatorState,
} from '../engine/health-state.types';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { toCheckDetails, type HealthCheckDetails } from '../answers/health-response';
import { HealthShutdown } from '../shutdown/health-shutdown';
import { endStream, HEARTBEAT_FRAME, listenerOf, SSE_HEADERS, sseFrame } from './sse-fanout';
import type { StreamResponse } from './stream-response';

export type { StreamResponse } from './stream-response';

/** What a subscriber asked for. */
export interface StreamSubscription {
  /** Only this group and its members. */
  readonly group?: string;
  /** Also a full snapshot every this many milliseconds. */
  readonly intervalMs?: number;
  /** Whether messages and data may be shown to this caller. */
  readonly admitted: boolean;
}

/** The `data` of a `snapshot` event. */
export interface HealthStreamSnapshot {
  readonly status: HealthSnapshot['status'];
  readonly timestamp: string;
  readonly checks: Readonly<Record<string, HealthCheckDetails | { readonly status: string }>>;
  readonly groups: Readonly<Record<string, { status: string; since: string; reason?: string }>>;
}

/** The `data` of a `change` event. */
export type HealthStreamChange =
  | {
      readonly kind: 'indicator';
      readonly name: string;
      readonly previous: string;
      readonly current: string;
      readonly since: string;
      readonly message?: string;
      readonly durationMs: number | null;
      readonly groups: Readonly<Record<string, string>>;
      readonly check: HealthCheckDetails | { readonly status: string };
    }
  | {
      readonly kind: 'group';
      readonly name: string;
      readonly previous: string;
      readonly current: string;
      readonly since: string;
      readonly reason?: string;
    };

/**
 * One open stream. A class, so that every subscriber has the same few fields in one hidden class,
 * and no closure of its own: the service's listeners and timers are shared, and find the
 * subscriber from the response they are called for.
 */
class Subscriber {
  /** The socket is backed up: nothing is written until it drains, then one fresh snapshot. */
  behind = false;
  /** A frame was left out while it was behind (a heartbeat does not count). */
  missed = false;
  /** The timer of `?interval` snapshots, if asked for. */
  snapshots?: NodeJS.Timeout;

  constructor(
    readonly response: StreamResponse,
    /** Only this group and its members. */
    readonly group: string | undefined,
    /** Whether messages and data may be shown to this caller. */
    readonly admitted: boolean,
  ) {}
}

/**
 * Server-Sent Events of the health state, with the semantics of gRPC's health `Watch`: the
 * current state first (a `snapshot` event), then a `change` event for every effective transition
 * of an indicator or a group. Every subscriber reads the one state store: a subscriber never
 * makes a check run.
 *
 * The fan-out is built for thousands of subscribers: one subscription to the state store for all
 * of them, each change serialized once into a frame written as it is to every subscriber's
 * response (the changes of one turn — an indicator's and its groups' — in one write), one
 * heartbeat timer for all. What the service keeps per subscriber is one small record, with no
 * closure or listener of its own (one `close` listener function serves every response, as a
 * listener's `this` is its emitter) and a timer only for `?interval`, so that a subscriber costs
 * little more than Node's own connection. A slow client never makes the server buffer without bound: once its socket is
 * backed up nothing more is written to it, and when it drains it gets one fresh snapshot (the
 * latest state wins), as grpc-go's health server keeps only the latest status per watcher.
 *
 * @internal
 */
@Injectable()
export class HealthStreamService implements OnModuleInit, OnApplicationShutdown {
  private readonly subscribers = new Map<StreamResponse, Subscriber>();
  private nextId = 0;
  private pending: Array<{ readonly change: HealthChangeEvent; readonly id: number }> = [];
  private changes?: Subscription;
  private closing?: Subscription;
  private heartbeat?: NodeJS.Timeout;
  /** Every response's `close` listener: the client left. */
  private readonly onResponseClose = listenerOf((response) => this.remove(response));
  /** A backed-up response drained: it gets one fresh snapshot. */
  private readonly onResponseDrain = listenerOf((response) => this.drained(response));
  /** A subscriber's `?interval` timer (the subscriber is the timer's argument). */
  private readonly writeSnapshot = (subscriber: Subscriber): void =>
    this.write(subscriber, this.snapshotFrame(subscriber));

  constructor(
    private readonly state: HealthStateStore,
    private readonly shutdown: HealthShutdown,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {}

  onModuleInit(): void {
    this.changes = this.state.changes.subscribe((change) => this.broadcast(change));
    // Every stream ends when the shutdown delay is over, so that none holds up the close.
    this.closing = this.shutdown.closing.subscribe(() => this.closeAll());
  }

  /** Streams stay open through the shutdown delay; `closing` ends them before the server closes. */
  onApplicationShutdown(): void {
    this.changes?.unsubscribe();
    this.closing?.unsubscribe();
    this.closeAll();
  }

  /** Subscribers connected now. */
  get count(): number {
    return this.subscribers.size;
  }

  /** Whether one more subscriber is allowed (`stream.maxSubscribers`). */
  hasRoom(): boolean {
    return this.subscribers.size < this.options.stream.maxSubscribers;
  }

  /**
   * Streams to `response` until the client leaves or the app shuts down: writes the headers and
   * the first snapshot (with the client's `retry` delay) at once.
   */
  open(response: StreamResponse, request: StreamSubscription): void {
    // The client left while the request was being decided on: no 'close' will come for it.
    if (response.destroyed) return;
    if (this.shutdown.phase === 'closing') {
      response.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '5' });
      response.end();
      return;
    }
    const subscriber = new Subscriber(response, request.group, request.admitted);
    this.subscribers.set(response, subscriber);
    response.on('close', this.onResponseClose);
    response.writeHead(200, SSE_HEADERS);
    // Headers go out on their own: the client learns at once that the stream is open, and the
    // head Node keeps for as long as the response lives is then one flat string, rather than the
    // tree of pieces it was built from, as it stays when the head goes out joined to the first
    // event (0.3 to 0.6 KB less per subscriber, measured with heap snapshots).
    response.flushHeaders();
    // The client's reconnection delay and the first snapshot, in the first write.
    this.write(
      subscriber,
      `retry: ${this.options.stream.retryMs}\n${this.snapshotFrame(subscriber)}`,
    );
    if (request.intervalMs !== undefined) {
      subscriber.snapshots = setInterval(this.writeSnapshot, request.intervalMs, subscriber);
      subscriber.snapshots.unref();
    }
    this.heartbeat ??= this.startHeartbeat();
  }

  private startHeartbeat(): NodeJS.Timeout {
    const timer = setInterval(() => {
      for (const subscriber of this.subscribers.values()) this.write(subscriber, HEARTBEAT_FRAME);
    }, this.options.stream.heartbeatMs);
    timer.unref();
    return timer;
  }

  private remove(response: StreamResponse): void {
    const subscriber = this.subscribers.get(response);
    if (!subscriber) return;
    this.subscribers.delete(response);
    clearInterval(subscriber.snapshots);
    response.removeListener('close', this.onResponseClose);
    if (this.subscribers.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  private closeAll(): void {
    for (const response of [...this.subscribers.keys()]) {
      this.remove(response);
      endStream(response);
    }
  }

  /**
   * Queues a change; the changes of one turn (an indicator's, then its groups') go out together
   * in one write per subscriber, at the end of the turn.
   */
  private broadcast(change: HealthChangeEvent): void {
    if (this.subscribers.size === 0) return;
    this.pending.push({ change, id: ++this.nextId });
    if (this.pending.length === 1) queueMicrotask(() => this.flush());
  }

  /**
   * Writes the queued changes: each serialized once per kind of caller, and the text of one
   * subscriber built once per kind of subscriber (admitted or not, and its group filter).
   */
  private flush(): void {
    const changes = this.pending;
    this.pending = [];
    const frames = new Map<HealthChangeEvent, { admitted?: string; anonymous?: string }>();
    const texts = new Map<string, string>();
    for (const subscriber of this.subscribers.values()) {
      const key = `${subscriber.admitted ? 'a' : 'n'}:${subscriber.group ?? ''}`;
      let text = texts.get(key);
      if (text === undefined) {
        text = '';
        for (const { change, id } of changes) {
          if (!concerns(change, subscriber.group)) continue;
          let serialized = frames.get(change);
          if (!serialized) frames.set(change, (serialized = {}));
          const kind = subscriber.admitted ? 'admitted' : 'anonymous';
          serialized[kind] ??= sseFrame('change', id, changeData(change, subscriber.admitted));
          text += serialized[kind];
        }
        texts.set(key, text);
      }
      if (text) this.write(subscriber, text);
    }
  }

  /** Writes a frame, unless the subscriber is behind; marks it behind when its socket backs up. */
  private write(subscriber: Subscriber, text: string): void {
    const { response } = subscriber;
    if (response.writableEnded || response.destroyed) return;
    if (subscriber.behind) {
      if (text !== HEARTBEAT_FRAME) subscriber.missed = true;
      return;
    }
    // false: the frame is buffered past the high-water mark (a frame larger than it does that
    // too, however fast the client reads); what comes next waits for the drain.
    if (response.write(text)) return;
    subscriber.behind = true;
    response.once('drain', this.onResponseDrain);
  }

  /**
   * The socket drained: a catch-up snapshot if a frame was left out meanwhile, else nothing (the
   * client has every frame; a snapshot larger than the high-water mark written on every drain
   * would make the next drain write another, without end).
   */
  private drained(response: StreamResponse): void {
    const subscriber = this.subscribers.get(response);
    if (!subscriber) return;
    subscriber.behind = false;
    if (!subscriber.missed) return;
    subscriber.missed = false;
    this.write(subscriber, this.snapshotFrame(subscriber));
  }

  private snapshotFrame(subscriber: Subscriber): string {
    const { group, admitted } = subscriber;
    const snapshot = this.state.snapshot();
    const checks: Record<string, HealthCheckDetails | { status: string }> = {};
    for (const [name, check] of Object.entries(snapshot.checks)) {
      if (group === undefined || check.groups.includes(group)) {
        checks[name] = showCheck(check, admitted);
      }
    }
    const groups: Record<string, { status: string; since: string; reason?: string }> = {};
    for (const [name, state] of Object.entries(snapshot.groups)) {
      if (group === undefined || name === group) groups[name] = showGroup(state);
    }
    const data: HealthStreamSnapshot = {
      status: group === undefined ? snapshot.status : (snapshot.groups[group]?.status ?? 'down'),
      timestamp: snapshot.timestamp,
      checks,
      groups,
    };
    return sseFrame('snapshot', ++this.nextId, data);
  }
}

function changeData(change: HealthChangeEvent, admitted: boolean): HealthStreamChange {
  if (change.type === 'group') {
    return {
      kind: 'group',
      name: change.name,
      previous: change.previous,
      current: change.current,
      since: change.since,
      ...(change.reason ? { reason: change.reason } : {}),
    };
  }
  return {
    kind: 'indicator',
    name: change.name,
    previous: change.previous,
    current: change.current,
    since: change.since,
    ...(admitted && change.message !== null ? { message: change.message } : {}),
    durationMs: change.durationMs,
    groups: change.groups,
    check: showCheck(change.state, admitted),
  };
}

function concerns(change: HealthChangeEvent, group: string | undefined): boolean {
  if (group === undefined) return true;
  return change.type === 'group' ? change.name === group : change.state.groups.includes(group);
}

function showCheck(
  state: IndicatorState,
  admitted: boolean,
): HealthCheckDetails | { status: IndicatorState['status'] } {
  return admitted ? toCheckDetails(state) : { status: state.status };
}

function showGroup(state: GroupState): { status: string; since: string; reason?: string } {
  return state.reason
    ? { status: state.status, since: state.since, reason: state.reason }
    : { status: state.status, since: state.since };
}

import { Inject, Injectable, type MessageEvent } from '@nestjs/common';
import { Observable, filter, takeUntil, tap } from 'rxjs';
import { HealthStateStore } from '../engine/health-state.store';
import type {
  GroupState,
  HealthChangeEvent,
  HealthSnapshot,
  IndicatorState,
} from '../engine/health-state.types';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { toCheckDetails, type HealthCheckDetails } from '../http/health-response';
import { HealthShutdown } from '../shutdown/health-shutdown';

/** A comment-only event; Nest writes it as `: heartbeat` with no data, id or type. */
const HEARTBEAT = { comment: 'heartbeat' } as MessageEvent;

/** The response of one subscriber (a Node `ServerResponse`): enough to see back-pressure. */
export interface StreamSink {
  readonly writableNeedDrain: boolean;
  readonly socket?: { destroySoon(): unknown } | null;
  once(event: 'drain' | 'finish', listener: () => void): unknown;
  removeListener(event: 'drain' | 'finish', listener: () => void): unknown;
}

/** What a subscriber asked for. */
export interface StreamSubscription {
  /** Only this group and its members. */
  readonly group?: string;
  /** Also a full snapshot every this many milliseconds. */
  readonly intervalMs?: number;
  /** Whether messages and data may be shown to this caller. */
  readonly admitted: boolean;
  /** The subscriber's response, for back-pressure. */
  readonly sink: StreamSink;
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
 * Server-Sent Events of the health state, with the semantics of gRPC's health `Watch`: the
 * current state first (a `snapshot` event), then a `change` event for every effective transition
 * of an indicator or a group. Every subscriber reads the one state store: a subscriber never
 * makes a check run.
 *
 * A slow client never makes the server buffer without bound: while its socket is backed up, no
 * event is queued for it; when it drains, it gets one fresh snapshot (the latest state wins), as
 * grpc-go's health server keeps only the latest status per watcher.
 *
 * @internal
 */
@Injectable()
export class HealthStreamService {
  private nextId = 0;
  private readonly serializedChanges = new WeakMap<
    HealthChangeEvent,
    { admitted?: string; anonymous?: string }
  >();
  private active = 0;

  constructor(
    private readonly state: HealthStateStore,
    private readonly shutdown: HealthShutdown,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {}

  /** Subscribers connected now. */
  get subscribers(): number {
    return this.active;
  }

  /** Whether one more subscriber is allowed (`stream.maxSubscribers`). */
  hasRoom(): boolean {
    return this.active < this.options.stream.maxSubscribers;
  }

  /**
   * The events of one subscriber. Subscribing counts it; unsubscribing (the client left, or
   * the app shuts down) releases its timers and listeners.
   */
  events(request: StreamSubscription): Observable<MessageEvent> {
    const { group, intervalMs, admitted, sink } = request;
    const { heartbeatMs, retryMs } = this.options.stream;
    const source = new Observable<MessageEvent>((subscriber) => {
      this.active++;
      let behind = false;
      const onDrain = () => {
        behind = false;
        subscriber.next(this.snapshotEvent(group, admitted));
      };
      const send = (event: () => MessageEvent) => {
        if (behind) return;
        if (sink.writableNeedDrain) {
          behind = true;
          sink.once('drain', onDrain);
          return;
        }
        subscriber.next(event());
      };

      subscriber.next({ ...this.snapshotEvent(group, admitted), retry: retryMs });
      const changes = this.state.changes
        .pipe(filter((change) => concerns(change, group)))
        .subscribe((change) => send(() => this.changeEvent(change, admitted)));
      const snapshots = intervalMs
        ? setInterval(() => send(() => this.snapshotEvent(group, admitted)), intervalMs)
        : undefined;
      snapshots?.unref();
      const heartbeat = setInterval(() => {
        // A comment line (": heartbeat"): clients ignore it, proxies see traffic.
        if (!behind && !sink.writableNeedDrain) subscriber.next(HEARTBEAT);
      }, heartbeatMs);
      heartbeat.unref();

      return () => {
        this.active--;
        changes.unsubscribe();
        clearInterval(snapshots);
        clearInterval(heartbeat);
        sink.removeListener('drain', onDrain);
      };
    });
    // Every stream completes when the shutdown delay is over, so none holds up the close. Its
    // connection is closed too once the response has ended: an EventSource keeps it alive, and
    // Node's server.close() would otherwise wait for its keep-alive timeout (5 s by default).
    return source.pipe(
      takeUntil(
        this.shutdown.closing.pipe(
          tap(() => {
            // Read now: Node detaches the socket from the response before 'finish' listeners.
            const socket = sink.socket;
            sink.once('finish', () => socket?.destroySoon());
          }),
        ),
      ),
    );
  }

  private snapshotEvent(group: string | undefined, admitted: boolean): MessageEvent {
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
    return { type: 'snapshot', id: String(++this.nextId), data };
  }

  /**
   * A change event. Its data is serialized once per change (and per kind of caller), not once
   * per subscriber: with thousands of subscribers, serializing dominates the fan-out.
   */
  private changeEvent(change: HealthChangeEvent, admitted: boolean): MessageEvent {
    let serialized = this.serializedChanges.get(change);
    if (!serialized) this.serializedChanges.set(change, (serialized = {}));
    const key = admitted ? 'admitted' : 'anonymous';
    serialized[key] ??= JSON.stringify(changeData(change, admitted));
    return { type: 'change', id: String(++this.nextId), data: serialized[key] };
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

import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { HealthShutdown } from '../shutdown/health-shutdown';
import type { StreamResponse } from '../stream/stream-response';
import { SseFanout, sseFrame } from '../stream/sse-fanout';
import { FleetConnection, type FleetRedis, type XReadReply } from './fleet-connection';
import { fleetKeys } from './fleet-keys';
import { FleetReader, FleetUnavailableError } from './fleet-reader';
import { withheldInstance, withheldFleetView, withheldTransition } from './fleet-shown';
import type {
  FleetInstanceEvent,
  FleetInstanceView,
  FleetTransition,
  FleetView,
} from './fleet.types';

/** Whether a subscriber is admitted to details. */
type Audience = 'admitted' | 'withheld';

/** Milliseconds one `XREAD BLOCK` waits for entries before it is sent again. */
const BLOCK_MS = 5_000;

/** Milliseconds before a blocking reader that failed is made again. */
const RECONNECT_MS = 1_000;

/** After a transition, the view is read again this many milliseconds later (once per burst). */
const REREAD_AFTER_MS = 50;

/**
 * The fleet stream (`GET /<path>/fleet/stream`): a `snapshot` event (the fleet view) on connect,
 * then a `transition` event for every transition any replica appends to the fleet's Redis
 * Stream, read by one `XREAD BLOCK` loop per process on a connection of its own, and an
 * `instance` event whenever the view of a replica changes in a way its transitions do not say
 * (stale, back, gone), from a read of the view every `publishIntervalMs` while anyone listens.
 * When Redis goes away the subscribers get the last view once, marked `available: false`, and a
 * fresh snapshot when it is back. Nothing runs while nobody listens. The rules of the local
 * stream hold: one reader for every subscriber, latest-view-wins for a slow client, heartbeats,
 * the subscriber limit, and every stream ends when the shutdown delay is over.
 *
 * @internal
 */
@Injectable()
export class FleetStreamService implements OnModuleInit, OnApplicationShutdown {
  private readonly fanout: SseFanout<Audience>;
  private nextId = 0;
  private running = false;
  private blocking?: FleetRedis;
  private poll?: NodeJS.Timeout;
  private reread?: NodeJS.Timeout;
  private reconnect?: NodeJS.Timeout;
  private current?: FleetView;
  private closingSubscription?: Subscription;
  private closed = false;

  /** Created by Nest's injector. @internal */
  constructor(
    private readonly reader: FleetReader,
    private readonly connection: FleetConnection,
    private readonly shutdown: HealthShutdown,
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
  ) {
    this.fanout = new SseFanout<Audience>(
      options.stream.heartbeatMs,
      options.stream.retryMs,
      (audience) => this.snapshotFrame(audience),
      () => this.stop(),
    );
  }

  onModuleInit(): void {
    this.closingSubscription = this.shutdown.closing.subscribe(() => this.closeAll());
  }

  onApplicationShutdown(): void {
    this.closingSubscription?.unsubscribe();
    this.closeAll();
  }

  /** Subscribers connected now. */
  get count(): number {
    return this.fanout.count;
  }

  /** Whether one more subscriber is allowed (`stream.maxSubscribers`, shared with the local stream's limit). */
  hasRoom(): boolean {
    return this.fanout.count < this.options.stream.maxSubscribers;
  }

  /**
   * Streams the fleet to `response` until the client leaves or the app shuts down: the headers at
   * once, then the view (read now, or the last one with `available: false`) as the first event.
   */
  async open(response: StreamResponse, admitted: boolean): Promise<void> {
    if (response.destroyed) return;
    if (this.closed || this.shutdown.phase === 'closing') {
      response.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '5' });
      response.end();
      return;
    }
    this.fanout.begin(response);
    const view = await this.reader.read().catch((error: unknown) => {
      if (error instanceof FleetUnavailableError) return error.lastView;
      return undefined;
    });
    if (view) this.current = view.available ? view : (this.current ?? view);
    const audience: Audience = admitted ? 'admitted' : 'withheld';
    if (this.closed) {
      response.end();
      return;
    }
    this.fanout.add(response, audience, this.snapshotFrame(audience));
    this.start();
  }

  private closeAll(): void {
    this.closed = true;
    this.fanout.closeAll();
    this.stop();
  }

  /** Starts the blocking reader and the periodic read, once, when the first subscriber came. */
  private start(): void {
    if (this.running || this.fanout.count === 0) return;
    const fleet = this.reader.options;
    if (!fleet) return;
    this.running = true;
    this.poll = setInterval(() => void this.refresh(), fleet.publishIntervalMs);
    this.poll.unref();
    void this.readTransitions('$');
  }

  /** Stops reading once the last subscriber left (or at shutdown). */
  private stop(): void {
    this.running = false;
    clearInterval(this.poll);
    clearTimeout(this.reread);
    clearTimeout(this.reconnect);
    this.poll = this.reread = this.reconnect = undefined;
    if (this.blocking) this.connection.release(this.blocking);
    this.blocking = undefined;
  }

  /**
   * The `XREAD BLOCK` loop, on a connection of its own. A call that fails, or that outlives its
   * block time by the fleet's `timeoutMs` (a hung Redis), drops the connection and a new one is
   * made a second later.
   */
  private async readTransitions(from: string): Promise<void> {
    const fleet = this.reader.options;
    if (!this.running || !fleet) return;
    const keys = fleetKeys(fleet.prefix, fleet.service);
    let lastId = from;
    const connection = (this.blocking ??= this.connection.duplicate());
    while (this.running && this.blocking === connection) {
      let watchdog: NodeJS.Timeout | undefined;
      try {
        await whenReady(connection, fleet.timeoutMs + RECONNECT_MS);
        const reply = await Promise.race([
          connection.xread('COUNT', 100, 'BLOCK', BLOCK_MS, 'STREAMS', keys.transitions, lastId),
          new Promise<never>((_, reject) => {
            watchdog = setTimeout(() => reject(new Error('no answer')), BLOCK_MS + fleet.timeoutMs);
          }),
        ]);
        for (const transition of parseEntries(reply)) {
          lastId = transition.id;
          this.broadcastTransition(transition);
        }
      } catch {
        if (this.blocking !== connection) return;
        this.connection.release(connection);
        this.blocking = undefined;
        void this.refresh();
        this.reconnect = setTimeout(() => void this.readTransitions(lastId), RECONNECT_MS);
        this.reconnect.unref();
        return;
      } finally {
        clearTimeout(watchdog);
      }
    }
  }

  private broadcastTransition(transition: FleetTransition): void {
    const id = ++this.nextId;
    const withheld = withheldTransition(transition);
    this.fanout.broadcast((audience) =>
      sseFrame('transition', id, audience === 'admitted' ? transition : withheld),
    );
    if (this.reread === undefined) {
      this.reread = setTimeout(() => {
        this.reread = undefined;
        void this.refresh();
      }, REREAD_AFTER_MS);
      this.reread.unref();
    }
  }

  /**
   * Reads the view and tells the subscribers what changed: an `instance` event per replica that
   * came, went, or changed status, readiness, staleness or lifecycle; the whole view when Redis
   * went away (once) or came back.
   */
  private async refresh(): Promise<void> {
    if (!this.running) return;
    let view: FleetView;
    try {
      view = await this.reader.read();
    } catch (error) {
      const previous = this.current;
      if (previous?.available !== false) {
        const last = error instanceof FleetUnavailableError ? error.lastView : undefined;
        this.current = last ?? (previous ? { ...previous, available: false } : undefined);
        if (this.current && this.running) this.broadcastSnapshot();
      }
      return;
    }
    if (!this.running) return;
    const previous = this.current;
    this.current = view;
    if (!previous || !previous.available) {
      this.broadcastSnapshot();
      return;
    }
    const before = new Map(previous.instances.map((instance) => [instance.instance, instance]));
    for (const instance of view.instances) {
      const old = before.get(instance.instance);
      before.delete(instance.instance);
      if (!old || differs(old, instance))
        this.broadcastInstance({ instance: instance.instance, view: instance });
    }
    for (const gone of before.keys()) this.broadcastInstance({ instance: gone, view: null });
  }

  private broadcastSnapshot(): void {
    this.fanout.broadcast((audience) => this.snapshotFrame(audience));
  }

  private broadcastInstance(event: FleetInstanceEvent): void {
    const id = ++this.nextId;
    const withheld: FleetInstanceEvent =
      event.view === null
        ? event
        : { instance: event.instance, view: withheldInstance(event.view) };
    this.fanout.broadcast((audience) =>
      sseFrame('instance', id, audience === 'admitted' ? event : withheld),
    );
  }

  private snapshotFrame(audience: Audience): string {
    // Nothing read yet (Redis away since this process started): no snapshot until there is one.
    const view = this.current;
    if (!view) return '';
    return sseFrame(
      'snapshot',
      ++this.nextId,
      audience === 'admitted' ? view : withheldFleetView(view),
    );
  }
}

/**
 * Resolves when the connection is ready for commands (a connection the module opened queues
 * nothing while it connects); rejects after `ms`.
 */
async function whenReady(connection: FleetRedis, ms: number): Promise<void> {
  if (connection.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  let listener: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      listener = resolve;
      connection.on('ready', listener);
      timer = setTimeout(() => reject(new Error('not ready')), ms);
      timer.unref();
    });
  } finally {
    clearTimeout(timer);
    if (listener) connection.removeListener('ready', listener);
  }
}

/** Whether a replica's view changed in what the `instance` event tells. */
function differs(before: FleetInstanceView, after: FleetInstanceView): boolean {
  return (
    before.status !== after.status ||
    before.ready !== after.ready ||
    before.stale !== after.stale ||
    before.terminating !== after.terminating ||
    before.snapshot?.startedAt !== after.snapshot?.startedAt ||
    before.snapshot?.version !== after.snapshot?.version
  );
}

/** The transitions of an `XREAD` reply, in order; malformed entries are skipped. */
function parseEntries(reply: XReadReply | null): FleetTransition[] {
  const transitions: FleetTransition[] = [];
  for (const [, entries] of reply ?? []) {
    for (const [id, fields] of entries) {
      const record: Record<string, string> = {};
      for (let index = 0; index + 1 < fields.length; index += 2) {
        record[fields[index]] = fields[index + 1]!;
      }
      const { instance, kind, name, previous, current, since, message } = record;
      if (
        instance === undefined ||
        (kind !== 'indicator' && kind !== 'group' && kind !== 'instance') ||
        name === undefined ||
        current === undefined
      ) {
        continue;
      }
      transitions.push({
        id,
        instance,
        kind,
        name,
        previous: previous ?? '',
        current,
        since: since ?? new Date(Number(id.split('-')[0])).toISOString(),
        ...(message === undefined ? {} : { message }),
      });
    }
  }
  return transitions;
}

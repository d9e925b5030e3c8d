import type { MessageEvent } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Subject } from 'rxjs';
import type { HealthIndicatorDefinition } from '../discovery/health-indicator.definition';
import { HealthStateStore } from '../engine/health-state.store';
import { resolveHealthModuleOptions } from '../health-module-options';
import type { HealthShutdown } from '../shutdown/health-shutdown';
import { HealthStreamService, type StreamSink } from './health-stream.service';
import { indicatorDefinition } from '../../spec-helpers/indicator-definition';

class FakeSink extends EventEmitter implements StreamSink {
  writableNeedDrain = false;
  readonly socket = { destroySoon: jest.fn() };
}

function definition(name: string, groups: string[] = ['readiness']): HealthIndicatorDefinition {
  return indicatorDefinition(name, { groups });
}

/** An event's data: change events carry it serialized once for every subscriber. */
function data(event: MessageEvent): Record<string, unknown> {
  return (typeof event.data === 'string' ? JSON.parse(event.data) : event.data) as Record<
    string,
    unknown
  >;
}

function run(status: 'up' | 'down', message?: string) {
  return { status, message, durationMs: 2, timedOut: false, finishedAt: Date.now() } as const;
}

describe('HealthStreamService', () => {
  let store: HealthStateStore;
  let closing: Subject<void>;
  let service: HealthStreamService;
  let sink: FakeSink;
  let events: MessageEvent[];
  let completed: boolean;

  beforeEach(() => {
    store = new HealthStateStore();
    store.track(definition('db'));
    store.track(definition('loop', ['liveness']));
    store.markBootstrapped();
    store.record('db', run('up'));
    store.record('loop', run('up'));
    closing = new Subject<void>();
    const shutdown = { closing } as unknown as HealthShutdown;
    service = new HealthStreamService(
      store,
      shutdown,
      resolveHealthModuleOptions({ stream: { maxSubscribers: 2 } }),
    );
    sink = new FakeSink();
    events = [];
    completed = false;
  });

  afterEach(() => store.onApplicationShutdown());

  function subscribe(options: { group?: string; admitted?: boolean } = {}) {
    return service
      .events({ admitted: options.admitted ?? true, group: options.group, sink })
      .subscribe({ next: (e) => events.push(e), complete: () => (completed = true) });
  }

  it('sends a snapshot with a retry delay first, then a change per transition', () => {
    const subscription = subscribe();
    expect(events[0]).toMatchObject({ type: 'snapshot', retry: 3_000 });
    store.record('db', run('down', 'connect ECONNREFUSED'));
    expect(events.slice(1).map((e) => e.type)).toEqual(['change', 'change']);
    expect(data(events[1])).toMatchObject({
      kind: 'indicator',
      name: 'db',
      previous: 'up',
      current: 'down',
      message: 'connect ECONNREFUSED',
      groups: { readiness: 'down' },
    });
    expect(data(events[2])).toMatchObject({ kind: 'group', name: 'readiness', current: 'down' });
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([1, 2, 3]);
    subscription.unsubscribe();
  });

  it('counts subscribers and makes room again when one leaves', () => {
    const first = subscribe();
    const second = subscribe();
    expect(service.subscribers).toBe(2);
    expect(service.hasRoom()).toBe(false);
    first.unsubscribe();
    expect(service.hasRoom()).toBe(true);
    second.unsubscribe();
    expect(service.subscribers).toBe(0);
  });

  it('keeps only the latest state for a client that is not reading, then sends one snapshot', () => {
    const subscription = subscribe();
    sink.writableNeedDrain = true;
    for (let i = 0; i < 50; i++) {
      store.record('db', run('down', `failure ${i}`));
      store.record('db', run('up'));
    }
    // The first change found the socket backed up: nothing more is queued for this client.
    expect(events).toHaveLength(1);
    expect(sink.listenerCount('drain')).toBe(1);

    sink.writableNeedDrain = false;
    sink.emit('drain');
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ type: 'snapshot' });
    expect((data(events[1]).checks as Record<string, unknown>).db).toMatchObject({
      status: 'up',
    });
    subscription.unsubscribe();
    expect(sink.listenerCount('drain')).toBe(0);
  });

  it('withholds messages and data from a caller the details policy does not admit', () => {
    store.record('db', run('down', 'password authentication failed'));
    const subscription = subscribe({ admitted: false });
    expect(data(events[0]).checks).toEqual({
      db: { status: 'down' },
      loop: { status: 'up' },
    });
    store.record('db', run('up'));
    const change = data(events[1]);
    expect(change).not.toHaveProperty('message');
    expect(change.check).toEqual({ status: 'up' });
    subscription.unsubscribe();
  });

  it('limits snapshots and changes to one group', () => {
    const subscription = subscribe({ group: 'liveness' });
    const snapshot = data(events[0]) as { checks: object; groups: object };
    expect(Object.keys(snapshot.checks)).toEqual(['loop']);
    expect(Object.keys(snapshot.groups)).toEqual(['liveness']);
    store.record('db', run('down', 'gone'));
    expect(events).toHaveLength(1);
    store.record('loop', run('down', 'blocked'));
    expect(events.slice(1).map((e) => data(e).name as string)).toEqual(['loop', 'liveness']);
    subscription.unsubscribe();
  });

  it('completes every stream when the shutdown closes, and closes its connection after it', () => {
    subscribe();
    expect(completed).toBe(false);
    closing.next();
    expect(completed).toBe(true);
    expect(service.subscribers).toBe(0);
    sink.emit('finish');
    expect(sink.socket.destroySoon).toHaveBeenCalledTimes(1);
  });
});

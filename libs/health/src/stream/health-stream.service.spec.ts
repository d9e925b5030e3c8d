import { EventEmitter } from 'node:events';
import { Subject } from 'rxjs';
import { indicatorDefinition } from '../../spec-helpers/indicator-definition';
import { HealthStateStore } from '../engine/health-state.store';
import { resolveHealthModuleOptions } from '../health-module-options';
import type { HealthShutdown } from '../shutdown/health-shutdown';
import { HealthStreamService, type StreamResponse } from './health-stream.service';

/** A parsed event's data: any JSON shape, asserted on by the specs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EventData = Record<string, any>;

/** A response that records what is written and can pretend its socket is backed up. */
class FakeResponse extends EventEmitter implements StreamResponse {
  writableNeedDrain = false;
  writableEnded = false;
  destroyed = false;
  backedUp = false;
  status?: number;
  headers?: Record<string, string>;
  flushed = false;
  readonly socket = { destroySoon: jest.fn() };
  private text = '';

  writeHead(status: number, headers: Record<string, string>) {
    this.status = status;
    this.headers = headers;
  }
  flushHeaders() {
    this.flushed = true;
  }
  write(chunk: string): boolean {
    this.text += chunk;
    return !this.backedUp;
  }
  end() {
    this.writableEnded = true;
    this.emit('finish');
  }

  /** The events written so far, parsed. */
  get events(): Array<{ type: string; id: number; retry?: number; data: EventData }> {
    return this.text
      .split('\n\n')
      .filter((block) => block.includes('data: '))
      .map((block) => {
        const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(block)?.[1];
        return {
          type: field('event') ?? 'message',
          id: Number(field('id')),
          retry: field('retry') === undefined ? undefined : Number(field('retry')),
          data: JSON.parse(field('data') ?? 'null') as EventData,
        };
      });
  }
  get heartbeats(): number {
    return this.text.split(': heartbeat\n\n').length - 1;
  }
}

/** Lets the changes of this turn go out: the service writes them in a microtask. */
const flushed = () => new Promise<void>((resolve) => queueMicrotask(resolve));

function run(status: 'up' | 'down', message?: string) {
  return { status, message, durationMs: 2, timedOut: false, finishedAt: Date.now() } as const;
}

describe('HealthStreamService', () => {
  let store: HealthStateStore;
  let closing: Subject<void>;
  let service: HealthStreamService;
  let response: FakeResponse;

  beforeEach(() => {
    store = new HealthStateStore();
    store.track(indicatorDefinition('db'));
    store.track(indicatorDefinition('loop', { groups: ['liveness'] }));
    store.markBootstrapped();
    store.record('db', run('up'));
    store.record('loop', run('up'));
    closing = new Subject<void>();
    const shutdown = { closing, phase: 'running' } as unknown as HealthShutdown;
    service = new HealthStreamService(
      store,
      shutdown,
      resolveHealthModuleOptions({ stream: { maxSubscribers: 2, heartbeatMs: 1_000 } }),
    );
    service.onModuleInit();
    response = new FakeResponse();
  });

  afterEach(() => {
    service.onApplicationShutdown();
    store.onApplicationShutdown();
  });

  it('writes stream headers and a snapshot with a retry delay first, then a change per transition', async () => {
    service.open(response, { admitted: true });
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    expect(response.flushed).toBe(true);
    expect(response.events[0]).toMatchObject({ type: 'snapshot', retry: 3_000 });

    store.record('db', run('down', 'connect ECONNREFUSED'));
    await flushed();
    const [, indicator, group] = response.events;
    expect(indicator).toMatchObject({ type: 'change' });
    expect(indicator.data).toMatchObject({
      kind: 'indicator',
      name: 'db',
      previous: 'up',
      current: 'down',
      message: 'connect ECONNREFUSED',
      groups: { readiness: 'down' },
    });
    expect(group.data).toMatchObject({ kind: 'group', name: 'readiness', current: 'down' });
    const ids = response.events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(3);
  });

  it('counts subscribers and makes room again when one leaves', () => {
    const other = new FakeResponse();
    service.open(response, { admitted: true });
    service.open(other, { admitted: true });
    expect(service.count).toBe(2);
    expect(service.hasRoom()).toBe(false);
    response.emit('close');
    expect(service.hasRoom()).toBe(true);
    other.emit('close');
    expect(service.count).toBe(0);
    expect(response.listenerCount('close')).toBe(0);
  });

  it('does not count a client that left before its stream opened', () => {
    response.destroyed = true;
    service.open(response, { admitted: true });
    expect(service.count).toBe(0);
    expect(response.listenerCount('close')).toBe(0);
  });

  it('keeps only the latest state for a client that is not reading, then writes one snapshot', async () => {
    service.open(response, { admitted: true });
    response.backedUp = true;
    store.record('db', run('down', 'failure 0'));
    await flushed();
    // That write found the socket backed up: nothing more is written to this client.
    for (let i = 1; i < 50; i++) {
      store.record('db', run(i % 2 ? 'up' : 'down', `failure ${i}`));
      await flushed();
    }
    expect(response.events.map((e) => e.type)).toEqual(['snapshot', 'change', 'change']);
    expect(response.listenerCount('drain')).toBe(1);

    response.backedUp = false;
    response.emit('drain');
    expect(response.events).toHaveLength(4);
    expect(response.events[3]).toMatchObject({ type: 'snapshot' });
    expect(response.events[3].data.checks.db).toMatchObject({ status: 'up' });
  });

  it('gives the fresh snapshot to the client whose socket drained, not to another one behind', async () => {
    const other = new FakeResponse();
    service.open(response, { admitted: true });
    service.open(other, { admitted: true });
    response.backedUp = other.backedUp = true;
    store.record('db', run('down', 'gone'));
    await flushed();
    // Left out for both: they are behind.
    store.record('db', run('up'));
    await flushed();
    expect(response.events).toHaveLength(3);
    expect(other.events).toHaveLength(3);

    other.backedUp = false;
    other.emit('drain');
    expect(other.events.map((e) => e.type)).toEqual(['snapshot', 'change', 'change', 'snapshot']);
    expect(response.events).toHaveLength(3);
    other.emit('close');
    response.backedUp = false;
    response.emit('drain');
    expect(response.events[3]).toMatchObject({ type: 'snapshot' });
    expect(other.events).toHaveLength(4);
  });

  it('writes no catch-up when nothing was left out: a large snapshot never feeds itself', async () => {
    service.open(response, { admitted: true });
    // The changes' write is buffered past the high-water mark, as a frame larger than it is,
    // however fast the client reads; then the socket drains with nothing left out.
    response.backedUp = true;
    store.record('db', run('down', 'gone'));
    await flushed();
    response.backedUp = false;
    for (let i = 0; i < 5; i++) response.emit('drain');
    expect(response.events.map((e) => e.type)).toEqual(['snapshot', 'change', 'change']);
  });

  it('writes the changes of one turn (an indicator and its group) in one write', async () => {
    service.open(response, { admitted: true });
    const write = jest.spyOn(response, 'write');
    store.record('db', run('down', 'gone'));
    await flushed();
    expect(write).toHaveBeenCalledTimes(1);
    expect(response.events.slice(1).map((e) => e.data.kind as string)).toEqual([
      'indicator',
      'group',
    ]);
  });

  it('withholds messages and data from a caller the details policy does not admit', async () => {
    store.record('db', run('down', 'password authentication failed'));
    service.open(response, { admitted: false });
    expect(response.events[0].data.checks).toEqual({
      db: { status: 'down' },
      loop: { status: 'up' },
    });
    store.record('db', run('up'));
    await flushed();
    expect(response.events[1].data).not.toHaveProperty('message');
    expect(response.events[1].data.check).toEqual({ status: 'up' });
  });

  it('limits snapshots and changes to one group', async () => {
    service.open(response, { admitted: true, group: 'liveness' });
    expect(Object.keys(response.events[0].data.checks)).toEqual(['loop']);
    expect(Object.keys(response.events[0].data.groups)).toEqual(['liveness']);
    store.record('db', run('down', 'gone'));
    await flushed();
    expect(response.events).toHaveLength(1);
    store.record('loop', run('down', 'blocked'));
    await flushed();
    expect(response.events.slice(1).map((e) => e.data.name as string)).toEqual([
      'loop',
      'liveness',
    ]);
  });

  it('writes a snapshot every intervalMs and a heartbeat comment on every stream', () => {
    jest.useFakeTimers();
    try {
      service.open(response, { admitted: true, intervalMs: 500 });
      jest.advanceTimersByTime(1_000);
      expect(response.events.filter((e) => e.type === 'snapshot')).toHaveLength(3);
      expect(response.heartbeats).toBe(1);
      response.emit('close');
      jest.advanceTimersByTime(5_000);
      expect(response.events).toHaveLength(3);
      expect(response.heartbeats).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('ends every stream when the shutdown closes, and closes its connection after it', () => {
    service.open(response, { admitted: true });
    closing.next();
    expect(response.writableEnded).toBe(true);
    expect(service.count).toBe(0);
    expect(response.socket.destroySoon).toHaveBeenCalledTimes(1);
  });
});

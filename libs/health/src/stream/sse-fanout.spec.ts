import { EventEmitter } from 'node:events';
import type { StreamResponse } from './health-stream.service';
import { SseFanout, sseFrame } from './sse-fanout';

/** A response whose write answers false (past the high-water mark) while `backedUp`. */
class FakeResponse extends EventEmitter implements StreamResponse {
  writableNeedDrain = false;
  writableEnded = false;
  destroyed = false;
  backedUp = false;
  readonly socket = { destroySoon: jest.fn() };
  readonly frames: string[] = [];

  writeHead() {}
  flushHeaders() {}
  write(chunk: string): boolean {
    this.frames.push(chunk);
    return !this.backedUp;
  }
  end() {
    this.writableEnded = true;
    this.emit('finish');
  }

  /** The event types written, in order (`heartbeat` for a comment). */
  get types(): string[] {
    return this.frames.map((frame) =>
      frame.startsWith(':') ? 'heartbeat' : (/^event: (.*)$/m.exec(frame)?.[1] ?? '?'),
    );
  }
}

describe('SseFanout', () => {
  let snapshots: number;
  let fanout: SseFanout<'admitted'>;
  let response: FakeResponse;

  beforeEach(() => {
    snapshots = 0;
    fanout = new SseFanout<'admitted'>(
      60_000,
      3_000,
      () => sseFrame('snapshot', ++snapshots, { n: snapshots }),
      () => undefined,
    );
    response = new FakeResponse();
  });

  afterEach(() => fanout.closeAll());

  it('writes no catch-up after a drain when no frame was left out (a frame past the high-water mark)', () => {
    // A snapshot larger than the high-water mark: buffered, and write() answers false.
    response.backedUp = true;
    fanout.add(response, 'admitted', sseFrame('snapshot', 0, { big: true }));
    response.emit('drain');
    response.emit('drain');
    // Were every drain answered with a snapshot, each would be past the mark again: without end.
    expect(snapshots).toBe(0);
    expect(response.listenerCount('drain')).toBe(0);

    response.backedUp = false;
    fanout.broadcast(() => sseFrame('transition', 1, {}));
    expect(response.types).toEqual(['snapshot', 'transition']);
  });

  it('writes one catch-up after a drain when frames were left out, the latest state', () => {
    fanout.add(response, 'admitted', sseFrame('snapshot', 0, {}));
    response.backedUp = true;
    fanout.broadcast(() => sseFrame('transition', 1, {}));
    fanout.broadcast(() => sseFrame('transition', 2, {}));
    fanout.broadcast(() => sseFrame('transition', 3, {}));
    expect(response.types).toEqual(['snapshot', 'transition']);

    response.backedUp = false;
    response.emit('drain');
    expect(response.types).toEqual(['snapshot', 'transition', 'snapshot']);
    expect(snapshots).toBe(1);
    response.emit('drain');
    expect(snapshots).toBe(1);
  });
});

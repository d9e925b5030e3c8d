import type { StreamResponse } from './stream-response';

/** Headers of a stream: no caching, no proxy buffering (nginx's `X-Accel-Buffering`). @internal */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

/** A comment line: clients ignore it, proxies see traffic. @internal */
export const HEARTBEAT_FRAME = ': heartbeat\n\n';

/** One Server-Sent Event: `event`, `id` and one `data` line of JSON (JSON has no raw newline). @internal */
export function sseFrame(type: string, id: number, data: unknown): string {
  return `event: ${type}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** One subscriber of a fan-out, with what it was admitted to. */
interface FanoutSubscriber<K> {
  readonly response: StreamResponse;
  readonly kind: K;
  behind: boolean;
  /** Whether a frame was left out while it was behind (a heartbeat does not count). */
  missed: boolean;
}

/**
 * The subscribers of one Server-Sent-Events stream, for streams whose frames depend only on a
 * small "kind" of subscriber (admitted to details or not): each frame is made once per kind and
 * written as it is to every subscriber of that kind. One heartbeat timer for all; a subscriber
 * whose socket backs up gets nothing more until it drains, then one fresh catch-up frame if a
 * frame was left out meanwhile (the latest state wins, as grpc-go's health `Watch` keeps only the
 * latest status); every stream ends at {@link closeAll}.
 *
 * @internal
 */
export class SseFanout<K extends string> {
  private readonly subscribers = new Map<StreamResponse, FanoutSubscriber<K>>();
  private heartbeat?: NodeJS.Timeout;
  private readonly onClose = listenerOf((response) => this.remove(response));
  private readonly onDrain = listenerOf((response) => this.drained(response));

  /**
   * @param heartbeatMs - milliseconds between heartbeat comments.
   * @param retryMs - the clients' reconnection delay, sent first.
   * @param catchUp - the frame a subscriber of `kind` gets after its socket drained, when a frame
   *   was left out while it was backed up.
   * @param onEmpty - called when the last subscriber left.
   */
  constructor(
    private readonly heartbeatMs: number,
    private readonly retryMs: number,
    private readonly catchUp: (kind: K) => string,
    private readonly onEmpty: () => void,
  ) {}

  /** Subscribers connected now. */
  get count(): number {
    return this.subscribers.size;
  }

  /** Writes the stream's headers at once, so that the client learns the stream is open. */
  begin(response: StreamResponse): void {
    response.writeHead(200, SSE_HEADERS);
    response.flushHeaders();
  }

  /**
   * Adds a subscriber whose headers went out with {@link begin}; `first` is its first frame (or
   * `''` for none yet).
   */
  add(response: StreamResponse, kind: K, first: string): void {
    if (response.destroyed || response.writableEnded) return;
    const subscriber: FanoutSubscriber<K> = { response, kind, behind: false, missed: false };
    this.subscribers.set(response, subscriber);
    response.on('close', this.onClose);
    this.write(subscriber, `retry: ${this.retryMs}\n${first || '\n'}`);
    this.heartbeat ??= this.startHeartbeat();
  }

  /** Writes to every subscriber the frame made for its kind (made once per kind, if any). */
  broadcast(frameFor: (kind: K) => string): void {
    const frames = new Map<K, string>();
    for (const subscriber of this.subscribers.values()) {
      let text = frames.get(subscriber.kind);
      if (text === undefined) frames.set(subscriber.kind, (text = frameFor(subscriber.kind)));
      if (text) this.write(subscriber, text);
    }
  }

  /** Ends every stream (and lets go of its keep-alive socket). */
  closeAll(): void {
    for (const response of [...this.subscribers.keys()]) {
      this.remove(response);
      endStream(response);
    }
  }

  private startHeartbeat(): NodeJS.Timeout {
    const timer = setInterval(() => {
      for (const subscriber of this.subscribers.values()) this.write(subscriber, HEARTBEAT_FRAME);
    }, this.heartbeatMs);
    timer.unref();
    return timer;
  }

  private remove(response: StreamResponse): void {
    if (!this.subscribers.delete(response)) return;
    response.removeListener('close', this.onClose);
    if (this.subscribers.size > 0) return;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.onEmpty();
  }

  private write(subscriber: FanoutSubscriber<K>, text: string): void {
    const { response } = subscriber;
    if (response.writableEnded || response.destroyed) return;
    if (subscriber.behind) {
      if (text !== HEARTBEAT_FRAME) subscriber.missed = true;
      return;
    }
    // false: the frame is buffered, past the high-water mark (one frame larger than it does
    // that too); what comes next waits for the drain.
    if (response.write(text)) return;
    subscriber.behind = true;
    response.once('drain', this.onDrain);
  }

  private drained(response: StreamResponse): void {
    const subscriber = this.subscribers.get(response);
    if (!subscriber) return;
    subscriber.behind = false;
    // Nothing left out: the client has every frame. A catch-up here would be one more large
    // frame past the high-water mark, then another at its drain, without end.
    if (!subscriber.missed) return;
    subscriber.missed = false;
    this.write(subscriber, this.catchUp(subscriber.kind));
  }
}

/**
 * Ends a stream's response, and lets go of its keep-alive socket: an EventSource keeps the
 * connection alive after the stream ends, and Node's `server.close()` would wait for its
 * keep-alive timeout (5 s by default). The socket is read now: Node detaches it from the response
 * before 'finish' listeners run.
 *
 * @internal
 */
export function endStream(response: StreamResponse): void {
  if (response.writableEnded || response.destroyed) return;
  const socket = response.socket;
  response.once('finish', () => socket?.destroySoon());
  response.end();
}

/**
 * A listener that hands its emitter (the `this` Node gives a listener) to `handle`: one function
 * can listen on every response.
 *
 * @internal
 */
export function listenerOf(
  handle: (response: StreamResponse) => void,
): (this: StreamResponse) => void {
  return function (this: StreamResponse) {
    handle(this);
  };
}

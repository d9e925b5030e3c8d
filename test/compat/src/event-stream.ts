import { get, type IncomingMessage } from 'node:http';

/** One Server-Sent Event: its `event` type and its `data`, parsed as JSON. */
export interface StreamEvent {
  readonly type: string;
  readonly data: unknown;
}

/**
 * Reads a Server-Sent-Events response: `next()` gives the events in order, waiting for the next
 * one to arrive. Built on `node:http` rather than `fetch`: an aborted `fetch` leaves undici
 * opening a spare keep-alive connection, which holds the server's `close()` for 4 s.
 */
export class EventStream {
  private readonly events: StreamEvent[] = [];
  private buffer = '';
  private wake?: () => void;
  private ended = false;

  private constructor(readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk));
    response.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  /** Opens `url`; resolves once the response headers are in. */
  static open(url: string): Promise<EventStream> {
    return new Promise((resolve, reject) => {
      get(url, { headers: { accept: 'text/event-stream' } }, (response) =>
        resolve(new EventStream(response)),
      ).on('error', reject);
    });
  }

  /** The next event, waiting up to `timeoutMs` (default 10 000 ms) for it. */
  async next(timeoutMs = 10_000): Promise<StreamEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.events.shift();
      if (event) return event;
      if (this.ended) throw new Error('the stream ended');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Disconnects. */
  close(): void {
    this.response.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      this.parse(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
    }
    this.wake?.();
  }

  private parse(block: string): void {
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) type = line.slice('event: '.length);
      else if (line.startsWith('data: ')) data.push(line.slice('data: '.length));
    }
    if (data.length > 0) this.events.push({ type, data: JSON.parse(data.join('\n')) });
  }
}

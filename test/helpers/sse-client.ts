import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

/** One Server-Sent Event as a client parses it. */
export interface SseEvent {
  readonly type: string;
  readonly id?: string;
  readonly retry?: number;
  /** `data`, parsed as JSON when it is JSON (any shape: specs assert on it). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly data: any;
  /** When it arrived (`Date.now()`). */
  readonly receivedAt: number;
}

/**
 * A minimal EventSource for specs: it connects once (no reconnection), parses the stream as the
 * HTML standard describes, and lets a spec wait for the next event of a type.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  private buffer = '';
  private cursor = 0;
  private waiters: Array<() => void> = [];
  private endedAt?: number;

  private constructor(
    private readonly response: IncomingMessage,
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    /** The body of a non-stream answer (an error). */
    readonly body: string,
  ) {}

  /** Opens `url`; resolves once the response headers (and, for an error, its body) are in. */
  static connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
        res.setEncoding('utf8');
        if (!String(res.headers['content-type']).startsWith('text/event-stream')) {
          let body = '';
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(new SseClient(res, res.statusCode ?? 0, res.headers, body)));
          return;
        }
        const client = new SseClient(res, res.statusCode ?? 0, res.headers, '');
        res.on('data', (chunk: string) => client.receive(chunk));
        res.on('close', () => client.end());
        res.on('error', () => client.end());
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Whether the server ended the stream (or the connection dropped). */
  get ended(): boolean {
    return this.endedAt !== undefined;
  }

  /**
   * The next event not yet taken (of `type`, if given), waiting up to `timeoutMs` for it.
   * Events of other types are skipped.
   */
  async next(type?: string, timeoutMs = 5_000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.events.length) {
        const event = this.events[this.cursor++];
        if (type === undefined || event.type === type) return event;
      }
      if (this.ended) throw new Error(`stream ended before a "${type ?? 'any'}" event`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${type ?? 'any'}" event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves when the stream ends; rejects after `timeoutMs`. */
  async closed(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`stream still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Disconnects. */
  close(): void {
    this.response.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let boundary: number;
    while ((boundary = this.buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = this.buffer.slice(0, boundary);
      this.buffer = this.buffer.slice(boundary).replace(/^\r?\n\r?\n/, '');
      this.parse(block);
    }
    this.wake();
  }

  private parse(block: string): void {
    let type = 'message';
    let id: string | undefined;
    let retry: number | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '') continue;
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'id') id = value;
      else if (field === 'retry') retry = Number(value);
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    const text = data.join('\n');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    this.events.push({ type, id, retry, data: parsed, receivedAt: Date.now() });
  }

  private end(): void {
    this.endedAt ??= Date.now();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

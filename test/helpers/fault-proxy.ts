import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * What the proxy does with traffic now:
 * - `forward`: passes bytes both ways (after {@link FaultProxy.latencyMs} towards the client);
 * - `stalled`: holds every byte and every new connection, as a server stopped with SIGSTOP does
 *   (the kernel still accepts connections; nothing answers); {@link FaultProxy.forward} delivers
 *   what was held;
 * - `refusing`: every connection was dropped and the port refuses new ones, as when the server
 *   process is killed.
 */
export type FaultProxyMode = 'forward' | 'stalled' | 'refusing';

/** One client connection and its connection to the server. */
interface Pair {
  readonly client: Socket;
  upstream?: Socket;
  /** Bytes from the server waiting for their latency to pass: `dueAt` in epoch milliseconds. */
  readonly toClient: Array<{ readonly chunk: Buffer; readonly dueAt: number }>;
  /** Bytes from the client that arrived before the server connection was open. */
  readonly toServer: Buffer[];
  timer?: NodeJS.Timeout;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real service (PostgreSQL, Redis, RabbitMQ), which a spec
 * turns into a faulty one: killed (`refuse`), hung (`stall`), slow (`latencyMs`), flapping
 * ({@link flap}), and back (`forward`). Clients connect to {@link port}; the service is never
 * touched, so the machine's shared services stay as they are.
 *
 * It counts connections, so that a spec can see clients reconnect, or never pile up.
 */
export class FaultProxy {
  private readonly pairs = new Set<Pair>();
  private server?: Server;
  private current: FaultProxyMode = 'forward';
  private latency = 0;
  private accepted = 0;
  private peak = 0;
  private flapTimer?: NodeJS.Timeout;

  private constructor(
    private readonly target: { readonly host: string; readonly port: number },
    private listeningPort: number,
  ) {}

  /** Starts a proxy to `host:port` on a free port of 127.0.0.1, forwarding. */
  static async start(target: { host?: string; port: number }): Promise<FaultProxy> {
    const proxy = new FaultProxy({ host: target.host ?? '127.0.0.1', port: target.port }, 0);
    await proxy.listen();
    return proxy;
  }

  /** The proxy's port (the same across `refuse()` and `forward()`). */
  get port(): number {
    return this.listeningPort;
  }

  /** What the proxy does now. */
  get mode(): FaultProxyMode {
    return this.current;
  }

  /** Client connections open now. */
  get openConnections(): number {
    return this.pairs.size;
  }

  /** Client connections accepted since start. */
  get acceptedConnections(): number {
    return this.accepted;
  }

  /** The most client connections open at once since start (or since {@link resetPeak}). */
  get peakConnections(): number {
    return this.peak;
  }

  /** Starts counting {@link peakConnections} again from the connections open now. */
  resetPeak(): void {
    this.peak = this.pairs.size;
  }

  /**
   * Delay, in milliseconds, of every byte from the server to the client: a slow server (each
   * request/response round trip takes at least this long). 0 by default; applies to bytes that
   * arrive from now on.
   */
  get latencyMs(): number {
    return this.latency;
  }

  set latencyMs(ms: number) {
    this.latency = Math.max(0, ms);
  }

  /**
   * Passes traffic again: listens again after `refuse()`, and delivers what `stall()` held
   * (server connections held back are opened now). Stops flapping.
   */
  async forward(): Promise<void> {
    this.stopFlapping();
    await this.toForward();
  }

  /**
   * Stops forwarding, in both directions, without closing anything: connections stay open and
   * new ones are accepted, but no byte gets through until `forward()`: a hung server.
   */
  stall(): void {
    this.stopFlapping();
    this.toStalled();
  }

  /** Drops every connection and refuses new ones (ECONNREFUSED) until `forward()`: a killed server. */
  async refuse(): Promise<void> {
    this.stopFlapping();
    await this.toRefusing();
  }

  /**
   * Flaps: `upMs` forwarding, then `downMs` of `fault` (`stall` or `refuse`), and again, until
   * `forward()`, `stall()`, `refuse()` or `close()`. Starts with the fault.
   */
  flap({ upMs, downMs, fault }: { upMs: number; downMs: number; fault: 'stall' | 'refuse' }): void {
    this.stopFlapping();
    const goDown = () => {
      if (fault === 'stall') this.toStalled();
      else void this.toRefusing();
      this.flapTimer = setTimeout(goUp, downMs);
    };
    const goUp = () => {
      void this.toForward();
      this.flapTimer = setTimeout(goDown, upMs);
    };
    goDown();
  }

  /** Closes every connection and stops listening for good. */
  async close(): Promise<void> {
    this.stopFlapping();
    await this.toRefusing();
  }

  private stopFlapping(): void {
    clearTimeout(this.flapTimer);
    this.flapTimer = undefined;
  }

  private async toForward(): Promise<void> {
    this.current = 'forward';
    if (!this.server) await this.listen();
    for (const pair of this.pairs) {
      if (pair.upstream) {
        pair.upstream.resume();
        this.flushToClient(pair);
      } else {
        this.openUpstream(pair);
      }
      pair.client.resume();
    }
  }

  private toStalled(): void {
    this.current = 'stalled';
    for (const pair of this.pairs) {
      pair.client.pause();
      pair.upstream?.pause();
      clearTimeout(pair.timer);
      pair.timer = undefined;
    }
  }

  private async toRefusing(): Promise<void> {
    this.current = 'refusing';
    const server = this.server;
    this.server = undefined;
    for (const pair of [...this.pairs]) this.drop(pair);
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listeningPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listeningPort = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private accept(client: Socket): void {
    if (this.current === 'refusing') {
      client.destroy();
      return;
    }
    const pair: Pair = { client, toClient: [], toServer: [] };
    this.accepted += 1;
    this.pairs.add(pair);
    this.peak = Math.max(this.peak, this.pairs.size);
    client.on('error', () => undefined);
    client.on('close', () => this.drop(pair));
    client.on('data', (chunk: Buffer) => {
      if (pair.upstream?.writable) pair.upstream.write(chunk);
      else pair.toServer.push(chunk);
    });
    if (this.current === 'stalled') client.pause();
    else this.openUpstream(pair);
  }

  private openUpstream(pair: Pair): void {
    const upstream = connect(this.target);
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => this.drop(pair));
    upstream.on('connect', () => {
      for (const chunk of pair.toServer.splice(0)) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      pair.toClient.push({ chunk, dueAt: Date.now() + this.latency });
      this.flushToClient(pair);
    });
    if (this.current === 'stalled') upstream.pause();
  }

  /** Writes the server's bytes whose latency has passed; waits for the next one. */
  private flushToClient(pair: Pair): void {
    if (this.current !== 'forward' || pair.timer) return;
    const now = Date.now();
    while (pair.toClient.length > 0 && pair.toClient[0].dueAt <= now) {
      pair.client.write(pair.toClient.shift()!.chunk);
    }
    if (pair.toClient.length === 0) return;
    pair.timer = setTimeout(() => {
      pair.timer = undefined;
      this.flushToClient(pair);
    }, pair.toClient[0].dueAt - now);
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    clearTimeout(pair.timer);
    pair.client.destroy();
    pair.upstream?.destroy();
  }
}

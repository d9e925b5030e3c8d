/**
 * Real faults for the built-in indicators' specs: closed ports, servers that accept and never
 * answer, a port whose accept queue is full, a local HTTP server. Every one of them can be
 * closed so that a spec leaves no handle open.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { HealthCheckContext, HealthCheckResult } from '../src/check';
import type { HealthIndicatorDefinition } from '../src/discovery/health-indicator.definition';
import { HealthCheckRunner, type HealthRunResult } from '../src/engine/health-check.runner';
import type { BuiltInIndicator } from '../src/indicators/core';

/** A port of 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves when `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 3_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A TCP server that accepts connections and never sends a byte: a database, broker or web
 * server that hangs. Counts the connections it holds, so a spec can see a client close its
 * socket.
 */
export class BlackHoleServer {
  readonly sockets = new Set<Socket>();
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<BlackHoleServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const hole = new BlackHoleServer(server, (server.address() as AddressInfo).port);
    server.on('connection', (socket) => {
      hole.accepted += 1;
      hole.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.resume(); // reads and drops what the client sends, and so sees it close
      socket.on('close', () => hole.sockets.delete(socket));
    });
    return hole;
  }

  /** Connections open now. */
  get open(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (the shared RabbitMQ), which hangs at a
 * moment the spec picks: from the first chunk a client sends that matches `hangWhen`, no byte
 * gets through either way (that chunk included), and new connections are accepted and held,
 * until {@link forward} delivers what was held. {@link drop} closes every connection, as a
 * server that dies. The server itself is never touched.
 */
export class HangingProxy {
  /** Connections accepted since start. */
  accepted = 0;
  private readonly pairs = new Set<ProxiedPair>();
  private trigger?: (chunk: Buffer) => boolean;
  private hung = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Starts a proxy to `127.0.0.1:targetPort` on a free port, forwarding. */
  static async start(targetPort: number): Promise<HangingProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new HangingProxy(server, (server.address() as AddressInfo).port);
    server.on('connection', (client) => proxy.accept(client, targetPort));
    return proxy;
  }

  /** Client connections open now. */
  get open(): number {
    return this.pairs.size;
  }

  /** Whether the proxy holds every byte now. */
  get isHung(): boolean {
    return this.hung;
  }

  /** Hangs from the first chunk a client sends that `matches` (that chunk is held too). */
  hangWhen(matches: (chunk: Buffer) => boolean): void {
    this.trigger = matches;
  }

  /** Forwards again, delivering what was held both ways, and stops watching for a trigger. */
  forward(): void {
    this.trigger = undefined;
    this.hung = false;
    for (const pair of this.pairs) {
      for (const chunk of pair.toServer.splice(0)) pair.server.write(chunk);
      for (const chunk of pair.toClient.splice(0)) pair.client.write(chunk);
    }
  }

  /** Closes every connection (new ones are still accepted). */
  drop(): void {
    for (const pair of [...this.pairs]) this.closePair(pair);
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private closePair(pair: ProxiedPair): void {
    this.pairs.delete(pair);
    pair.client.destroy();
    pair.server.destroy();
  }

  private accept(client: Socket, targetPort: number): void {
    this.accepted += 1;
    const server = connect({ port: targetPort, host: '127.0.0.1' });
    const pair: ProxiedPair = { client, server, toServer: [], toClient: [] };
    this.pairs.add(pair);
    for (const socket of [client, server]) {
      socket.on('error', () => undefined);
      socket.on('close', () => this.closePair(pair));
    }
    client.on('data', (chunk: Buffer) => {
      if (!this.hung && this.trigger?.(chunk)) this.hung = true;
      if (this.hung) pair.toServer.push(chunk);
      else server.write(chunk);
    });
    server.on('data', (chunk: Buffer) => {
      if (this.hung) pair.toClient.push(chunk);
      else client.write(chunk);
    });
  }
}

/** One client connection of a {@link HangingProxy}, and its connection to the server. */
interface ProxiedPair {
  readonly client: Socket;
  readonly server: Socket;
  /** Bytes held while the proxy hangs. */
  readonly toServer: Buffer[];
  readonly toClient: Buffer[];
}

/**
 * A port whose accept queue is full: a child process listens with a backlog of 1 and blocks its
 * event loop, two connections fill the queue, and any further connect waits for a SYN-ACK that
 * never comes (a host that drops packets).
 */
export class UnacceptingPort {
  private constructor(
    private readonly child: ChildProcess,
    private readonly fillers: Socket[],
    readonly port: number,
  ) {}

  static async start(): Promise<UnacceptingPort> {
    const script = `
      const server = require('node:net').createServer();
      server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
        process.stdout.write(server.address().port + '\\n');
        setTimeout(() => { for (;;) {} }, 20);
      });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    const [chunk] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    const port = Number(String(chunk).trim());
    await new Promise((resolve) => setTimeout(resolve, 100)); // the loop is blocked by now
    const fillers: Socket[] = [];
    for (let i = 0; i < 2; i += 1) {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.on('error', () => undefined);
      await once(socket, 'connect');
      fillers.push(socket);
    }
    return new UnacceptingPort(child, fillers, port);
  }

  async close(): Promise<void> {
    for (const socket of this.fillers) socket.destroy();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, 'exit');
      this.child.kill('SIGKILL');
      await exited;
    }
  }
}

/**
 * A local HTTP server: `/ok` (200 "ok"), `/fail` (500), `/json` (200 `{"status":"ok"}`),
 * `/redirect` (302 to `/ok`), `/slow?ms=N` (200 after N ms), `/hang` (never answers). It tracks
 * its sockets, so that a spec can see a client drop one.
 */
export class TestHttpServer {
  readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: HttpServer,
    readonly port: number,
  ) {}

  static async start(): Promise<TestHttpServer> {
    const timers = new Set<NodeJS.Timeout>();
    const server = createHttpServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      switch (url.pathname) {
        case '/ok':
          response.end('ok');
          return;
        case '/fail':
          response.statusCode = 500;
          response.end('internal error');
          return;
        case '/json':
          response.setHeader('content-type', 'application/json');
          response.end('{"status":"ok"}');
          return;
        case '/redirect':
          response.statusCode = 302;
          response.setHeader('location', '/ok');
          response.end();
          return;
        case '/slow': {
          const timer = setTimeout(
            () => {
              timers.delete(timer);
              response.end('slow');
            },
            Number(url.searchParams.get('ms') ?? 1_000),
          );
          timers.add(timer);
          response.on('close', () => {
            clearTimeout(timer);
            timers.delete(timer);
          });
          return;
        }
        case '/hang':
          return;
        default:
          response.statusCode = 404;
          response.end();
      }
    });
    server.on('close', () => timers.forEach((timer) => clearTimeout(timer)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const http = new TestHttpServer(server, (server.address() as AddressInfo).port);
    server.on('connection', (socket: Socket) => {
      http.sockets.add(socket);
      socket.on('close', () => http.sockets.delete(socket));
    });
    return http;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A context for calling `check()` directly, with a signal the spec can abort. */
export function checkContext(timeoutMs = 2_000): HealthCheckContext & { abort(): void } {
  const controller = new AbortController();
  return {
    signal: controller.signal,
    name: 'spec',
    timeoutMs,
    abort: () => controller.abort(new DOMException('aborted by the spec', 'AbortError')),
  };
}

/** Calls `check()` once with a fresh context. */
export function checkOnce(
  indicator: BuiltInIndicator,
  timeoutMs = 2_000,
): Promise<HealthCheckResult> {
  return indicator.check(checkContext(timeoutMs));
}

/**
 * Runs a built-in once the way the engine does (the runner's hard timeout, which aborts the
 * check's signal), and also waits for the check's own promise to settle.
 */
export async function runInEngine(
  indicator: BuiltInIndicator,
  timeoutMs: number,
): Promise<HealthRunResult & { settled: Promise<void> }> {
  const definition: HealthIndicatorDefinition = {
    name: indicator.options.name,
    groups: ['readiness'],
    critical: true,
    mode: 'background',
    timeoutMs,
    intervalMs: 5_000,
    failureThreshold: 1,
    successThreshold: 1,
    cacheTtlMs: 1_000,
    check: (context) => indicator.check(context),
    source: 'spec',
  };
  const run = new HealthCheckRunner().run(definition);
  return { ...(await run.result), settled: run.settled };
}

/**
 * A `redis-server` of the spec's own on a free port (nothing kept on disk), so that a spec can
 * change its configuration (`maxmemory`) without touching the shared Redis.
 */
export class PrivateRedisServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** Whether a `redis-server` binary is on the PATH. */
  static available(): boolean {
    return spawnSync('redis-server', ['--version']).status === 0;
  }

  static async start(): Promise<PrivateRedisServer> {
    const port = await closedPort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const server = new PrivateRedisServer(child, port);
    await waitFor(() => answersPing(port), 5_000);
    return server;
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Freezes the server (SIGSTOP): connections stay open and nothing answers. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  /** Lets a frozen server go on (SIGCONT). */
  resume(): void {
    this.child.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

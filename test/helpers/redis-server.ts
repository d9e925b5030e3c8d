import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { closedPort } from './tcp-server';
import { waitFor } from './wait-for';

/** Whether a `redis-server` binary is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/**
 * A throw-away `redis-server` of the spec's own (no persistence), that the spec can stop and
 * start again on the same port: a Redis outage without touching the shared Redis.
 */
export class TestRedisServer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
  ) {}

  /**
   * Starts a server on a free port and waits until it accepts connections.
   *
   * @param extraArgs - more `redis-server` arguments, e.g. `['--requirepass', 'secret']`.
   */
  static async start(extraArgs: readonly string[] = []): Promise<TestRedisServer> {
    const server = new TestRedisServer(await closedPort(), extraArgs);
    await server.restart();
    return server;
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port. */
  async restart(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      ...this.extraArgs,
    ];
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitFor(() => acceptsConnections(this.port), { timeoutMs: 5_000 });
  }

  /**
   * Freezes the server (SIGSTOP): connections stay open, the kernel still accepts new ones, and
   * nothing answers until {@link resume}: a hung Redis.
   */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Lets a server frozen by {@link pause} go on (SIGCONT); it answers what it was sent. */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Stops the server (SIGKILL: an abrupt outage) and waits until it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

function acceptsConnections(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

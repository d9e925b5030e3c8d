/**
 * A `nats-server` of the spec's own (JetStream on, its store in a temporary directory, the
 * monitoring port on), that a spec can kill, freeze and start again on the same port without
 * touching the shared NATS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, waitFor } from './faults';
import { freezeProcess, killProcess, thawProcess } from './server-process';

export class PrivateNatsServer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    readonly monitorPort: number,
    private readonly storeDir: string,
  ) {}

  /** Whether a `nats-server` binary is on the PATH. */
  static available(): boolean {
    return spawnSync('nats-server', ['--version']).status === 0;
  }

  /** Starts a server on free ports and waits until its monitoring endpoint answers. */
  static async start(): Promise<PrivateNatsServer> {
    const storeDir = await mkdtemp(join(tmpdir(), 'nest-health-nats-'));
    const server = new PrivateNatsServer(await closedPort(), await closedPort(), storeDir);
    await server.restart();
    return server;
  }

  /** Whether the server process runs (possibly frozen). */
  get running(): boolean {
    const child = this.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** `nats://127.0.0.1:<port>`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same ports (and the same store). */
  async restart(): Promise<void> {
    this.child = spawn(
      'nats-server',
      [
        '-a',
        '127.0.0.1',
        '-p',
        String(this.port),
        '-m',
        String(this.monitorPort),
        '-js',
        '-sd',
        this.storeDir,
      ],
      { stdio: 'ignore' },
    );
    await waitFor(
      async () => (await this.monitor('/healthz').catch(() => undefined)) !== undefined,
      10_000,
    );
  }

  /** A monitoring endpoint's JSON (`/varz`, `/connz`, `/healthz`). */
  async monitor(path: string): Promise<Record<string, unknown>> {
    const response = await fetch(`http://127.0.0.1:${this.monitorPort}${path}`);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  }

  /** Client connections open now (`/connz` `num_connections`). */
  async connections(): Promise<number> {
    return Number((await this.monitor('/connz')).num_connections);
  }

  /** Client connections accepted since the server started (`/varz` `total_connections`). */
  async totalConnections(): Promise<number> {
    return Number((await this.monitor('/varz')).total_connections);
  }

  /**
   * Puts the server in lame duck mode (`nats-server --signal ldm=<pid>`): it tells its clients,
   * stops accepting connections and closes the ones it has over the next minutes. Restart it
   * with {@link stop} then {@link restart}.
   */
  lameDuck(): void {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error('the server is not running');
    const result = spawnSync('nats-server', ['--signal', `ldm=${pid}`]);
    if (result.status !== 0) throw new Error(`ldm signal failed: ${String(result.stderr)}`);
  }

  /**
   * Freezes the server (SIGSTOP): connections stay open and nothing answers. Resolves once every
   * thread of the process is stopped (read from /proc where there is one): a signal is delivered
   * asynchronously, and a thread still running could answer a request sent meanwhile.
   */
  async pause(): Promise<void> {
    await freezeProcess(this.child);
  }

  /** Lets a frozen server go on (SIGCONT). */
  resume(): void {
    thawProcess(this.child);
  }

  /** Kills the server (SIGKILL: an abrupt outage) and waits until it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await killProcess(child);
  }

  /** Kills the server and removes its store. */
  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}

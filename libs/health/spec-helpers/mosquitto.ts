/**
 * A Mosquitto broker of the spec's own, on a free port of 127.0.0.1 (anonymous, nothing kept on
 * disk, `$SYS` every second), that a spec can stop (SIGKILL), freeze (SIGSTOP) and start again on
 * the same port without touching the shared broker.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, waitFor } from './faults';
import { freezeProcess, killProcess, thawProcess } from './server-process';

/** Where Debian installs the broker (`/usr/sbin` is not on every user's PATH). */
const CANDIDATES = ['mosquitto', '/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto'];

function mosquittoBinary(): string | undefined {
  return CANDIDATES.find((bin) => spawnSync(bin, ['-h']).error === undefined);
}

export class PrivateMosquitto {
  private child?: ChildProcess;

  private constructor(
    private readonly binary: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** Whether a `mosquitto` binary is installed. */
  static available(): boolean {
    return mosquittoBinary() !== undefined;
  }

  /** Starts a broker on a free port and waits until it accepts connections. */
  static async start(): Promise<PrivateMosquitto> {
    const binary = mosquittoBinary();
    if (!binary) throw new Error('mosquitto is not installed');
    const dir = await mkdtemp(join(tmpdir(), 'nest-health-mosquitto-'));
    const port = await closedPort();
    await writeFile(
      join(dir, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence false',
        'sys_interval 1',
        'log_dest none',
        '',
      ].join('\n'),
    );
    const broker = new PrivateMosquitto(binary, dir, port);
    await broker.restart();
    return broker;
  }

  /** `mqtt://127.0.0.1:<port>`. */
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts the broker again on the same port (after {@link kill}). */
  async restart(): Promise<void> {
    this.child = spawn(this.binary, ['-c', join(this.dir, 'mosquitto.conf')], {
      stdio: 'ignore',
    });
    await waitFor(() => acceptsConnections(this.port), 5_000);
  }

  /**
   * Freezes the broker (SIGSTOP): connections stay open, nothing answers. Resolves once it is
   * stopped.
   */
  async pause(): Promise<void> {
    await freezeProcess(this.child);
  }

  /** Lets a frozen broker go on (SIGCONT). */
  resume(): void {
    thawProcess(this.child);
  }

  /** Kills the broker (SIGKILL: an abrupt outage) and waits until it has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await killProcess(child);
  }

  /** Kills the broker and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

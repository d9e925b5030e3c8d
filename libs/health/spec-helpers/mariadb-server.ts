/**
 * A MariaDB server of the spec's own (`mariadbd` on a free port, a data directory in a temp
 * folder), that the spec can freeze, kill and start again on the same port without touching the
 * shared server. Anyone may log in (`--skip-grant-tables`); the database `test` exists.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort, waitFor } from './faults';
import { freezeProcess, killProcess, thawProcess } from './server-process';

const MARIADBD = ['/usr/sbin/mariadbd', 'mariadbd'].find(
  (binary) => spawnSync(binary, ['--version']).status === 0,
);

/** A private `mariadbd`: see the module comment. Call {@link close} when done. */
export class PrivateMariaDbServer {
  private child?: ChildProcess;

  private constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** Whether `mariadbd` and `mariadb-install-db` are installed. */
  static available(): boolean {
    return MARIADBD !== undefined && spawnSync('mariadb-install-db', ['--version']).status === 0;
  }

  /** Creates a data directory, starts the server on a free port and waits until it answers. */
  static async start(): Promise<PrivateMariaDbServer> {
    const dir = mkdtempSync(join(tmpdir(), 'nest-health-mariadb-'));
    const installed = spawnSync(
      'mariadb-install-db',
      [
        '--no-defaults',
        `--datadir=${join(dir, 'data')}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--user=root',
      ],
      { stdio: 'ignore' },
    );
    if (installed.status !== 0) throw new Error('mariadb-install-db failed');
    mkdirSync(join(dir, 'data', 'test')); // a database is a folder: `test`
    const server = new PrivateMariaDbServer(dir, await closedPort());
    await server.restart();
    return server;
  }

  /** Starts the server again (after {@link stop}) on the same port and data. */
  async restart(): Promise<void> {
    this.child = spawn(
      MARIADBD ?? 'mariadbd',
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(this.dir, 'mysqld.sock')}`,
        `--pid-file=${join(this.dir, 'mysqld.pid')}`,
        '--user=root',
        '--skip-grant-tables',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=16M',
        '--max-connections=500',
        `--log-error=${join(this.dir, 'error.log')}`,
      ],
      { stdio: 'ignore' },
    );
    await waitFor(() => greets(this.port), 20_000);
  }

  /**
   * Freezes the server (SIGSTOP): connections stay open, nothing answers. Resolves once every
   * thread of the server is stopped (the signal reaches them one by one: a statement sent right
   * after `kill` could still be answered).
   */
  async pause(): Promise<void> {
    await freezeProcess(this.child);
  }

  /** Lets a frozen server go on (SIGCONT). */
  resume(): void {
    thawProcess(this.child);
  }

  /** Kills the server (SIGKILL, an abrupt outage) and waits until it has exited. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await killProcess(child);
  }

  /** Stops the server and removes its data. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Whether a server on `port` sends its greeting (the handshake packet) on connect. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('data', () => done(true));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

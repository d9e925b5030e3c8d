import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait-for';

const run = promisify(execFile);

/** Whether the `redis-server` and `redis-cli` binaries a cluster needs are on the PATH. */
export function hasRedisCluster(): boolean {
  return (
    spawnSync('redis-server', ['--version']).status === 0 &&
    spawnSync('redis-cli', ['--version']).status === 0
  );
}

/** A node of the cluster, as ioredis's `Cluster` takes its startup nodes. */
export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
}

/**
 * A throw-away Redis Cluster of three masters (no replicas, no persistence) on 127.0.0.1,
 * created as an operator does: `redis-server --cluster-enabled yes` on three ports, then
 * `redis-cli --cluster create`. Its node files live in a temporary folder of its own, removed
 * by {@link stop}.
 */
export class TestRedisCluster {
  private constructor(
    readonly nodes: readonly RedisClusterNode[],
    private readonly children: readonly ChildProcess[],
    private readonly directory: string,
  ) {}

  /**
   * Starts three masters, assigns them the 16384 slots and waits until every node reports
   * `cluster_state:ok`.
   *
   * @throws Error when a node does not start, or the cluster is not ok within `timeoutMs`
   *   (the nodes are stopped first).
   */
  static async start({ masters = 3, timeoutMs = 20_000 } = {}): Promise<TestRedisCluster> {
    const directory = await mkdtemp(join(tmpdir(), 'redis-cluster-'));
    const ports = await clusterPorts(masters);
    const children = ports.map((port) =>
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(directory, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '5000',
          '--dir',
          directory,
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      ),
    );
    const cluster = new TestRedisCluster(
      ports.map((port) => ({ host: '127.0.0.1', port })),
      children,
      directory,
    );
    try {
      await waitFor(() => Promise.all(ports.map((port) => cli(port, 'PING'))), {
        timeoutMs: 5_000,
      });
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...ports.map((port) => `127.0.0.1:${port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { timeout: timeoutMs },
      );
      await waitFor(
        async () => {
          for (const port of ports) {
            const info = await cli(port, 'CLUSTER', 'INFO');
            expect(info).toMatch(/^cluster_state:ok\r?$/m);
            expect(info).toMatch(new RegExp(`^cluster_known_nodes:${masters}\\r?$`, 'm'));
          }
        },
        { timeoutMs, intervalMs: 100 },
      );
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Kills the nodes (SIGKILL), waits until they have exited and removes their folder. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await rm(this.directory, { recursive: true, force: true });
  }
}

/** Runs one `redis-cli` command against a node; its output. */
async function cli(port: number, ...command: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...command], {
    timeout: 2_000,
  });
  if (stdout.startsWith('ERR') || stdout.includes('Could not connect')) throw new Error(stdout);
  return stdout;
}

/**
 * `count` ports of 127.0.0.1 that are free, each with its cluster bus port (the port + 10000)
 * free too: below 55536, which the kernel's ephemeral range does not guarantee.
 */
async function clusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (ports.includes(port) || ports.includes(port + 10_000) || ports.includes(port - 10_000)) {
      continue;
    }
    if ((await isFree(port)) && (await isFree(port + 10_000))) ports.push(port);
  }
  return ports;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

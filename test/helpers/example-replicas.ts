import { get } from 'node:http';
import type { ExampleEnv } from '../../apps/example/src/example-config';
import { SERVICES } from './example-app';
import { ExampleProcess } from './example-process';
import { FaultProxy } from './fault-proxy';

/** One replica to start: its name, and what sets it apart from the others. */
export interface ReplicaSpec {
  /** Its `INSTANCE_ID`. */
  readonly instance: string;
  /**
   * Puts a {@link FaultProxy} between this replica and PostgreSQL ({@link ExampleReplica.database}),
   * so that a spec can take its database away and no other replica's.
   * @default false
   */
  readonly faultyDatabase?: boolean;
  /** More environment variables, over the common ones. */
  readonly env?: ExampleEnv;
}

/** An answer of a replica: status and parsed JSON body (or the text when it is not JSON). */
export interface ReplicaAnswer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/**
 * One replica of the example app: `main.ts` in a process of its own, listening on a port of its
 * own (`PORT=0`), named by `INSTANCE_ID`, with the real PostgreSQL and Redis of the specs
 * ({@link SERVICES}) unless its environment says otherwise.
 */
export class ExampleReplica {
  private frozen = false;

  private constructor(
    readonly instance: string,
    readonly process: ExampleProcess,
    /** `http://127.0.0.1:<port>`. */
    readonly url: string,
    /** The proxy in front of its PostgreSQL, with {@link ReplicaSpec.faultyDatabase}. */
    readonly database: FaultProxy | undefined,
  ) {}

  /**
   * Starts one replica and waits until it listens.
   *
   * @param env - the environment common to the replicas; the spec's `env` wins over it.
   * @throws Error with the replica's output when it exits or does not listen within 30 s.
   */
  static async start(spec: ReplicaSpec, env: ExampleEnv = {}): Promise<ExampleReplica> {
    const database = spec.faultyDatabase
      ? await FaultProxy.start({ port: Number(new URL(SERVICES.databaseUrl).port || 5432) })
      : undefined;
    const databaseUrl = new URL(SERVICES.databaseUrl);
    if (database) databaseUrl.port = String(database.port);
    const child = ExampleProcess.start({
      PORT: '0',
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: SERVICES.redisUrl,
      QUEUE_PREFIX: `e2e-replica-${spec.instance}`,
      INSTANCE_ID: spec.instance,
      ...env,
      ...spec.env,
    });
    try {
      // Generous: each replica transpiles the example and the library from TypeScript as it starts.
      const url = new URL(await child.url(90_000));
      return new ExampleReplica(spec.instance, child, `http://127.0.0.1:${url.port}`, database);
    } catch (error) {
      await child.stop('SIGKILL');
      await database?.close();
      throw error;
    }
  }

  /** Starts the replicas in parallel; stops those that started when one fails. */
  static async startAll(
    specs: readonly ReplicaSpec[],
    env: ExampleEnv = {},
  ): Promise<ExampleReplica[]> {
    const started = await Promise.allSettled(specs.map((spec) => ExampleReplica.start(spec, env)));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await Promise.all(
        started.map((result) =>
          result.status === 'fulfilled' ? result.value.kill() : Promise.resolve(),
        ),
      );
      throw failed.reason;
    }
    return started.map((result) => (result as PromiseFulfilledResult<ExampleReplica>).value);
  }

  /** Everything the replica wrote to stdout and stderr. */
  get logs(): string {
    return this.process.logs;
  }

  /** Whether the process has ended. */
  get exited(): boolean {
    return this.process.exited;
  }

  /**
   * GETs `path` on a new connection (no keep-alive), as a kubelet or a dashboard would.
   *
   * @param timeoutMs - a request not answered in this long rejects (a kubelet's
   *   `timeoutSeconds`). @default 2000
   */
  get(path: string, timeoutMs = 2_000): Promise<ReplicaAnswer> {
    return getAnswer(`${this.url}${path}`, timeoutMs);
  }

  /** Freezes the process (SIGSTOP): it neither answers nor publishes, its sockets stay open. */
  freeze(): void {
    this.frozen = true;
    this.process.signal('SIGSTOP');
  }

  /** Lets a frozen process go on (SIGCONT). */
  thaw(): void {
    this.frozen = false;
    this.process.signal('SIGCONT');
  }

  /**
   * Sends SIGTERM (a pod's deletion) and waits for the process to exit; a frozen one is thawed
   * first, or it would never handle the signal.
   *
   * @returns how it ended and how long that took after the signal, in milliseconds.
   */
  async terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const stopping = this.process.stop('SIGTERM');
    if (this.frozen) this.thaw();
    const ended = await stopping;
    await this.database?.close();
    return ended;
  }

  /** Kills the process (SIGKILL: a crash, an OOM kill) and waits until it has exited. */
  async kill(): Promise<void> {
    await this.process.stop('SIGKILL');
    this.frozen = false;
    await this.database?.close();
  }
}

/**
 * GETs `url` on a new connection (no keep-alive: nothing stays open after the answer).
 *
 * @param timeoutMs - a request not answered in this long rejects. @default 2000
 */
export function getAnswer(url: string, timeoutMs = 2_000): Promise<ReplicaAnswer> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`${url}: no answer in ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

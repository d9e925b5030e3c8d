import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { loadOptionalPeer } from '../indicators/core/optional-peer';
import { HealthLogger } from '../logging/health-logger';
import { sanitizeMessage } from '../engine/sanitize';

/** What the fleet uses of an ioredis transaction (`multi()`). @internal */
export interface FleetMulti {
  set(key: string, value: string, px: 'PX', ttlMs: number): FleetMulti;
  zadd(key: string, score: number, member: string): FleetMulti;
  zrem(key: string, member: string): FleetMulti;
  zremrangebyscore(key: string, min: string | number, max: string | number): FleetMulti;
  pexpire(key: string, ms: number): FleetMulti;
  del(key: string): FleetMulti;
  xadd(key: string, ...args: Array<string | number>): FleetMulti;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** What the fleet uses of an ioredis `Redis` or `Cluster`. @internal */
export interface FleetRedis {
  readonly status: string;
  multi(): FleetMulti;
  /** `SET key value PX ttl NX`: `'OK'` when set, `null` when the key exists. */
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<'OK' | null>;
  mget(...keys: string[]): Promise<Array<string | null>>;
  zrangebyscore(
    key: string,
    min: string | number,
    max: string | number,
    withScores: 'WITHSCORES',
  ): Promise<string[]>;
  xread(...args: Array<string | number>): Promise<XReadReply | null>;
  duplicate(): FleetRedis;
  disconnect(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** `XREAD`'s reply: per stream, its entries as `[id, [field, value, …]]`. @internal */
export type XReadReply = Array<[string, Array<[string, string[]]>]>;

/** The ioredis package, as far as the fleet uses it. */
interface IoRedisPackage {
  Redis: new (url: string, options: Record<string, unknown>) => FleetRedis;
}

/**
 * The fleet's Redis connections: the app's own client when `fleet.redis` is one (never closed
 * here), or a client the module opens from the URL with ioredis, with options that keep a Redis
 * outage from ever queuing work: no offline queue (a command while disconnected fails at once),
 * one retry per command, reconnection with a capped back-off. Blocking reads (the fleet stream's
 * `XREAD BLOCK`) get connections of their own from {@link duplicate}.
 *
 * @internal
 */
@Injectable()
export class FleetConnection implements OnModuleInit {
  private client?: FleetRedis;
  private owned = false;
  private readonly duplicates = new Set<FleetRedis>();
  /** Logs a connection error once, until the client is ready again. */
  private failing = false;
  private readonly onError = (error: unknown): void => {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn(
      `Fleet: Redis connection error (${describeError(error)}); this replica's own probes are not affected`,
    );
  };
  private readonly onReady = (): void => {
    this.everReady = true;
    if (this.failing) this.logger.log('Fleet: Redis connection ready again');
    this.failing = false;
    for (const listener of this.readyListeners) listener();
  };
  private readonly readyListeners = new Set<() => void>();
  private everReady = false;

  /** Created by Nest's injector. @internal */
  constructor(
    @Inject(HEALTH_RESOLVED_OPTIONS) private readonly options: ResolvedHealthModuleOptions,
    private readonly logger: HealthLogger,
  ) {}

  /**
   * Opens the connection when `fleet` is set.
   *
   * @throws MissingOptionalDependencyError when `fleet.redis` is a URL and ioredis is not
   *   installed.
   */
  onModuleInit(): void {
    const fleet = this.options.fleet;
    if (!fleet) return;
    if (typeof fleet.redis === 'string') {
      const { Redis } = loadOptionalPeer<IoRedisPackage>(
        'ioredis',
        'The "fleet.redis" option (a URL)',
      );
      this.client = new Redis(fleet.redis, ownClientOptions(fleet.timeoutMs));
      this.owned = true;
      // Without a listener, ioredis prints every connection error itself.
      this.client.on('error', this.onError);
    } else {
      this.client = fleet.redis as unknown as FleetRedis;
    }
    this.client.on('ready', this.onReady);
  }

  /** The command connection, or `undefined` when the fleet is off. */
  get redis(): FleetRedis | undefined {
    return this.client;
  }

  /** Whether the module opened the command connection (and so may reset it). */
  get ownsClient(): boolean {
    return this.owned;
  }

  /**
   * Whether the module's own connection is still making its first connection (never ready yet,
   * and not failed yet): a publish now would fail for no fault of Redis's.
   */
  get firstConnecting(): boolean {
    return (
      this.owned &&
      !this.everReady &&
      ['wait', 'connecting', 'connect'].includes(this.client?.status ?? '')
    );
  }

  /** Calls `listener` whenever the command connection becomes ready (again). */
  onceReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /**
   * A new connection for blocking reads, with the command connection's options; closed by
   * {@link release} or {@link close}. Its errors are not logged (the command connection's are).
   */
  duplicate(): FleetRedis {
    if (!this.client) throw new Error('The fleet is not configured.');
    const copy = this.client.duplicate();
    copy.on('error', ignore);
    this.duplicates.add(copy);
    return copy;
  }

  /** Closes a connection made by {@link duplicate} at once (`disconnect()`: nothing is awaited). */
  release(copy: FleetRedis): void {
    if (!this.duplicates.delete(copy)) return;
    copy.disconnect();
  }

  /**
   * Closes what the module opened, at once (`disconnect()`, not `quit()`: a hung Redis never
   * holds up the app's shutdown); the app's own client is left open.
   */
  close(): void {
    for (const copy of this.duplicates) copy.disconnect();
    this.duplicates.clear();
    this.readyListeners.clear();
    const client = this.client;
    if (!client) return;
    client.removeListener('ready', this.onReady);
    if (this.owned) client.disconnect();
    this.client = undefined;
  }
}

/**
 * The options of a client the module opens: a command while disconnected fails at once instead
 * of queuing, a command is retried once at most, reconnection backs off to 2 s, and connecting
 * gives up after the publish deadline (at least 1 s).
 */
function ownClientOptions(timeoutMs: number): Record<string, unknown> {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: Math.max(timeoutMs, 1_000),
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
    connectionName: 'nest-health-fleet',
  };
}

function ignore(): void {}

/** An error's message, sanitized (a URL's password never reaches the log). @internal */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return sanitizeMessage(message);
}

import { IsOptional, IsString, MinLength } from 'class-validator';
import { performance } from 'node:perf_hooks';
import type { HealthCheckContext, HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import {
  abortable,
  BuiltInHealthIndicator,
  elapsedMs,
  Findings,
  hasMethods,
  IsUpperThreshold,
  kindOf,
  noop,
  onAbort,
  prepareOptions,
  requireArgument,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';

/**
 * Anything that runs a SQL statement: a `pg` `Pool` or `Client`, a TypeORM `DataSource`, a
 * PGlite instance, a `mysql2/promise` pool. Only `query(sql)` is used.
 */
export interface SqlQueryable {
  /** Runs one statement; rejects when it fails. */
  query(sql: string): PromiseLike<unknown>;
}

/**
 * A `pg` `Pool`, recognised by its shape: the check then takes a connection itself, so that it
 * can drop exactly that connection when the run's signal aborts.
 */
interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

interface PgPoolClientLike {
  query(sql: string): Promise<unknown>;
  /** `release(error)` destroys the connection instead of returning it to the pool. */
  release(destroy?: Error | boolean): void;
}

function isPgPool(client: object): client is PgPoolLike {
  const record = client as Partial<Record<keyof PgPoolLike, unknown>>;
  return (
    hasMethods(client, 'connect', 'query') &&
    typeof record.totalCount === 'number' &&
    typeof record.idleCount === 'number' &&
    typeof record.waitingCount === 'number'
  );
}

/**
 * Options of {@link sqlIndicator}: the usual indicator options (default name `'sql'`, default
 * groups `['readiness']`) and its own.
 */
export interface SqlIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * The statement to run. Keep it cheap and read-only.
   * @default 'SELECT 1'
   */
  query?: string;
  /**
   * Levels for the time to run it (with a pool: taking a connection and running it), in
   * milliseconds.
   * @default none (the indicator's `timeoutMs` bounds it)
   */
  responseTimeMs?: UpperThreshold;
}

class SqlIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @IsString({ message: 'must be a non-empty SQL statement' })
  @MinLength(1, { message: 'must be a non-empty SQL statement' })
  query?: string;

  @IsOptional()
  @IsUpperThreshold()
  responseTimeMs?: UpperThreshold;
}

/** @internal */
export class SqlHealthIndicator extends BuiltInHealthIndicator {
  constructor(
    options: BuiltInIndicator['options'],
    private readonly client: SqlQueryable,
    private readonly settings: { query: string; responseTimeMs?: UpperThreshold },
  ) {
    super('sql', options);
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    signal.throwIfAborted();
    const started = performance.now();
    const pool = isPgPool(this.client) ? this.client : undefined;
    if (pool) await this.queryPool(pool, signal);
    else await abortable(this.client.query(this.settings.query), signal);
    const data: Record<string, number> = { responseTimeMs: elapsedMs(started) };
    if (pool) {
      data.poolTotalCount = pool.totalCount;
      data.poolIdleCount = pool.idleCount;
      data.poolWaitingCount = pool.waitingCount;
    }
    return new Findings()
      .above('responseTimeMs', data.responseTimeMs, this.settings.responseTimeMs)
      .result(data);
  }

  /**
   * Takes a connection from the pool and runs the statement on it. On abort, the connection is
   * destroyed (pg cannot cancel a query from the client side): its socket closes and the pool
   * gets its slot back (the server ends the statement when it notices the client has gone). A connection the pool is still opening
   * cannot be cut short: it is destroyed as soon as it arrives, and the pool's own
   * `connectionTimeoutMillis` bounds how long that takes.
   */
  private async queryPool(pool: PgPoolLike, signal: AbortSignal): Promise<void> {
    const checkout = pool.connect();
    let connection: PgPoolClientLike;
    try {
      connection = await abortable(checkout, signal);
    } catch (error) {
      if (signal.aborted) checkout.then((late) => late.release(true), noop);
      throw error;
    }
    let destroyed = false;
    const stopListening = onAbort(signal, () => {
      destroyed = true;
      connection.release(new Error('health check aborted'));
    });
    try {
      await abortable(connection.query(this.settings.query), signal);
    } finally {
      stopListening();
      if (!destroyed) connection.release();
    }
  }
}

/**
 * Checks a SQL database by running a statement (`SELECT 1` by default) on a client you already
 * have, so it uses your pool, credentials and TLS settings and opens nothing of its own. Works
 * with anything that has `query(sql)`: a `pg` `Pool` or `Client`, a TypeORM `DataSource`,
 * PGlite, a `mysql2/promise` pool.
 *
 * With a `pg` `Pool` it takes a connection itself and, when the run's signal aborts, destroys
 * that connection, which frees its socket and the pool's slot. Give the pool a
 * `connectionTimeoutMillis` no longer than the indicator's `timeoutMs`: a connection the pool is
 * still opening (to a server that does not answer) is the pool's to time out. Other clients
 * cannot be interrupted: the run ends at the deadline and the statement finishes in the client.
 *
 * Data: `responseTimeMs`; with a `pg` `Pool` also `poolTotalCount`, `poolIdleCount` and
 * `poolWaitingCount` (callers queued for a connection: a pool too small, or connections
 * leaked).
 *
 * @param client - see {@link SqlQueryable}. It is never closed by the indicator.
 * @param options - see {@link SqlIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when `client` has no `query` method or an option is
 *   invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, sqlIndicator } from 'nest-health';
 * import { Pool } from 'pg';
 *
 * const pool = new Pool({
 *   connectionString: process.env.DATABASE_URL,
 *   connectionTimeoutMillis: 1_000,
 * });
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       indicators: [
 *         sqlIndicator(pool, { name: 'database', responseTimeMs: { degradedAbove: 200 } }),
 *       ],
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function sqlIndicator(
  client: SqlQueryable,
  options?: SqlIndicatorOptions,
): BuiltInIndicator {
  requireArgument(
    'sqlIndicator()',
    'client',
    kindOf(client),
    hasMethods(client, 'query'),
    'must have a query(sql) method: a pg Pool or Client, a TypeORM DataSource, PGlite',
  );
  const { registration, own } = prepareOptions(
    'sqlIndicator()',
    SqlIndicatorOptionsSchema,
    options,
    {
      name: 'sql',
    },
  );
  return new SqlHealthIndicator(registration, client, {
    query: own.query ?? 'SELECT 1',
    responseTimeMs: own.responseTimeMs,
  });
}

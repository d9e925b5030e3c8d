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
import { sqlPoolOf, sqlRunnerOf, type SqlLease, type SqlPool } from './sql-pools';

/**
 * Anything that runs a SQL statement with `query(sql)`: a `pg` `Pool` or `Client`, a
 * `mysql2/promise` pool or connection (or a callback `mysql2` pool), a TypeORM `DataSource`, a
 * Sequelize instance, PGlite.
 */
export interface SqlQueryable {
  /** Runs one statement; rejects when it fails. */
  query(sql: string): PromiseLike<unknown>;
}

/**
 * A MikroORM instance (`MikroORM.init()`'s result) over a SQL driver, or anything else whose
 * `em.getConnection()` has `execute(sql)`.
 */
export interface SqlEntityManagerOwner {
  /** The ORM's entity manager; only `getConnection()` is used. */
  readonly em: {
    /** MikroORM's `em.getConnection()`: the connection of the ORM's driver. */
    getConnection(): {
      /** Runs one statement; rejects when it fails. */
      execute(sql: string): PromiseLike<unknown>;
    };
  };
}

/** What {@link sqlIndicator} accepts: see {@link SqlQueryable} and {@link SqlEntityManagerOwner}. */
export type SqlClient = SqlQueryable | SqlEntityManagerOwner;

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
    private readonly client: SqlClient,
    private readonly settings: { query: string; responseTimeMs?: UpperThreshold },
  ) {
    super('sql', options);
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    signal.throwIfAborted();
    const started = performance.now();
    const pool = sqlPoolOf(this.client);
    if (pool) await this.queryPool(pool, signal);
    else {
      const run = sqlRunnerOf(this.client);
      if (!run) throw new TypeError('the client has no query(sql) method');
      await abortable(run(this.settings.query), signal);
    }
    const data: Record<string, number> = { responseTimeMs: elapsedMs(started) };
    if (pool) Object.assign(data, pool.facts());
    return new Findings()
      .above('responseTimeMs', data.responseTimeMs, this.settings.responseTimeMs)
      .result(data);
  }

  /**
   * Takes a connection from the pool and runs the statement on it. On abort, the connection is
   * destroyed (neither pg nor mysql2 can cancel a statement from the client side): its socket
   * closes and the pool gets its slot back (the server ends the statement when it notices the
   * client has gone). A connection the pool is still opening cannot be cut short: it is
   * destroyed as soon as it arrives, and the pool's own connect timeout bounds how long that
   * takes.
   */
  private async queryPool(pool: SqlPool, signal: AbortSignal): Promise<void> {
    const checkout = pool.acquire();
    let connection: SqlLease;
    try {
      connection = await abortable(checkout, signal);
    } catch (error) {
      if (signal.aborted) checkout.then((late) => late.destroy(), noop);
      throw error;
    }
    let destroyed = false;
    const stopListening = onAbort(signal, () => {
      destroyed = true;
      connection.destroy();
    });
    try {
      await abortable(connection.run(this.settings.query), signal);
    } finally {
      stopListening();
      if (!destroyed) connection.release();
    }
  }
}

/**
 * Checks a SQL database by running a statement (`SELECT 1` by default) on a client you already
 * have, so it uses your pool, credentials and TLS settings and opens nothing of its own. Works
 * with anything that has `query(sql)` — a `pg` `Pool` or `Client`, a `mysql2/promise` pool or
 * connection (MySQL, MariaDB), a TypeORM `DataSource`, a Sequelize instance, PGlite — and with a
 * MikroORM instance (`em.getConnection().execute(sql)`).
 *
 * Where the client has a pool the check can reach — a `pg` `Pool`, a `mysql2` pool (promise or
 * callback), the pool of a TypeORM `DataSource` over `mysql2` or `pg`, Sequelize's connection
 * manager, MikroORM's Knex pool — it takes a connection itself and, when the run's signal aborts
 * (the deadline), destroys that connection (its socket closes, the pool gets its slot back and
 * opens a fresh connection when next asked) instead of returning it busy to the pool. Give the
 * pool a connect timeout no longer than the indicator's `timeoutMs` (`pg`:
 * `connectionTimeoutMillis`; `mysql2`, TypeORM, Sequelize `dialectOptions`: `connectTimeout`;
 * MikroORM: `pool.acquireTimeoutMillis`): a connection the pool is still opening to a server
 * that does not answer is the pool's to time out, and it is destroyed when it arrives. Other
 * clients (a single `pg` `Client` or `mysql2` connection) are never closed: the run ends at the
 * deadline and the statement finishes in the client.
 *
 * Sequelize runs the statement with `logging: false`, so that the checks do not fill its log.
 *
 * Data: `responseTimeMs`; with a pool also `poolTotalCount` (connections open),
 * `poolIdleCount` and `poolWaitingCount` (callers queued for a connection: a pool too small, or
 * connections leaked); not for Sequelize with read replication (two pools).
 *
 * @param client - see {@link SqlClient}. It is never closed by the indicator.
 * @param options - see {@link SqlIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when `client` has neither `query(sql)` nor
 *   `em.getConnection()`, or an option is invalid.
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
export function sqlIndicator(client: SqlClient, options?: SqlIndicatorOptions): BuiltInIndicator {
  requireArgument(
    'sqlIndicator()',
    'client',
    kindOf(client),
    hasMethods(client, 'query') ||
      hasMethods((client as { em?: unknown } | null)?.em, 'getConnection'),
    'must have a query(sql) method (a pg Pool or Client, a mysql2 pool or connection, a TypeORM DataSource, a Sequelize instance, PGlite) or be a MikroORM instance',
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

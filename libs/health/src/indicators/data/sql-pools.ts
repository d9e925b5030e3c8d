/**
 * The pools behind the clients that `sqlIndicator` accepts, recognised by their shape (no
 * driver is imported): `pg`, `mysql2` (promise or callback pool, and TypeORM's driver pool over
 * either), Sequelize's connection manager and MikroORM's Knex pool. With a pool the check takes
 * a connection itself, so that at the deadline it can destroy exactly that connection rather
 * than leave it busy in the pool.
 *
 * @internal
 */
import { hasMethods, noop } from '../core';

/** One connection taken from a pool for one check. @internal */
export interface SqlLease {
  /** Runs the statement on this connection. */
  run(sql: string): Promise<unknown>;
  /** Gives the connection back to its pool. */
  release(): void;
  /** Closes the connection's socket and takes it out of its pool. */
  destroy(): void;
}

/** A pool the check takes its own connection from. @internal */
export interface SqlPool {
  acquire(): Promise<SqlLease>;
  /** `poolTotalCount`, `poolIdleCount`, `poolWaitingCount` where the pool tells them. */
  facts(): Record<string, number>;
}

type Callback<T> = (error: Error | null, value: T) => void;

function field(value: unknown, key: string): unknown {
  return value !== null && (typeof value === 'object' || typeof value === 'function')
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function hasLength(value: unknown): boolean {
  return typeof field(value, 'length') === 'number';
}

// ---------------------------------------------------------------------------------------- pg

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

function isPgPool(value: unknown): value is PgPoolLike {
  return (
    hasMethods(value, 'connect', 'query') &&
    typeof field(value, 'totalCount') === 'number' &&
    typeof field(value, 'idleCount') === 'number' &&
    typeof field(value, 'waitingCount') === 'number'
  );
}

function pgPool(pool: PgPoolLike): SqlPool {
  return {
    acquire: async () => {
      const connection = await pool.connect();
      return {
        run: (sql) => connection.query(sql),
        release: () => connection.release(),
        destroy: () => connection.release(new Error('health check aborted')),
      };
    },
    facts: () => ({
      poolTotalCount: pool.totalCount,
      poolIdleCount: pool.idleCount,
      poolWaitingCount: pool.waitingCount,
    }),
  };
}

// ------------------------------------------------------------------------------------ mysql2

/** mysql2's callback `Pool` (the one behind `mysql2/promise`'s pool, and TypeORM's). */
interface Mysql2PoolLike {
  getConnection(callback: Callback<Mysql2ConnectionLike>): void;
  readonly _allConnections: { readonly length: number };
  readonly _freeConnections: { readonly length: number };
  readonly _connectionQueue: { readonly length: number };
}

interface Mysql2ConnectionLike {
  query(sql: string, callback: Callback<unknown>): unknown;
  release(): void;
  /** Closes the socket at once and removes the connection from its pool. */
  destroy(): void;
}

function isMysql2Pool(value: unknown): value is Mysql2PoolLike {
  return (
    hasMethods(value, 'getConnection', 'releaseConnection') &&
    hasLength(field(value, '_allConnections')) &&
    hasLength(field(value, '_freeConnections')) &&
    hasLength(field(value, '_connectionQueue'))
  );
}

function mysql2Pool(pool: Mysql2PoolLike): SqlPool {
  return {
    acquire: () =>
      new Promise<SqlLease>((resolve, reject) => {
        pool.getConnection((error, connection) => {
          if (error) {
            reject(error);
            return;
          }
          resolve({
            run: (sql) =>
              new Promise((done, fail) => {
                connection.query(sql, (queryError, rows) =>
                  queryError ? fail(queryError) : done(rows),
                );
              }),
            release: () => connection.release(),
            destroy: () => connection.destroy(),
          });
        });
      }),
    facts: () => ({
      poolTotalCount: pool._allConnections.length,
      poolIdleCount: pool._freeConnections.length,
      poolWaitingCount: pool._connectionQueue.length,
    }),
  };
}

// --------------------------------------------------------------------------------- Sequelize

interface SequelizeLike {
  query(sql: string, options: object): Promise<unknown>;
  readonly connectionManager: {
    getConnection(options?: object): Promise<object>;
    releaseConnection(connection: object): void;
    destroyConnection(connection: object): Promise<void>;
    readonly pool?: unknown;
  };
}

function isSequelize(value: unknown): value is SequelizeLike {
  return (
    hasMethods(value, 'query', 'authenticate') &&
    hasMethods(
      field(value, 'connectionManager'),
      'getConnection',
      'releaseConnection',
      'destroyConnection',
    )
  );
}

function sequelizePool(sequelize: SequelizeLike): SqlPool {
  const manager = sequelize.connectionManager;
  return {
    acquire: async () => {
      const connection = await manager.getConnection();
      return {
        // A transaction-shaped option makes Sequelize run the statement on this connection (as
        // Sequelize itself does to read the server's version); health queries are not logged.
        run: (sql) =>
          sequelize.query(sql, { transaction: { connection }, raw: true, logging: false }),
        release: () => manager.releaseConnection(connection),
        destroy: () => {
          // The socket first: Sequelize's own disconnect is a polite QUIT queued behind the
          // statement that hangs. The dialect sees the connection closing and skips it.
          const destroy = field(connection, 'destroy');
          if (typeof destroy === 'function') (destroy as () => void).call(connection);
          manager.destroyConnection(connection).catch(noop);
        },
      };
    },
    facts: (): Record<string, number> => {
      const pool = manager.pool;
      const total = field(pool, 'size');
      const idle = field(pool, 'available');
      const waiting = field(pool, 'waiting');
      if (typeof total !== 'number' || typeof idle !== 'number' || typeof waiting !== 'number')
        return {}; // read/write replication: two pools
      return { poolTotalCount: total, poolIdleCount: idle, poolWaitingCount: waiting };
    },
  };
}

// ---------------------------------------------------------------------------- MikroORM / Knex

interface KnexClientLike {
  acquireConnection(): Promise<object>;
  releaseConnection(connection: object): Promise<void>;
  readonly pool?: unknown;
}

function knexClientOf(ormConnection: unknown): KnexClientLike | undefined {
  if (!hasMethods(ormConnection, 'getKnex')) return undefined;
  const knex = (ormConnection as { getKnex(): unknown }).getKnex();
  const client = field(knex, 'client');
  return hasMethods(client, 'acquireConnection', 'releaseConnection')
    ? (client as KnexClientLike)
    : undefined;
}

function count(pool: unknown, method: string): number | undefined {
  const read = field(pool, method);
  if (typeof read !== 'function') return undefined;
  const value: unknown = (read as () => unknown).call(pool);
  return typeof value === 'number' ? value : undefined;
}

/**
 * Knex's pool (MikroORM's SQL drivers): the raw driver connection runs the statement through its
 * callback `query(sql, callback)` (mysql2, pg). A destroyed connection is handed back and the
 * pool, which validates a connection before lending it, drops it.
 */
function knexPool(client: KnexClientLike): SqlPool {
  return {
    acquire: async () => {
      const connection = await client.acquireConnection();
      if (!hasMethods(connection, 'query')) {
        await client.releaseConnection(connection);
        throw new TypeError('the pool lends connections without query(sql, callback)');
      }
      const raw = connection as { query(sql: string, callback: Callback<unknown>): unknown };
      return {
        run: (sql) =>
          new Promise((done, fail) => {
            raw.query(sql, (error, rows) => (error ? fail(error) : done(rows)));
          }),
        release: () => void client.releaseConnection(connection).catch(noop),
        destroy: () => {
          const destroy = field(connection, 'destroy');
          if (typeof destroy === 'function') (destroy as () => void).call(connection);
          client.releaseConnection(connection).catch(noop);
        },
      };
    },
    facts: (): Record<string, number> => {
      const used = count(client.pool, 'numUsed');
      const free = count(client.pool, 'numFree');
      const waiting = count(client.pool, 'numPendingAcquires');
      if (used === undefined || free === undefined || waiting === undefined) return {};
      return { poolTotalCount: used + free, poolIdleCount: free, poolWaitingCount: waiting };
    },
  };
}

// --------------------------------------------------------------------------------- resolving

/**
 * The pool behind `client`, or `undefined` when the check should call the client's own method.
 * Looked up on every run: a TypeORM `DataSource` has its pool only once initialized.
 *
 * @internal
 */
export function sqlPoolOf(client: object): SqlPool | undefined {
  if (isPgPool(client)) return pgPool(client);
  if (isMysql2Pool(client)) return mysql2Pool(client);
  // mysql2/promise createPool(): the callback pool is its `pool`
  const inner = field(client, 'pool');
  if (hasMethods(client, 'getConnection', 'query') && isMysql2Pool(inner)) return mysql2Pool(inner);
  // TypeORM DataSource: the driver's pool (mysql2) or master pool (pg)
  const driver = field(client, 'driver');
  if (driver !== undefined && hasMethods(client, 'query')) {
    const driverPool = field(driver, 'pool');
    if (isMysql2Pool(driverPool)) return mysql2Pool(driverPool);
    const master = field(driver, 'master');
    if (isPgPool(master)) return pgPool(master);
  }
  if (isSequelize(client)) return sequelizePool(client);
  // MikroORM: orm.em.getConnection() is a Knex-backed connection for its SQL drivers
  const em = field(client, 'em');
  if (hasMethods(em, 'getConnection')) {
    const knexClient = knexClientOf((em as { getConnection(): unknown }).getConnection());
    if (knexClient) return knexPool(knexClient);
  }
  return undefined;
}

/**
 * How to run the statement without a pool of our own: `query(sql)`, or MikroORM's
 * `em.getConnection().execute(sql)`.
 *
 * @internal
 */
export function sqlRunnerOf(client: object): ((sql: string) => PromiseLike<unknown>) | undefined {
  if (hasMethods(client, 'query'))
    return (sql) => (client as { query(sql: string): PromiseLike<unknown> }).query(sql);
  const em = field(client, 'em');
  if (hasMethods(em, 'getConnection'))
    return (sql) => {
      const connection = (em as { getConnection(): unknown }).getConnection();
      if (!hasMethods(connection, 'execute'))
        return Promise.reject(new TypeError('em.getConnection() has no execute(sql)'));
      return (connection as { execute(sql: string): PromiseLike<unknown> }).execute(sql);
    };
  return undefined;
}

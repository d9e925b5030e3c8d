import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';
import { OutageLog } from './outage-log';
import type { SqlClient, SqlRow } from './sql-client';

/**
 * {@link SqlClient} on a PostgreSQL server, through a `pg` pool. Closed with the app.
 */
export class PgSqlClient implements SqlClient, OnApplicationShutdown {
  private readonly outage = new OutageLog(new Logger(PgSqlClient.name), 'PostgreSQL');
  private readonly pool: Pool;

  constructor(connectionString: string) {
    this.pool = new Pool({
      connectionString,
      max: 10,
      // Bounds a connection attempt to a server that does not answer.
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client whose server goes away emits 'error' on the pool: without a listener, the
    // process would crash.
    this.pool.on('error', (error) => this.outage.failed(error));
    this.pool.on('connect', () => this.outage.recovered());
  }

  async query(sql: string, signal?: AbortSignal): Promise<SqlRow[]> {
    signal?.throwIfAborted();
    // A pool cannot abandon a connection attempt: this waits for it, which
    // `connectionTimeoutMillis` bounds. (A health check that outlives its deadline is reported
    // down at the deadline anyway, and is not run again before this settles.)
    const client = await this.pool.connect();
    if (signal?.aborted) {
      client.release();
      signal.throwIfAborted();
    }
    // pg cannot cancel a query from the client side: on abort, drop the connection, which
    // rejects the query at once and gives the pool its slot back.
    let destroyed = false;
    const destroy = () => {
      destroyed = true;
      client.release(new Error('query aborted'));
    };
    signal?.addEventListener('abort', destroy, { once: true });
    try {
      const result = await client.query<SqlRow>(sql);
      return result.rows;
    } finally {
      signal?.removeEventListener('abort', destroy);
      if (!destroyed) client.release();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}

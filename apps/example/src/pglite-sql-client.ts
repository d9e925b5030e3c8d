import { PGlite } from '@electric-sql/pglite';
import type { OnApplicationShutdown } from '@nestjs/common';
import { abortable } from './abortable';
import type { SqlClient, SqlRow } from './sql-client';

/**
 * {@link SqlClient} on an embedded, in-memory PGlite (PostgreSQL compiled to WebAssembly): the
 * app runs with no database server. Its data is lost when the app stops.
 */
export class PgliteSqlClient implements SqlClient, OnApplicationShutdown {
  private constructor(private readonly db: PGlite) {}

  /** Starts the embedded database (about two seconds). */
  static async create(): Promise<PgliteSqlClient> {
    return new PgliteSqlClient(await PGlite.create());
  }

  async query(sql: string, signal?: AbortSignal): Promise<SqlRow[]> {
    const run = this.db.query<SqlRow>(sql).then((result) => result.rows);
    return signal ? abortable(run, signal) : run;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}

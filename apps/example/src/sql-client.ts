import type { FactoryProvider } from '@nestjs/common';
import { EXAMPLE_CONFIG, type ExampleConfig } from './example-config';
import { PgSqlClient } from './pg-sql-client';
import { PgliteSqlClient } from './pglite-sql-client';

/** A row as the SQL client returns it. */
export type SqlRow = Record<string, unknown>;

/**
 * The app's SQL database: PostgreSQL through a `pg` pool, or an embedded PGlite when no
 * `DATABASE_URL` is set. Inject it by this class.
 */
export abstract class SqlClient {
  /**
   * Runs one statement.
   *
   * @param sql - the statement.
   * @param signal - aborts the statement: the call rejects at once and whatever it held (a
   *   pooled connection) is released.
   * @returns the rows.
   */
  abstract query(sql: string, signal?: AbortSignal): Promise<SqlRow[]>;
}

/** Provides {@link SqlClient} from the configuration. */
export const sqlClientProvider: FactoryProvider<SqlClient> = {
  provide: SqlClient,
  inject: [EXAMPLE_CONFIG],
  useFactory: (config: ExampleConfig): SqlClient | Promise<SqlClient> =>
    config.databaseUrl ? new PgSqlClient(config.databaseUrl) : PgliteSqlClient.create(),
};

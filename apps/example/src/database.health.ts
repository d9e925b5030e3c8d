import { performance } from 'node:perf_hooks';
import {
  HealthIndicator,
  up,
  type HealthCheckContext,
  type HealthIndicatorCheck,
} from 'nest-health';
import { elapsedMs } from './elapsed-ms';
import { SqlClient } from './sql-client';

/**
 * The SQL database answers `SELECT 1`. Data: `responseTimeMs`.
 */
@HealthIndicator({ name: 'database', groups: ['readiness'] })
export class DatabaseHealth implements HealthIndicatorCheck {
  constructor(private readonly sql: SqlClient) {}

  async check({ signal }: HealthCheckContext) {
    const started = performance.now();
    await this.sql.query('SELECT 1', signal);
    return up({ responseTimeMs: elapsedMs(started) });
  }
}

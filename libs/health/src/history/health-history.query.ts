import { IsIn, IsOptional } from 'class-validator';
import { HEALTH_HISTORY_WINDOWS, type HealthHistoryWindow } from './health-history.types';

/** Query parameters of `GET /<path>/history` and `GET /<path>/history/:indicator`. */
export class HealthHistoryQuery {
  /**
   * The window of the buckets, transitions and mean time to recovery: `1h` or `24h`.
   * @default '1h'
   */
  @IsOptional()
  @IsIn(HEALTH_HISTORY_WINDOWS, { message: 'must be "1h" or "24h"' })
  window?: HealthHistoryWindow;
}

import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import type { IndicatorStatus } from '../check';
import { NAME_PATTERN, NAME_RULE } from '../options/option-rules';

const STATUS_RULE = 'must be "up", "degraded", "down" or "unknown"';

/**
 * Query parameters of `GET /<path>/fleet`.
 */
export class FleetQuery {
  /** Only this indicator of each replica (replicas without it are left out). */
  @IsOptional()
  @IsString({ message: `must be an indicator name: ${NAME_RULE}` })
  @Matches(NAME_PATTERN, { message: `must be an indicator name: ${NAME_RULE}` })
  indicator?: string;

  /** Only replicas of this status (with `indicator`: whose indicator has this status). */
  @IsOptional()
  @IsString({ message: STATUS_RULE })
  @IsIn(['up', 'degraded', 'down', 'unknown'], { message: STATUS_RULE })
  status?: IndicatorStatus;
}

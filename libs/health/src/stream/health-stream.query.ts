import { Type } from 'class-transformer';
import { IsNumber, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { NAME_PATTERN, NAME_RULE } from '../options/option-rules';

/** Bounds of `?interval=`, in seconds. */
export const STREAM_INTERVAL_BOUNDS = { minSeconds: 0.5, maxSeconds: 300 } as const;

const INTERVAL_RULE = `must be a number of seconds from ${STREAM_INTERVAL_BOUNDS.minSeconds} to ${STREAM_INTERVAL_BOUNDS.maxSeconds}`;

/**
 * Query parameters of `GET /health/stream`.
 */
export class HealthStreamQuery {
  /**
   * Also send a full `snapshot` event every this many seconds (a polling stream), from 0.5 to 300.
   * Without it, a snapshot is sent on connect and then only changes.
   */
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: INTERVAL_RULE })
  @Min(STREAM_INTERVAL_BOUNDS.minSeconds, { message: INTERVAL_RULE })
  @Max(STREAM_INTERVAL_BOUNDS.maxSeconds, { message: INTERVAL_RULE })
  interval?: number;

  /** Limit the stream to one group and its members. */
  @IsOptional()
  @IsString({ message: `must be a group name: ${NAME_RULE}` })
  @Matches(NAME_PATTERN, { message: `must be a group name: ${NAME_RULE}` })
  group?: string;
}

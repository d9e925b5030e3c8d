import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Matches,
} from 'class-validator';
import { BooleanOption, IntegerInRange, NAME_PATTERN, NAME_RULE } from '../options/option-rules';

/**
 * How an indicator is run.
 *
 * - `background` (default): the scheduler runs it at start-up and then every `intervalMs`;
 *   probes read the last result and never wait for it.
 * - `on-demand`: it runs when a request needs it (a probe of one of its groups, `GET /health`),
 *   through single-flight (concurrent requests share one run) and a cache of `cacheTtlMs`.
 */
export type HealthIndicatorMode = 'background' | 'on-demand';

/**
 * The timing and threshold settings that module options can give defaults for.
 *
 * Values from configuration: a numeric option also takes a string holding a plain decimal
 * number (`"250"`, `" 250 "`), and boolean options take `"true"` or `"false"`, as
 * `ConfigService.get()` returns environment variables; they are converted before validation.
 * Any other string (`"250ms"`, `"1e3"`, `""`) is an `InvalidHealthIndicatorOptionsError` that
 * names the option and the value and says "got a string; convert it with Number()". The types
 * stay `number` and `boolean`.
 */
export interface HealthIndicatorTiming {
  /**
   * Hard time budget of one run, in milliseconds. At the deadline the engine aborts
   * `context.signal` and records `down` with "timed out after N ms", whether or not the check
   * co-operates. Integer from 1 to 300000.
   * @default 1000 (the kubelet's default `timeoutSeconds` and Terminus's ping timeout)
   */
  timeoutMs?: number;
  /**
   * Time between the end of one background run and the start of the next, in milliseconds;
   * each wait gets ±10 % jitter so that replicas do not check a shared database in lockstep.
   * Integer from 100 to 86400000.
   * @default 5000 (half the kubelet's default `periodSeconds` of 10 s, so a probe never reads a
   *   result older than about one probe period)
   */
  intervalMs?: number;
  /**
   * Consecutive `down` results before an indicator that was up (or degraded) turns `down`.
   * Integer from 1 to 100.
   * @default 1 (the kubelet applies its own `failureThreshold`, 3 by default, on top: raising
   *   ours multiplies the time to detect an outage)
   */
  failureThreshold?: number;
  /**
   * Consecutive non-`down` results before an indicator that was down is up again.
   * Integer from 1 to 100.
   * @default 1 (as the kubelet's `successThreshold`)
   */
  successThreshold?: number;
  /**
   * On-demand mode only: how long a result is reused before a request runs the check again, in
   * milliseconds. Integer from 0 to 3600000.
   * @default 1000
   */
  cacheTtlMs?: number;
}

/**
 * Options of {@link HealthIndicator}, and of {@link HealthRegistry.register}.
 *
 * Values from configuration: a numeric option also takes a string holding a plain decimal
 * number (`"250"`, `" 250 "`), and `critical` takes `"true"` or `"false"`, as
 * `ConfigService.get()` returns environment variables; they are converted before validation.
 * Any other string (`"250ms"`, `"1e3"`, `""`) is an `InvalidHealthIndicatorOptionsError` that
 * names the option and the value and says "got a string; convert it with Number()". The types
 * stay `number` and `boolean`.
 */
export interface HealthIndicatorOptions extends HealthIndicatorTiming {
  /**
   * The indicator's name, unique in the app: it keys `GET /health`'s `checks`, names the check in
   * `/health/ready/<name>` and in logs. 1 to 63 letters, digits, `.`, `_` or `-`.
   * @default derived from the class name: the suffix `HealthIndicator`, `Health`, `Indicator` or
   *   `Check` is dropped and the rest is kebab-cased (`RedisHealth` → `redis`,
   *   `MessageQueueHealthIndicator` → `message-queue`).
   */
  name?: string;
  /**
   * The groups the indicator belongs to. Built-in groups are `liveness`, `readiness` and
   * `startup`; any other name makes a custom group served at `/health/group/<name>`.
   * @default ['readiness'] (dependencies belong in readiness: a liveness probe that depends on a
   *   database restarts every pod when the database blips)
   */
  groups?: string[];
  /**
   * When `false`, the indicator's `down` counts as `degraded` for its groups: it is reported,
   * but it does not take the group down.
   * @default true
   */
  critical?: boolean;
  /**
   * `background` or `on-demand`; see {@link HealthIndicatorMode}.
   * @default 'background'
   */
  mode?: HealthIndicatorMode;
}

/**
 * The class-validator schema of {@link HealthIndicatorTiming}.
 *
 * @internal
 */
export class HealthIndicatorTimingSchema implements HealthIndicatorTiming {
  @IsOptional()
  @IntegerInRange(1, 300_000, 'milliseconds')
  timeoutMs?: number;

  @IsOptional()
  @IntegerInRange(100, 86_400_000, 'milliseconds')
  intervalMs?: number;

  @IsOptional()
  @IntegerInRange(1, 100)
  failureThreshold?: number;

  @IsOptional()
  @IntegerInRange(1, 100)
  successThreshold?: number;

  @IsOptional()
  @IntegerInRange(0, 3_600_000, 'milliseconds')
  cacheTtlMs?: number;
}

/**
 * The class-validator schema of {@link HealthIndicatorOptions}.
 *
 * @internal
 */
export class HealthIndicatorOptionsSchema
  extends HealthIndicatorTimingSchema
  implements HealthIndicatorOptions
{
  @IsOptional()
  @IsString({ message: NAME_RULE })
  @Matches(NAME_PATTERN, { message: NAME_RULE })
  name?: string;

  @IsOptional()
  @IsArray({ message: 'must be an array of group names' })
  @ArrayMaxSize(32, { message: 'must list at most 32 groups' })
  @ArrayUnique({ message: 'must not list a group twice' })
  @IsString({ each: true, message: `must be an array of group names; each ${NAME_RULE}` })
  @Matches(NAME_PATTERN, {
    each: true,
    message: `must be an array of group names; each ${NAME_RULE}`,
  })
  groups?: string[];

  @IsOptional()
  @BooleanOption()
  critical?: boolean;

  @IsOptional()
  @IsIn(['background', 'on-demand'], { message: 'must be "background" or "on-demand"' })
  mode?: HealthIndicatorMode;
}

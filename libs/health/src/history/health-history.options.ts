import { IsOptional } from 'class-validator';
import { IntegerInRange } from '../options/option-rules';
import {
  validateFlagOrObject,
  validateOptions,
  type OptionProblem,
} from '../options/validate-options';

/**
 * The `history` module option: what the module remembers of each indicator and group, in memory
 * and bounded — the last transitions, and every run folded into fixed time buckets (runs,
 * failures, worst status, latency min / p50 / p95 / max, time spent in each status) — for
 * `GET /<path>/history`, the uptime figures of `GET /<path>` and the fleet snapshot. On by
 * default; `history: false` turns it off.
 *
 * Memory per indicator does not depend on how often it runs: at the defaults (1,440 one-minute
 * buckets, 100 transitions) it is 59,484 bytes of typed arrays per indicator, 61 KB on the heap
 * as measured over 1,000 indicators (see the docs' "History and uptime" page).
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule } from 'nest-health';
 *
 * @Module({
 *   // 5-minute buckets over 7 days, the last 500 transitions
 *   imports: [
 *     HealthModule.forRoot({
 *       history: { bucketMs: 300_000, retentionMs: 7 * 86_400_000, maxTransitions: 500 },
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export interface HealthHistoryOptions {
  /**
   * Transitions kept per indicator and per group (the oldest go first). Integer from 1 to 10000.
   * @default 100
   */
  maxTransitions?: number;
  /**
   * Width of one time bucket, in milliseconds. Integer from 1000 to 3600000.
   * @default 60000 (one minute)
   */
  bucketMs?: number;
  /**
   * How far back buckets go, in milliseconds: `ceil(retentionMs / bucketMs)` buckets are kept,
   * at most 10080 (a week of one-minute buckets). Integer from `bucketMs` to 2592000000 (30
   * days). The 24-hour figures cover at most this much.
   * @default 86400000 (24 hours)
   */
  retentionMs?: number;
}

/** The history options with every default applied. @internal */
export interface ResolvedHistoryOptions {
  readonly maxTransitions: number;
  readonly bucketMs: number;
  readonly retentionMs: number;
  /** `ceil(retentionMs / bucketMs)`. */
  readonly buckets: number;
}

/** Every default of the `history` option. */
export const HEALTH_HISTORY_DEFAULTS = {
  /** Default of {@link HealthHistoryOptions.maxTransitions}. */
  maxTransitions: 100,
  /** Default of {@link HealthHistoryOptions.bucketMs}, in milliseconds (one minute). */
  bucketMs: 60_000,
  /** Default of {@link HealthHistoryOptions.retentionMs}, in milliseconds (24 hours). */
  retentionMs: 86_400_000,
  /** Most buckets kept per indicator or group (`retentionMs / bucketMs`). */
  maxBuckets: 10_080,
} as const;

/** The class-validator schema of {@link HealthHistoryOptions}. @internal */
export class HealthHistoryOptionsSchema implements HealthHistoryOptions {
  @IsOptional()
  @IntegerInRange(1, 10_000)
  maxTransitions?: number;

  @IsOptional()
  @IntegerInRange(1_000, 3_600_000, 'milliseconds')
  bucketMs?: number;

  @IsOptional()
  @IntegerInRange(1_000, 2_592_000_000, 'milliseconds, at least bucketMs')
  retentionMs?: number;
}

const HISTORY_RULE = 'must be true, false or an object of history options';

/**
 * Validates the `history` option: `true`, `false` (or `"true"` / `"false"`), or an object of
 * {@link HealthHistoryOptions}, with `bucketMs` ≤ `retentionMs` and at most 10080 buckets.
 *
 * @returns the problems (dotted under `history.`) and the option with strings converted.
 * @internal
 */
export function validateHistoryOptions(value: unknown): {
  problems: OptionProblem[];
  value: unknown;
} {
  const first = validateFlagOrObject('history', value, HISTORY_RULE);
  if (first) return first;
  const validated = validateOptions(HealthHistoryOptionsSchema, value);
  const problems = validated.problems.map((problem) => ({
    ...problem,
    option: `history.${problem.option}`,
  }));
  const rest = validated.value as HealthHistoryOptions;
  if (problems.length === 0) {
    const bucketMs = rest.bucketMs ?? HEALTH_HISTORY_DEFAULTS.bucketMs;
    const retentionMs = rest.retentionMs ?? HEALTH_HISTORY_DEFAULTS.retentionMs;
    if (retentionMs < bucketMs) {
      problems.push({
        option: 'history.retentionMs',
        value: retentionMs,
        allowed: `must be at least bucketMs (${bucketMs})`,
      });
    } else if (Math.ceil(retentionMs / bucketMs) > HEALTH_HISTORY_DEFAULTS.maxBuckets) {
      problems.push({
        option: 'history.retentionMs',
        value: retentionMs,
        allowed: `must be at most ${HEALTH_HISTORY_DEFAULTS.maxBuckets} buckets of bucketMs (${bucketMs}), i.e. at most ${HEALTH_HISTORY_DEFAULTS.maxBuckets * bucketMs}`,
      });
    }
  }
  return { problems, value: rest };
}

/**
 * Applies the defaults to a validated `history` option; `undefined` when history is off
 * (`history: false`).
 *
 * @internal
 */
export function resolveHistoryOptions(
  option: boolean | HealthHistoryOptions | undefined,
): ResolvedHistoryOptions | undefined {
  if (option === false) return undefined;
  const options = typeof option === 'object' ? option : {};
  const bucketMs = options.bucketMs ?? HEALTH_HISTORY_DEFAULTS.bucketMs;
  const retentionMs = options.retentionMs ?? HEALTH_HISTORY_DEFAULTS.retentionMs;
  return {
    maxTransitions: options.maxTransitions ?? HEALTH_HISTORY_DEFAULTS.maxTransitions,
    bucketMs,
    retentionMs,
    buckets: Math.ceil(retentionMs / bucketMs),
  };
}

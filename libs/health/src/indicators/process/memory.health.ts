import { IsOptional } from 'class-validator';
import { getHeapStatistics } from 'node:v8';
import type { HealthCheckContext, HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import {
  abortReason,
  BuiltInHealthIndicator,
  Findings,
  IsUpperThreshold,
  prepareOptions,
  round2,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';

/**
 * Default levels of `heapUsedPercent` (used heap against V8's heap limit).
 *
 * - `degradedAbove: 90` — V8 collects garbage harder and harder as the heap fills; past 90 % a
 *   process spends a growing share of its time in GC.
 * - `downAbove: 98` — the next allocations may end the process with "JavaScript heap out of
 *   memory"; in `readiness` this takes the replica out of traffic first, which often lets it
 *   recover.
 */
export const MEMORY_DEFAULT_HEAP_USED_PERCENT: UpperThreshold = Object.freeze({
  degradedAbove: 90,
  downAbove: 98,
});

/**
 * Options of {@link memoryIndicator}: the usual indicator options (default name `'memory'`,
 * default groups `['readiness']`) and levels. Giving a level object replaces its default pair;
 * `{}` turns it off.
 */
export interface MemoryIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * Levels for the used heap as a percentage of V8's heap limit (`heap_size_limit`, set by
   * `--max-old-space-size` or derived from the machine's memory), 0–100.
   * @default { degradedAbove: 90, downAbove: 98 } (see {@link MEMORY_DEFAULT_HEAP_USED_PERCENT})
   */
  heapUsedPercent?: UpperThreshold;
  /**
   * Levels for the used heap in bytes.
   * @default none
   */
  heapUsedBytes?: UpperThreshold;
  /**
   * Levels for the resident set size in bytes (all the memory of the process: heap, buffers,
   * native code). Set it below the container's memory limit to see the OOM killer coming.
   * @default none
   */
  rssBytes?: UpperThreshold;
}

class MemoryIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @IsUpperThreshold(100)
  heapUsedPercent?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold()
  heapUsedBytes?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold()
  rssBytes?: UpperThreshold;
}

/** @internal */
export class MemoryHealthIndicator extends BuiltInHealthIndicator {
  constructor(
    options: BuiltInIndicator['options'],
    private readonly levels: Pick<
      MemoryIndicatorOptions,
      'heapUsedPercent' | 'heapUsedBytes' | 'rssBytes'
    >,
  ) {
    super('memory', options);
  }

  check(context: HealthCheckContext): Promise<HealthCheckResult> {
    if (context.signal.aborted) return Promise.reject(abortReason(context.signal));
    const heap = getHeapStatistics();
    const data = {
      heapUsedBytes: heap.used_heap_size,
      heapTotalBytes: heap.total_heap_size,
      heapLimitBytes: heap.heap_size_limit,
      heapUsedPercent: round2((heap.used_heap_size / heap.heap_size_limit) * 100),
      rssBytes: process.memoryUsage.rss(),
    };
    const findings = new Findings()
      .above('heapUsedPercent', data.heapUsedPercent, this.levels.heapUsedPercent)
      .above('heapUsedBytes', data.heapUsedBytes, this.levels.heapUsedBytes)
      .above('rssBytes', data.rssBytes, this.levels.rssBytes);
    return Promise.resolve(findings.result(data));
  }
}

/**
 * Watches the process's memory: the V8 heap against its limit (`v8.getHeapStatistics()`) and
 * the resident set size (`process.memoryUsage.rss()`).
 *
 * Data: `heapUsedBytes`, `heapTotalBytes` (heap reserved by V8), `heapLimitBytes`,
 * `heapUsedPercent` (0–100), `rssBytes`.
 *
 * @param options - see {@link MemoryIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when an option is invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, memoryIndicator } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       indicators: [
 *         memoryIndicator({
 *           rssBytes: { degradedAbove: 900 * 2 ** 20, downAbove: 1_000 * 2 ** 20 },
 *         }),
 *       ],
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function memoryIndicator(options?: MemoryIndicatorOptions): BuiltInIndicator {
  const { registration, own } = prepareOptions(
    'memoryIndicator()',
    MemoryIndicatorOptionsSchema,
    options,
    { name: 'memory' },
  );
  return new MemoryHealthIndicator(registration, {
    heapUsedPercent: own.heapUsedPercent ?? MEMORY_DEFAULT_HEAP_USED_PERCENT,
    heapUsedBytes: own.heapUsedBytes,
    rssBytes: own.rssBytes,
  });
}

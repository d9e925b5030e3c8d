import { IsOptional } from 'class-validator';
import { getHeapStatistics } from 'node:v8';
import type { HealthCheckContext, HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import {
  abortable,
  BuiltInHealthIndicator,
  Findings,
  IsUpperThreshold,
  prepareOptions,
  round2,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';
import { CgroupLocator } from './cgroup/cgroup-locator';
import {
  constrainedMemoryBytes,
  readCgroupMemory,
  type MemoryLimitSource,
} from './cgroup/cgroup-memory';
import { readPressure } from './cgroup/pressure';

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
 * Default levels of `workingSetPercent` (the cgroup's working set against its memory limit).
 *
 * - `degradedAbove: 90` — the cgroup is near the limit at which the kernel reclaims hard and
 *   then the OOM killer ends a process of the container.
 * - no `downAbove` — the working set, as the kubelet counts it, still holds active page cache
 *   that the kernel can reclaim before any OOM kill, so a container can run near its limit for a
 *   long time; failing readiness there would take healthy replicas out. Set one (and watch
 *   `oomKills`) when your app's memory is mostly its own heap.
 */
export const MEMORY_DEFAULT_WORKING_SET_PERCENT: UpperThreshold = Object.freeze({
  degradedAbove: 90,
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
  /**
   * Levels for the cgroup's working set (usage less inactive file cache) as a percentage of the
   * memory limit (`container.limitBytes`), 0–100. Only where a limit applies.
   * @default { degradedAbove: 90 } (see {@link MEMORY_DEFAULT_WORKING_SET_PERCENT})
   */
  workingSetPercent?: UpperThreshold;
  /**
   * Levels for the cgroup's working set in bytes.
   * @default none
   */
  workingSetBytes?: UpperThreshold;
  /**
   * Levels for the number of OOM kills in the cgroup since it was created (a count that only
   * grows: a level here stays crossed until the container restarts).
   * @default none
   */
  oomKills?: UpperThreshold;
  /**
   * Levels for memory pressure, `some` `avg10`: the share of the last 10 seconds in which some
   * task waited for memory (reclaim, swap-in, refaults), 0–100 (the cgroup's own on cgroup v2,
   * else the system's). Only where the kernel reports pressure.
   * @default none
   */
  pressureSomeAvg10Percent?: UpperThreshold;
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

  @IsOptional()
  @IsUpperThreshold(100)
  workingSetPercent?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold()
  workingSetBytes?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold()
  oomKills?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold(100)
  pressureSomeAvg10Percent?: UpperThreshold;
}

/**
 * The container figures of {@link memoryIndicator}'s data, `container`.
 *
 * - Where the cgroup's memory files can be read: `supported: true`, `cgroupVersion`,
 *   `usageBytes` (v2 `memory.current`, v1 `memory.usage_in_bytes`), `inactiveFileBytes` (v2
 *   `memory.stat` `inactive_file`, v1 `total_inactive_file`), `workingSetBytes` (usage less
 *   inactive file, as the kubelet counts a container's working set and as eviction and
 *   `kubectl top` see it), `limitBytes` and `limitSource` (`null` when unlimited),
 *   `workingSetPercent` (0–100 of the limit, `null` when unlimited), `oomKills` (v2
 *   `memory.events` `oom_kill`, v1 `memory.oom_control` `oom_kill`; `null` where the kernel does
 *   not count them).
 * - Elsewhere: `supported: false`, with the limit Node sees (`process.constrainedMemory()`) if
 *   any.
 */
export type MemoryContainerData =
  | {
      /** The cgroup's memory files were read. */
      readonly supported: true;
      /** `1` or `2`. */
      readonly cgroupVersion: 1 | 2;
      /** Memory charged to the cgroup, in bytes. */
      readonly usageBytes: number;
      /** Inactive page cache charged to the cgroup, in bytes. */
      readonly inactiveFileBytes: number;
      /** `usageBytes - inactiveFileBytes`, in bytes. */
      readonly workingSetBytes: number;
      /** The tightest limit of the cgroup and its ancestors, in bytes; `null` when unlimited. */
      readonly limitBytes: number | null;
      /** Where `limitBytes` came from; `null` when unlimited. */
      readonly limitSource: MemoryLimitSource | null;
      /** `workingSetBytes` against `limitBytes`, 0–100; `null` when unlimited. */
      readonly workingSetPercent: number | null;
      /** OOM kills in the cgroup since it was created; `null` where not counted. */
      readonly oomKills: number | null;
    }
  | {
      /** The cgroup's memory files could not be read (not Linux, no memory controller). */
      readonly supported: false;
      /** The limit Node sees, in bytes; `null` when none. */
      readonly limitBytes: number | null;
      /** `'process.constrainedMemory()'`, or `null` when there is no limit. */
      readonly limitSource: MemoryLimitSource | null;
    };

/** @internal */
export class MemoryHealthIndicator extends BuiltInHealthIndicator {
  private readonly locator: CgroupLocator;

  /**
   * @param root - the directory holding `proc/` and `sys/`; another path only in tests.
   */
  constructor(
    options: BuiltInIndicator['options'],
    private readonly levels: Pick<
      MemoryIndicatorOptions,
      | 'heapUsedPercent'
      | 'heapUsedBytes'
      | 'rssBytes'
      | 'workingSetPercent'
      | 'workingSetBytes'
      | 'oomKills'
      | 'pressureSomeAvg10Percent'
    >,
    root = '/',
  ) {
    super('memory', options);
    this.locator = new CgroupLocator(root);
  }

  async check(context: HealthCheckContext): Promise<HealthCheckResult> {
    const [container, pressure] = await abortable(
      this.locator
        .location()
        .then((location) =>
          Promise.all([
            readContainerMemory(location?.memory ? readCgroupMemory(location.memory) : null),
            readPressure(location, 'memory', this.locator.root),
          ]),
        ),
      context.signal,
    );
    const heap = getHeapStatistics();
    const data = {
      heapUsedBytes: heap.used_heap_size,
      heapTotalBytes: heap.total_heap_size,
      heapLimitBytes: heap.heap_size_limit,
      heapUsedPercent: round2((heap.used_heap_size / heap.heap_size_limit) * 100),
      rssBytes: process.memoryUsage.rss(),
      container,
      pressure,
    };
    const cgroup = container.supported ? container : null;
    const findings = new Findings()
      .above('heapUsedPercent', data.heapUsedPercent, this.levels.heapUsedPercent)
      .above('heapUsedBytes', data.heapUsedBytes, this.levels.heapUsedBytes)
      .above('rssBytes', data.rssBytes, this.levels.rssBytes)
      .above('workingSetPercent', cgroup?.workingSetPercent, this.levels.workingSetPercent)
      .above('workingSetBytes', cgroup?.workingSetBytes, this.levels.workingSetBytes)
      .above('oomKills', cgroup?.oomKills, this.levels.oomKills)
      .above(
        'pressureSomeAvg10Percent',
        pressure.supported ? pressure.some.avg10 : null,
        this.levels.pressureSomeAvg10Percent,
      );
    return findings.result(data);
  }
}

/** The container figures, with Node's own limit where the cgroup has none. */
async function readContainerMemory(
  reading: ReturnType<typeof readCgroupMemory> | null,
): Promise<MemoryContainerData> {
  const cgroup = reading ? await reading : null;
  const constrained = constrainedMemoryBytes();
  if (!cgroup) {
    return {
      supported: false,
      limitBytes: constrained,
      limitSource: constrained === null ? null : 'process.constrainedMemory()',
    };
  }
  const limitBytes = cgroup.limitBytes ?? constrained;
  return {
    supported: true,
    cgroupVersion: cgroup.cgroupVersion,
    usageBytes: cgroup.usageBytes,
    inactiveFileBytes: cgroup.inactiveFileBytes,
    workingSetBytes: cgroup.workingSetBytes,
    limitBytes,
    limitSource:
      cgroup.limitSource ?? (constrained === null ? null : 'process.constrainedMemory()'),
    workingSetPercent:
      limitBytes === null ? null : round2((cgroup.workingSetBytes / limitBytes) * 100),
    oomKills: cgroup.oomKills,
  };
}

/**
 * Watches the process's memory: the V8 heap against its limit (`v8.getHeapStatistics()`), the
 * resident set size (`process.memoryUsage.rss()`), and the container: the memory of its cgroup
 * against the cgroup's limit, which is what the OOM killer acts on. The limit is the tightest of
 * the cgroup and its ancestors (cgroup v2 `memory.max`, `max` meaning none; v1
 * `memory.limit_in_bytes` and `hierarchical_memory_limit`, the huge sentinel meaning none), else
 * `process.constrainedMemory()`. The cgroup is found once, from `/proc/self/cgroup` and
 * `/proc/self/mountinfo`; each run reads a few small files.
 *
 * Data: `heapUsedBytes`, `heapTotalBytes` (heap reserved by V8), `heapLimitBytes`,
 * `heapUsedPercent` (0–100), `rssBytes`; `container` (see {@link MemoryContainerData}):
 * `usageBytes`, `workingSetBytes`, `limitBytes`, `limitSource`, `workingSetPercent`, `oomKills`,
 * …; `pressure`: memory pressure stall averages, or `{ supported: false }` where the kernel has
 * none (see {@link PressureData}).
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
    workingSetPercent: own.workingSetPercent ?? MEMORY_DEFAULT_WORKING_SET_PERCENT,
    workingSetBytes: own.workingSetBytes,
    oomKills: own.oomKills,
    pressureSomeAvg10Percent: own.pressureSomeAvg10Percent,
  });
}

import { IsOptional } from 'class-validator';
import type { HealthCheckContext, HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import {
  abortable,
  BuiltInHealthIndicator,
  Findings,
  IsUpperThreshold,
  prepareOptions,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';
import { CgroupLocator } from './cgroup/cgroup-locator';
import { CpuSampler } from './cgroup/cpu-sampler';
import { readPressure } from './cgroup/pressure';

/**
 * Default levels of `usagePercent` (the process's CPU use as a share of the cores it may use).
 *
 * - `degradedAbove: 90` — the process is using nearly all the CPU its quota (or the machine)
 *   gives it: requests queue behind each other and latencies grow.
 * - no `downAbove` — a busy replica is still serving; taking it out of readiness for being busy
 *   moves its load onto the others, which then pass the same level in turn (the cascading
 *   failure of the Google SRE book, chapter 22 "Addressing Cascading Failures"). Set one only if
 *   you want that.
 */
export const CPU_DEFAULT_USAGE_PERCENT: UpperThreshold = Object.freeze({ degradedAbove: 90 });

/**
 * Default levels of `throttledPercent` (the share of CFS periods in which the cgroup used up its
 * quota and was stopped).
 *
 * - `degradedAbove: 25` — the level of the `CPUThrottlingHigh` alert of the Kubernetes
 *   monitoring mixin (kubernetes-monitoring/kubernetes-mixin, used by kube-prometheus):
 *   throttled periods above 25 % of all periods. Requests stall for the rest of a period each
 *   time, which shows as latency long before the average use looks high.
 * - no `downAbove`, for the reason given at {@link CPU_DEFAULT_USAGE_PERCENT}.
 */
export const CPU_DEFAULT_THROTTLED_PERCENT: UpperThreshold = Object.freeze({ degradedAbove: 25 });

/**
 * Options of {@link cpuIndicator}: the usual indicator options (default name `'cpu'`, default
 * groups `['readiness']`) and levels. Giving a level object replaces its default pair; `{}`
 * turns it off.
 */
export interface CpuIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * Levels for the process's CPU use over the window between two runs, as a percentage of the
   * cores it may use (`limitCores`), 0–100.
   * @default { degradedAbove: 90 } (see {@link CPU_DEFAULT_USAGE_PERCENT})
   */
  usagePercent?: UpperThreshold;
  /**
   * Levels for the share of CFS periods throttled over the window, 0–100. Only where a cgroup
   * quota applies.
   * @default { degradedAbove: 25 } (see {@link CPU_DEFAULT_THROTTLED_PERCENT})
   */
  throttledPercent?: UpperThreshold;
  /**
   * Levels for CPU pressure, `some` `avg10`: the share of the last 10 seconds in which some
   * task waited for a CPU, 0–100 (the cgroup's own on cgroup v2, else the system's). Only where
   * the kernel reports pressure.
   * @default none
   */
  pressureSomeAvg10Percent?: UpperThreshold;
}

class CpuIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @IsUpperThreshold(100)
  usagePercent?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold(100)
  throttledPercent?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold(100)
  pressureSomeAvg10Percent?: UpperThreshold;
}

/** @internal */
export class CpuHealthIndicator extends BuiltInHealthIndicator {
  private readonly sampler: CpuSampler;
  private readonly locator: CgroupLocator;

  /**
   * @param root - the directory holding `proc/` and `sys/`; another path only in tests.
   */
  constructor(
    options: BuiltInIndicator['options'],
    private readonly levels: Pick<
      CpuIndicatorOptions,
      'usagePercent' | 'throttledPercent' | 'pressureSomeAvg10Percent'
    >,
    root = '/',
  ) {
    super('cpu', options);
    this.locator = new CgroupLocator(root);
    this.sampler = new CpuSampler(this.locator);
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    const [sample, pressure] = await abortable(
      Promise.all([
        this.sampler.sample(),
        this.locator
          .location()
          .then((location) => readPressure(location, 'cpu', this.locator.root)),
      ]),
      signal,
    );
    const data = {
      usagePercent: sample.usagePercent,
      usedCores: sample.usedCores,
      limitCores: sample.limitCores,
      limitSource: sample.limitSource,
      windowMs: sample.windowMs,
      cgroupVersion: sample.cgroupVersion,
      periods: sample.throttling?.periods ?? null,
      throttledPeriods: sample.throttling?.throttledPeriods ?? null,
      throttledPercent: sample.throttling?.throttledPercent ?? null,
      throttledMs: sample.throttling?.throttledMs ?? null,
      pressure,
    };
    return new Findings()
      .above('usagePercent', data.usagePercent, this.levels.usagePercent)
      .above('throttledPercent', data.throttledPercent, this.levels.throttledPercent)
      .above(
        'pressureSomeAvg10Percent',
        pressure.supported ? pressure.some.avg10 : null,
        this.levels.pressureSomeAvg10Percent,
      )
      .result(data);
  }
}

/**
 * Watches the process's CPU: its use over the window since the previous run
 * (`process.cpuUsage()`, user + system time of this process, against the wall time) as a share
 * of the cores it may use, and the CPU throttling of its cgroup. The cores it may use are the
 * tightest CFS quota of its cgroup and the cgroup's ancestors (cgroup v2 `cpu.max`, v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`), capped by `os.availableParallelism()`; without a
 * quota, `os.availableParallelism()`. Throttling comes from `cpu.stat` of the cgroup that sets
 * the quota (`nr_periods`, `nr_throttled`, v2 `throttled_usec`, v1 `throttled_time`). The first
 * run covers the time since the indicator was made, and its throttling the time since the cgroup
 * was created. The cgroup is found once, from `/proc/self/cgroup` and `/proc/self/mountinfo`;
 * each run reads two or three small files.
 *
 * Data: `usagePercent` (0–100 of `limitCores`), `usedCores` (1 = one core busy all the window),
 * `limitCores`, `limitSource` (`'cgroup v2 cpu.max'`, `'cgroup v1 cpu.cfs_quota_us'` or
 * `'os.availableParallelism()'`), `windowMs`, `cgroupVersion` (`1`, `2` or `null`), and, where a
 * quota applies (else `null`): `periods`, `throttledPeriods`, `throttledPercent` (0–100),
 * `throttledMs`; `pressure`: CPU pressure stall averages, or `{ supported: false }` where the
 * kernel has none (see {@link PressureData}).
 *
 * Only this process's CPU time counts toward `usagePercent`; throttling counts every process of
 * the cgroup (a container's: the whole container).
 *
 * @param options - see {@link CpuIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when an option is invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, cpuIndicator } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       indicators: [cpuIndicator({ throttledPercent: { degradedAbove: 10, downAbove: 50 } })],
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function cpuIndicator(options?: CpuIndicatorOptions): BuiltInIndicator {
  const { registration, own } = prepareOptions(
    'cpuIndicator()',
    CpuIndicatorOptionsSchema,
    options,
    { name: 'cpu' },
  );
  return new CpuHealthIndicator(registration, {
    usagePercent: own.usagePercent ?? CPU_DEFAULT_USAGE_PERCENT,
    throttledPercent: own.throttledPercent ?? CPU_DEFAULT_THROTTLED_PERCENT,
    pressureSomeAvg10Percent: own.pressureSomeAvg10Percent,
  });
}

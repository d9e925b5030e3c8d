import { round2 } from '../../core/thresholds';
import {
  coresAllowed,
  readCpuQuota,
  readCpuThrottling,
  type CpuLimitSource,
  type CpuThrottleCounters,
} from './cgroup-cpu';
import type { CgroupLocator } from './cgroup-locator';

/** CFS throttling over a window. @internal */
export interface CpuThrottling {
  /** Enforcement periods in the window in which the cgroup had work. */
  readonly periods: number;
  /** Of those, periods in which it used its whole quota and was stopped. */
  readonly throttledPeriods: number;
  /** `throttledPeriods` as a share of `periods`, 0–100 (0 when no period elapsed). */
  readonly throttledPercent: number;
  /** Time the cgroup was stopped in the window, in milliseconds. */
  readonly throttledMs: number;
}

/** The process's CPU use over a window, against what it may use. @internal */
export interface CpuSample {
  /** CPU time used over wall time, as a share of `limitCores`, 0–100 (can briefly exceed 100). */
  readonly usagePercent: number;
  /** CPU time used over wall time: `1` is one core busy the whole window. */
  readonly usedCores: number;
  /** The cores the process may use (see {@link CpuLimitSource}). */
  readonly limitCores: number;
  /** Where `limitCores` came from. */
  readonly limitSource: CpuLimitSource;
  /** The window the figures cover, in milliseconds. */
  readonly windowMs: number;
  /** The cgroup version of the cpu controller; `null` without one. */
  readonly cgroupVersion: 1 | 2 | null;
  /** Throttling by the cgroup's quota; `null` when no quota applies or it is not reported. */
  readonly throttling: CpuThrottling | null;
}

/**
 * Measures the process's CPU use between one call and the next: `process.cpuUsage()` (user +
 * system time of this process) against the wall time, as a share of the cores its cgroup quota or
 * its CPU affinity allows; and the CFS throttling counters of the cgroup that sets the quota.
 * The first call covers the time since the sampler was made; its throttling counts since the
 * cgroup was created (for a container's cgroup: since the container started).
 *
 * @internal
 */
export class CpuSampler {
  private usage = process.cpuUsage();
  private at = process.hrtime.bigint();
  private counters: { dir: string; values: CpuThrottleCounters } | null = null;

  constructor(private readonly locator: CgroupLocator) {}

  /** Figures since the previous call (or since the sampler was made). */
  async sample(): Promise<CpuSample> {
    const location = await this.locator.location();
    const cpu = location?.cpu;
    const quota = cpu ? await readCpuQuota(cpu) : null;
    const counters = quota && cpu ? await readCpuThrottling(cpu.version, quota.dir) : null;

    const now = process.hrtime.bigint();
    const usage = process.cpuUsage();
    const windowUsec = Math.max(1, Number(now - this.at) / 1_000);
    const usedUsec = usage.user - this.usage.user + (usage.system - this.usage.system);
    this.usage = usage;
    this.at = now;

    const limit = coresAllowed(quota);
    const usedCores = usedUsec / windowUsec;
    let throttling: CpuThrottling | null = null;
    if (quota && counters) {
      const previous = this.counters?.dir === quota.dir ? this.counters.values : null;
      const fresh =
        previous !== null &&
        counters.periods >= previous.periods &&
        counters.throttledPeriods >= previous.throttledPeriods;
      const base = fresh ? previous : { periods: 0, throttledPeriods: 0, throttledUsec: 0 };
      const periods = counters.periods - base.periods;
      const throttledPeriods = counters.throttledPeriods - base.throttledPeriods;
      throttling = {
        periods,
        throttledPeriods,
        throttledPercent: periods > 0 ? round2((throttledPeriods / periods) * 100) : 0,
        throttledMs: round2(Math.max(0, counters.throttledUsec - base.throttledUsec) / 1_000),
      };
      this.counters = { dir: quota.dir, values: counters };
    }
    return {
      usagePercent: round2((usedCores / limit.cores) * 100),
      usedCores: Math.round(usedCores * 1_000) / 1_000,
      limitCores: Math.round(limit.cores * 1_000) / 1_000,
      limitSource: limit.source,
      windowMs: round2(windowUsec / 1_000),
      cgroupVersion: cpu?.version ?? null,
      throttling,
    };
  }
}

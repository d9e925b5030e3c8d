import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { readKeyedFile, readOptional, readSingleValue } from './cgroup-files';
import type { CgroupController } from './cgroup-location';

/**
 * Where the number of cores a process may use came from: the cgroup's CFS quota (v2 `cpu.max`,
 * v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`), or the CPUs the process may run on
 * (`os.availableParallelism()`) when there is no quota or the quota is larger.
 */
export type CpuLimitSource =
  'cgroup v2 cpu.max' | 'cgroup v1 cpu.cfs_quota_us' | 'os.availableParallelism()';

/** The tightest CFS quota on the way up from the process's cgroup. @internal */
export interface CgroupCpuQuota {
  /** Quota over period: the cores the cgroup may use, e.g. `0.5`. */
  readonly cores: number;
  /** The directory whose quota it is (its `cpu.stat` counts the throttling it causes). */
  readonly dir: string;
  /** The file it was read from. */
  readonly source: Exclude<CpuLimitSource, 'os.availableParallelism()'>;
}

/**
 * Reads the CFS quota of a cgroup and its ancestors and keeps the tightest: v2 `cpu.max`
 * (`$MAX $PERIOD`, `max` meaning no quota), v1 `cpu.cfs_quota_us` (`-1` meaning no quota) over
 * `cpu.cfs_period_us`.
 *
 * @returns `null` when no cgroup on the way up has a quota.
 * @internal
 */
export async function readCpuQuota(cpu: CgroupController): Promise<CgroupCpuQuota | null> {
  let tightest: CgroupCpuQuota | null = null;
  for (const dir of cpu.ancestors) {
    let cores: number | null = null;
    if (cpu.version === 2) {
      const text = await readOptional(join(dir, 'cpu.max'));
      const [quota, period] = (text ?? '').trim().split(/\s+/);
      if (quota !== undefined && /^\d+$/.test(quota) && /^\d+$/.test(period ?? '')) {
        cores = Number(quota) / Number(period);
      }
    } else {
      const [quota, period] = await Promise.all([
        readSingleValue(join(dir, 'cpu.cfs_quota_us')),
        readSingleValue(join(dir, 'cpu.cfs_period_us')),
      ]);
      if (typeof quota === 'number' && quota > 0 && typeof period === 'number' && period > 0) {
        cores = quota / period;
      }
    }
    if (cores !== null && cores > 0 && (tightest === null || cores < tightest.cores)) {
      tightest = {
        cores,
        dir,
        source: cpu.version === 2 ? 'cgroup v2 cpu.max' : 'cgroup v1 cpu.cfs_quota_us',
      };
    }
  }
  return tightest;
}

/** CFS bandwidth counters of `cpu.stat`, in one unit for both versions. @internal */
export interface CpuThrottleCounters {
  /** Enforcement periods in which the cgroup had runnable tasks (`nr_periods`). */
  readonly periods: number;
  /** Periods in which it used up its quota and was throttled (`nr_throttled`). */
  readonly throttledPeriods: number;
  /** Total time throttled, in microseconds (v2 `throttled_usec`; v1 `throttled_time` is ns). */
  readonly throttledUsec: number;
}

/**
 * Reads `cpu.stat` of a cgroup directory: v2 `nr_periods`, `nr_throttled`, `throttled_usec`;
 * v1 `nr_periods`, `nr_throttled`, `throttled_time` (nanoseconds).
 *
 * @returns `null` when the file or the counters are not there.
 * @internal
 */
export async function readCpuThrottling(
  version: 1 | 2,
  dir: string,
): Promise<CpuThrottleCounters | null> {
  const stat = await readKeyedFile(join(dir, 'cpu.stat'));
  const periods = stat?.get('nr_periods');
  const throttledPeriods = stat?.get('nr_throttled');
  const throttled = version === 2 ? stat?.get('throttled_usec') : stat?.get('throttled_time');
  if (periods === undefined || throttledPeriods === undefined || throttled === undefined) {
    return null;
  }
  return {
    periods,
    throttledPeriods,
    throttledUsec: version === 2 ? throttled : throttled / 1_000,
  };
}

/**
 * The cores a process may use: the tightest cgroup quota, capped by the CPUs it may run on.
 *
 * @internal
 */
export function coresAllowed(quota: CgroupCpuQuota | null): {
  cores: number;
  source: CpuLimitSource;
} {
  const cpus = availableParallelism();
  if (quota && quota.cores < cpus) return { cores: quota.cores, source: quota.source };
  return { cores: cpus, source: 'os.availableParallelism()' };
}

import { Injectable, Optional } from '@nestjs/common';
import { HealthLogger } from '../logging/health-logger';
import { CgroupLocator } from '../indicators/process/cgroup/cgroup-locator';
import { CpuSampler } from '../indicators/process/cgroup/cpu-sampler';
import type { CpuLimitSource } from '../indicators/process/cgroup/cgroup-cpu';
import {
  constrainedMemoryBytes,
  readCgroupMemory,
  type MemoryLimitSource,
} from '../indicators/process/cgroup/cgroup-memory';

/** The CPU facts of `GET /<path>`. */
export interface HealthProcessCpuFacts {
  /** The process's CPU use as a share of `limitCores` over `windowMs`, 0–100. */
  readonly usagePercent: number;
  /** CPU time over wall time in the window: `1` is one core busy the whole window. */
  readonly usedCores: number;
  /** The cores the process may use: its cgroup's CPU quota, else `os.availableParallelism()`. */
  readonly limitCores: number;
  /** Where `limitCores` came from. */
  readonly limitSource: CpuLimitSource;
  /** The window, in milliseconds: since the previous figures (at least one second apart). */
  readonly windowMs: number;
  /** Share of CFS periods throttled in the window, 0–100; `null` without a cgroup quota. */
  readonly throttledPercent: number | null;
}

/** The container memory facts of `GET /<path>`, in bytes; `null` where not known. */
export interface HealthProcessContainerMemoryFacts {
  /** Memory charged to the cgroup (v2 `memory.current`, v1 `memory.usage_in_bytes`). */
  readonly cgroupUsageBytes: number | null;
  /** Cgroup usage less inactive file cache: the working set as the kubelet counts it. */
  readonly workingSetBytes: number | null;
  /** The memory limit (cgroup, else `process.constrainedMemory()`); `null` when unlimited. */
  readonly limitBytes: number | null;
  /** Where `limitBytes` came from; `null` when unlimited. */
  readonly limitSource: MemoryLimitSource | null;
}

/** What {@link HealthProcessFacts} adds to the process facts. @internal */
export interface ContainerFacts {
  readonly cpu: HealthProcessCpuFacts | null;
  readonly memory: HealthProcessContainerMemoryFacts;
}

/** Figures are read again at most this often, so that a window is long enough to mean something. */
const MIN_WINDOW_MS = 1_000;

const UNKNOWN_MEMORY: HealthProcessContainerMemoryFacts = Object.freeze({
  cgroupUsageBytes: null,
  workingSetBytes: null,
  limitBytes: null,
  limitSource: null,
});

/**
 * Reads the CPU and container memory facts: the process's CPU use since the previous read,
 * throttling, and its cgroup's memory and limit. The cgroup is found at the first read; each read
 * is a few small files. Rejects when a file cannot be read for another reason than its absence.
 *
 * @internal
 */
export class ContainerFactsSource {
  private readonly locator: CgroupLocator;
  private readonly sampler: CpuSampler;

  /** @param root - the directory holding `proc/` and `sys/`; `/` but in tests. */
  constructor(root = '/') {
    this.locator = new CgroupLocator(root);
    this.sampler = new CpuSampler(this.locator);
  }

  /** The facts now. */
  async read(): Promise<ContainerFacts> {
    const location = await this.locator.location();
    const [sample, cgroup] = await Promise.all([
      this.sampler.sample(),
      location?.memory ? readCgroupMemory(location.memory) : null,
    ]);
    const constrained = constrainedMemoryBytes();
    return {
      cpu: {
        usagePercent: sample.usagePercent,
        usedCores: sample.usedCores,
        limitCores: sample.limitCores,
        limitSource: sample.limitSource,
        windowMs: sample.windowMs,
        throttledPercent: sample.throttling?.throttledPercent ?? null,
      },
      memory: {
        cgroupUsageBytes: cgroup?.usageBytes ?? null,
        workingSetBytes: cgroup?.workingSetBytes ?? null,
        limitBytes: cgroup?.limitBytes ?? constrained,
        limitSource:
          cgroup?.limitSource ?? (constrained === null ? null : 'process.constrainedMemory()'),
      },
    };
  }
}

/**
 * The CPU and container memory facts of `GET /<path>` ({@link ContainerFactsSource}), read at
 * most once a second whatever the number of callers (one read in flight is shared), so that a
 * CPU window is long enough to mean something and a burst of calls costs one read. A read that
 * fails is logged once and counted, and the facts show `null`: the answer never fails for them.
 *
 * @internal
 */
@Injectable()
export class HealthProcessFacts {
  private readonly source: ContainerFactsSource;
  private latest: { at: number; facts: Promise<ContainerFacts> } | undefined;
  private logged = false;
  /** How many reads failed. */
  failures = 0;

  /** @param source - where the facts come from; this machine's own cgroup unless given. */
  constructor(
    private readonly logger: HealthLogger,
    @Optional() source?: ContainerFactsSource,
  ) {
    this.source = source ?? new ContainerFactsSource();
  }

  /** The latest facts, read again when they are a second old or older. */
  read(): Promise<ContainerFacts> {
    const now = Date.now();
    if (!this.latest || now - this.latest.at >= MIN_WINDOW_MS) {
      this.latest = { at: now, facts: this.readNow() };
    }
    return this.latest.facts;
  }

  private async readNow(): Promise<ContainerFacts> {
    try {
      return await this.source.read();
    } catch (error) {
      this.failures += 1;
      if (!this.logged) {
        this.logged = true;
        this.logger.warn(
          `Could not read the process's cgroup figures for GET /health; they show as null while this lasts: ${(error as Error).message}`,
        );
      }
      return { cpu: null, memory: UNKNOWN_MEMORY };
    }
  }
}

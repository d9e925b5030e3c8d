import { join } from 'node:path';
import { readKeyedFile, readSingleValue } from './cgroup-files';
import type { CgroupController } from './cgroup-location';

/**
 * Where a memory limit came from: the cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes` or
 * `hierarchical_memory_limit`), or Node's `process.constrainedMemory()` (libuv's reading of the
 * same limits) when the cgroup files cannot be read.
 */
export type MemoryLimitSource =
  'cgroup v2 memory.max' | 'cgroup v1 memory.limit_in_bytes' | 'process.constrainedMemory()';

/**
 * Values at or above 2^62 bytes mean "no limit": v1 writes `PAGE_COUNTER_MAX * PAGE_SIZE`
 * (9223372036854771712 with 4 KiB pages) and libuv answers 2^64 for an unconstrained process.
 *
 * @internal
 */
export const UNLIMITED_BYTES = 2 ** 62;

/** The cgroup's memory figures, in bytes. @internal */
export interface CgroupMemory {
  /** `1` or `2`. */
  readonly cgroupVersion: 1 | 2;
  /** Memory charged to the cgroup (v2 `memory.current`, v1 `memory.usage_in_bytes`). */
  readonly usageBytes: number;
  /** Inactive page cache (v2 `memory.stat` `inactive_file`, v1 `total_inactive_file`). */
  readonly inactiveFileBytes: number;
  /** Usage less inactive file cache, as the kubelet counts a container's working set. */
  readonly workingSetBytes: number;
  /** The tightest limit on the way up; `null` when unlimited. */
  readonly limitBytes: number | null;
  /** The file the limit was read from; `null` when unlimited. */
  readonly limitSource: MemoryLimitSource | null;
  /** OOM kills in the cgroup (v2 `memory.events` `oom_kill`, v1 `memory.oom_control`); `null` when not reported. */
  readonly oomKills: number | null;
}

/**
 * Reads the cgroup's memory use, limit and OOM kills.
 *
 * @returns `null` when the usage file is not there (the controller is not enabled for it).
 * @internal
 */
export async function readCgroupMemory(memory: CgroupController): Promise<CgroupMemory | null> {
  const v2 = memory.version === 2;
  const [usage, stat, events] = await Promise.all([
    readSingleValue(join(memory.dir, v2 ? 'memory.current' : 'memory.usage_in_bytes')),
    readKeyedFile(join(memory.dir, 'memory.stat')),
    readKeyedFile(join(memory.dir, v2 ? 'memory.events' : 'memory.oom_control')),
  ]);
  if (typeof usage !== 'number') return null;
  const limits = await Promise.all(
    memory.ancestors.map((dir) =>
      readSingleValue(join(dir, v2 ? 'memory.max' : 'memory.limit_in_bytes')),
    ),
  );
  // v1 also gives the tightest limit of the ancestors in memory.stat, where a container cannot
  // see its ancestors' directories.
  if (!v2) limits.push(stat?.get('hierarchical_memory_limit') ?? null);
  let limitBytes: number | null = null;
  for (const limit of limits) {
    if (typeof limit === 'number' && limit > 0 && limit < UNLIMITED_BYTES) {
      limitBytes = limitBytes === null ? limit : Math.min(limitBytes, limit);
    }
  }
  const inactiveFileBytes = stat?.get(v2 ? 'inactive_file' : 'total_inactive_file') ?? 0;
  return {
    cgroupVersion: memory.version,
    usageBytes: usage,
    inactiveFileBytes,
    workingSetBytes: Math.max(0, usage - inactiveFileBytes),
    limitBytes,
    limitSource:
      limitBytes === null ? null : v2 ? 'cgroup v2 memory.max' : 'cgroup v1 memory.limit_in_bytes',
    oomKills: events?.get('oom_kill') ?? null,
  };
}

/**
 * Node's own reading of the memory limit (`process.constrainedMemory()`, Node ≥ 19.6); `null`
 * where it is missing or says unlimited.
 *
 * @internal
 */
export function constrainedMemoryBytes(): number | null {
  const read = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory;
  const value = typeof read === 'function' ? read.call(process) : undefined;
  return typeof value === 'number' && value > 0 && value < UNLIMITED_BYTES ? value : null;
}

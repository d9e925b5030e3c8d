import { join } from 'node:path';
import { readOptional } from './cgroup-files';
import { procPath, type CgroupLocation } from './cgroup-location';

/** A resource that the kernel reports pressure stall information for. */
export type PressureResource = 'cpu' | 'memory' | 'io';

/**
 * Pressure stall averages of one line of a PSI file: the share of wall time, in percent (0–100),
 * in which tasks stalled waiting for the resource, averaged over 10 s, 60 s and 300 s.
 */
export interface PressureAverages {
  /** Over the last 10 seconds, 0–100. */
  readonly avg10: number;
  /** Over the last 60 seconds, 0–100. */
  readonly avg60: number;
  /** Over the last 300 seconds, 0–100. */
  readonly avg300: number;
}

/**
 * Pressure stall information for one resource (Linux ≥ 4.20 with `CONFIG_PSI`; see the kernel's
 * `Documentation/accounting/psi.rst`), as the cpu and memory indicators show it in `pressure`.
 *
 * - `{ supported: true, source, some, full }`: `some` is the share of time in which at least one
 *   task stalled, `full` the share in which all non-idle tasks stalled at once (`null` where the
 *   file has no `full` line: CPU before Linux 5.13). `source` is `'cgroup'` for the cgroup's own
 *   `<resource>.pressure` file (cgroup v2) and `'system'` for `/proc/pressure/<resource>`.
 * - `{ supported: false }` where the kernel has neither (older kernels, `psi=0`, not Linux).
 */
export type PressureData =
  | {
      /** The kernel reports pressure here. */
      readonly supported: true;
      /** Whose pressure: the process's cgroup, or the whole system. */
      readonly source: 'cgroup' | 'system';
      /** Some tasks stalled. */
      readonly some: PressureAverages;
      /** All non-idle tasks stalled at once; `null` when the kernel has no such line. */
      readonly full: PressureAverages | null;
    }
  | {
      /** The kernel does not report pressure here. */
      readonly supported: false;
    };

/**
 * Parses a PSI file: `some avg10=0.00 avg60=0.00 avg300=0.00 total=0` and the same for `full`.
 *
 * @internal
 */
export function parsePressure(text: string): {
  some: PressureAverages | null;
  full: PressureAverages | null;
} {
  const parsed: Record<string, PressureAverages> = {};
  for (const line of text.split('\n')) {
    const [kind, ...pairs] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    const values: Record<string, number> = {};
    for (const pair of pairs) {
      const [key, value] = pair.split('=');
      values[key] = Number(value);
    }
    if ([values.avg10, values.avg60, values.avg300].every(Number.isFinite)) {
      parsed[kind] = { avg10: values.avg10, avg60: values.avg60, avg300: values.avg300 };
    }
  }
  return { some: parsed.some ?? null, full: parsed.full ?? null };
}

/**
 * Reads the pressure on a resource: the cgroup's own `<resource>.pressure` file in the unified
 * hierarchy when there is one (it counts only the cgroup's tasks), else the system's
 * `/proc/pressure/<resource>`.
 *
 * @internal
 */
export async function readPressure(
  location: CgroupLocation | null,
  resource: PressureResource,
  root = location?.root ?? '/',
): Promise<PressureData> {
  const candidates: [string, 'cgroup' | 'system'][] = [];
  if (location?.unified)
    candidates.push([join(location.unified.dir, `${resource}.pressure`), 'cgroup']);
  candidates.push([procPath(root, 'pressure', resource), 'system']);
  for (const [file, source] of candidates) {
    let text: string | null;
    try {
      text = await readOptional(file);
    } catch (error) {
      // PSI files of a kernel booted with psi=0 exist but fail to open with EOPNOTSUPP.
      if ((error as { code?: unknown }).code === 'EOPNOTSUPP') continue;
      throw error;
    }
    if (text === null) continue;
    const { some, full } = parsePressure(text);
    if (some) return { supported: true, source, some, full };
  }
  return { supported: false };
}

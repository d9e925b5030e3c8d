import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';

/**
 * Where one controller of the process's own cgroup lives on this machine.
 *
 * @internal
 */
export interface CgroupController {
  /** `1` for a v1 hierarchy (fs type `cgroup`), `2` for the unified one (`cgroup2`). */
  readonly version: 1 | 2;
  /** The cgroup's path in its hierarchy, as `/proc/self/cgroup` names it: `/kubepods/pod1/c1`. */
  readonly path: string;
  /** The cgroup's directory, under `root`: `/sys/fs/cgroup/memory/kubepods/pod1/c1`. */
  readonly dir: string;
  /**
   * The directories from `dir` up to the hierarchy's mount point, `dir` first: where a limit set
   * on an ancestor is found (the kernel enforces the tightest on the way up).
   */
  readonly ancestors: readonly string[];
}

/**
 * The process's own cgroup, per controller; `undefined` where the controller is not mounted.
 * On a v1 or hybrid machine `memory` and `cpu` come from their v1 hierarchies and `unified` is
 * the v2 hierarchy (which has the `*.pressure` files); on a v2 machine all three are the same.
 *
 * @internal
 */
export interface CgroupLocation {
  /** The `memory` controller's cgroup. */
  readonly memory?: CgroupController;
  /** The `cpu` controller's cgroup (v1: the hierarchy holding `cpu`, often with `cpuacct`). */
  readonly cpu?: CgroupController;
  /** The process's cgroup in the v2 (unified) hierarchy, when one is mounted. */
  readonly unified?: CgroupController;
  /** The directory holding `proc/` and `sys/`: `/`, or a fixture's directory in tests. */
  readonly root: string;
}

/** One line of `/proc/self/cgroup`. @internal */
export interface ProcCgroupLine {
  /** Hierarchy id; `0` for v2. */
  readonly id: number;
  /** The controllers of a v1 hierarchy (`['cpu', 'cpuacct']`, `['name=systemd']`); v2: `[]`. */
  readonly controllers: readonly string[];
  /** The cgroup's path in the hierarchy. */
  readonly path: string;
}

/** One cgroup mount of `/proc/self/mountinfo`. @internal */
export interface CgroupMount {
  /** `1` for fs type `cgroup`, `2` for `cgroup2`. */
  readonly version: 1 | 2;
  /** The directory of the hierarchy that is mounted (field 4): `/`, or a cgroup's path. */
  readonly mountRoot: string;
  /** Where it is mounted (field 5): `/sys/fs/cgroup/memory`. */
  readonly mountPoint: string;
  /** The super options (the last field), which name a v1 hierarchy's controllers. */
  readonly superOptions: readonly string[];
}

/**
 * Parses `/proc/self/cgroup` (see `man 7 cgroups`): one `id:controllers:path` line per v1
 * hierarchy, and `0::path` for the unified (v2) one. Unreadable lines are skipped.
 *
 * @internal
 */
export function parseProcCgroup(text: string): ProcCgroupLine[] {
  const lines: ProcCgroupLine[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const id = Number(line.slice(0, first));
    const path = line.slice(second + 1);
    if (!Number.isInteger(id) || !path.startsWith('/')) continue;
    const list = line.slice(first + 1, second);
    lines.push({ id, controllers: list === '' ? [] : list.split(','), path });
  }
  return lines;
}

/** Mountinfo escapes space, tab, newline and backslash as `\ooo` octal. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

/**
 * Parses the cgroup mounts of `/proc/self/mountinfo` (see `man 5 proc`): `id parent major:minor
 * root mount-point options [optional fields] - fstype source super-options`.
 *
 * @internal
 */
export function parseCgroupMounts(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 6 || fields.length < separator + 4) continue;
    const fsType = fields[separator + 1];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    mounts.push({
      version: fsType === 'cgroup2' ? 2 : 1,
      mountRoot: unescapeMountField(fields[3]),
      mountPoint: unescapeMountField(fields[4]),
      superOptions: fields[separator + 3].split(','),
    });
  }
  return mounts;
}

/**
 * The cgroup's directory in a mount, and its ancestors up to the mount point. The path is
 * relative to the hierarchy's root, the mount may show a subtree of it (`mountRoot`, as in a
 * container without a cgroup namespace): the directory is the mount point plus the path less the
 * mount root. A path outside the mounted subtree (a namespace whose root is below the process's
 * cgroup) has no directory of its own here: the mount point is the closest.
 */
function controllerIn(
  mount: CgroupMount,
  path: string,
  root: string,
): Omit<CgroupController, 'version'> {
  const mountRoot = mount.mountRoot === '/' ? '' : mount.mountRoot.replace(/\/+$/, '');
  let relative = '';
  if (path === mountRoot || path.startsWith(`${mountRoot}/`)) {
    relative = path.slice(mountRoot.length);
  }
  const top = join(root, mount.mountPoint);
  const parts = relative.split('/').filter((part) => part !== '' && part !== '.');
  const ancestors: string[] = [];
  for (let depth = parts.length; depth >= 0; depth -= 1) {
    ancestors.push(depth === 0 ? top : join(top, ...parts.slice(0, depth)));
  }
  return { path, dir: ancestors[0], ancestors };
}

/**
 * Finds the process's own cgroup per controller from `/proc/self/cgroup` and the cgroup mounts
 * of `/proc/self/mountinfo`. A v1 hierarchy is the mount whose super options name the
 * controller; the unified one is the `cgroup2` mount. A controller that v1 does not mount is
 * looked for in the unified hierarchy.
 *
 * @param root - the directory holding `proc/` and `sys/`; `/` but in tests.
 * @returns `null` where there is no `/proc/self/cgroup` (not Linux, or no procfs).
 * @internal
 */
export async function locateCgroup(root = '/'): Promise<CgroupLocation | null> {
  let cgroupText: string;
  let mountText: string;
  try {
    [cgroupText, mountText] = await Promise.all([
      readFile(join(root, 'proc/self/cgroup'), 'utf8'),
      readFile(join(root, 'proc/self/mountinfo'), 'utf8'),
    ]);
  } catch (error) {
    if (isAbsent(error)) return null;
    throw error;
  }
  return locationFrom(parseProcCgroup(cgroupText), parseCgroupMounts(mountText), root);
}

/**
 * The location from parsed lines and mounts (see {@link locateCgroup}).
 *
 * @internal
 */
export function locationFrom(
  lines: readonly ProcCgroupLine[],
  mounts: readonly CgroupMount[],
  root: string,
): CgroupLocation {
  const unifiedLine = lines.find((line) => line.id === 0 && line.controllers.length === 0);
  const unifiedMount = mounts.find((mount) => mount.version === 2);
  const unified =
    unifiedLine && unifiedMount
      ? { version: 2 as const, ...controllerIn(unifiedMount, unifiedLine.path, root) }
      : undefined;
  const v1 = (controller: string): CgroupController | undefined => {
    const line = lines.find((entry) => entry.id !== 0 && entry.controllers.includes(controller));
    if (!line) return undefined;
    const mount = mounts.find(
      (entry) => entry.version === 1 && entry.superOptions.includes(controller),
    );
    return mount ? { version: 1, ...controllerIn(mount, line.path, root) } : undefined;
  };
  return {
    root,
    memory: v1('memory') ?? unified,
    cpu: v1('cpu') ?? unified,
    unified,
  };
}

/** Whether a read failed because the file or its directory is not there (or not ours). @internal */
export function isAbsent(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'ENODEV';
}

/** The path of a file of the `/proc` under `root`. @internal */
export function procPath(root: string, ...parts: string[]): string {
  return posix.join(root, 'proc', ...parts);
}

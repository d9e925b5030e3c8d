import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A directory laid out as `/` is for the cgroup reader: `proc/self/cgroup`,
 * `proc/self/mountinfo`, `proc/pressure/*` and the cgroup files under `sys/fs/cgroup`. Paths are
 * relative to it; `write` changes a file between two checks.
 */
export interface CgroupFixture {
  readonly root: string;
  write(path: string, text: string): void;
  remove(): void;
}

/** Makes a fixture root from `files` (path relative to the root → content). */
export function cgroupFixture(files: Record<string, string>): CgroupFixture {
  const root = mkdtempSync(join(tmpdir(), 'nest-health-cgroup-'));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  for (const [path, text] of Object.entries(files)) write(path, text);
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) };
}

import { locateCgroup, type CgroupLocation } from './cgroup-location';

/**
 * Finds the process's cgroup once and keeps it: reading `/proc/self/mountinfo` on every run
 * would cost more than reading the figures. A failed lookup is tried again on the next call.
 *
 * @internal
 */
export class CgroupLocator {
  private found: Promise<CgroupLocation | null> | undefined;

  /** @param root - the directory holding `proc/` and `sys/`; `/` but in tests. */
  constructor(readonly root = '/') {}

  /** The location (`null` without `/proc/self/cgroup`), found on the first call. */
  location(): Promise<CgroupLocation | null> {
    if (!this.found) {
      this.found = locateCgroup(this.root);
      this.found.catch(() => {
        this.found = undefined;
      });
    }
    return this.found;
  }
}

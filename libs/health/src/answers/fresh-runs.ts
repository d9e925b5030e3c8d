interface LastRun {
  /** When the run started, in epoch milliseconds. */
  readonly at: number;
  run: Promise<void>;
  settled: boolean;
}

/**
 * Rate limit of `?fresh=true`: at most one run per key (a group, or a group's check) per
 * `minIntervalMs`. A caller within the interval shares the run in flight, or, once it has
 * finished, reads its results.
 *
 * @internal
 */
export class FreshRuns {
  private readonly last = new Map<string, LastRun>();

  /** @param minIntervalMs - the `freshMinIntervalMs` option. */
  constructor(private readonly minIntervalMs: number) {}

  /**
   * Starts `start()` for `key` unless a run of it started less than `minIntervalMs` ago.
   *
   * @returns the run to wait for (this one, or the one in flight), or `undefined` when the
   *   last run has finished within the interval and its results are to be read as they are.
   */
  run(key: string, start: () => Promise<void>): Promise<void> | undefined {
    const now = Date.now();
    const last = this.last.get(key);
    if (last && now - last.at < this.minIntervalMs) return last.settled ? undefined : last.run;
    const entry: LastRun = { at: now, run: Promise.resolve(), settled: false };
    entry.run = start().finally(() => {
      entry.settled = true;
    });
    this.last.set(key, entry);
    return entry.run;
  }
}

import { FreshRuns } from './fresh-runs';

describe('FreshRuns', () => {
  afterEach(() => jest.useRealTimers());

  it('runs at most once per interval per key, sharing the run in flight', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const runs = new FreshRuns(1_000);
    let release!: () => void;
    const start = jest.fn(() => new Promise<void>((resolve) => (release = resolve)));

    const first = runs.run('readiness', start);
    const second = runs.run('readiness', start);
    expect(first).toBeDefined();
    expect(second).toBe(first);
    expect(start).toHaveBeenCalledTimes(1);

    release();
    await first;
    expect(runs.run('readiness', start)).toBeUndefined(); // done, within the interval
    expect(start).toHaveBeenCalledTimes(1);

    expect(runs.run('liveness', start)).toBeDefined(); // another key
    expect(start).toHaveBeenCalledTimes(2);

    jest.setSystemTime(1_000_000 + 1_000);
    expect(runs.run('readiness', start)).toBeDefined();
    expect(start).toHaveBeenCalledTimes(3);
  });

  it('with an interval of 0, runs every time', () => {
    const runs = new FreshRuns(0);
    const start = jest.fn(() => Promise.resolve());
    void runs.run('a', start);
    void runs.run('a', start);
    expect(start).toHaveBeenCalledTimes(2);
  });
});

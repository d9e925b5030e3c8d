import { availableParallelism } from 'node:os';
import { checkContext } from '../../../spec-helpers/faults';
import {
  cgroupFixture,
  cgroupV1DockerFixture as v1Docker,
  cgroupV2PodFixture as v2Nested,
  type CgroupFixture,
} from '../../../spec-helpers/cgroup-fixture';
import { CpuHealthIndicator, CPU_DEFAULT_THROTTLED_PERCENT } from './cpu.health';
import { DiskHealthIndicator } from './disk.health';
import { MemoryHealthIndicator, MEMORY_DEFAULT_WORKING_SET_PERCENT } from './memory.health';

const MiB = 2 ** 20;

const context = () => checkContext(5_000);
// The process's own CPU use is real, not the fixture's: its level stays off here.
const cpu = (root: string, levels = {}) =>
  new CpuHealthIndicator(
    { name: 'cpu' },
    { throttledPercent: CPU_DEFAULT_THROTTLED_PERCENT, ...levels },
    root,
  );
const memory = (root: string, levels = {}) =>
  new MemoryHealthIndicator(
    { name: 'memory' },
    { workingSetPercent: MEMORY_DEFAULT_WORKING_SET_PERCENT, ...levels },
    root,
  );

describe('container figures from cgroup v2 fixtures', () => {
  let fixture: CgroupFixture;
  beforeEach(() => (fixture = v2Nested()));
  afterEach(() => fixture.remove());

  it("takes the memory limit from the pod's cgroup when the container's says max", async () => {
    const result = await memory(fixture.root).check(context());
    expect(result.status).toBe('up');
    expect(result.data?.container).toEqual({
      supported: true,
      cgroupVersion: 2,
      usageBytes: 300 * MiB,
      inactiveFileBytes: 60 * MiB,
      workingSetBytes: 240 * MiB,
      limitBytes: 512 * MiB,
      limitSource: 'cgroup v2 memory.max',
      workingSetPercent: 46.88,
      oomKills: 2,
    });
    expect(result.data?.pressure).toEqual({
      supported: true,
      source: 'cgroup',
      some: { avg10: 0.5, avg60: 0.25, avg300: 0.1 },
      full: { avg10: 0.2, avg60: 0.1, avg300: 0.05 },
    });
  });

  it('is degraded, then down, at levels on the working set and on OOM kills', async () => {
    const degraded = await memory(fixture.root, { workingSetPercent: { degradedAbove: 40 } }).check(
      context(),
    );
    expect(degraded).toMatchObject({
      status: 'degraded',
      message: 'workingSetPercent 46.88 is above 40',
    });
    const down = await memory(fixture.root, { oomKills: { downAbove: 1 } }).check(context());
    expect(down).toMatchObject({ status: 'down', message: 'oomKills 2 is above 1' });
    const bytes = await memory(fixture.root, {
      workingSetBytes: { degradedAbove: 200 * MiB },
    }).check(context());
    expect(bytes.status).toBe('degraded');
  });

  it('reads "max" on every level as no limit', async () => {
    fixture.write('sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/memory.max', 'max\n');
    const result = await memory(fixture.root).check(context());
    const container = result.data?.container as Record<string, unknown>;
    // Node's own reading, if this machine has one, stands in for the missing cgroup limit.
    expect([null, 'process.constrainedMemory()']).toContain(container.limitSource);
    if (container.limitSource === null) {
      expect(container).toMatchObject({ limitBytes: null, workingSetPercent: null });
    }
  });

  it("takes the CPU quota from the pod's cpu.max and throttling from the pod's cpu.stat", async () => {
    const indicator = cpu(fixture.root);
    const first = await indicator.check(context());
    // The first run counts since the cgroup was made: 10 of 100 periods.
    expect(first.data).toMatchObject({
      limitCores: Math.min(0.5, availableParallelism()),
      limitSource: availableParallelism() > 0.5 ? 'cgroup v2 cpu.max' : 'os.availableParallelism()',
      cgroupVersion: 2,
      periods: 100,
      throttledPeriods: 10,
      throttledPercent: 10,
      throttledMs: 250,
    });
    // The next run counts over the window: 30 of the 50 periods since.
    fixture.write(
      'sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/cpu.stat',
      'nr_periods 150\nnr_throttled 40\nthrottled_usec 1250000\n',
    );
    const second = await indicator.check(context());
    expect(second.data).toMatchObject({
      periods: 50,
      throttledPeriods: 30,
      throttledPercent: 60,
      throttledMs: 1000,
    });
    expect(second.status).toBe('degraded');
    expect(second.message).toBe('throttledPercent 60 is above 25');
  });

  it("uses the cgroup's own cpu.pressure, with levels on some avg10", async () => {
    const result = await cpu(fixture.root, {
      pressureSomeAvg10Percent: { degradedAbove: 10 },
    }).check(context());
    expect(result.data?.pressure).toEqual({
      supported: true,
      source: 'cgroup',
      some: { avg10: 12.5, avg60: 3, avg300: 1 },
      full: { avg10: 0, avg60: 0, avg300: 0 },
    });
    expect(result).toMatchObject({
      status: 'degraded',
      message: 'pressureSomeAvg10Percent 12.5 is above 10',
    });
  });

  it('has no quota, and no throttling figures, when cpu.max says max all the way up', async () => {
    fixture.write('sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/cpu.max', 'max 100000\n');
    const result = await cpu(fixture.root).check(context());
    expect(result.data).toMatchObject({
      limitCores: availableParallelism(),
      limitSource: 'os.availableParallelism()',
      periods: null,
      throttledPercent: null,
    });
  });
});

describe('container figures from cgroup v1 fixtures', () => {
  let fixture: CgroupFixture;
  beforeEach(() => (fixture = v1Docker()));
  afterEach(() => fixture.remove());

  it('reads the sentinel as no limit, and takes the hierarchical limit and total_inactive_file', async () => {
    const result = await memory(fixture.root).check(context());
    expect(result.data?.container).toEqual({
      supported: true,
      cgroupVersion: 1,
      usageBytes: 100 * MiB,
      inactiveFileBytes: 20 * MiB,
      workingSetBytes: 80 * MiB,
      limitBytes: 128 * MiB,
      limitSource: 'cgroup v1 memory.limit_in_bytes',
      workingSetPercent: 62.5,
      oomKills: 3,
    });
  });

  it('reads the quota over the period, and throttled_time in nanoseconds', async () => {
    const result = await cpu(fixture.root).check(context());
    expect(result.data).toMatchObject({
      limitCores: Math.min(1.5, availableParallelism()),
      cgroupVersion: 1,
      periods: 40,
      throttledPeriods: 4,
      throttledPercent: 10,
      throttledMs: 80,
    });
  });

  it('has no throttling figures with cpu.cfs_quota_us -1', async () => {
    fixture.write('sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us', '-1\n');
    const result = await cpu(fixture.root).check(context());
    expect(result.data).toMatchObject({
      limitSource: 'os.availableParallelism()',
      throttledPercent: null,
    });
  });

  it('says pressure is not supported where the kernel has no PSI files', async () => {
    const [cpuResult, memoryResult] = await Promise.all([
      cpu(fixture.root).check(context()),
      memory(fixture.root).check(context()),
    ]);
    expect(cpuResult.data?.pressure).toEqual({ supported: false });
    expect(memoryResult.data?.pressure).toEqual({ supported: false });
  });
});

describe('without a cgroup (not Linux, no /proc)', () => {
  it('reports the CPU against the CPUs it may run on, and the memory as not supported', async () => {
    const fixture = cgroupFixture({});
    try {
      const [cpuResult, memoryResult] = await Promise.all([
        cpu(fixture.root).check(context()),
        memory(fixture.root).check(context()),
      ]);
      expect(cpuResult.status).toBe('up');
      expect(cpuResult.data).toMatchObject({
        limitCores: availableParallelism(),
        limitSource: 'os.availableParallelism()',
        cgroupVersion: null,
        throttledPercent: null,
        pressure: { supported: false },
      });
      expect((memoryResult.data?.container as { supported: boolean }).supported).toBe(false);
      expect(memoryResult.data?.heapUsedBytes).toBeGreaterThan(0);
    } finally {
      fixture.remove();
    }
  });
});

describe('I/O pressure on the disk indicator', () => {
  const disk = (root: string, levels = {}) =>
    new DiskHealthIndicator({ name: 'disk' }, '/', levels, root);

  it("uses the cgroup's own io.pressure on cgroup v2, with levels on some avg10", async () => {
    const fixture = v2Nested();
    try {
      const result = await disk(fixture.root, {
        pressureSomeAvg10Percent: { downAbove: 25 },
      }).check(context());
      expect(result.data?.pressure).toEqual({
        supported: true,
        source: 'cgroup',
        some: { avg10: 30, avg60: 20, avg300: 10 },
        full: { avg10: 25, avg60: 15, avg300: 5 },
      });
      expect(result).toMatchObject({
        status: 'down',
        message: 'pressureSomeAvg10Percent 30 is above 25',
      });
    } finally {
      fixture.remove();
    }
  });

  it("falls back to the system's /proc/pressure/io, and says when there is neither", async () => {
    const fixture = v1Docker();
    try {
      expect((await disk(fixture.root).check(context())).data?.pressure).toEqual({
        supported: false,
      });
      fixture.write('proc/pressure/io', 'some avg10=1.00 avg60=2.00 avg300=3.00 total=4\n');
      expect((await disk(fixture.root).check(context())).data?.pressure).toEqual({
        supported: true,
        source: 'system',
        some: { avg10: 1, avg60: 2, avg300: 3 },
        full: null,
      });
    } finally {
      fixture.remove();
    }
  });
});

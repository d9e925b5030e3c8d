import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../../../../test/helpers/wait-for';
import { locationFrom, parseCgroupMounts, parseProcCgroup } from './cgroup';

// A real cgroup v1 with a memory limit and a CPU quota, and a Node process inside it that runs
// the indicators (spec-helpers/container-child.ts). Needs Linux, root, and the v1 memory and cpu
// controllers; the cgroups are made below this process's own, so that they stay inside whatever
// limits this process already has.

const ROOT = join(__dirname, '../../../../..');
// Room for the child's own memory (Node 24 loading the TypeScript sources takes more than Node 20)
// plus the buffer it fills, with the OOM victim gone: at 384 MiB the child itself was killed on
// Node 24.
const LIMIT_BYTES = 512 * 2 ** 20;
const QUOTA_US = 10_000;
const PERIOD_US = 100_000;

/** The parent directories to make the cgroups in, or why this machine cannot. */
function parents(): { memory: string; cpu: string } | string {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: cannot make cgroups';
  let location;
  try {
    location = locationFrom(
      parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8')),
      parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8')),
      '/',
    );
  } catch (error) {
    return `cannot read /proc/self/cgroup or mountinfo: ${(error as Error).message}`;
  }
  if (location.memory?.version !== 1 || location.cpu?.version !== 1) {
    return 'the memory and cpu controllers are not both mounted as cgroup v1';
  }
  const probe = join(location.cpu.dir, `nest-health-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (error) {
    return `cannot make a cgroup under ${location.cpu.dir}: ${(error as Error).message}`;
  }
  return { memory: location.memory.dir, cpu: location.cpu.dir };
}

const where = parents();
const suite = typeof where === 'string' ? describe.skip : describe;
const title =
  typeof where === 'string'
    ? `cpu and memory indicators in a real cgroup v1 (skipped: ${where})`
    : 'cpu and memory indicators in a real cgroup v1';

interface Result {
  status: string;
  message?: string;
  data: Record<string, unknown>;
}
interface ChildReport {
  cpu: { default: Result; strict: Result; spins: number };
  oomSignal: string | null;
  memory: { default: Result; degraded: Result; down: Result };
  procStatus: Record<string, number>;
  procStatusAfter: Record<string, number>;
  /** Bytes of the buffer the child filled just before the memory check. */
  kept: number;
}

suite(title, () => {
  const { memory: memoryParent, cpu: cpuParent } = where as { memory: string; cpu: string };
  const name = `nest-health-spec-${process.pid}-${Date.now()}`;
  // The limits go on a cgroup (as Kubernetes puts them on the pod) and the child in a cgroup
  // below it with none of its own (the container): the indicators find them on the way up.
  const memoryDir = join(memoryParent, name);
  const cpuDir = join(cpuParent, name);
  const memoryInner = join(memoryDir, 'app');
  const cpuInner = join(cpuDir, 'app');
  const made: string[] = [];
  let child: ChildProcess | undefined;
  let report: ChildReport;

  beforeAll(async () => {
    mkdirSync(memoryDir);
    made.push(memoryDir);
    writeFileSync(join(memoryDir, 'memory.limit_in_bytes'), String(LIMIT_BYTES));
    mkdirSync(memoryInner);
    made.push(memoryInner);
    mkdirSync(cpuDir);
    made.push(cpuDir);
    mkdirSync(cpuInner);
    made.push(cpuInner);

    // The shell moves itself into both cgroups, then becomes Node: nothing of the child runs
    // outside them. The CPU quota is set once the child has loaded (its "ready" line), so that
    // the quota is low enough to throttle it however loaded the machine is, without making its
    // start take minutes.
    child = spawn(
      'sh',
      [
        '-c',
        'echo $$ > "$1/cgroup.procs" && echo $$ > "$2/cgroup.procs" && exec "$0" --require ./test/helpers/register-typescript.cjs libs/health/spec-helpers/container-child.ts',
        process.execPath,
        memoryInner,
        cpuInner,
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let quotaSet = false;
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!quotaSet && stdout.startsWith('ready\n')) {
        quotaSet = true;
        writeFileSync(join(cpuDir, 'cpu.cfs_period_us'), String(PERIOD_US));
        writeFileSync(join(cpuDir, 'cpu.cfs_quota_us'), String(QUOTA_US));
        child!.stdin!.end('go\n');
      }
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) {
      throw new Error(`the child exited with ${code ?? child.signalCode}: ${stderr}`);
    }
    report = JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport;
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    // A cgroup can be removed once its last task has gone; the OOM victim may take a moment.
    for (const dir of made.reverse()) {
      await waitFor(() => rmdirSync(dir), { timeoutMs: 30_000, intervalMs: 100 });
    }
  }, 60_000);

  it("sees the parent cgroup's CPU quota as the cores it may use, from cpu.cfs_quota_us", () => {
    const data = report.cpu.default.data;
    expect(data.limitCores).toBe(QUOTA_US / PERIOD_US);
    expect(data.limitSource).toBe('cgroup v1 cpu.cfs_quota_us');
    expect(data.cgroupVersion).toBe(1);
  });

  it('sees throttling under a busy loop and is degraded at the default level, down at a set one', () => {
    const data = report.cpu.default.data as Record<string, number>;
    // A busy loop in a cgroup allowed 10 ms of every 100 ms runs out of quota in nearly every
    // period in which it gets a CPU for that long at all.
    expect(data.periods).toBeGreaterThan(0);
    expect(data.throttledPeriods).toBeGreaterThan(0);
    expect(data.throttledMs).toBeGreaterThan(0);
    expect(data.throttledPercent).toBeGreaterThan(25);
    expect(report.cpu.default.status).toBe('degraded');
    expect(report.cpu.default.message).toMatch(/throttledPercent [\d.]+ is above 25/);
    // It cannot use more than its quota: at most 0.1 cores (and a little for the window's edges
    // and the kernel's per-CPU slices of the quota), however hard it spins.
    expect(data.usedCores).toBeLessThanOrEqual(0.15);

    expect(report.cpu.strict.status).toBe('down');
    expect(report.cpu.strict.message).toMatch(/^throttledPercent [\d.]+ is above 10$/);
  });

  it("sees the parent cgroup's memory limit, the working set and the OOM kill, from the v1 files", () => {
    const container = report.memory.default.data.container as Record<string, unknown>;
    expect(container).toMatchObject({
      supported: true,
      cgroupVersion: 1,
      limitBytes: LIMIT_BYTES,
      limitSource: 'cgroup v1 memory.limit_in_bytes',
    });
    expect(report.oomSignal).toBe('SIGKILL');
    expect(container.oomKills).toBeGreaterThanOrEqual(1);
    expect(container.workingSetPercent).toBeCloseTo(
      ((container.workingSetBytes as number) / LIMIT_BYTES) * 100,
      1,
    );
  });

  it('counts the memory /proc/self/status shows', () => {
    const data = report.memory.default.data as Record<string, number>;
    const container = report.memory.default.data.container as Record<string, number>;
    const { RssAnon } = report.procStatus;
    // rssBytes is VmRSS, read between the two readings of /proc/self/status (near the limit the
    // kernel reclaims the mapped files' pages, so it moves both ways): allow a little either side.
    const rss = [report.procStatus.VmRSS, report.procStatusAfter.VmRSS];
    expect(data.rssBytes).toBeGreaterThanOrEqual(Math.min(...rss) - 8 * 2 ** 20);
    expect(data.rssBytes).toBeLessThanOrEqual(Math.max(...rss) + 8 * 2 ** 20);
    expect(RssAnon).toBeGreaterThan(128 * 2 ** 20);
    // The cgroup was made for this child: the buffer it filled just before the check (after the
    // OOM victim was gone) is resident and charged here. Not all of RssAnon: one loaded CI
    // trial read RssAnon 316 MB against a working set of 268 MB, a gap not explained yet.
    expect(container.workingSetBytes).toBeGreaterThanOrEqual(report.kept * 0.9);
    expect(container.workingSetBytes).toBeLessThan(LIMIT_BYTES);
  });

  it('is degraded, then down, when the working set passes levels on the limit', () => {
    expect(report.memory.degraded.status).toBe('degraded');
    expect(report.memory.degraded.message).toMatch(/^workingSetPercent [\d.]+ is above 40$/);
    expect(report.memory.down.status).toBe('down');
    expect(report.memory.down.message).toMatch(/^workingSetPercent [\d.]+ is above 40$/);
  });
});

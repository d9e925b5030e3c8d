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

// The fixtures below: cgroup v2 ones follow the kernel's Documentation/admin-guide/cgroup-v2.rst:
// - "cpu.max": "$MAX $PERIOD", "max" for $MAX meaning no limit;
// - "cpu.stat": nr_periods, nr_throttled, throttled_usec (with the cpu controller enabled);
// - "memory.current", "memory.max" ("max" by default: no limit), "memory.stat" (inactive_file),
//   "memory.events" (oom_kill, counted in the cgroup and its descendants);
// - "cpu.pressure", "memory.pressure", "io.pressure": the PSI format of Documentation/accounting/psi.rst.
// v1 fixtures follow Documentation/admin-guide/cgroup-v1/memory.rst (memory.usage_in_bytes,
// memory.limit_in_bytes, memory.stat total_inactive_file and hierarchical_memory_limit,
// memory.oom_control oom_kill) and scheduler/sched-bwc.rst (cpu.cfs_quota_us -1 = no quota,
// cpu.stat throttled_time in ns).

const MiB = 2 ** 20;
const V1_UNLIMITED = '9223372036854771712';

/** A Kubernetes pod on a cgroup v2 node: the limit on the pod, "max" on the container. */
export function cgroupV2PodFixture(): CgroupFixture {
  const pod = 'sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice';
  const ctr = `${pod}/cri-containerd-c1.scope`;
  return cgroupFixture({
    'proc/self/cgroup': '0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-c1.scope\n',
    'proc/self/mountinfo':
      '30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n',
    'sys/fs/cgroup/memory.max': 'max\n', // the root has no such file on a real machine; harmless
    [`${pod}/memory.max`]: `${512 * MiB}\n`,
    [`${pod}/cpu.max`]: '50000 100000\n',
    [`${pod}/cpu.stat`]:
      'usage_usec 900000\nuser_usec 600000\nsystem_usec 300000\nnr_periods 100\nnr_throttled 10\nthrottled_usec 250000\n',
    [`${ctr}/memory.max`]: 'max\n',
    [`${ctr}/memory.current`]: `${300 * MiB}\n`,
    [`${ctr}/memory.stat`]: `anon ${200 * MiB}\nfile ${100 * MiB}\nactive_file ${40 * MiB}\ninactive_file ${60 * MiB}\n`,
    [`${ctr}/memory.events`]: 'low 0\nhigh 0\nmax 4\noom 2\noom_kill 2\noom_group_kill 0\n',
    [`${ctr}/cpu.max`]: 'max 100000\n',
    [`${ctr}/cpu.stat`]: 'usage_usec 900000\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n',
    [`${ctr}/cpu.pressure`]:
      'some avg10=12.50 avg60=3.00 avg300=1.00 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
    [`${ctr}/memory.pressure`]:
      'some avg10=0.50 avg60=0.25 avg300=0.10 total=99\nfull avg10=0.20 avg60=0.10 avg300=0.05 total=42\n',
    'proc/pressure/cpu': 'some avg10=99.00 avg60=99.00 avg300=99.00 total=1\n',
    [`${ctr}/io.pressure`]:
      'some avg10=30.00 avg60=20.00 avg300=10.00 total=777\nfull avg10=25.00 avg60=15.00 avg300=5.00 total=555\n',
  });
}

/** Docker on a cgroup v1 host without a cgroup namespace: the container's cgroup is mounted as the root. */
export function cgroupV1DockerFixture(): CgroupFixture {
  return cgroupFixture({
    'proc/self/cgroup':
      '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n',
    'proc/self/mountinfo': [
      '25 22 0:22 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime master:10 - cgroup cgroup rw,cpu,cpuacct',
      '26 22 0:23 /docker/abc /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime master:11 - cgroup cgroup rw,memory',
      '',
    ].join('\n'),
    'sys/fs/cgroup/memory/memory.usage_in_bytes': `${100 * MiB}\n`,
    'sys/fs/cgroup/memory/memory.limit_in_bytes': `${V1_UNLIMITED}\n`,
    'sys/fs/cgroup/memory/memory.stat': `cache ${30 * MiB}\nrss ${70 * MiB}\nhierarchical_memory_limit ${128 * MiB}\ninactive_file ${5 * MiB}\ntotal_inactive_file ${20 * MiB}\n`,
    'sys/fs/cgroup/memory/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '150000\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    'sys/fs/cgroup/cpu,cpuacct/cpu.stat':
      'nr_periods 40\nnr_throttled 4\nthrottled_time 80000000\n',
  });
}

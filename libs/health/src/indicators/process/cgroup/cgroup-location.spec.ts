import { readFileSync } from 'node:fs';
import { cgroupFixture } from '../../../../spec-helpers/cgroup-fixture';
import { locateCgroup, locationFrom, parseCgroupMounts, parseProcCgroup } from './cgroup-location';

// The formats of /proc/self/cgroup and /proc/self/mountinfo are those of man 7 cgroups and
// man 5 proc; the lines below are as a cgroup v1 (Docker, no cgroup namespace), a hybrid
// (systemd) and a cgroup v2 (Kubernetes) machine show them.

const V1_MOUNTINFO = [
  '22 21 0:19 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '25 22 0:22 /docker/abc /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct',
  '26 22 0:23 /docker/abc /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,memory',
  '27 22 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,xattr,name=systemd',
].join('\n');

describe('parseProcCgroup', () => {
  it('reads v1 lines (several controllers, named hierarchies) and the v2 line', () => {
    expect(
      parseProcCgroup('12:cpu,cpuacct:/docker/abc\n1:name=systemd:/user.slice\n0::/init.scope\n'),
    ).toEqual([
      { id: 12, controllers: ['cpu', 'cpuacct'], path: '/docker/abc' },
      { id: 1, controllers: ['name=systemd'], path: '/user.slice' },
      { id: 0, controllers: [], path: '/init.scope' },
    ]);
  });

  it('skips lines it cannot read', () => {
    expect(parseProcCgroup('garbage\n3:memory:relative\n\n')).toEqual([]);
  });
});

describe('parseCgroupMounts', () => {
  it('keeps cgroup and cgroup2 mounts with their root, mount point and super options', () => {
    expect(
      parseCgroupMounts(
        `${V1_MOUNTINFO}\n30 22 0:26 / /sys/fs/cgroup/unified rw,nosuid shared:5 - cgroup2 cgroup2 rw,nsdelegate`,
      ),
    ).toEqual([
      {
        version: 1,
        mountRoot: '/docker/abc',
        mountPoint: '/sys/fs/cgroup/cpu,cpuacct',
        superOptions: ['rw', 'cpu', 'cpuacct'],
      },
      {
        version: 1,
        mountRoot: '/docker/abc',
        mountPoint: '/sys/fs/cgroup/memory',
        superOptions: ['rw', 'memory'],
      },
      {
        version: 1,
        mountRoot: '/',
        mountPoint: '/sys/fs/cgroup/systemd',
        superOptions: ['rw', 'xattr', 'name=systemd'],
      },
      {
        version: 2,
        mountRoot: '/',
        mountPoint: '/sys/fs/cgroup/unified',
        superOptions: ['rw', 'nsdelegate'],
      },
    ]);
  });

  it('undoes the octal escapes of spaces in paths, and reads mounts with no optional fields', () => {
    expect(
      parseCgroupMounts('40 1 0:30 / /mnt/my\\040cgroups rw - cgroup2 none rw')[0].mountPoint,
    ).toBe('/mnt/my cgroups');
  });
});

describe('locationFrom', () => {
  it('maps a path below the mount root onto the mount point (a container without a cgroup namespace)', () => {
    const location = locationFrom(
      parseProcCgroup('5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc/worker\n'),
      parseCgroupMounts(V1_MOUNTINFO),
      '/',
    );
    expect(location.memory).toEqual({
      version: 1,
      path: '/docker/abc',
      dir: '/sys/fs/cgroup/memory',
      ancestors: ['/sys/fs/cgroup/memory'],
    });
    expect(location.cpu).toEqual({
      version: 1,
      path: '/docker/abc/worker',
      dir: '/sys/fs/cgroup/cpu,cpuacct/worker',
      ancestors: ['/sys/fs/cgroup/cpu,cpuacct/worker', '/sys/fs/cgroup/cpu,cpuacct'],
    });
    expect(location.unified).toBeUndefined();
  });

  it('falls back to the mount point when the path is outside the mounted subtree', () => {
    const location = locationFrom(
      parseProcCgroup('5:memory:/elsewhere\n'),
      parseCgroupMounts(V1_MOUNTINFO),
      '/',
    );
    expect(location.memory?.dir).toBe('/sys/fs/cgroup/memory');
  });

  it('on a hybrid machine takes memory and cpu from v1 and keeps the unified cgroup for pressure', () => {
    const location = locationFrom(
      parseProcCgroup('4:memory:/svc\n1:cpu:/\n0::/svc\n'),
      parseCgroupMounts(
        [
          '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
          '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
          '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
        ].join('\n'),
      ),
      '/fixture',
    );
    expect(location.memory).toMatchObject({ version: 1, dir: '/fixture/sys/fs/cgroup/memory/svc' });
    expect(location.cpu).toMatchObject({ version: 1, dir: '/fixture/sys/fs/cgroup/cpu' });
    expect(location.unified).toMatchObject({
      version: 2,
      dir: '/fixture/sys/fs/cgroup/unified/svc',
      ancestors: ['/fixture/sys/fs/cgroup/unified/svc', '/fixture/sys/fs/cgroup/unified'],
    });
  });

  it('on a cgroup v2 machine takes every controller from the unified hierarchy', () => {
    const location = locationFrom(
      parseProcCgroup('0::/kubepods.slice/pod1/ctr1\n'),
      parseCgroupMounts('30 22 0:26 / /sys/fs/cgroup rw shared:5 - cgroup2 cgroup2 rw,nsdelegate'),
      '/',
    );
    const expected = {
      version: 2,
      path: '/kubepods.slice/pod1/ctr1',
      dir: '/sys/fs/cgroup/kubepods.slice/pod1/ctr1',
      ancestors: [
        '/sys/fs/cgroup/kubepods.slice/pod1/ctr1',
        '/sys/fs/cgroup/kubepods.slice/pod1',
        '/sys/fs/cgroup/kubepods.slice',
        '/sys/fs/cgroup',
      ],
    };
    expect(location.memory).toEqual(expected);
    expect(location.cpu).toEqual(expected);
    expect(location.unified).toEqual(expected);
  });
});

describe('locateCgroup', () => {
  it('is null where there is no /proc/self/cgroup', async () => {
    const fixture = cgroupFixture({});
    try {
      await expect(locateCgroup(fixture.root)).resolves.toBeNull();
    } finally {
      fixture.remove();
    }
  });

  (process.platform === 'linux' ? it : it.skip)(
    "finds this process's own cgroup on this machine: its directories list this process",
    async () => {
      const location = await locateCgroup();
      const dirs = [location?.memory?.dir, location?.cpu?.dir, location?.unified?.dir];
      const found = dirs.filter((dir): dir is string => dir !== undefined);
      expect(found.length).toBeGreaterThan(0);
      for (const dir of found) {
        expect(readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n')).toContain(
          String(process.pid),
        );
      }
    },
  );
});

import { availableParallelism } from 'node:os';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CapturingLogger } from '../../../../test/helpers/capturing-logger';
import { waitFor } from '../../../../test/helpers/wait-for';
import { cgroupV2PodFixture, type CgroupFixture } from '../../spec-helpers/cgroup-fixture';
import type { ResolvedHealthModuleOptions } from '../health-module-options';
import { HEALTH_LOG_CONTEXT, HealthLogger } from '../logging/health-logger';
import { ContainerFactsSource, HealthProcessFacts } from './process-facts';

const MiB = 2 ** 20;
const CTR = 'sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/cri-containerd-c1.scope';

/** A source that counts its reads. */
class CountingSource extends ContainerFactsSource {
  reads = 0;
  override read() {
    this.reads += 1;
    return super.read();
  }
}

function facts(source: ContainerFactsSource) {
  const logs = new CapturingLogger();
  const logger = new HealthLogger({ logger: logs } as unknown as ResolvedHealthModuleOptions);
  return { logs, facts: new HealthProcessFacts(logger, source) };
}

describe('the process facts of GET /health', () => {
  let fixture: CgroupFixture;
  beforeEach(() => (fixture = cgroupV2PodFixture()));
  afterEach(() => fixture.remove());

  it("reads the cgroup's memory and limit, the CPU quota and the throttling", async () => {
    const { facts: reader } = facts(new ContainerFactsSource(fixture.root));
    const read = await reader.read();
    expect(read.memory).toEqual({
      cgroupUsageBytes: 300 * MiB,
      workingSetBytes: 240 * MiB,
      limitBytes: 512 * MiB,
      limitSource: 'cgroup v2 memory.max',
    });
    expect(read.cpu).toMatchObject({
      limitCores: Math.min(0.5, availableParallelism()),
      throttledPercent: 10,
      usedCores: expect.any(Number),
      windowMs: expect.any(Number),
    });
  });

  it('reads at most once a second, however many callers ask', async () => {
    const source = new CountingSource(fixture.root);
    const { facts: reader } = facts(source);
    const answers = await Promise.all(Array.from({ length: 20 }, () => reader.read()));
    expect(source.reads).toBe(1);
    expect(new Set(answers).size).toBe(1);
    // A second or more later, the next caller gets a new read.
    await waitFor(
      async () => {
        await reader.read();
        expect(source.reads).toBe(2);
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
  });

  it('shows null when the files cannot be read, logs it once and counts every failure', async () => {
    // memory.current as a directory: the read fails with EISDIR, not as a missing file.
    rmSync(join(fixture.root, CTR, 'memory.current'));
    mkdirSync(join(fixture.root, CTR, 'memory.current'));
    const { facts: reader, logs } = facts(new ContainerFactsSource(fixture.root));
    expect(await reader.read()).toEqual({
      cpu: null,
      memory: {
        cgroupUsageBytes: null,
        workingSetBytes: null,
        limitBytes: null,
        limitSource: null,
      },
    });
    await waitFor(
      async () => {
        await reader.read();
        expect(reader.failures).toBe(2);
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const warnings = logs.linesOf('warn', HEALTH_LOG_CONTEXT);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^Could not read the process's cgroup figures for GET \/health/);
  });
});

import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { checkOnce } from '../../../spec-helpers/faults';
import { memoryIndicator } from './memory.health';

describe('memoryIndicator', () => {
  it('is up with the heap against its limit and the RSS as data', async () => {
    const result = await checkOnce(memoryIndicator());
    expect(result.status).toBe('up');
    const data = result.data as Record<string, number>;
    expect(data.heapLimitBytes).toBe(getHeapStatistics().heap_size_limit);
    expect(data.heapUsedBytes).toBeGreaterThan(0);
    expect(data.heapUsedBytes).toBeLessThanOrEqual(data.heapTotalBytes);
    expect(data.heapUsedPercent).toBeCloseTo((data.heapUsedBytes / data.heapLimitBytes) * 100, 1);
    expect(data.rssBytes).toBeGreaterThan(data.heapUsedBytes);
  });

  it('is degraded, then down, when the heap passes levels set below what it uses now', async () => {
    // Levels far below any live heap (a V8 heap never holds less than a few megabytes), so a
    // garbage collection between two reads cannot move the heap back across them.
    const warn = await checkOnce(memoryIndicator({ heapUsedBytes: { degradedAbove: 64 * 1024 } }));
    expect(warn.status).toBe('degraded');
    expect(warn.message).toMatch(/^heapUsedBytes \d+ is above 65536/);

    const fail = await checkOnce(
      memoryIndicator({ heapUsedBytes: { degradedAbove: 64 * 1024, downAbove: 128 * 1024 } }),
    );
    expect(fail.status).toBe('down');
    expect(fail.message).toMatch(/^heapUsedBytes \d+ is above 131072/);
  });

  it('checks the RSS and the heap percentage too', async () => {
    const rss = await checkOnce(memoryIndicator({ rssBytes: { downAbove: 1 } }));
    expect(rss.status).toBe('down');
    expect(rss.message).toMatch(/^rssBytes \d+ is above 1$/);
    const percent = await checkOnce(memoryIndicator({ heapUsedPercent: { degradedAbove: 0 } }));
    expect(percent.status).toBe('degraded');
    expect(percent.message).toMatch(/^heapUsedPercent .* is above 0$/);
  });

  it('defaults to the name "memory" in readiness and rejects a percentage over 100', () => {
    expect(memoryIndicator().options).toEqual({ name: 'memory' });
    expect(() => memoryIndicator({ heapUsedPercent: { downAbove: 101 } })).toThrow(
      /memoryIndicator\(\)[\s\S]*"heapUsedPercent"/,
    );
  });

  (process.platform === 'linux' ? it : it.skip)(
    'agrees with /proc/self/status on the RSS, and reads the container figures of this machine',
    async () => {
      const result = await checkOnce(memoryIndicator());
      const vmRss = Number(
        /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1],
      );
      const data = result.data as Record<string, unknown>;
      // Read a moment apart: allow for what the process allocates in between.
      expect(Math.abs((data.rssBytes as number) - vmRss * 1024)).toBeLessThan(16 * 2 ** 20);
      const container = data.container as Record<string, unknown>;
      if (container.supported) {
        expect(container.workingSetBytes).toBe(
          Math.max(0, (container.usageBytes as number) - (container.inactiveFileBytes as number)),
        );
        expect([1, 2]).toContain(container.cgroupVersion);
      }
      expect(data.pressure).toHaveProperty('supported');
    },
  );

  it('rejects an invalid container level, naming it', () => {
    expect(() => memoryIndicator({ workingSetPercent: { degradedAbove: 120 } })).toThrow(
      /memoryIndicator\(\)[\s\S]*"workingSetPercent"/,
    );
  });
});

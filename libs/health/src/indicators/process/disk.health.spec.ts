import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { checkOnce } from '../../../spec-helpers/faults';
import { diskIndicator } from './disk.health';

describe('diskIndicator', () => {
  it('reports the space of the file system of a path', async () => {
    const result = await checkOnce(diskIndicator({ path: tmpdir(), usedPercent: {} }));
    expect(result.status).toBe('up');
    const data = result.data as Record<string, number>;
    expect(data.path).toBe(tmpdir());
    expect(data.totalBytes).toBeGreaterThan(0);
    expect(data.freeBytes).toBeGreaterThan(0);
    expect(data.freeBytes).toBeLessThanOrEqual(data.totalBytes);
    expect(data.usedPercent).toBeGreaterThanOrEqual(0);
    expect(data.usedPercent).toBeLessThanOrEqual(100);
  });

  it('reports I/O pressure where this kernel has it, and "not supported" where not', async () => {
    const result = await checkOnce(diskIndicator({ usedPercent: {} }));
    const pressure = result.data?.pressure as { supported: boolean; some?: { avg10: number } };
    expect(pressure.supported).toBe(existsSync('/proc/pressure/io'));
    if (pressure.supported) {
      expect(pressure.some!.avg10).toBeGreaterThanOrEqual(0);
      expect(pressure.some!.avg10).toBeLessThanOrEqual(100);
    }
  });

  it('checks "/" by default', async () => {
    const result = await checkOnce(diskIndicator({ usedPercent: {} }));
    expect(result.data).toMatchObject({ path: '/' });
  });

  it('is down when free space is below downBelow, degraded below degradedBelow', async () => {
    const { freeBytes } = (await checkOnce(diskIndicator({ usedPercent: {} }))).data as {
      freeBytes: number;
    };
    const down = await checkOnce(diskIndicator({ freeBytes: { downBelow: freeBytes * 2 } }));
    expect(down.status).toBe('down');
    expect(down.message).toMatch(/^freeBytes \d+ is below \d+$/);
    const warn = await checkOnce(
      diskIndicator({ freeBytes: { degradedBelow: freeBytes * 2, downBelow: 1 } }),
    );
    expect(warn.status).toBe('degraded');
  });

  it('is degraded when the used percentage is above degradedAbove', async () => {
    const result = await checkOnce(diskIndicator({ usedPercent: { degradedAbove: 0 } }));
    expect(result.status).toBe('degraded');
    expect(result.message).toMatch(/^usedPercent .* is above 0$/);
  });

  it('fails for a path that does not exist', async () => {
    await expect(checkOnce(diskIndicator({ path: '/no/such/path/here' }))).rejects.toThrow(
      /ENOENT/,
    );
  });

  it('rejects inverted levels', () => {
    expect(() => diskIndicator({ freeBytes: { degradedBelow: 1, downBelow: 10 } })).toThrow(
      /"freeBytes" .*downBelow ≤ degradedBelow/,
    );
    expect(() => diskIndicator({ path: '' })).toThrow(/"path" is "": must be a non-empty path/);
  });
});

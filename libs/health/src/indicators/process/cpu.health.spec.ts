import { checkOnce } from '../../../spec-helpers/faults';
import { cpuIndicator } from './cpu.health';

describe('cpuIndicator', () => {
  it("measures this process's CPU over the window between runs: a busy loop shows as used cores", async () => {
    const indicator = cpuIndicator({ usagePercent: {} });
    await checkOnce(indicator);
    const started = process.cpuUsage();
    const until = Date.now() + 300;
    let spins = 0;
    while (Date.now() < until) spins += 1;
    const spent = process.cpuUsage(started);
    const result = await checkOnce(indicator);
    expect(spins).toBeGreaterThan(0);
    const data = result.data as Record<string, number>;
    // The window holds the loop (and a little around it): at least the CPU time the loop took.
    const loopCoreMs = (spent.user + spent.system) / 1_000;
    expect(data.usedCores * data.windowMs).toBeGreaterThanOrEqual(loopCoreMs * 0.95);
    expect(data.usagePercent).toBeCloseTo((data.usedCores / data.limitCores) * 100, 0);
    expect(data.limitCores).toBeGreaterThan(0);
  });

  it('is degraded, then down, when the use passes levels set at zero', async () => {
    const indicator = cpuIndicator({ usagePercent: { degradedAbove: 0 } });
    await checkOnce(indicator);
    const until = Date.now() + 50;
    while (Date.now() < until);
    const warn = await checkOnce(indicator);
    expect(warn.status).toBe('degraded');
    expect(warn.message).toMatch(/^usagePercent [\d.]+ is above 0$/);

    const failing = cpuIndicator({ usagePercent: { downAbove: 0 } });
    await checkOnce(failing);
    const later = Date.now() + 50;
    while (Date.now() < later);
    expect((await checkOnce(failing)).status).toBe('down');
  });

  it('defaults to the name "cpu" in readiness and rejects a percentage over 100, naming it', () => {
    expect(cpuIndicator().options).toEqual({ name: 'cpu' });
    expect(() => cpuIndicator({ throttledPercent: { downAbove: 101 } })).toThrow(
      /cpuIndicator\(\)[\s\S]*"throttledPercent"/,
    );
    expect(() => cpuIndicator({ pressureSomeAvg10Percent: { degradedAbove: -1 } })).toThrow(
      /"pressureSomeAvg10Percent"/,
    );
  });
});

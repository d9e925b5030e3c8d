import { findModuleOptionProblems, resolveHealthModuleOptions } from '../health-module-options';
import { formatOptionProblems } from '../options/validate-options';
import { HEALTH_TELEMETRY_DEFAULTS } from './health-telemetry.options';

/** The boot error's lines for `telemetry: value`, or '' when it is valid. */
function problemsOf(telemetry: unknown): string {
  return formatOptionProblems(findModuleOptionProblems({ telemetry }));
}

describe('the telemetry option', () => {
  it('names the option, the value and what is allowed', () => {
    const cases: [unknown, string][] = [
      ['yes', '"telemetry" is "yes": must be true, false or an object of telemetry options'],
      [42, '"telemetry" is 42: must be true, false or an object of telemetry options'],
      [{ traces: 'sometimes' }, '"telemetry.traces" is "sometimes"'],
      [{ meterName: '' }, '"telemetry.meterName" is "": must be 1 to 128 letters, digits'],
      [{ tracerName: 'has space' }, '"telemetry.tracerName" is "has space": must be 1 to 128'],
      [
        { durationBucketsSeconds: [1, 0.5] },
        '"telemetry.durationBucketsSeconds" is [1,0.5]: must be 1 to 32 positive numbers of seconds, in ascending order',
      ],
      [{ durationBucketsSeconds: [-1] }, '"telemetry.durationBucketsSeconds" is [-1]'],
      [{ exporter: 'otlp' }, '"telemetry.exporter" is not an option'],
    ];
    for (const [telemetry, message] of cases) {
      expect(problemsOf(telemetry)).toContain(message);
    }
  });

  it('takes booleans, "true" / "false" from configuration, and an object', () => {
    for (const valid of [true, false, 'true', 'false', {}, { metrics: 'false', traces: true }]) {
      expect(problemsOf(valid)).toBe('');
    }
    expect(problemsOf({ durationBucketsSeconds: ['0.1', '1'] })).toBe('');
  });

  it('is off without the option, on with true or an object, with the documented defaults', () => {
    expect(resolveHealthModuleOptions({}).telemetry.enabled).toBe(false);
    expect(resolveHealthModuleOptions({ telemetry: false }).telemetry.enabled).toBe(false);
    expect(resolveHealthModuleOptions({ telemetry: { enabled: false } }).telemetry.enabled).toBe(
      false,
    );
    expect(resolveHealthModuleOptions({ telemetry: true }).telemetry).toEqual({
      enabled: true,
      metrics: true,
      traces: true,
      meterName: 'nest-health',
      tracerName: 'nest-health',
      durationBucketsSeconds: HEALTH_TELEMETRY_DEFAULTS.durationBucketsSeconds,
    });
    expect(
      resolveHealthModuleOptions({ telemetry: { traces: false, meterName: 'orders' } }).telemetry,
    ).toMatchObject({ enabled: true, metrics: true, traces: false, meterName: 'orders' });
  });
});

import { InvalidHealthModuleOptionsError } from '../errors';
import { healthPrefixExclusions } from './health-prefix-exclusions';

describe('healthPrefixExclusions', () => {
  it("lists every route of the module at the default path 'health', and the aliases", () => {
    expect(healthPrefixExclusions()).toEqual([
      '/health',
      '/health/live{/:check}',
      '/health/ready{/:check}',
      '/health/startup{/:check}',
      '/health/group/:name{/:check}',
      '/health/stream',
      '/health/dashboard',
      '/health/metrics',
      '/health/fleet',
      '/health/fleet/stream',
      '/health/history{/:indicator}',
      '/livez{/:check}',
      '/readyz{/:check}',
      '/startupz{/:check}',
    ]);
  });

  it('takes the path as the module option does, with or without slashes', () => {
    expect(healthPrefixExclusions('/ops/status/')).toEqual(healthPrefixExclusions('ops/status'));
    expect(healthPrefixExclusions('ops/status')).toContain('/ops/status/ready{/:check}');
    expect(healthPrefixExclusions('')).toEqual(expect.arrayContaining(['/', '/ready{/:check}']));
  });

  it('returns a new array each time', () => {
    const first = healthPrefixExclusions();
    first.length = 0;
    expect(healthPrefixExclusions()).toHaveLength(14);
  });

  it('rejects a path the module would reject, naming it', () => {
    expect(() => healthPrefixExclusions('bad path!')).toThrow(InvalidHealthModuleOptionsError);
    expect(() => healthPrefixExclusions('bad path!')).toThrow('"path" is "bad path!"');
  });
});

import { SetMetadata, type CanActivate } from '@nestjs/common';
import { resolveRouteOptions } from '../health.module-definition';
import {
  findModuleOptionProblems,
  HEALTH_MODULE_DEFAULTS,
  resolveHealthModuleOptions,
} from '../health-module-options';

class AllowGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

describe('module options of the details policy, fresh runs and shutdown', () => {
  it('defaults to details "local", no authorize, freshMinIntervalMs 1000, shutdownDelayMs 0', () => {
    const resolved = resolveHealthModuleOptions({});
    expect(resolved).toMatchObject({
      details: 'local',
      authorize: undefined,
      freshMinIntervalMs: 1_000,
      shutdownDelayMs: 0,
    });
    expect(HEALTH_MODULE_DEFAULTS).toMatchObject({
      details: 'local',
      freshMinIntervalMs: 1_000,
      shutdownDelayMs: 0,
    });
  });

  it('accepts a function or a guard class as authorize', () => {
    expect(findModuleOptionProblems({ details: 'authorized', authorize: () => true })).toEqual([]);
    expect(findModuleOptionProblems({ details: 'local', authorize: AllowGuard })).toEqual([]);
    expect(resolveHealthModuleOptions({ authorize: AllowGuard }).authorize).toBe(AllowGuard);
  });

  it.each([
    [{ details: 'sometimes' }, 'details', 'must be "never", "local", "authorized" or "always"'],
    [{ details: 'authorized' }, 'authorize', 'required when details is "authorized"'],
    [{ authorize: 'admin' }, 'authorize', 'must be a function (request) =>'],
    [{ freshMinIntervalMs: -1 }, 'freshMinIntervalMs', 'integer from 0 to 3600000'],
    [{ freshMinIntervalMs: 1.5 }, 'freshMinIntervalMs', 'integer from 0 to 3600000'],
    [{ shutdownDelayMs: 300_001 }, 'shutdownDelayMs', 'integer from 0 to 300000'],
    [{ shutdownDelayMs: '5 s' }, 'shutdownDelayMs', 'got a string; convert it with Number()'],
  ])('rejects %j, naming %s', (options, option, allowed) => {
    const problems = findModuleOptionProblems(options);
    expect(problems).toHaveLength(1);
    expect(problems[0].option).toBe(option);
    expect(problems[0].allowed).toContain(allowed);
  });

  it('takes decorators as a route option, and rejects anything but functions', () => {
    const Public = () => SetMetadata('isPublic', true);
    expect(resolveRouteOptions({ decorators: [Public()] }).decorators).toHaveLength(1);
    expect(resolveRouteOptions({}).decorators).toEqual([]);
    expect(() =>
      resolveRouteOptions({ decorators: ['Public'] as unknown as ClassDecorator[] }),
    ).toThrow(/"decorators" is \["Public"\]: must be an array of at most 32 decorators/);
  });
});

import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvalidHealthModuleOptionsError } from '../errors';
import { resolveHealthModuleOptions, validateModuleOptions } from '../health-module-options';
import { HealthModule } from '../health.module';
import { HEALTH_FLEET_DEFAULTS, resolveFleetOptions, validateFleetOptions } from './fleet.options';
import { withoutPackagesPrelude } from '../../spec-helpers/without-packages';

const execFileAsync = promisify(execFile);
const ROOT = join(__dirname, '../../../..');

function problemsOf(fleet: unknown): string[] {
  return validateFleetOptions(fleet).problems.map(
    (problem) => `${problem.option}: ${problem.allowed}`,
  );
}

describe('the fleet option', () => {
  it('is off by default', () => {
    expect(resolveHealthModuleOptions({}).fleet).toBeUndefined();
    expect(problemsOf(undefined)).toEqual([]);
  });

  it('takes a URL or an ioredis-like client, and names fleet.redis otherwise', () => {
    expect(problemsOf({ redis: 'redis://127.0.0.1:6379' })).toEqual([]);
    expect(problemsOf({ redis: 'rediss://user:pw@cache:6380/2' })).toEqual([]);
    const client = { duplicate() {}, multi() {}, mget() {} };
    expect(problemsOf({ redis: client })).toEqual([]);
    for (const redis of [undefined, '', 'http://redis:6379', 42, {}, { multi() {} }]) {
      expect(problemsOf({ redis })).toEqual([
        expect.stringMatching(
          /^fleet\.redis: must be a redis:\/\/ or rediss:\/\/ URL, or an ioredis/,
        ),
      ]);
    }
  });

  it('names each invalid option, with what it allows', () => {
    expect(
      problemsOf({
        redis: 'redis://r',
        service: 'orders api',
        instance: 'pod/1',
        prefix: 'a b',
        publishIntervalMs: 50,
        timeoutMs: '1s',
        maxTransitions: 5,
        policy: 'most',
        retention: 1,
      }),
    ).toEqual(
      expect.arrayContaining([
        'fleet.service: must be letters, digits, ".", "_" and "-" (at most 100 characters)',
        'fleet.instance: must be letters, digits, ".", "_" and "-" (at most 253 characters)',
        expect.stringMatching(/^fleet\.prefix: /),
        'fleet.publishIntervalMs: must be an integer from 100 to 300000 (milliseconds)',
        expect.stringMatching(/^fleet\.timeoutMs: .*got a string; convert it with Number\(\)/),
        'fleet.maxTransitions: must be an integer from 10 to 1000000',
        expect.stringMatching(/^fleet\.policy: must be "default", "all", "any" or \{ quorum/),
        expect.stringMatching(/^fleet\.retention: /),
      ]),
    );
    expect(problemsOf({ redis: 'redis://r', policy: { quorum: 0 } })).toHaveLength(1);
    expect(problemsOf({ redis: 'redis://r', policy: { quorum: 1.5 } })).toHaveLength(1);
    expect(problemsOf({ redis: 'redis://r', policy: { quorum: 0.5 } })).toEqual([]);
    expect(problemsOf('redis://r')).toEqual([
      'fleet: must be an object of fleet options with redis',
    ]);
  });

  it('keeps the TTL above the publish interval and the retention at or above the TTL', () => {
    expect(problemsOf({ redis: 'redis://r', publishIntervalMs: 1_000, ttlMs: 1_000 })).toEqual([
      'fleet.ttlMs: must be more than publishIntervalMs (1000)',
    ]);
    expect(problemsOf({ redis: 'redis://r', ttlMs: 20_000, retentionMs: 10_000 })).toEqual([
      'fleet.retentionMs: must be at least ttlMs (20000)',
    ]);
    // The default TTL follows the interval: 3 × 200 ms, within a retention of 1 s.
    expect(problemsOf({ redis: 'redis://r', publishIntervalMs: 200, retentionMs: 1_000 })).toEqual(
      [],
    );
  });

  it('converts decimal strings from configuration', () => {
    const { problems, options } = validateModuleOptions({
      fleet: {
        redis: 'redis://r',
        publishIntervalMs: '1000',
        ttlMs: ' 4000 ',
        policy: { quorum: '0.5' },
      },
    });
    expect(problems).toEqual([]);
    const fleet = resolveHealthModuleOptions(options).fleet;
    expect(fleet).toMatchObject({
      publishIntervalMs: 1_000,
      ttlMs: 4_000,
      policy: { kind: 'quorum', share: 0.5 },
    });
  });

  it('fills the defaults: the app package name and version, the hostname, 5 s, 3 intervals, 5 min', () => {
    const fleet = resolveFleetOptions({ redis: 'redis://r' })!;
    expect(fleet).toMatchObject({
      prefix: 'health',
      publishIntervalMs: 5_000,
      ttlMs: 15_000,
      retentionMs: 300_000,
      timeoutMs: 1_000,
      maxTransitions: 1_000,
      policy: { kind: 'default' },
      instance: hostname().replace(/[^A-Za-z0-9._-]/g, '-'),
    });
    // The nearest package.json above the working directory names the app.
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    expect(process.cwd()).toBe(ROOT);
    expect(fleet.service).toBe(manifest.name.replace(/^@[^/]+\//, ''));
    expect(fleet.version).toBe(manifest.version);
    expect(HEALTH_FLEET_DEFAULTS.publishIntervalMs * HEALTH_FLEET_DEFAULTS.ttlIntervals).toBe(
      15_000,
    );
  });

  it('fails the boot naming fleet options, through the module', async () => {
    @Module({
      imports: [
        HealthModule.forRoot({
          logger: false,
          fleet: { redis: 'redis://r', publishIntervalMs: 0 },
        }),
      ],
    })
    class AppModule {}
    const boot = NestFactory.create(AppModule, { logger: false, abortOnError: false });
    await expect(boot).rejects.toThrow(InvalidHealthModuleOptionsError);
    await expect(boot).rejects.toThrow(/fleet\.publishIntervalMs/);
  });
});

const SCRIPT = `${withoutPackagesPrelude(['ioredis'])}
const { Module: NestModule } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { HealthModule } = require('nest-health');

(async () => {
  class AppModule {}
  NestModule({
    imports: [HealthModule.forRoot({ logger: false, fleet: { redis: 'redis://127.0.0.1:1' } })],
  })(AppModule);
  const out = await NestFactory.create(AppModule, { logger: false, abortOnError: false })
    .then((app) => app.init())
    .then(() => 'booted', (error) => ({ name: error.name, message: error.message }));
  process.stdout.write(JSON.stringify(out));
})();
`;

describe('ioredis is optional', () => {
  it('fails the boot naming fleet.redis and the package when the fleet is asked for without it', async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--require', './test/helpers/register-typescript.cjs', '-e', SCRIPT],
      { cwd: ROOT },
    );
    expect(JSON.parse(stdout)).toEqual({
      name: 'MissingOptionalDependencyError',
      message:
        'The "fleet.redis" option (a URL) needs the optional package "ioredis", which is not installed. Install it: npm install ioredis',
    });
  }, 60_000);
});

/**
 * prom-client and `@opentelemetry/api` are optional peer dependencies: an app without one boots
 * as long as it does not ask for the option that needs it (`metrics`, `telemetry`), and asking
 * for it fails the boot naming the package. The spec boots the module (from its sources) in a
 * `node` process where the package cannot be resolved, as in an app that never installed it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withoutPackagesPrelude } from '../../spec-helpers/without-packages';

const execFileAsync = promisify(execFile);
const ROOT = join(__dirname, '../../../..');

/** Boots the module without `peer`: with no options, with `option` off, then with it on. */
const script = (peer: string, option: string) => `${withoutPackagesPrelude([peer])}
const { Module: NestModule } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { HealthModule } = require('nest-health');

async function boot(options) {
  class AppModule {}
  NestModule({ imports: [HealthModule.forRoot({ logger: false, ...options })] })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
  await app.init();
  await app.close();
  return 'booted';
}

(async () => {
  const out = {};
  out.withoutOption = await boot({});
  out.optionOff = await boot({ ${option}: { enabled: false } });
  out.withOption = await boot({ ${option}: true }).catch((error) => ({
    name: error.name,
    packageName: error.packageName,
    message: error.message,
  }));
  try {
    require(${JSON.stringify(peer)});
    out.peer = 'loaded';
  } catch (error) {
    out.peer = error.code;
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

describe.each([
  {
    peer: 'prom-client',
    option: 'metrics',
    message:
      'The "metrics" option needs the optional package "prom-client", which is not installed. Install it: npm install prom-client',
  },
  {
    peer: '@opentelemetry/api',
    option: 'telemetry',
    message:
      'The "telemetry" option needs the optional package "@opentelemetry/api", which is not installed. Install it: npm install @opentelemetry/api',
  },
])('$peer is optional', ({ peer, option, message }) => {
  it(`boots without it unless "${option}" is asked for, and then fails naming the package`, async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--require', './test/helpers/register-typescript.cjs', '-e', script(peer, option)],
      { cwd: ROOT },
    );

    expect(JSON.parse(stdout)).toEqual({
      withoutOption: 'booted',
      optionOff: 'booted',
      withOption: { name: 'MissingOptionalDependencyError', packageName: peer, message },
      // The process really could not load it (the check above can fail).
      peer: 'MODULE_NOT_FOUND',
    });
  }, 60_000);
});

/**
 * `@opentelemetry/api` is an optional peer dependency: an app without it boots as long as it
 * does not ask for telemetry, and asking for it fails the boot naming the package. The spec
 * boots the module (from its sources) in a `node` process where the package cannot be
 * resolved, as in an app that never installed it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withoutPackagesPrelude } from '../../spec-helpers/without-packages';

const execFileAsync = promisify(execFile);
const ROOT = join(__dirname, '../../../..');

const SCRIPT = `${withoutPackagesPrelude(['@opentelemetry/api'])}
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
  out.withoutTelemetry = await boot({});
  out.telemetryOff = await boot({ telemetry: { enabled: false } });
  out.withTelemetry = await boot({ telemetry: true }).catch((error) => ({
    name: error.name,
    packageName: error.packageName,
    message: error.message,
  }));
  try {
    require('@opentelemetry/api');
    out.api = 'loaded';
  } catch (error) {
    out.api = error.code;
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

describe('@opentelemetry/api is optional', () => {
  it('boots without it unless telemetry is asked for, and then fails naming the package', async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--require', './test/helpers/register-typescript.cjs', '-e', SCRIPT],
      { cwd: ROOT },
    );

    expect(JSON.parse(stdout)).toEqual({
      withoutTelemetry: 'booted',
      telemetryOff: 'booted',
      withTelemetry: {
        name: 'MissingOptionalDependencyError',
        packageName: '@opentelemetry/api',
        message:
          'The "telemetry" option needs the optional package "@opentelemetry/api", which is not installed. Install it: npm install @opentelemetry/api',
      },
      // The process really could not load it (the check above can fail).
      api: 'MODULE_NOT_FOUND',
    });
  }, 60_000);
});

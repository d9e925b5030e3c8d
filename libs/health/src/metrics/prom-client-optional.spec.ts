/**
 * prom-client is an optional peer dependency: an app without it boots as long as it does not ask
 * for metrics, and asking for them fails the boot naming the package. The spec boots the module
 * (from its sources) in a `node` process where prom-client cannot be resolved, as in an app that
 * never installed it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withoutPackagesPrelude } from '../../spec-helpers/without-packages';

const execFileAsync = promisify(execFile);
const ROOT = join(__dirname, '../../../..');

const SCRIPT = `${withoutPackagesPrelude(['prom-client'])}
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
  out.withoutMetrics = await boot({});
  out.metricsOff = await boot({ metrics: { enabled: false } });
  out.withMetrics = await boot({ metrics: true }).catch((error) => ({
    name: error.name,
    packageName: error.packageName,
    message: error.message,
  }));
  try {
    require('prom-client');
    out.promClient = 'loaded';
  } catch (error) {
    out.promClient = error.code;
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

describe('prom-client is optional', () => {
  it('boots without it unless metrics are asked for, and then fails naming the package', async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--require', './test/helpers/register-typescript.cjs', '-e', SCRIPT],
      { cwd: ROOT },
    );

    expect(JSON.parse(stdout)).toEqual({
      withoutMetrics: 'booted',
      metricsOff: 'booted',
      withMetrics: {
        name: 'MissingOptionalDependencyError',
        packageName: 'prom-client',
        message:
          'The "metrics" option needs the optional package "prom-client", which is not installed. Install it: npm install prom-client',
      },
      // The process really could not load it (the check above can fail).
      promClient: 'MODULE_NOT_FOUND',
    });
  }, 60_000);
});

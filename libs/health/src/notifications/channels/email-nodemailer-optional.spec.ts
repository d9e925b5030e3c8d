/**
 * nodemailer is an optional peer dependency: the channel registry loads without it, and only
 * creating an email channel needs it, failing with `MissingOptionalDependencyError` that names the
 * package and the option. The spec runs in a `node` process where nodemailer cannot be resolved,
 * as in an app that never installed it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withoutPackagesPrelude } from '../../../spec-helpers/without-packages';

const execFileAsync = promisify(execFile);
const ROOT = join(__dirname, '../../../../..');

const SCRIPT = `${withoutPackagesPrelude(['nodemailer'])}
const { NOTIFICATION_CHANNEL_TYPES } = require('./libs/health/src/notifications/channels');
const email = NOTIFICATION_CHANNEL_TYPES.email;
const raw = { type: 'email', smtp: 'smtp://127.0.0.1:25', from: 'a@example.com', to: 'b@example.com' };
const out = { types: Object.keys(NOTIFICATION_CHANNEL_TYPES), problems: email.validate(raw, 'notifications.channels[0]') };
try {
  email.create(raw, { service: 's', instance: 'i' });
  out.created = true;
} catch (error) {
  out.error = { name: error.name, packageName: error.packageName, message: error.message };
}
out.loaded = Object.keys(require.cache).some((file) => file.includes('/node_modules/nodemailer/'));
process.stdout.write(JSON.stringify(out));
`;

describe('nodemailer is optional', () => {
  it('is needed only to create an email channel, and the error names it', async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--require', './test/helpers/register-typescript.cjs', '-e', SCRIPT],
      { cwd: ROOT },
    );
    expect(JSON.parse(stdout)).toEqual({
      types: expect.arrayContaining(['slack', 'discord', 'teams', 'ntfy', 'email']) as unknown,
      problems: [],
      error: {
        name: 'MissingOptionalDependencyError',
        packageName: 'nodemailer',
        message:
          'An email notification channel (notifications.channels, type "email") needs the optional ' +
          'package "nodemailer", which is not installed. Install it: npm install nodemailer',
      },
      loaded: false,
    });
  }, 60_000);
});

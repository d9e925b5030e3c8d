// Installs the built nest-health package the way a user's app gets it from the registry: `npm
// pack` on the build output into a temporary folder, then `npm install` of that .tgz file (never
// a path into the repository, which would let the library resolve the repository's own
// node_modules). `--no-save` keeps this app's package.json and lockfile as committed.
// Run after `npm ci` here and `npm run build:lib` at the repository root.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const consumerRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = resolve(consumerRoot, '../../dist/libs/health');

if (!existsSync(join(built, 'index.js'))) {
  console.error(`No built library at ${built}: run \`npm run build:lib\` at the repository root.`);
  process.exit(1);
}

const packDir = mkdtempSync(join(tmpdir(), 'nest-health-pack-'));
try {
  const [{ filename }] = JSON.parse(
    execFileSync('npm', ['pack', built, '--json', '--pack-destination', packDir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const tarball = join(packDir, filename);
  execFileSync(
    'npm',
    ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', tarball],
    { cwd: consumerRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const installed = join(consumerRoot, 'node_modules/nest-health');
  if (lstatSync(installed).isSymbolicLink()) {
    throw new Error(`${installed} is a link, not an installed copy`);
  }
  const { version } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  console.log(`Installed ${filename} (nest-health ${version}) into ${installed}`);
} finally {
  rmSync(packDir, { recursive: true, force: true });
}

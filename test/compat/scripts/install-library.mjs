// Installs the built nest-health package into this package's node_modules as a real copy, the way
// a user's `npm install` does: `npm pack` on the build output, then unpack into
// node_modules/nest-health. A symlink or an import from the build folder would let the library's
// require('@nestjs/common') find the repository's own NestJS 11 instead of this app's NestJS 12.
// Run after `npm ci` (which empties node_modules) and after `npm run build:lib` at the root.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const compatRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const built = resolve(compatRoot, '../../dist/libs/health');
const target = join(compatRoot, 'node_modules/nest-health');

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
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  // npm tarballs hold one top folder, `package/`.
  execFileSync('tar', ['-xzf', join(packDir, filename), '-C', target, '--strip-components=1']);
  console.log(`Installed ${filename} into ${target}`);
} finally {
  rmSync(packDir, { recursive: true, force: true });
}

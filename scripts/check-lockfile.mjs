#!/usr/bin/env node
// Checks the lockfiles that `npm ci` reads, before it reads them: every package entry has a
// `version` (npm 11.19's arborist throws "Invalid Version:" on one without, and npm 10 may write
// such entries for optional platform packages), and the lockfile's root entry declares the same
// dependencies, with the same ranges, as package.json (drift makes `npm ci` refuse to install).
// Usage: node scripts/check-lockfile.mjs [dir ...]   (default: the root, test/compat, test/consumer)
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dirs =
  process.argv.length > 2 ? process.argv.slice(2) : ['.', 'test/compat', 'test/consumer'];
const FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];
const problems = [];
let checked = 0;

for (const dir of dirs) {
  const lockPath = join(root, dir, 'package-lock.json');
  const manifestPath = join(root, dir, 'package.json');
  if (!existsSync(manifestPath)) continue;
  if (!existsSync(lockPath)) {
    problems.push(`${dir}: package.json has no package-lock.json beside it`);
    continue;
  }
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (lock.lockfileVersion !== 3) {
    problems.push(`${dir}: lockfileVersion is ${lock.lockfileVersion}, expected 3`);
  }
  const packages = lock.packages ?? {};
  for (const [key, entry] of Object.entries(packages)) {
    if (key === '' || entry.link) continue;
    if (typeof entry.version !== 'string' || entry.version === '') {
      problems.push(`${dir}/package-lock.json: "${key}" has no version`);
    }
  }
  const locked = packages[''] ?? {};
  for (const field of FIELDS) {
    const wanted = manifest[field] ?? {};
    const have = locked[field] ?? {};
    for (const name of new Set([...Object.keys(wanted), ...Object.keys(have)])) {
      if (wanted[name] !== have[name]) {
        problems.push(
          `${dir}: ${field}.${name} is ${JSON.stringify(wanted[name])} in package.json but ` +
            `${JSON.stringify(have[name])} in package-lock.json (run npm install to update the lockfile)`,
        );
      }
    }
  }
  checked += 1;
  console.log(`lockfile: ${dir}/package-lock.json, ${Object.keys(packages).length - 1} entries`);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`lockfile: ${problem}`);
  process.exit(1);
}
console.log(`lockfile: ${checked} lockfile(s) complete and in step with package.json`);

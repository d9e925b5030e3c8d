// The published package as npm would pack it: `npm run build:lib`, then `npm pack --dry-run` on
// the build output, and assertions on the tarball's file list and on what its manifest promises.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const BUILT = join(ROOT, 'dist/libs/health');

interface PackedFile {
  readonly path: string;
}

interface Manifest {
  readonly main?: string;
  readonly types?: string;
  readonly bin?: Record<string, string>;
  readonly exports?: Record<string, string | Record<string, string>>;
  readonly files?: readonly string[];
  readonly license?: string;
  readonly repository?: { type: string; url: string; directory: string };
  readonly engines?: { node: string };
  readonly sideEffects?: boolean | readonly string[];
}

interface SourceMap {
  readonly sources: readonly string[];
  readonly sourcesContent?: ReadonlyArray<string | null>;
}

const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** Every string an `exports` entry points at (conditions flattened). */
function exportTargets(entry: string | Record<string, string>): string[] {
  return typeof entry === 'string' ? [entry] : Object.values(entry);
}

/** `./index.js` and `index.js` name the same file of the tarball. */
function packagePath(target: string): string {
  return target.replace(/^\.\//, '');
}

describe('the packed library (npm pack of dist/libs/health)', () => {
  let files: string[];
  let manifest: Manifest;

  beforeAll(() => {
    // Always from the current sources, so that a stale build cannot hide a leak.
    execFileSync('npm', ['run', 'build:lib'], { cwd: ROOT, stdio: 'pipe' });
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: BUILT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as Array<{ files: PackedFile[] }>;
    files = packed.files.map((file) => file.path).sort();
    manifest = JSON.parse(readFileSync(join(BUILT, 'package.json'), 'utf8')) as Manifest;
  }, 120_000);

  it('holds no spec, spec helper or test file', () => {
    const leaked = files.filter(
      (file) =>
        /\.(spec|e2e-spec|test)(\.d)?\.[cm]?[jt]s(\.map)?$/.test(file) ||
        /(^|\/)(spec-helpers|test|tests|__tests__)\//.test(file) ||
        // TypeScript sources: the maps carry them; declarations are .d.ts
        (file.endsWith('.ts') && !file.endsWith('.d.ts')),
    );
    expect(leaked).toEqual([]);
  });

  it('holds README.md, LICENSE (the MIT text) and CHANGELOG.md', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'CHANGELOG.md']));
    const license = readFileSync(join(BUILT, 'LICENSE'), 'utf8');
    expect(manifest.license).toBe('MIT');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 nest-health contributors\n/);
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
    expect(readFileSync(join(BUILT, 'README.md'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'README.md'), 'utf8'),
    );
  });

  it('holds every file that main, types, bin and exports point at', () => {
    expect(manifest.exports).toBeDefined();
    const targets = [
      manifest.main,
      manifest.types,
      ...Object.values(manifest.bin ?? {}),
      ...Object.values(manifest.exports ?? {}).flatMap(exportTargets),
    ].filter((target): target is string => target !== undefined);
    expect(targets.length).toBeGreaterThanOrEqual(6);
    expect(targets.map(packagePath).filter((target) => !files.includes(target))).toEqual([]);
  });

  it('ships the probe CLI as an executable Node script', () => {
    for (const bin of Object.values(manifest.bin ?? {})) {
      expect(readFileSync(join(BUILT, bin), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    }
  });

  it('exports the entry with types first, require, and a default for ESM importers', () => {
    const entry = manifest.exports?.['.'] as Record<string, string>;
    // TypeScript reads the first condition that matches: `types` must come first.
    expect(Object.keys(entry)[0]).toBe('types');
    expect(entry).toEqual({
      types: './index.d.ts',
      require: './index.js',
      default: './index.js',
    });
    expect(manifest.exports?.['./package.json']).toBe('./package.json');
  });

  it('gives every source map the sources it points at (sourcesContent), and ships no .d.ts.map', () => {
    const maps = files.filter((file) => file.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    expect(maps.filter((file) => file.endsWith('.d.ts.map'))).toEqual([]);
    const incomplete = maps.filter((file) => {
      const map = JSON.parse(readFileSync(join(BUILT, file), 'utf8')) as SourceMap;
      return (
        map.sources.length === 0 ||
        map.sourcesContent?.length !== map.sources.length ||
        map.sourcesContent.some((content) => typeof content !== 'string' || content === '')
      );
    });
    expect(incomplete).toEqual([]);
  });

  it('names its repository and asks for the same Node as the repository', () => {
    expect(manifest.repository).toEqual({
      type: 'git',
      url: 'git+https://github.com/nest-health/nest-health.git',
      directory: 'libs/health',
    });
    expect(manifest.engines).toEqual(rootManifest.engines);
    expect(manifest.engines?.node).toBe('>=20.3');
  });

  it('does not claim to be free of side effects: importing it fills global metadata stores', () => {
    // A bundler that believed `sideEffects: false` could drop modules whose decorators register
    // class-validator rules in class-validator's global storage (and @nestjs/core installs the
    // global Reflect metadata API on import).
    const counts = execFileSync(
      process.execPath,
      [
        '-e',
        `const storage = require('class-validator').getMetadataStorage();
         const before = storage.validationMetadatas.size;
         const reflectBefore = typeof Reflect.getMetadata;
         require(${JSON.stringify(BUILT)});
         process.stdout.write(JSON.stringify([before, storage.validationMetadatas.size, reflectBefore, typeof Reflect.getMetadata]));`,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const [before, after, reflectBefore, reflectAfter] = JSON.parse(counts) as [
      number,
      number,
      string,
      string,
    ];
    expect(after).toBeGreaterThan(before);
    expect([reflectBefore, reflectAfter]).toEqual(['undefined', 'function']);
    expect(manifest.sideEffects).toBeUndefined();
  });
});

/**
 * Every package the library's code imports is declared in libs/health/package.json (as
 * nestjs/config's tests/package-manifest.spec.ts checks): a dependency, or a peer dependency;
 * Node's own modules are imported with the `node:` prefix. The optional peers the built-ins use
 * are declared as optional peer dependencies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { codeWithoutComments } from '../spec-helpers/code-without-comments';

const LIBRARY = join(__dirname, '..');
const manifest = JSON.parse(readFileSync(join(LIBRARY, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};

/** Optional peers: what built-ins work with (by shape) or load lazily. */
const OPTIONAL_PEERS = [
  'pg',
  'ioredis',
  'bullmq',
  'amqplib',
  '@nestjs/microservices',
  'mqtt',
  'nats',
  '@grpc/grpc-js',
  'grpc-health-check',
  'nodemailer',
  '@opentelemetry/api',
];

function sourceFiles(): string[] {
  return readdirSync(__dirname, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'))
    .map((file) => join(__dirname, file));
}

/** Bare specifiers a source file imports, requires or loads lazily through loadOptionalPeer. */
function bareSpecifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bloadOptionalPeer(?:<[^>]*>)?\(\s*['"]([^'"]+)['"]/g,
  ];
  const code = codeWithoutComments(source);
  return patterns
    .flatMap((pattern) => [...code.matchAll(pattern)].map((m) => m[1]))
    .filter((specifier) => !specifier.startsWith('.'));
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

describe('package manifest (libs/health/package.json)', () => {
  const declared = { ...manifest.dependencies, ...manifest.peerDependencies };

  it('declares every package the library imports; Node modules carry the node: prefix', () => {
    const problems: string[] = [];
    for (const file of sourceFiles()) {
      for (const specifier of bareSpecifiers(readFileSync(file, 'utf8'))) {
        const where = relative(LIBRARY, file);
        if (specifier.startsWith('node:')) {
          if (!builtinModules.includes(specifier.slice('node:'.length))) {
            problems.push(`${where}: ${specifier} is not a Node module`);
          }
        } else if (builtinModules.includes(specifier)) {
          problems.push(`${where}: import "node:${specifier}", not "${specifier}"`);
        } else if (!(packageName(specifier) in declared)) {
          problems.push(`${where}: ${packageName(specifier)} is not declared`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('declares the optional peers of the built-ins as optional peer dependencies', () => {
    for (const name of OPTIONAL_PEERS) {
      expect(manifest.peerDependencies).toHaveProperty([name]);
      expect(manifest.peerDependenciesMeta?.[name]).toEqual({ optional: true });
    }
  });

  it('finds lazy loads too (the check above would see an undeclared one)', () => {
    expect(bareSpecifiers("loadOptionalPeer<AmqplibModule>('amqplib', 'x')")).toEqual(['amqplib']);
    expect(
      bareSpecifiers("import { a } from './a';\nimport type { B } from '@scope/pkg/sub';"),
    ).toEqual(['@scope/pkg/sub']);
  });

  it('reads code, not the imports of a TSDoc example', () => {
    const source =
      "/**\n * ```ts\n * import { ConfigService } from '@nestjs/config';\n */\nexport {};";
    expect(bareSpecifiers(source)).toEqual([]);
  });
});

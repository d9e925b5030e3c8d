/**
 * The library's entry point and its public types must not load or import an optional peer
 * dependency (as @nestjs/terminus's tools/import-check.ts guards): an app that uses no Redis
 * must be able to import `nest-health` without ioredis installed, and compile against its types.
 *
 * The spec builds the library as `npm run build:lib` does (into a temporary directory), then
 * (1) requires the built entry in a plain `node` process whose module loader throws on any
 * optional peer, and (2) scans every emitted `.d.ts` for imports of one.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { codeWithoutComments } from '../spec-helpers/code-without-comments';

const execFileAsync = promisify(execFile);

const ROOT = join(__dirname, '../../..');
const OPTIONAL_PEERS = [
  'pg',
  'ioredis',
  'bullmq',
  'amqplib',
  'mqtt',
  'nats',
  'prom-client',
  '@opentelemetry/api',
  '@nestjs/terminus',
  '@nestjs/swagger',
  '@nestjs/microservices',
  '@grpc/grpc-js',
  'grpc-health-check',
  'nodemailer',
];

/** A module loader hook that throws when anything requires an optional peer. */
const GUARD = `
const Module = require('node:module');
const forbidden = ${JSON.stringify(OPTIONAL_PEERS)};
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (forbidden.some((name) => request === name || request.startsWith(name + '/'))) {
    throw new Error('optional peer loaded: ' + request + ' (from ' + (parent && parent.filename) + ')');
  }
  return load.apply(this, arguments);
};`;

/** The specifiers a declaration file imports (import/export from, import(), require, reference types). */
export function importedSpecifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\/\/\/\s*<reference\s+types=['"]([^'"]+)['"]/g,
  ];
  const code = codeWithoutComments(source);
  return patterns.flatMap((pattern) => [...code.matchAll(pattern)].map((m) => m[1]));
}

function isOptionalPeer(specifier: string): boolean {
  return OPTIONAL_PEERS.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

async function filesUnder(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

describe('import check: the entry point and its types never touch an optional peer', () => {
  let outDir: string;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'nest-health-import-check-'));
    // Type errors elsewhere are the build's business (npm run build:lib): tsc emits anyway.
    await execFileAsync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        'libs/health/tsconfig.lib.json',
        '--outDir',
        outDir,
      ],
      { cwd: ROOT },
    ).catch(() => undefined);
  }, 60_000);

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  function runGuarded(script: string) {
    return execFileAsync(process.execPath, ['-e', `${GUARD}\n${script}`], {
      cwd: outDir,
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
    });
  }

  it('requires the built entry point and makes every built-in without loading one', async () => {
    const { stdout } = await runGuarded(`
      require('reflect-metadata');
      const lib = require(${JSON.stringify(join('__OUT__', 'index.js'))}.replace('__OUT__', process.cwd()));
      const fake = { query: async () => [], ping: async () => 'PONG', info: async () => '',
        getJobCounts: async () => ({}), getWorkersCount: async () => 1, isPaused: async () => false,
        createChannel: async () => ({}), isClosed: () => false, flush: async () => undefined,
        status: () => ({ [Symbol.asyncIterator]: () => ({
          next: () => new Promise(() => undefined), return: async () => ({ done: true }) }) }) };
      const mqttClient = { connected: true, on() {}, removeListener() {}, subscribe() {},
        publish() {}, unsubscribe() {} };
      const made = [
        lib.eventLoopIndicator(), lib.memoryIndicator(), lib.diskIndicator(),
        lib.fileDescriptorsIndicator(), lib.httpIndicator('http://127.0.0.1/'),
        lib.tcpIndicator('127.0.0.1', 1), lib.dnsIndicator('localhost'), lib.sqlIndicator(fake),
        lib.redisIndicator(fake), lib.bullmqIndicator(fake), lib.rabbitmqIndicator(fake),
        lib.mqttIndicator(mqttClient), lib.natsIndicator(fake), lib.terminusIndicator(() => ({})),
      ];
      made.forEach((indicator) => void indicator.close());
      process.stdout.write(String(made.length) + ' built-ins, ' + Object.keys(lib).length + ' exports');
    `);
    expect(stdout).toMatch(/^14 built-ins, \d+ exports$/);
  }, 20_000);

  it('the guard does catch a load (the check above can fail)', async () => {
    await expect(runGuarded(`require('pg');`)).rejects.toThrow(/optional peer loaded: pg/);
  }, 20_000);

  it('no emitted declaration file imports one', async () => {
    const files = await filesUnder(outDir, '.d.ts');
    expect(files.length).toBeGreaterThan(10);
    expect(
      files.some((file) => file.endsWith(join('indicators', 'data', 'redis.health.d.ts'))),
    ).toBe(true);
    const offenders: string[] = [];
    for (const file of files) {
      const specifiers = importedSpecifiers(await readFile(file, 'utf8')).filter(isOptionalPeer);
      if (specifiers.length > 0) offenders.push(`${file}: ${specifiers.join(', ')}`);
    }
    expect(offenders).toEqual([]);
  });

  it('the scanner finds every form of import', () => {
    const source = [
      "import type { Redis } from 'ioredis';",
      "export { Pool } from 'pg';",
      "type Q = import('bullmq').Queue;",
      '/// <reference types="amqplib" />',
      "import '@nestjs/terminus/dist/x';",
    ].join('\n');
    expect(importedSpecifiers(source).filter(isOptionalPeer).sort()).toEqual([
      '@nestjs/terminus/dist/x',
      'amqplib',
      'bullmq',
      'ioredis',
      'pg',
    ]);
  });

  it("the scanner skips the imports of a TSDoc example, not a string's comment-like text", () => {
    const source = [
      '/**',
      ' * @example',
      ' * ```ts',
      " * import { Pool } from 'pg';",
      ' * ```',
      ' */',
      "export declare const GLOB = '/*';",
      "import type { Redis } from 'ioredis';",
      "export declare const END = '*/';",
    ].join('\n');
    expect(importedSpecifiers(source).filter(isOptionalPeer)).toEqual(['ioredis']);
  });
});

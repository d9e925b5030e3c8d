// The consumer check: a NestJS 11 app, with its own package.json and lockfile, that installed the
// packed nest-health tarball (scripts/install-library.mjs) and uses it as the docs say:
// - every TypeScript block of README.md and docs/ (extracted by scripts/doc-blocks.mjs at the
//   repository root) type-checks against the installed package under this app's strict
//   tsconfig;
// - the README's Quick start, exactly as extracted, boots against the real PostgreSQL and
//   answers 200 on /health/ready;
// - with app.setGlobalPrefix('api'), the probes are where the docs say.
// CONSUMER_DOC_PAGES (markdown paths, space-separated; relative ones from test/consumer) replaces
// the default pages (README.md and docs/);
// CONSUMER_DATABASE_URL replaces postgres://postgres@127.0.0.1:5432/test.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { healthPrefixExclusions } from 'nest-health';
import { PLATFORMS, startPrefixedApp } from './global-prefix.app';
import { FinalFailure, waitFor } from './wait-for';

const CONSUMER = resolve(__dirname, '..');
const ROOT = resolve(CONSUMER, '../..');
const TSC = join(CONSUMER, 'node_modules/typescript/bin/tsc');
const DATABASE_URL = process.env.CONSUMER_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** What scripts/doc-blocks.mjs writes to `<outDir>/manifest.json`. */
interface DocBlocksManifest {
  readonly blocks: ReadonlyArray<{ page: string; line: number; file: string }>;
  readonly apps: ReadonlyArray<{ page: string; dir: string; files: readonly string[] }>;
  readonly skipped: ReadonlyArray<{ page: string; line: number }>;
}

/**
 * Runs tsc with `config`, in the config's folder (so that errors name files relative to it);
 * resolves with its exit code and output (never throws).
 */
function typeCheck(config: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [TSC, '-p', config, '--pretty', 'false'],
      { cwd: resolve(config, '..'), maxBuffer: 64 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** A TCP port that nothing listens on (the OS's pick, released). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** The HTTP status and JSON body of `GET url`. */
async function get(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  const text = await response.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

/** A built app started with `node`, with its output kept for failure reports. */
class AppProcess {
  output = '';

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static start(main: string, env: Record<string, string>): AppProcess {
    return new AppProcess(
      spawn(process.execPath, [main], {
        cwd: resolve(main, '..'),
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env },
      }),
    );
  }

  /** Throws (with the app's output) when the process has ended. */
  assertRunning(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      throw new FinalFailure(
        `the app exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.output}`,
      );
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}

describe('the docs against the installed package', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'nest-health-consumer-'));
  let manifest: DocBlocksManifest;
  /** A path the manifest gives, relative to outDir (or absolute). */
  const inOut = (path: string) => resolve(outDir, path);

  before(() => {
    // The extracted files resolve packages from this app's node_modules, as files of this app.
    symlinkSync(join(CONSUMER, 'node_modules'), join(outDir, 'node_modules'), 'dir');
    const pages = (process.env.CONSUMER_DOC_PAGES ?? '').split(/\s+/).filter(Boolean);
    const printed = execFileSync(
      process.execPath,
      [join(ROOT, 'scripts/doc-blocks.mjs'), outDir, ...pages.map((page) => resolve(page))],
      { cwd: ROOT, encoding: 'utf8' },
    );
    process.stdout.write(printed);
    manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as DocBlocksManifest;
  });

  after(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  /** The README's example app: the `file=` blocks of README.md. */
  const quickStart = () => {
    const app = manifest.apps.find((candidate) => basename(candidate.page) === 'README.md');
    assert.ok(app, `README.md has no file= blocks: ${JSON.stringify(manifest.apps)}`);
    return app;
  };

  it("finds the README's Quick start as a complete app (module, indicator, main.ts)", () => {
    assert.deepEqual(
      [...quickStart().files].sort(),
      ['src/app.module.ts', 'src/database.health.ts', 'src/main.ts'].sort(),
    );
  });

  for (const resolution of ['commonjs', 'nodenext'] as const) {
    const what =
      resolution === 'commonjs'
        ? 'module commonjs, as the docs promise'
        : "module nodenext, as Nest 11's starter, reading the package's exports map";
    it(`type-checks every standalone block and every file= app (strict, skipLibCheck false, no unused; ${what})`, async () => {
      const config = join(outDir, `tsconfig.${resolution}.json`);
      const compilerOptions: Record<string, unknown> = { noEmit: true, rootDir: '.' };
      if (resolution === 'nodenext') {
        Object.assign(compilerOptions, { module: 'nodenext', moduleResolution: 'nodenext' });
      }
      writeFileSync(
        config,
        JSON.stringify({
          extends: join(CONSUMER, 'tsconfig.json'),
          compilerOptions,
          include: [],
          files: [
            ...manifest.blocks.map((block) => inOut(block.file)),
            ...manifest.apps.flatMap((app) => app.files.map((file) => join(inOut(app.dir), file))),
          ],
        }),
      );
      const checked =
        manifest.blocks.length + manifest.apps.reduce((n, a) => n + a.files.length, 0);
      assert.ok(checked > 0, 'no blocks to type-check');
      const { code, output } = await typeCheck(config);
      // Errors name the extracted file; its name carries the page and line (blocks/<page>-L<line>.ts).
      assert.equal(code, 0, `tsc found errors in the docs' blocks:\n${output}`);
      process.stdout.write(
        `type-checked ${checked} doc blocks (${manifest.blocks.length} standalone, ` +
          `${checked - manifest.blocks.length} in ${manifest.apps.length} apps), ` +
          `${manifest.skipped.length} fragments skipped (${resolution})\n`,
      );
    });
  }

  describe("the README's Quick start, built and started as extracted", () => {
    let main: string;
    const started: AppProcess[] = [];

    before(async () => {
      const app = quickStart();
      const config = join(outDir, 'tsconfig.quick-start.json');
      writeFileSync(
        config,
        JSON.stringify({
          extends: join(CONSUMER, 'tsconfig.json'),
          compilerOptions: { rootDir: inOut(app.dir), outDir: join(outDir, 'build/quick-start') },
          include: [],
          files: app.files.map((file) => join(inOut(app.dir), file)),
        }),
      );
      const { code, output } = await typeCheck(config);
      assert.equal(code, 0, output);
      main = join(outDir, 'build/quick-start/src/main.js');
    });

    after(async () => {
      await Promise.all(started.map((app) => app.stop()));
    });

    async function start(databaseUrl: string): Promise<{ app: AppProcess; url: string }> {
      const port = await freePort();
      const app = AppProcess.start(main, { DATABASE_URL: databaseUrl, PORT: String(port) });
      started.push(app);
      return { app, url: `http://127.0.0.1:${port}` };
    }

    it('answers 200 on /health/ready, with the database check up, against PostgreSQL', async () => {
      const { app, url } = await start(DATABASE_URL);
      const ready = await waitFor(async () => {
        app.assertRunning();
        const answer = await get(`${url}/health/ready`);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return answer;
      }, 30_000);
      assert.equal(ready.body.status, 'up');
      assert.equal(ready.body.group, 'readiness');
      const details = await get(`${url}/health`);
      assert.deepEqual(
        (details.body.checks as Record<string, { status: string }>).database.status,
        'up',
        app.output,
      );
    });

    it('answers 503 on /health/ready once the database check fails (DATABASE_URL unreachable)', async () => {
      const { app, url } = await start(`postgres://postgres@127.0.0.1:${await freePort()}/test`);
      await waitFor(async () => {
        app.assertRunning();
        const details = await get(`${url}/health`);
        const checks = details.body.checks as Record<string, { status: string }> | undefined;
        assert.equal(checks?.database?.status, 'down', JSON.stringify(details.body));
      }, 30_000);
      const ready = await get(`${url}/health/ready`);
      assert.equal(ready.status, 503);
      assert.equal(ready.body.status, 'down');
    });
  });
});

for (const platform of PLATFORMS) {
  describe(`app.setGlobalPrefix('api') on ${platform}`, () => {
    let app: INestApplication | undefined;
    let url: string;

    before(async () => {
      ({ app, url } = await startPrefixedApp(platform, ['api']));
      await waitFor(async () => assert.equal((await get(`${url}/api/health/ready`)).status, 200));
    });

    after(async () => {
      await app?.close();
    });

    for (const path of ['/health/ready', '/health/live', '/health/startup', '/livez', '/readyz']) {
      it(`serves ${path} under the prefix (/api${path}: 200), not without it (404)`, async () => {
        assert.equal((await get(`${url}/api${path}`)).status, 200);
        assert.equal((await get(`${url}${path}`)).status, 404);
      });
    }
  });

  describe(`app.setGlobalPrefix('api', { exclude: healthPrefixExclusions() }) on ${platform}`, () => {
    let app: INestApplication | undefined;
    let url: string;

    before(async () => {
      ({ app, url } = await startPrefixedApp(platform, [
        'api',
        { exclude: healthPrefixExclusions() },
      ]));
      await waitFor(async () => assert.equal((await get(`${url}/health/ready`)).status, 200));
    });

    after(async () => {
      await app?.close();
    });

    for (const path of ['/health/ready', '/health/live', '/health/startup', '/livez', '/readyz']) {
      it(`serves ${path} outside the prefix (200), not under it (/api${path}: 404)`, async () => {
        assert.equal((await get(`${url}${path}`)).status, 200);
        assert.equal((await get(`${url}/api${path}`)).status, 404);
      });
    }

    it("keeps the app's own routes under the prefix", async () => {
      assert.equal((await get(`${url}/api/jobs`)).status, 200);
      assert.equal((await get(`${url}/jobs`)).status, 404);
    });
  });
}

import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from './helpers/example-app';
import { closedPort, TestTcpServer } from './helpers/tcp-server';
import { waitFor } from './helpers/wait-for';

const CLI = join(__dirname, '../libs/health/bin/nest-health-probe.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the CLI in a child process (asynchronously: the app under test shares this process). */
function runCli(...args: string[]): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

describe.each(HTTP_ADAPTERS)('nest-health-probe against the example app on %s', (adapter) => {
  let app: RunningExampleApp;
  let base: string;

  beforeAll(async () => {
    app = await exampleApp(adapter).start();
    base = (await app.app.getUrl()).replace('[::1]', '127.0.0.1');
    await waitFor(() => app.get('/health/ready').expect(200));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('exits 0, silently, when the probe answers 2xx', async () => {
    const run = await runCli(`${base}/health/ready`);
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await runCli(`${base}/readyz`, '--timeout', '2s')).code).toBe(0);
    expect((await runCli(`${base}/health/live`, '--timeout=500ms')).code).toBe(0);
  });

  it('exits 1 with one line naming the status when the probe answers 503', async () => {
    app.registry.register(
      () => {
        throw new Error('down for the test');
      },
      { name: 'cli-down' },
    );
    try {
      await waitFor(() => app.get('/health/ready').expect(503));
      const run = await runCli(`${base}/health/ready`);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(
        `nest-health-probe: unhealthy: ${base}/health/ready answered 503 Service Unavailable\n`,
      );
      expect((await runCli(`${base}/health/ready/cli-down`)).code).toBe(1);
      expect((await runCli(`${base}/health/ready/database`)).code).toBe(0);
      expect((await runCli(`${base}/health/ready/nope`)).stderr).toContain('answered 404');
    } finally {
      app.registry.unregister('cli-down');
    }
  });
});

describe('the nest-health-probe bin', () => {
  it('is declared by the library package, executable, with a node shebang', () => {
    const manifest = JSON.parse(
      readFileSync(join(__dirname, '../libs/health/package.json'), 'utf8'),
    ) as { bin: Record<string, string> };
    const path = join(__dirname, '../libs/health', manifest.bin['nest-health-probe']);
    expect(path).toBe(CLI);
    expect(readFileSync(path, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(path).mode & 0o111).not.toBe(0);
  });
});

describe('nest-health-probe against what is not a healthy app', () => {
  let blackHole: TestTcpServer;

  beforeAll(async () => {
    blackHole = await TestTcpServer.start();
  });

  afterAll(async () => {
    await blackHole?.stop();
  });

  it('exits 1 at the timeout when the server accepts the connection and never answers', async () => {
    const run = await runCli(
      `http://127.0.0.1:${blackHole.port}/health/live`,
      '--timeout',
      '300ms',
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `nest-health-probe: unhealthy: http://127.0.0.1:${blackHole.port}/health/live did not answer within 300 ms\n`,
    );
    expect(run.ms).toBeLessThan(5_000);
    await waitFor(() => expect(blackHole.openConnections).toBe(0)); // it hung up
  });

  it('exits 1 when the connection is refused', async () => {
    const port = await closedPort();
    const run = await runCli(`http://127.0.0.1:${port}/health/ready`);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `nest-health-probe: unhealthy: http://127.0.0.1:${port}/health/ready failed: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
  });

  it('never prints a password of the URL', async () => {
    const port = await closedPort();
    const run = await runCli(`http://probe:SuperSecret123@127.0.0.1:${port}/health`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`http://probe:***@127.0.0.1:${port}/health`);
    expect(run.stderr).not.toContain('SuperSecret123');
  });

  it.each([['--help'], ['-h'], ['http://127.0.0.1:1/', '--help']])(
    'prints the usage to stdout and exits 0 for %s',
    async (...args) => {
      const run = await runCli(...args);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/^usage: nest-health-probe <url> \[--timeout <duration>\]/);
      expect(run.stdout).toContain('Exit status: 0');
    },
  );

  it.each([
    [[], 'usage: nest-health-probe <url>'],
    [['not a url'], 'invalid URL'],
    [['ftp://127.0.0.1/'], 'unsupported protocol ftp:'],
    [['http://127.0.0.1:1/', '--timeout', 'soon'], 'invalid --timeout "soon"'],
    [['http://127.0.0.1:1/', '--timeout'], 'invalid --timeout ""'],
    [['http://127.0.0.1:1/', '--verbose'], 'unknown option --verbose'],
  ])('exits 1 with the usage for %j', async (args, message) => {
    const run = await runCli(...args);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

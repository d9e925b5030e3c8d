// The example's Dockerfile, checked without a Docker engine: its instructions are read, and each
// stage is made in a temporary folder as Docker would make it (the build context as a fresh clone
// has it, minus .dockerignore; COPY --from an earlier stage; RUN steps run), so that every COPY
// source is found or reported, and the final stage's CMD starts the example and its HEALTHCHECK
// command runs against it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SERVICES } from './helpers/example-app';
import { closedPort } from './helpers/tcp-server';
import { waitFor } from './helpers/wait-for';

const ROOT = join(__dirname, '..');

interface Copy {
  readonly from?: string;
  readonly sources: readonly string[];
  readonly destination: string;
  /** WORKDIR when the COPY runs. */
  readonly workdir: string;
}

interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly copies: Copy[];
  readonly runs: string[];
  readonly env: Record<string, string>;
  workdir: string;
  user?: string;
  cmd?: string[];
  healthcheck?: { readonly options: string[]; readonly shell?: string; readonly exec?: string[] };
}

/** Instructions of a Dockerfile: comments dropped, continuation lines joined. */
function instructions(text: string): Array<{ keyword: string; args: string }> {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** `--flag=value` options, then the remaining words (or a JSON array). */
function flagsAndWords(args: string): { flags: Record<string, string>; words: string[] } {
  const flags: Record<string, string> = {};
  let rest = args.trim();
  for (
    let match = /^--([\w-]+)=(\S+)\s*/.exec(rest);
    match;
    match = /^--([\w-]+)=(\S+)\s*/.exec(rest)
  ) {
    flags[match[1]] = match[2];
    rest = rest.slice(match[0].length);
  }
  const words = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  return { flags, words };
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const { keyword, args } of instructions(text)) {
    const stage = stages.at(-1);
    if (keyword === 'FROM') {
      const [image, as, name] = args.split(/\s+/);
      stages.push({
        image,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        copies: [],
        runs: [],
        env: {},
        workdir: '/',
      });
      continue;
    }
    if (!stage) throw new Error(`${keyword} before FROM`);
    if (keyword === 'WORKDIR') stage.workdir = posix.resolve(stage.workdir, args);
    else if (keyword === 'RUN') stage.runs.push(args);
    else if (keyword === 'USER') stage.user = args;
    else if (keyword === 'ENV') {
      for (const pair of args.split(/\s+/)) {
        const [key, ...value] = pair.split('=');
        stage.env[key] = value.join('=');
      }
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      const { flags, words } = flagsAndWords(args);
      stage.copies.push({
        from: flags.from,
        sources: words.slice(0, -1),
        // A trailing slash marks a folder: the source goes inside it.
        destination:
          posix.resolve(stage.workdir, words.at(-1)!) + (words.at(-1)!.endsWith('/') ? '/' : ''),
        workdir: stage.workdir,
      });
    } else if (keyword === 'CMD') stage.cmd = JSON.parse(args) as string[];
    else if (keyword === 'HEALTHCHECK') {
      const at = args.indexOf(' CMD ');
      const options = args.slice(0, at).split(/\s+/);
      const command = args.slice(at + ' CMD '.length).trim();
      stage.healthcheck = command.startsWith('[')
        ? { options, exec: JSON.parse(command) as string[] }
        : { options, shell: command };
    }
  }
  return stages;
}

/** .dockerignore patterns as Docker reads them (Go filepath.Match with `**`, `!` exceptions). */
function dockerignore(): (path: string) => boolean {
  const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = posix.normalize(line.replace(/^!/, '')).replace(/^\//, '');
      const source = pattern
        .split('/')
        .map((part) =>
          part === '**'
            ? '.*'
            : part
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (path) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(path)) ignored = !rule.negate;
    return ignored;
  };
}

/** Files git tracks under `path` (a fresh clone has exactly these). */
function tracked(path: string): string[] {
  return execFileSync('git', ['ls-files', '--', path], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '');
}

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const final = stages.at(-1)!;
const stageNamed = (name: string) => stages.find((stage) => stage.name === name);

/** The image path a COPY source lands at: into a folder destination, or as the destination. */
function targetOf(copy: Copy, source: string, isFolder: boolean): string {
  if (isFolder) return copy.destination.replace(/\/$/, '') || '/';
  return copy.sources.length > 1 || copy.destination.endsWith('/')
    ? posix.join(copy.destination, posix.basename(source))
    : copy.destination;
}

/**
 * Every stage made in a folder of its own (the folder is the stage's `/`), in order, as Docker
 * would: COPY from the build context takes the files a fresh clone has (git-tracked) minus what
 * .dockerignore drops; COPY --from takes an earlier stage's files; RUN runs with /bin/sh in the
 * WORKDIR. One shortcut: a full `npm ci` (the dev dependencies) links the repository's
 * node_modules, which `npm ci` installed from the same lockfile; `npm ci --omit=dev` runs.
 */
class StageBuilder {
  readonly folders = new Map<Stage, string>();
  readonly problems: string[] = [];
  private readonly ignored = dockerignore();

  constructor(private readonly root: string) {}

  async build(): Promise<void> {
    for (const [index, stage] of stages.entries()) {
      const folder = join(this.root, String(index));
      mkdirSync(join(folder, stage.workdir), { recursive: true });
      this.folders.set(stage, folder);
      for (const copy of stage.copies) this.copy(folder, copy);
      for (const run of stage.runs) {
        if (!(await this.run(stage, folder, run))) break;
      }
    }
  }

  /** Where `imagePath` of `stage` is on this machine. */
  pathIn(stage: Stage, imagePath: string): string {
    return join(this.folders.get(stage)!, imagePath);
  }

  private copy(folder: string, copy: Copy): void {
    for (const source of copy.sources) {
      if (copy.from === undefined) {
        const files = tracked(source).filter((file) => !this.ignored(file));
        if (files.length === 0) this.problems.push(`COPY ${source}: not in the build context`);
        const isFolder = files.length > 1 || files[0] !== posix.normalize(source);
        for (const file of files) {
          const relative = isFolder ? posix.relative(posix.normalize(source), file) : '';
          const target = posix.join(targetOf(copy, source, isFolder), relative);
          mkdirSync(dirname(join(folder, target)), { recursive: true });
          cpSync(join(ROOT, file), join(folder, target));
        }
        continue;
      }
      const from = stageNamed(copy.from);
      const origin =
        from && join(this.folders.get(from) ?? '', posix.resolve(from.workdir, source));
      if (!from || !this.folders.has(from) || !existsSync(origin!)) {
        this.problems.push(`COPY --from=${copy.from} ${source}: not in that stage`);
        continue;
      }
      const target = join(folder, targetOf(copy, source, statSync(origin!).isDirectory()));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(origin!, target, { recursive: true, verbatimSymlinks: true });
    }
  }

  private async run(stage: Stage, folder: string, run: string): Promise<boolean> {
    const cwd = join(folder, stage.workdir);
    if (/^npm ci\b/.test(run) && !/--omit[= ]dev\b/.test(run)) {
      symlinkSync(join(ROOT, 'node_modules'), join(cwd, 'node_modules'), 'dir');
      return true;
    }
    const child = spawn('/bin/sh', ['-c', run], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0)
      this.problems.push(`RUN ${run} (stage ${stage.name ?? '?'}): exit ${code}\n${log}`);
    return code === 0;
  }
}

describe('the Dockerfile of the example app', () => {
  const stageRoot = mkdtempSync(join(tmpdir(), 'nest-health-image-'));
  const builder = new StageBuilder(stageRoot);
  let app: ChildProcess | undefined;
  let output = '';
  let port: number;

  beforeAll(async () => {
    await builder.build();
  }, 240_000);

  afterAll(async () => {
    if (app && app.exitCode === null && app.signalCode === null) {
      const exited = once(app, 'exit');
      app.kill('SIGKILL');
      await exited;
    }
    rmSync(stageRoot, { recursive: true, force: true });
  });

  /** The final stage's WORKDIR on this machine. */
  const workdir = () => builder.pathIn(final, final.workdir);

  it('builds in stages from node:20-slim, the last one from the earlier ones', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^node:20-slim$|distroless\/nodejs20/);
    expect(final.copies.filter((copy) => copy.from !== undefined).length).toBeGreaterThan(0);
  });

  it('copies from the build context only files a fresh clone has, none left out by .dockerignore', () => {
    const ignored = dockerignore();
    const problems: string[] = [];
    for (const stage of stages) {
      for (const copy of stage.copies.filter((c) => c.from === undefined)) {
        for (const source of copy.sources) {
          const files = tracked(source);
          if (files.length === 0) problems.push(`${source}: not in the repository`);
          else if (files.every(ignored)) problems.push(`${source}: .dockerignore drops it`);
        }
      }
    }
    expect(problems).toEqual([]);
    // And the context stays small: no dependencies, build output or git history.
    expect(
      ['node_modules/x', 'libs/health/node_modules/x', 'dist/x', '.git/HEAD'].filter(ignored),
    ).toHaveLength(4);
  });

  it('builds: every RUN succeeds and every COPY --from finds its source in that stage', () => {
    expect(builder.problems).toEqual([]);
  });

  it('runs as a non-root user, with NODE_ENV=production and the production dependencies only', () => {
    expect(final.user).toBeDefined();
    expect(final.user).not.toMatch(/^(root|0)(:|$)/);
    expect(final.env.NODE_ENV).toBe('production');
    expect(final.runs).toEqual([]);
    const modules = final.copies.find(
      (copy) => copy.destination === posix.join(final.workdir, 'node_modules'),
    );
    expect(modules?.from).toBeDefined();
    expect(stageNamed(modules!.from!)!.runs).toEqual([
      expect.stringMatching(/^npm ci --omit=dev\b/),
    ]);
    expect(existsSync(join(workdir(), 'node_modules/@nestjs/core/package.json'))).toBe(true);
    for (const dev of ['typescript', 'jest', '@nestjs/cli']) {
      expect([dev, existsSync(join(workdir(), 'node_modules', dev))]).toEqual([dev, false]);
    }
  });

  it('has the CMD and HEALTHCHECK files in the built layout', () => {
    expect(final.cmd?.[0]).toBe('node');
    expect(existsSync(join(workdir(), final.cmd![1]))).toBe(true);
    const command = final.healthcheck?.shell ?? final.healthcheck?.exec?.join(' ') ?? '';
    const probe = command.split(/\s+/).find((word) => word.endsWith('nest-health-probe.js'));
    expect(probe).toBeDefined();
    expect(existsSync(join(workdir(), probe!))).toBe(true);
  });

  it('names the image that the Kubernetes manifest deploys in its build command', () => {
    const tag = /docker build -t (\S+) \./.exec(
      readFileSync(join(ROOT, 'Dockerfile'), 'utf8'),
    )?.[1];
    const version = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    const deployment = parseAllDocuments(
      readFileSync(join(ROOT, 'apps/example/k8s/deployment.yaml'), 'utf8'),
    )
      .map(
        (document) =>
          document.toJS() as {
            kind: string;
            spec: { template: { spec: { containers: Array<{ image: string }> } } };
          },
      )
      .find((manifest) => manifest.kind === 'Deployment')!;
    expect(tag).toBe(deployment.spec.template.spec.containers[0].image);
    expect(tag).toMatch(new RegExp(`:${version.replace(/\./g, '\\.')}$`));
  });

  /** Runs the HEALTHCHECK command as Docker does (shell form: /bin/sh -c, the image's env). */
  function healthcheck(): Promise<number> {
    const { shell, exec } = final.healthcheck!;
    const [command, ...args] = shell !== undefined ? ['/bin/sh', '-c', shell] : exec!;
    const child = spawn(command === 'node' ? process.execPath : command, args, {
      cwd: workdir(),
      env: {
        PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
        ...final.env,
        PORT: String(port),
      },
      stdio: 'ignore',
    });
    return once(child, 'exit').then(([code]) => code as number);
  }

  it('starts with CMD against the services; HEALTHCHECK exits 0 while it runs, 1 once it is down', async () => {
    expect(builder.problems).toEqual([]);
    port = await closedPort();
    const [command, ...args] = final.cmd!;
    app = spawn(command === 'node' ? process.execPath : command, args, {
      cwd: workdir(),
      env: {
        PATH: process.env.PATH,
        NO_COLOR: '1',
        ...final.env,
        PORT: String(port),
        DATABASE_URL: SERVICES.databaseUrl,
        REDIS_URL: SERVICES.redisUrl,
        // The built-in RabbitMQ check loads amqplib: a production dependency of the image.
        RABBITMQ_URL: SERVICES.rabbitmqUrl,
      },
    });
    app.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    app.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const running = app;

    // Every dependency's check passes with the production dependencies alone.
    const ready = await waitFor(
      async () => {
        if (running.exitCode !== null) throw new Error(`the app exited:\n${output}`);
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
        const body = (await response.json()) as { checks?: Record<string, { status: string }> };
        expect([response.status, body.checks?.rabbitmq?.status]).toEqual([200, 'up']);
        return body;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(Object.keys(ready.checks ?? {}).sort()).toEqual([
      'database',
      'queue',
      'rabbitmq',
      'redis',
    ]);
    expect(await healthcheck()).toBe(0);

    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    await exited;
    expect(await healthcheck()).toBe(1);
  }, 60_000);
});

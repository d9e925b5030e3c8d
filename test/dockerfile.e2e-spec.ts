// The example's Dockerfile, checked without a Docker engine: the instructions are read, every
// COPY source is looked up (the build context as a fresh clone has it, minus .dockerignore; an
// earlier stage's paths in the built layout), and the final stage is assembled in a temporary
// folder — the production-dependency stage's RUN is run for real — so that its CMD starts the
// example and its HEALTHCHECK command runs against it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * Where an image path of `stage` comes from on this machine: a build-context file copied into
 * it, or (for a stage that builds) what its RUN steps produce in the repository's built layout
 * (`dist/`, `node_modules/`). Undefined when the stage does not hold it.
 */
function localPathOf(stage: Stage, imagePath: string): string | undefined {
  for (const copy of [...stage.copies].reverse()) {
    for (const source of copy.sources) {
      const target =
        copy.sources.length > 1 || copy.destination.endsWith('/')
          ? posix.join(copy.destination, posix.basename(source))
          : copy.destination;
      const fromTarget =
        imagePath === target
          ? ''
          : imagePath.startsWith(`${target}/`)
            ? imagePath.slice(target.length + 1)
            : undefined;
      if (fromTarget === undefined) continue;
      if (copy.from === undefined) return join(ROOT, source, fromTarget);
      const from = stageNamed(copy.from);
      return from && localPathOf(from, posix.join(source, fromTarget));
    }
  }
  // Produced by the stage's RUN steps, in the stage's WORKDIR: the repository after the same
  // commands (`npm ci`, `npm run build:example`) is that layout.
  const relative = posix.relative(stage.workdir, imagePath);
  const produced =
    (/^dist(\/|$)/.test(relative) && stage.runs.some((run) => /npm run build/.test(run))) ||
    (/^node_modules(\/|$)/.test(relative) && stage.runs.some((run) => /npm ci/.test(run)));
  return produced ? join(ROOT, relative) : undefined;
}

describe('the Dockerfile of the example app', () => {
  beforeAll(() => {
    // What the build stage runs; CMD and COPY --from=build paths are checked against its output.
    execFileSync('npm', ['run', 'build:example'], { cwd: ROOT, stdio: 'pipe' });
  }, 180_000);

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
          const kept = files.filter((file) => !ignored(file));
          if (files.length > 0 && kept.length === 0)
            problems.push(`${source}: .dockerignore drops it`);
        }
      }
    }
    expect(problems).toEqual([]);
    // And the context stays small: no dependencies, build output or git history.
    expect(
      ['node_modules/x', 'libs/health/node_modules/x', 'dist/x', '.git/HEAD'].filter(ignored),
    ).toHaveLength(4);
  });

  it('copies from earlier stages only paths they hold after their build', () => {
    const problems: string[] = [];
    for (const stage of stages) {
      for (const copy of stage.copies.filter((c) => c.from !== undefined)) {
        const from = stageNamed(copy.from!);
        if (!from) {
          problems.push(`--from=${copy.from}: no such stage`);
          continue;
        }
        for (const source of copy.sources) {
          const local = localPathOf(from, posix.resolve(from.workdir, source));
          if (local === undefined || !existsSync(local)) {
            problems.push(
              `--from=${copy.from} ${source}: not in that stage (${local ?? 'no COPY or RUN makes it'})`,
            );
          }
        }
      }
    }
    expect(problems).toEqual([]);
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
    const deps = stageNamed(modules!.from!)!;
    expect(deps.runs).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/)]);
  });

  it('has the CMD and HEALTHCHECK files in the built layout', () => {
    expect(final.cmd?.[0]).toBe('node');
    const cmdScript = localPathOf(final, posix.resolve(final.workdir, final.cmd![1]));
    expect(cmdScript && existsSync(cmdScript)).toBe(true);
    expect(final.healthcheck?.shell ?? final.healthcheck?.exec?.join(' ')).toMatch(
      /nest-health-probe\.js/,
    );
    const probeArg = (final.healthcheck!.shell ?? final.healthcheck!.exec!.join(' '))
      .split(/\s+/)
      .find((word) => word.endsWith('nest-health-probe.js'))!;
    const probeScript = localPathOf(final, posix.resolve(final.workdir, probeArg));
    expect(probeScript && existsSync(probeScript)).toBe(true);
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

  describe('the final stage, assembled in a folder', () => {
    let image: string;
    let app: ChildProcess | undefined;
    let output = '';
    let port: number;

    /** Runs the HEALTHCHECK command as Docker does (shell form: /bin/sh -c, the image's env). */
    function healthcheck(): Promise<number> {
      const { shell, exec } = final.healthcheck!;
      const [command, ...args] = shell !== undefined ? ['/bin/sh', '-c', shell] : exec!;
      const child = spawn(command === 'node' ? process.execPath : command, args, {
        cwd: join(image, final.workdir),
        env: {
          PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
          ...final.env,
          PORT: String(port),
        },
        stdio: 'ignore',
      });
      return once(child, 'exit').then(([code]) => code as number);
    }

    beforeAll(async () => {
      image = mkdtempSync(join(tmpdir(), 'nest-health-image-'));
      // Each stage the final one copies from: a build-context COPY is copied, the RUN steps of
      // the production-dependency stage run for real (the build stage's output is the repository's).
      for (const copy of final.copies) {
        const from = stageNamed(copy.from!)!;
        for (const source of copy.sources) {
          const imageSource = posix.resolve(from.workdir, source);
          let local = localPathOf(from, imageSource)!;
          if (from.runs.every((run) => !/npm run build/.test(run))) {
            local = join(await stageFolder(from), imageSource);
          }
          const target = join(image, copy.destination);
          mkdirSync(dirname(target), { recursive: true });
          cpSync(local, target, { recursive: true });
        }
      }
      port = await closedPort();
      const [command, ...args] = final.cmd!;
      app = spawn(command === 'node' ? process.execPath : command, args, {
        cwd: join(image, final.workdir),
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
    }, 180_000);

    const built = new Map<Stage, string>();
    /** A stage without a build step, made in a folder: its context COPYs, then its RUNs. */
    async function stageFolder(stage: Stage): Promise<string> {
      const made = built.get(stage);
      if (made) return made;
      const folder = join(image, '.stages', stage.name ?? 'stage');
      for (const copy of stage.copies) {
        for (const source of copy.sources) {
          const target =
            copy.sources.length > 1 || copy.destination.endsWith('/')
              ? posix.join(copy.destination, posix.basename(source))
              : copy.destination;
          mkdirSync(dirname(join(folder, target)), { recursive: true });
          cpSync(join(ROOT, source), join(folder, target), { recursive: true });
        }
      }
      mkdirSync(join(folder, stage.workdir), { recursive: true });
      for (const run of stage.runs) {
        const child = spawn('/bin/sh', ['-c', run], {
          cwd: join(folder, stage.workdir),
          stdio: 'pipe',
        });
        let log = '';
        child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
        const [code] = (await once(child, 'exit')) as [number];
        if (code !== 0) throw new Error(`RUN ${run} failed with ${code}:\n${log}`);
      }
      built.set(stage, folder);
      return folder;
    }

    afterAll(async () => {
      if (app && app.exitCode === null) {
        const exited = once(app, 'exit');
        app.kill('SIGKILL');
        await exited;
      }
      if (image) rmSync(image, { recursive: true, force: true });
    });

    it('starts the example with the production dependencies, and HEALTHCHECK exits 0, then 1 once it is down', async () => {
      expect(existsSync(join(image, final.workdir, 'node_modules/typescript'))).toBe(false);
      expect(existsSync(join(image, final.workdir, 'node_modules/@nestjs/core'))).toBe(true);
      await waitFor(
        () => {
          if (app?.exitCode !== null) throw new Error(`the app exited:\n${output}`);
          expect(output).toMatch(/Listening on/);
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      // Every dependency's check passes with the production dependencies alone.
      const ready = await waitFor(
        async () => {
          const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
          const body = (await response.json()) as { checks?: Record<string, { status: string }> };
          expect([response.status, body.checks?.rabbitmq?.status]).toEqual([200, 'up']);
          return body;
        },
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      expect(Object.keys(ready.checks ?? {}).sort()).toEqual([
        'database',
        'queue',
        'rabbitmq',
        'redis',
      ]);
      // Liveness answers as soon as the app listens; the check itself exits 0.
      expect(
        await waitFor(
          async () => {
            const code = await healthcheck();
            expect(code).toBe(0);
            return code;
          },
          { timeoutMs: 10_000, intervalMs: 200 },
        ),
      ).toBe(0);

      const exited = once(app!, 'exit');
      app!.kill('SIGTERM');
      await exited;
      expect(await healthcheck()).toBe(1);
    }, 60_000);
  });
});

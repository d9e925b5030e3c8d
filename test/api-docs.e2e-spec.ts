import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..');
const ENTRY = join(ROOT, 'libs/health/src/index.ts');

interface Run {
  readonly code: number;
  readonly output: string;
}

/** Runs a command in the repository (asynchronously, so that Jest's timeout can still fire). */
function run(command: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        cwd: ROOT,
        timeout: 110_000,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: '1' },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** The names that the library's entry exports, as TypeScript sees them. */
function exportedNames(): string[] {
  const program = ts.createProgram([ENTRY], {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    experimentalDecorators: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(ENTRY);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`${ENTRY} is not a module`);
  return checker.getExportsOfModule(module).map((symbol) => symbol.name);
}

interface JsonReflection {
  readonly name: string;
  readonly children?: readonly JsonReflection[];
}

describe('npm run docs (the TypeDoc API reference)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'nest-health-api-docs-'));

  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('exits 0 and documents every export of the library', async () => {
    const out = join(tmp, 'api');
    const json = join(tmp, 'api.json');
    const result = await run('npm', ['run', 'docs', '--', '--out', out, '--json', json]);

    expect({ code: result.code, output: result.output }).toEqual({
      code: 0,
      output: expect.not.stringMatching(/\[(warning|error)\]/),
    });
    const project = JSON.parse(readFileSync(json, 'utf8')) as JsonReflection;
    const documented = new Set((project.children ?? []).map((child) => child.name));
    const exported = exportedNames();
    expect(exported.length).toBeGreaterThan(100);
    expect(exported.filter((name) => !documented.has(name))).toEqual([]);
    for (const page of [
      'classes/HealthModule.html',
      'classes/HealthRegistry.html',
      'variables/HealthIndicator.html',
      'functions/up.html',
      'functions/degraded.html',
      'functions/down.html',
      'interfaces/HealthModuleOptions.html',
      'variables/HEALTH_MODULE_DEFAULTS.html',
    ]) {
      expect({ page, exists: existsSync(join(out, page)) }).toEqual({ page, exists: true });
    }
  }, 120_000);

  it('fails on an export without a comment and on a broken {@link}', async () => {
    // The settings of the repository's typedoc.json (validation, warnings as errors) on a small
    // package of its own, so that this holds whatever the library's sources look like today.
    const settings = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as object;
    const fixture = join(tmp, 'fixture');
    mkdirSync(fixture);
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'api-docs-fixture', version: '1.0.0' }),
      'tsconfig.json': JSON.stringify({
        compilerOptions: { strict: true, target: 'ES2022', module: 'commonjs', types: [] },
        files: ['index.ts'],
      }),
      'typedoc.json': JSON.stringify({
        ...settings,
        entryPoints: ['index.ts'],
        tsconfig: 'tsconfig.json',
        out: 'api',
        intentionallyNotDocumented: [],
        intentionallyNotExported: [],
      }),
      'index.ts': [
        '/** Documented, with a link to {@link NoSuchThing}. */',
        'export const documented = 1;',
        'export function undocumented(): number {',
        '  return 2;',
        '}',
        '',
      ].join('\n'),
    };
    for (const [name, content] of Object.entries(files))
      writeFileSync(join(fixture, name), content);
    const result = await run('npx', ['typedoc', '--options', join(fixture, 'typedoc.json')]);

    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /undocumented \(\w+\), defined in .*does not have any documentation/,
    );
    expect(result.output).toMatch(/Failed to resolve link to "NoSuchThing"/);
  }, 120_000);
});

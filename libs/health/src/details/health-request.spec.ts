import { join } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '../../../..');
const FIXTURE = join(ROOT, 'libs/health/type-tests/authorize.type-test.ts');

/**
 * Compiles the fixture as a user's app would: `strict`, unused parameters reported,
 * `nest-health` resolved to the library's sources. (Jest transpiles specs without type checks,
 * so the type-level test runs the compiler itself.)
 */
function compile(file: string, extra: ts.CompilerOptions = {}): ts.Diagnostic[] {
  const program = ts.createProgram([file], {
    ...extra,
    strict: true,
    noUnusedParameters: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    baseUrl: ROOT,
    paths: { 'nest-health': ['libs/health/src'] },
  });
  return [...ts.getPreEmitDiagnostics(program)];
}

function describeDiagnostic(diagnostic: ts.Diagnostic): string {
  const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (!diagnostic.file || diagnostic.start === undefined) return text;
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `${diagnostic.file.fileName.replace(ROOT, '')}:${line + 1}: TS${diagnostic.code} ${text}`;
}

describe('the type of authorize (HealthRequest)', () => {
  it('accepts (req) => …, (req: Request) => … (Express) and (req: FastifyRequest) => … under strict, without a cast, and refuses what is not a request', () => {
    expect(compile(FIXTURE).map(describeDiagnostic)).toEqual([]);
  }, 60_000);

  it('accepts them with exactOptionalPropertyTypes too', () => {
    const inFixture = compile(FIXTURE, { exactOptionalPropertyTypes: true }).filter(
      (diagnostic) => diagnostic.file?.fileName === FIXTURE,
    );
    expect(inFixture.map(describeDiagnostic)).toEqual([]);
  }, 60_000);
});

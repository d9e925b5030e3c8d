/**
 * The code of a TypeScript source or declaration file without its comments (TSDoc included), so
 * that a spec scanning for imports does not read the imports of an `@example`. The file is
 * parsed and printed again by TypeScript's own printer, so a `/*` inside a string, a template or
 * a regular expression is never taken for a comment; `/// <reference types="…" />` directives,
 * which are imports too, are kept.
 */
import * as ts from 'typescript';

export function codeWithoutComments(source: string): string {
  const file = ts.createSourceFile('scanned.ts', source, ts.ScriptTarget.Latest, false);
  // Every triple-slash reference line, wherever it stands (the compiler reads those at the top).
  const references = source.split('\n').filter((line) => /^\s*\/\/\/\s*<reference\b/.test(line));
  return [...references, ts.createPrinter({ removeComments: true }).printFile(file)].join('\n');
}

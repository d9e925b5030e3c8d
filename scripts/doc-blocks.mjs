#!/usr/bin/env node
// Extracts the TypeScript code blocks of the README and docs/ so that a user's app can
// type-check them against the published package.
//
//   node scripts/doc-blocks.mjs <outDir> [markdown files...]
//
// Default files: README.md and docs/**/*.md (docs/api/, the generated reference, excluded),
// found from the repository root. Every fenced block whose info string starts with `ts` or
// `typescript` is taken:
//
// - `fragment` anywhere in the info string: skipped on purpose, and counted;
// - `file=<relative path>`: that file of the page's example app, written to
//   `<outDir>/apps/<page-slug>/<path>` (all `file=` blocks of one page form one app);
// - otherwise a standalone module, written to `<outDir>/blocks/<page-slug>-L<line>.ts` (the
//   line of its opening fence, 1-based).
//
// `<outDir>/manifest.json` lists them: { blocks: [{ page, line, file }], apps: [{ page, dir,
// files }], skipped: [{ page, line }] }, with `file` and `dir` relative to <outDir>, `files`
// relative to `dir`, and `page` the markdown file's path (relative to the repository root for
// the default files, to the working directory otherwise). The previous `blocks/`, `apps/` and
// `manifest.json` of <outDir> are replaced.
//
// Exit 1, naming the page and line, on an unterminated fence, a `file=` path that leaves its
// app's directory, or two blocks of one page with the same `file=`. No dependencies.

import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

class DocBlockError extends Error {}

/** README.md and docs/**\/*.md, docs/api/ excluded, sorted, relative to the repository root. */
function defaultPages() {
  const pages = [];
  if (exists(join(ROOT, 'README.md'))) pages.push('README.md');
  const walk = (dir) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = posix.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== 'docs/api') walk(path);
      } else if (entry.isFile() && entry.name.endsWith('.md')) {
        pages.push(path);
      }
    }
  };
  if (exists(join(ROOT, 'docs'))) walk('docs');
  return pages.map((page) => ({ page, path: join(ROOT, page) }));
}

function exists(path) {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** `docs/kubernetes.md` → `docs-kubernetes`; `README.md` → `readme`. */
function slugOf(page) {
  return page
    .replace(/\.md$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The fenced code blocks of a markdown text, as CommonMark reads fences: an opening run of at
 * least three backticks or tildes indented by at most three spaces (or inside a list item, by
 * any indentation), closed by a run of the same character at least as long, with nothing else
 * on the line. Content lines lose the opening fence's indentation.
 */
function fencedBlocks(text, page) {
  const lines = text.split(/\r?\n/);
  const blocks = [];
  let open;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!open) {
      const match = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(line);
      if (!match) continue;
      const [, indent, fence, info] = match;
      // A backtick fence's info string may not contain a backtick (that is inline code).
      if (fence[0] === '`' && info.includes('`')) continue;
      open = { indent: indent.length, fence, info: info.trim(), line: i + 1, content: [] };
      continue;
    }
    const close = /^\s*(`{3,}|~{3,})\s*$/.exec(line);
    if (close && close[1][0] === open.fence[0] && close[1].length >= open.fence.length) {
      blocks.push({ info: open.info, line: open.line, content: open.content.join('\n') });
      open = undefined;
      continue;
    }
    open.content.push(stripIndent(line, open.indent));
  }
  if (open) {
    throw new DocBlockError(
      `${page}:${open.line}: unterminated code fence (${open.fence}${open.info})`,
    );
  }
  return blocks;
}

function stripIndent(line, width) {
  let i = 0;
  while (i < width && i < line.length && line[i] === ' ') i++;
  return line.slice(i);
}

/** The words of an info string: `ts file=src/main.ts` → ['ts', 'file=src/main.ts']. */
function infoWords(info) {
  return info.match(/\S+="[^"]*"|\S+='[^']*'|\S+/g) ?? [];
}

function isTypeScript(words) {
  const language = (words[0] ?? '').toLowerCase();
  return /^(ts|typescript)(\{.*)?$/.test(language);
}

function fileOption(words) {
  for (const word of words) {
    const match = /^file=(?:"([^"]*)"|'([^']*)'|(.*))$/.exec(word);
    if (match) return match[1] ?? match[2] ?? match[3];
  }
  return undefined;
}

/** A `file=` path, normalized, or an error when it is empty or leaves the app's directory. */
function appFilePath(path, page, line) {
  const normalized = posix.normalize(path.replace(/\\/g, '/'));
  if (
    path.trim() === '' ||
    isAbsolute(path) ||
    posix.isAbsolute(normalized) ||
    /^[a-zA-Z]:/.test(path) ||
    normalized === '.' ||
    normalized === '..' ||
    normalized.startsWith('../')
  ) {
    throw new DocBlockError(
      `${page}:${line}: file=${path} is not a path inside the page's app directory`,
    );
  }
  return normalized;
}

function main(argv) {
  const [outArg, ...files] = argv;
  const usage = 'usage: node scripts/doc-blocks.mjs <outDir> [markdown files...]\n';
  if (outArg === '--help' || outArg === '-h') {
    process.stdout.write(usage);
    return 0;
  }
  if (!outArg) {
    process.stderr.write(usage);
    return 1;
  }
  const outDir = resolve(outArg);
  const pages = files.length
    ? files.map((file) => ({
        page: relative(process.cwd(), resolve(file)).split('\\').join('/'),
        path: resolve(file),
      }))
    : defaultPages();

  const manifest = { blocks: [], apps: [], skipped: [] };
  const writes = [];
  for (const { page, path } of pages) {
    const slug = slugOf(page);
    const app = { page, dir: posix.join('apps', slug), files: [] };
    const seen = new Map();
    let text;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new DocBlockError(`${page}: cannot read it (${error.code ?? error.message})`);
    }
    for (const block of fencedBlocks(text, page)) {
      const words = infoWords(block.info);
      if (!isTypeScript(words)) continue;
      if (words.includes('fragment')) {
        manifest.skipped.push({ page, line: block.line });
        continue;
      }
      const source = block.content.endsWith('\n') ? block.content : `${block.content}\n`;
      const filePath = fileOption(words);
      if (filePath === undefined) {
        const file = posix.join('blocks', `${slug}-L${block.line}.ts`);
        manifest.blocks.push({ page, line: block.line, file });
        writes.push({ file, source });
        continue;
      }
      const appFile = appFilePath(filePath, page, block.line);
      if (seen.has(appFile)) {
        throw new DocBlockError(
          `${page}:${block.line}: file=${appFile} is already the block at line ${seen.get(appFile)}`,
        );
      }
      seen.set(appFile, block.line);
      app.files.push(appFile);
      writes.push({ file: posix.join(app.dir, appFile), source });
    }
    if (app.files.length > 0) manifest.apps.push(app);
  }

  for (const stale of ['blocks', 'apps', 'manifest.json']) {
    rmSync(join(outDir, stale), { recursive: true, force: true });
  }
  for (const { file, source } of writes) {
    const target = join(outDir, file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, source);
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const inApps = manifest.apps.reduce((sum, app) => sum + app.files.length, 0);
  const standalone = manifest.blocks.length;
  process.stdout.write(
    `doc blocks: ${standalone + inApps} type-checked (${standalone} standalone, ${inApps} in ` +
      `${manifest.apps.length} apps), ${manifest.skipped.length} skipped as fragments\n`,
  );
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof DocBlockError)) throw error;
  process.stderr.write(`doc-blocks: ${error.message}\n`);
  process.exitCode = 1;
}

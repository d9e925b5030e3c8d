// What the container figures cost per run, on this machine's own cgroup:
//
// 1. finding the cgroup (/proc/self/cgroup + /proc/self/mountinfo), done once per indicator;
// 2. one run of cpuIndicator() and of memoryIndicator() (the cgroup already found): the CPU
//    quota of the cgroup and its ancestors, cpu.stat, the memory files, the PSI file. The
//    GET /health process facts read the same files, at most once a second.
//
// Medians and p95 over 2,000 runs after 200 warm-up runs, one at a time (no concurrency).
//
//   node bench/cgroup-read.bench.mjs          (runs the library from its TypeScript sources)
//   npm run build:lib && node bench/cgroup-read.bench.mjs --dist   (the built library)
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const DIST = process.argv.includes('--dist');
const RUNS = 2_000;
const WARMUP = 200;

require('reflect-metadata');
if (!DIST) require(join(root, 'test/helpers/register-typescript.cjs'));
const lib = DIST ? join(root, 'dist/libs/health') : join(root, 'libs/health/src');
const { cpuIndicator, memoryIndicator } = require(join(lib, DIST ? 'index.js' : 'index.ts'));
const { locateCgroup } = require(
  join(lib, 'indicators/process/cgroup', DIST ? 'index.js' : 'index.ts'),
);

const context = { signal: new AbortController().signal, name: 'bench', timeoutMs: 1_000 };

async function measure(label, run) {
  for (let i = 0; i < WARMUP; i += 1) await run();
  const times = [];
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (share) => times[Math.min(times.length - 1, Math.floor(times.length * share))];
  console.log(
    `${label.padEnd(48)} median ${(at(0.5) * 1_000).toFixed(0).padStart(5)} µs   p95 ${(at(0.95) * 1_000).toFixed(0).padStart(5)} µs`,
  );
}

const location = await locateCgroup();
console.log(
  `cgroup: memory v${location?.memory?.version ?? '-'} ${location?.memory?.path ?? '-'}, ` +
    `cpu v${location?.cpu?.version ?? '-'} ${location?.cpu?.path ?? '-'}, ` +
    `unified ${location?.unified ? location.unified.path : '-'}; node ${process.version}`,
);
await measure('find the cgroup (once per indicator)', () => locateCgroup());
const cpu = cpuIndicator();
const memory = memoryIndicator();
await measure('cpuIndicator() run', () => cpu.check(context));
await measure('memoryIndicator() run (heap + container + PSI)', () => memory.check(context));

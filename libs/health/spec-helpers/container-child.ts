// Runs inside a cgroup that a spec made (see container-limits.spec.ts): checks the cpu and memory
// indicators as a replica in a container would, around a busy loop, an OOM kill of a process of
// its own and an allocation, and prints what they said as one JSON line (after a "ready" line).
//   node --require ./test/helpers/register-typescript.cjs libs/health/spec-helpers/container-child.ts
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpuIndicator, memoryIndicator, type BuiltInIndicator } from '../src';

const BUSY_MS = Number(process.env.BUSY_MS ?? 3_000);
const ALLOCATE_BYTES = Number(process.env.ALLOCATE_BYTES ?? 128 * 2 ** 20);
const WORKING_SET_LEVEL_PERCENT = Number(process.env.WORKING_SET_LEVEL_PERCENT ?? 40);

const context = () => ({ signal: new AbortController().signal, name: 'child', timeoutMs: 10_000 });
const check = (indicator: BuiltInIndicator) => indicator.check(context());

/** The kB figures of /proc/self/status, in bytes. */
function status(): Record<string, number> {
  const figures: Record<string, number> = {};
  for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
    const match = /^(\w+):\s+(\d+) kB$/.exec(line);
    if (match) figures[match[1]] = Number(match[2]) * 1024;
  }
  return figures;
}

/** A process of the cgroup that allocates until the OOM killer ends it; resolves with its signal. */
async function oomVictim(): Promise<string | null> {
  const victim = spawn(
    process.execPath,
    [
      '-e',
      "require('fs').writeFileSync('/proc/self/oom_score_adj', '1000');" +
        'const kept = []; for (;;) kept.push(Buffer.alloc(8 * 2 ** 20, 1));',
    ],
    { stdio: 'ignore' },
  );
  const [, signal] = (await once(victim, 'exit')) as [number | null, string | null];
  return signal;
}

/** Says "ready" and waits for a line on stdin: the spec sets the CPU quota in between. */
async function ready(): Promise<void> {
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  process.stdin.destroy();
}

async function main(): Promise<void> {
  // Started without a CPU quota, so that loading the TypeScript sources is not slowed to it.
  await ready();
  const cpuDefault = cpuIndicator();
  const cpuStrict = cpuIndicator({ usagePercent: {}, throttledPercent: { downAbove: 10 } });
  await Promise.all([check(cpuDefault), check(cpuStrict)]); // the window starts here
  const until = Date.now() + BUSY_MS;
  let spins = 0;
  while (Date.now() < until) spins += 1;
  const cpu = { default: await check(cpuDefault), strict: await check(cpuStrict), spins };

  const oomSignal = await oomVictim();

  const kept = Buffer.alloc(ALLOCATE_BYTES, 1);
  // /proc/self/status just before and just after the check: its figures lie in between.
  const procStatus = status();
  const checked = await check(memoryIndicator());
  const procStatusAfter = status();
  const memory = {
    default: checked,
    degraded: await check(
      memoryIndicator({ workingSetPercent: { degradedAbove: WORKING_SET_LEVEL_PERCENT } }),
    ),
    down: await check(
      memoryIndicator({ workingSetPercent: { downAbove: WORKING_SET_LEVEL_PERCENT } }),
    ),
  };
  process.stdout.write(
    `${JSON.stringify({ cpu, oomSignal, memory, procStatus, procStatusAfter, kept: kept.length })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error).stack ?? error)}\n`);
  process.exit(1);
});

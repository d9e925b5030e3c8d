// Core pinning shared by the benchmarks: where the machine has two cores or more and `taskset`,
// servers run on core 0 and the load generator on core 1, so that neither measures the other.
import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';

/** Whether servers and load generator get a core each. */
export const twoCores = cpus().length >= 2 && hasTaskset();
export const SERVER_CORE = '0';
export const LOAD_CORE = '1';
export const ALL_CORES = `0-${cpus().length - 1}`;

/**
 * Runs this script again pinned to {@link LOAD_CORE} (once: the child sees BENCH_PINNED) and
 * exits with its code; returns at once where there is nothing to pin, or in the pinned child.
 */
export async function pinLoadGenerator() {
  if (!twoCores || process.env.BENCH_PINNED) return;
  const child = spawn('taskset', ['-c', LOAD_CORE, process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.once('exit', (code) => process.exit(code ?? 1));
  await new Promise(() => {});
}

function hasTaskset() {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

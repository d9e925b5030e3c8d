import { performance } from 'node:perf_hooks';

/** Milliseconds since `started` (a `performance.now()` reading), rounded to two decimals. */
export function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

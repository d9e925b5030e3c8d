import { setTimeout as sleep } from 'node:timers/promises';

/** How long {@link waitFor} keeps trying. */
export interface WaitForOptions {
  /** Give up after this many milliseconds. @default 10000 */
  readonly timeoutMs?: number;
  /** Pause between attempts, in milliseconds. @default 25 */
  readonly intervalMs?: number;
}

/**
 * Runs `attempt` until it stops throwing (an `expect` inside it passes), and returns its
 * value. At the deadline it throws the last failure, so the report shows what never held.
 *
 * @example await waitFor(async () => expect((await app.get('/health/ready')).status).toBe(503));
 */
export async function waitFor<T>(
  attempt: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 25 }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() >= deadline) {
        if (error instanceof Error) {
          error.message = `Still failing after ${timeoutMs} ms:\n${error.message}`;
        }
        throw error;
      }
      await sleep(intervalMs);
    }
  }
}

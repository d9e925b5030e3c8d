import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `attempt` until it stops throwing, and returns its value; after `timeoutMs` (default
 * 10 000 ms) it throws the last failure, so the report shows what never held.
 */
export async function waitFor<T>(attempt: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(25);
    }
  }
}

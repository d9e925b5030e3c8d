import { setTimeout as sleep } from 'node:timers/promises';

/** A failure that no further attempt can cure (the app exited): {@link waitFor} stops at once. */
export class FinalFailure extends Error {}

/**
 * Runs `attempt` until it stops throwing, and returns its value; after `timeoutMs` (default
 * 10 000 ms) it throws the last failure, so the report shows what never held. A
 * {@link FinalFailure} is thrown at once.
 */
export async function waitFor<T>(attempt: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof FinalFailure || Date.now() >= deadline) throw error;
      await sleep(50);
    }
  }
}

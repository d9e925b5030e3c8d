import { once, type EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits for the outcome of a client's first connection attempt: connected (`ready` settles),
 * failed (`emitter` emits 'error') or still pending after `timeoutMs`. Never rejects: the app
 * boots whether or not the dependency is there, and its health check says which.
 *
 * Called from `onModuleInit`, it lets the first health checks, which run when the app
 * bootstraps, see a connection rather than one still being opened.
 *
 * @param ready - settles when the client is connected.
 * @param emitter - the client, which emits 'error' when an attempt fails.
 * @param timeoutMs - the longest wait, in milliseconds.
 */
export async function firstConnectionAttempt(
  ready: Promise<unknown>,
  emitter: EventEmitter,
  timeoutMs = 3_000,
): Promise<void> {
  const done = new AbortController();
  try {
    await Promise.race([
      ready,
      once(emitter, 'error', { signal: done.signal }),
      sleep(timeoutMs, undefined, { signal: done.signal }),
    ]);
  } catch {
    // Failed: the health check reports it.
  } finally {
    done.abort();
  }
}

/** The retry policy of every channel. */
export const HEALTH_NOTIFICATION_RETRY = {
  /** The first retry waits up to this many milliseconds (full jitter: from 0 to it). */
  baseDelayMs: 1_000,
  /** No backoff step is longer than this many milliseconds. */
  maxDelayMs: 30_000,
  /** A service's `Retry-After` is honoured up to this many milliseconds, then capped. */
  maxRetryAfterMs: 60_000,
} as const;

/**
 * How long to wait before the retry that follows failed attempt `attempt` (1 for the first):
 * the service's `Retry-After` when it gave one (capped at `maxRetryAfterMs`), else exponential
 * backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * `random() × min(maxDelayMs, baseDelayMs × 2^(attempt − 1))`.
 *
 * @param random - a number in [0, 1), `Math.random` by default.
 * @returns milliseconds, an integer ≥ 0.
 * @internal
 */
export function retryDelayMs(
  attempt: number,
  error: { readonly retryAfterMs?: number },
  random: () => number = Math.random,
): number {
  const policy = HEALTH_NOTIFICATION_RETRY;
  if (error.retryAfterMs !== undefined) {
    return Math.min(Math.max(0, Math.ceil(error.retryAfterMs)), policy.maxRetryAfterMs);
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

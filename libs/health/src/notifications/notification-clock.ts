/** An opaque timer handle of a {@link NotificationClock}. @internal */
export type NotificationTimer = unknown;

/**
 * The time source of the notifications pipeline, so that specs can drive it with fake timers.
 * The default reads the globals at each call (which jest's fake timers replace).
 * @internal
 */
export interface NotificationClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` after `delayMs`; the timer never keeps the process alive. */
  setTimeout(callback: () => void, delayMs: number): NotificationTimer;
  /** Cancels a timer of {@link setTimeout}. */
  clearTimeout(timer: NotificationTimer): void;
}

/** The real clock: `Date.now()` and unref'd `setTimeout`. @internal */
export const SYSTEM_NOTIFICATION_CLOCK: NotificationClock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => {
    const timer = setTimeout(callback, delayMs);
    timer.unref?.();
    return timer;
  },
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/**
 * Resolves after `delayMs` on `clock`, or at once when `signal` aborts (it never rejects).
 * @internal
 */
export function sleepOn(
  clock: NotificationClock,
  delayMs: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimeout(done, delayMs);
    signal.addEventListener('abort', done, { once: true });
  });
}

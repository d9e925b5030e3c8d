import { performance } from 'node:perf_hooks';

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as `signal` aborts. The
 * work behind `promise` goes on (its late rejection is handled); use it for calls that cannot be
 * cancelled but must not hold a check past its deadline.
 *
 * @internal
 */
export function abortable<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    Promise.resolve(promise).catch(noop);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(promise).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(toError(error));
      },
    );
  });
}

/**
 * Runs `onAbort` once if `signal` aborts before the returned disposer is called.
 *
 * @returns a function that removes the listener.
 * @internal
 */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  if (signal.aborted) {
    listener();
    return noop;
  }
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

/** The signal's reason as an Error. @internal */
export function abortReason(signal: AbortSignal): Error {
  return toError(signal.reason ?? new Error('aborted'));
}

/**
 * Anything thrown, as something to reject with: objects (errors, also from another realm, with
 * their `code`) as they are, anything else wrapped in an Error that keeps its text.
 *
 * @internal
 */
export function toError(error: unknown): Error {
  return error !== null && typeof error === 'object' ? (error as Error) : new Error(String(error));
}

/** Milliseconds since `started` (a `performance.now()` value), two decimals. @internal */
export function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

/** @internal */
export function noop(): void {}

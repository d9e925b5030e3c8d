import { format } from 'node:util';
import { runInThisContext } from 'node:vm';

/**
 * Unhandled rejections, uncaught exceptions and `console.error` calls seen while a recorder
 * listened.
 */
export interface ProcessErrorRecorder {
  /**
   * What was recorded, in order: `unhandledRejection: <reason>`, `uncaughtException: <error>`
   * or `console.error: <text>`.
   */
  readonly errors: readonly string[];
  /** Stops listening. */
  stop(): void;
}

/**
 * Records every unhandled rejection and uncaught exception of the process until `stop()`, and
 * every `console.error` call. (The app logs through Nest's logger: what reaches `console.error`
 * comes from a library, e.g. ioredis's "Unhandled error event" or BullMQ's fallback for an
 * 'error' event nobody listens to.)
 *
 * Jest gives each test file its own copy of `process`, whose events never fire: the recorder
 * listens on the real one (the `process` of Node's main context), the one Node emits on and Jest
 * itself listens on.
 */
export function recordProcessErrors(): ProcessErrorRecorder {
  const realProcess = runInThisContext('process') as NodeJS.Process;
  if (realProcess.listenerCount('unhandledRejection') === 0) {
    throw new Error('Expected Jest to listen for unhandled rejections on the real process');
  }
  const errors: string[] = [];
  const onRejection = (reason: unknown) =>
    errors.push(`unhandledRejection: ${describeError(reason)}`);
  const onException = (error: unknown) => errors.push(`uncaughtException: ${describeError(error)}`);
  realProcess.on('unhandledRejection', onRejection);
  realProcess.on('uncaughtException', onException);
  const consoleError = jest
    .spyOn(console, 'error')
    .mockImplementation((...args: unknown[]) => errors.push(`console.error: ${format(...args)}`));
  return {
    errors,
    stop() {
      realProcess.off('unhandledRejection', onRejection);
      realProcess.off('uncaughtException', onException);
      consoleError.mockRestore();
    },
  };
}

/** The stack of an error from any realm (Node's own errors are not this sandbox's `Error`). */
function describeError(value: unknown): string {
  const stack = (value as { stack?: unknown } | null)?.stack;
  return typeof stack === 'string' ? stack : String(value);
}

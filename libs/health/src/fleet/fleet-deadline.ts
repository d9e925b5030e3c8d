import { describeError } from './fleet-connection';

/** How a Redis call ended: in time, failed, or past its deadline. @internal */
export type FleetOutcome = { ok: true } | { ok: false; timedOut: boolean; reason: string };

/**
 * The promise's outcome, or a failure once `ms` have passed (the promise itself goes on; the
 * caller decides whether to wait for it). The reason of a failure is sanitized.
 *
 * @internal
 */
export async function withDeadline(promise: Promise<unknown>, ms: number): Promise<FleetOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<FleetOutcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, timedOut: true, reason: `no answer within ${ms} ms` }),
      ms,
    );
  });
  const settled = promise.then(
    (): FleetOutcome => ({ ok: true }),
    (error: unknown): FleetOutcome => ({
      ok: false,
      timedOut: false,
      reason: describeError(error),
    }),
  );
  try {
    return await Promise.race([settled, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

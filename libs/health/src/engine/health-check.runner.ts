import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { HealthCheckResult, HealthStatus } from '../check';
import type { HealthIndicatorDefinition } from '../discovery/health-indicator.definition';
import { isPlainObject } from '../options/option-rules';
import { messageFromError, sanitizeData, sanitizeMessage } from './sanitize';

/**
 * The outcome of one run of a check, as the engine records it.
 */
export interface HealthRunResult {
  readonly status: HealthStatus;
  /** Sanitized: secrets redacted, one line, at most 300 characters. */
  readonly message?: string;
  /** A JSON-safe copy of the check's data, at most `MAX_DATA_BYTES` of JSON (see `sanitizeData`). */
  readonly data?: Readonly<Record<string, unknown>>;
  /** Wall time of the run in milliseconds, two decimals. */
  readonly durationMs: number;
  /** True when the run hit its `timeoutMs`. */
  readonly timedOut: boolean;
  /** When the run ended, in milliseconds since the epoch. */
  readonly finishedAt: number;
}

/**
 * One run in flight: the recorded outcome, available at the deadline at the latest, and the
 * settlement of the check's own promise, which may come later (or never) when the check ignores
 * its abort signal.
 */
export interface HealthRun {
  /** Resolves with the outcome; never rejects; resolves at `timeoutMs` at the latest. */
  readonly result: Promise<HealthRunResult>;
  /** Resolves when the check's own promise settles; never rejects. */
  readonly settled: Promise<void>;
}

/** Message of a run that hit its deadline. */
export function timedOutMessage(timeoutMs: number): string {
  return `timed out after ${timeoutMs} ms`;
}

/**
 * Runs one check with a hard timeout. It does not wait for the check to co-operate: at the
 * deadline it aborts `context.signal` and resolves `down` with "timed out after N ms". It catches
 * synchronous throws, rejections, non-Error throws and invalid return values, each as `down` with
 * a sanitized message, and never lets a late rejection go unhandled.
 *
 * @internal
 */
@Injectable()
export class HealthCheckRunner {
  /**
   * @param definition - the indicator to run.
   * @param stopSignal - aborts the run's signal too (the app is shutting down).
   */
  run(definition: HealthIndicatorDefinition, stopSignal?: AbortSignal): HealthRun {
    const { timeoutMs } = definition;
    const deadline = new AbortController();
    const signal = stopSignal ? AbortSignal.any([deadline.signal, stopSignal]) : deadline.signal;
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 100) / 100;

    let call: Promise<unknown>;
    try {
      call = Promise.resolve(definition.check({ signal, name: definition.name, timeoutMs }));
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- anything thrown is reported, Error or not
      call = Promise.reject(error);
    }
    const settled = call.then(noop, noop);

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<HealthRunResult>((resolve) => {
      timer = setTimeout(() => {
        const message = timedOutMessage(timeoutMs);
        deadline.abort(new DOMException(message, 'TimeoutError'));
        resolve({
          status: 'down',
          message,
          durationMs: elapsed(),
          timedOut: true,
          finishedAt: Date.now(),
        });
      }, timeoutMs);
      timer.unref();
    });
    const completed = call.then(
      (value): HealthRunResult => ({
        ...readSafely(() => normalizeResult(value), 'returned a result that cannot be read'),
        durationMs: elapsed(),
        timedOut: false,
        finishedAt: Date.now(),
      }),
      (error: unknown): HealthRunResult => ({
        ...readSafely(
          () => ({ status: 'down', message: messageFromError(error) }),
          'threw a value that cannot be read',
        ),
        durationMs: elapsed(),
        timedOut: false,
        finishedAt: Date.now(),
      }),
    );
    const result = Promise.race([completed, timedOut]).finally(() => clearTimeout(timer));
    return { result, settled };
  }
}

const STATUSES: ReadonlySet<unknown> = new Set(['up', 'degraded', 'down']);

type Outcome = Pick<HealthRunResult, 'status' | 'message' | 'data'>;

/**
 * Reads what a check returned or threw. A value whose properties throw when read (a getter, a
 * revoked proxy) is `down` too: the run must resolve, or the last status would stick.
 */
function readSafely(read: () => Outcome, fallback: string): Outcome {
  try {
    return read();
  } catch {
    return { status: 'down', message: fallback };
  }
}

/**
 * Checks what a check returned: an object with `status` up / degraded / down, an optional
 * string `message` and an optional plain-object `data`. Anything else is `down` with "returned
 * an invalid result". The message is sanitized ({@link sanitizeMessage}) and the data copied to
 * bounded, JSON-safe values ({@link sanitizeData}).
 *
 * @internal
 */
export function normalizeResult(
  value: unknown,
): Pick<HealthRunResult, 'status' | 'message' | 'data'> {
  const record = value as Partial<HealthCheckResult> | null | undefined;
  const valid =
    record !== null &&
    typeof record === 'object' &&
    STATUSES.has(record.status) &&
    (record.message === undefined || typeof record.message === 'string') &&
    (record.data === undefined || isPlainObject(record.data));
  if (!valid) {
    return {
      status: 'down',
      message: `returned an invalid result (${describeInvalid(value)}); return up(), degraded(message) or down(message)`,
    };
  }
  const out: { status: HealthStatus; message?: string; data?: Readonly<Record<string, unknown>> } =
    {
      status: record.status as HealthStatus,
    };
  if (record.message !== undefined && record.message !== '')
    out.message = sanitizeMessage(record.message);
  if (record.data !== undefined) out.data = sanitizeData(record.data);
  return out;
}

function describeInvalid(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object') return typeof value;
  const status = (value as { status?: unknown }).status;
  if (!STATUSES.has(status)) {
    return typeof status === 'string'
      ? `status "${sanitizeMessage(status).slice(0, 40)}"`
      : 'no status';
  }
  if ((value as { message?: unknown }).message !== undefined) {
    if (typeof (value as { message?: unknown }).message !== 'string')
      return 'message is not a string';
  }
  return 'data is not a plain object';
}

function noop(): void {}

import { type HealthCheckContext, type HealthCheckResult, type HealthStatus } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import { worst } from '../../engine/aggregation';
import { isPlainObject } from '../../options/option-rules';
import {
  abortable,
  BuiltInHealthIndicator,
  Findings,
  prepareOptions,
  requireArgument,
  kindOf,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
} from '../core';

/**
 * What a `@nestjs/terminus` indicator returns, by shape: one entry per key, each with a
 * `status` (`'up'`, `'down'`, and `'degraded'` since Terminus 12) and details.
 *
 * @example `{ database: { status: 'down', message: 'timeout of 1000ms exceeded' } }`
 */
export type TerminusIndicatorResult = Record<
  string,
  { readonly status: string; readonly [detail: string]: unknown }
>;

/**
 * A call of a Terminus indicator, e.g. `() => this.db.pingCheck('database')`. It may return
 * the result, a promise of it, or a thenable (Terminus 12's `HealthCheckAttempt`), and it may
 * throw Terminus's `HealthCheckError` (Terminus 9–10), whose `causes` is the result.
 */
export type TerminusIndicatorFunction = () =>
  TerminusIndicatorResult | PromiseLike<TerminusIndicatorResult>;

/**
 * Options of {@link terminusIndicator}: the usual indicator options (default name
 * `'terminus'`, default groups `['readiness']`).
 */
export type TerminusIndicatorOptions = BuiltInIndicatorOptions;

const STATUSES: ReadonlySet<string> = new Set(['up', 'degraded', 'down']);

function isTerminusResult(value: unknown): value is TerminusIndicatorResult {
  return (
    isPlainObject(value) &&
    Object.keys(value).length > 0 &&
    Object.values(value).every((entry) => isPlainObject(entry) && typeof entry.status === 'string')
  );
}

/** @internal */
export class TerminusHealthIndicator extends BuiltInHealthIndicator {
  constructor(
    options: BuiltInIndicator['options'],
    private readonly call: TerminusIndicatorFunction,
  ) {
    super('terminus', options);
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    signal.throwIfAborted();
    let result: unknown;
    try {
      result = await abortable(new Promise<unknown>((resolve) => resolve(this.call())), signal);
    } catch (error) {
      // Terminus 9-10 indicators throw HealthCheckError with the result as `causes`.
      const causes = (error as { causes?: unknown } | null)?.causes;
      if (signal.aborted || !isTerminusResult(causes)) throw error;
      result = causes;
    }
    if (!isTerminusResult(result)) {
      throw new Error('the Terminus indicator returned no { key: { status } } result');
    }
    return toHealthResult(result);
  }
}

/**
 * Maps a Terminus result to ours: the worst status of its entries (`up` < `degraded` <
 * `down`; an unknown status is `down`); the message names each entry that is not up, with its
 * `message` detail if any; the data is the entry's details without `status` and `message` (for
 * one entry), or each entry's by key (for several).
 *
 * @internal
 */
export function toHealthResult(result: TerminusIndicatorResult): HealthCheckResult {
  const entries = Object.entries(result);
  const findings = new Findings();
  const details: Record<string, Record<string, unknown>> = {};
  let status: HealthStatus = 'up';
  for (const [key, entry] of entries) {
    const { status: raw, message, ...rest } = entry;
    const entryStatus: HealthStatus = STATUSES.has(raw) ? (raw as HealthStatus) : 'down';
    status = worst(status, entryStatus);
    details[key] = rest;
    if (entryStatus === 'up') continue;
    const reason =
      typeof message === 'string' && message
        ? `${key}: ${message}`
        : `${key} is ${STATUSES.has(raw) ? raw : `"${raw}"`}`;
    if (entryStatus === 'down') findings.down(reason);
    else findings.degraded(reason);
  }
  const data = entries.length === 1 ? details[entries[0][0]] : details;
  return findings.result(data);
}

/**
 * Adapts a `@nestjs/terminus` indicator, so that checks written for Terminus run in this engine
 * unchanged while you migrate: its up / degraded / down becomes ours, its details become data
 * (as Terminus names them, e.g. `responseTime`), and the message says which key is down and why.
 *
 * The call is made on every run of the check; Terminus's own timeout options still apply
 * inside it, and the engine's `timeoutMs` bounds the whole. Terminus is not imported by this
 * library: any function that returns `{ key: { status } }` works.
 *
 * @param call - see {@link TerminusIndicatorFunction}.
 * @param options - see {@link TerminusIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when `call` is not a function or an option is
 *   invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { TerminusModule, TypeOrmHealthIndicator } from '@nestjs/terminus';
 * import { HealthModule, terminusIndicator } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRootAsync({
 *       imports: [TerminusModule],
 *       inject: [TypeOrmHealthIndicator],
 *       useFactory: (db: TypeOrmHealthIndicator) => ({
 *         indicators: [terminusIndicator(() => db.pingCheck('database'), { name: 'database' })],
 *       }),
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function terminusIndicator(
  call: TerminusIndicatorFunction,
  options?: TerminusIndicatorOptions,
): BuiltInIndicator {
  requireArgument(
    'terminusIndicator()',
    'call',
    kindOf(call),
    typeof call === 'function',
    'must be a function that calls a Terminus indicator, e.g. () => db.pingCheck("database")',
  );
  const { registration } = prepareOptions(
    'terminusIndicator()',
    HealthIndicatorOptionsSchema,
    options,
    { name: 'terminus' },
  );
  return new TerminusHealthIndicator(registration, call);
}

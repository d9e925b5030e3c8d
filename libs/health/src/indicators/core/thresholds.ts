import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { degraded, down, up, type HealthCheckResult } from '../../check';
import { isPlainObject } from '../../options/option-rules';
import { numberFromString } from '../../options/option-strings';

/**
 * Warning and failure levels for a quantity that is worse when high (a response time, a
 * backlog, a used percentage). The option's key names the data key it applies to and carries
 * its unit (`responseTimeMs`, `usedPercent`, `waiting`); the levels are in that unit.
 *
 * Omit a level to leave it out; `{}` turns a default pair off. A value equal to a level does not
 * cross it.
 *
 * @example `{ responseTimeMs: { degradedAbove: 250, downAbove: 2_000 } }`
 */
export interface UpperThreshold {
  /** Above this the indicator is `degraded`. A number ≥ 0. */
  readonly degradedAbove?: number;
  /** Above this the indicator is `down`. A number ≥ 0, and ≥ `degradedAbove` when both are set. */
  readonly downAbove?: number;
}

/**
 * Warning and failure levels for a quantity that is worse when low (free bytes, consumers).
 *
 * @example `{ freeBytes: { degradedBelow: 5 * 2 ** 30, downBelow: 2 ** 30 } }`
 */
export interface LowerThreshold {
  /** Below this the indicator is `degraded`. A number ≥ 0. */
  readonly degradedBelow?: number;
  /** Below this the indicator is `down`. A number ≥ 0, and ≤ `degradedBelow` when both are set. */
  readonly downBelow?: number;
}

function validLevel(value: unknown, max: number | undefined): boolean {
  return (
    value === undefined ||
    (typeof value === 'number' &&
      Number.isFinite(value) &&
      value >= 0 &&
      (max === undefined || value <= max))
  );
}

function validPair(value: unknown, warn: string, fail: string, max: number | undefined): boolean {
  if (!isPlainObject(value)) return false;
  if (Object.keys(value).some((key) => key !== warn && key !== fail)) return false;
  const w = value[warn];
  const f = value[fail];
  if (!validLevel(w, max) || !validLevel(f, max)) return false;
  if (typeof w === 'number' && typeof f === 'number') {
    return warn === 'degradedAbove' ? f >= w : f <= w;
  }
  return true;
}

/** A pair whose levels are plain decimal strings (from configuration) gets numbers. */
function pairFromStrings(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, level]) => [key, numberFromString(level)]),
  );
}

/** The conversion of level strings, then the pair's rule. */
function thresholdOption(rule: PropertyDecorator): PropertyDecorator {
  const convert = Transform(({ value }: { value: unknown }) => pairFromStrings(value), {
    toClassOnly: true,
  });
  return (target, key) => {
    convert(target, key);
    rule(target, key);
  };
}

function range(max: number | undefined): string {
  return max === undefined ? 'numbers ≥ 0' : `numbers from 0 to ${max}`;
}

/**
 * An {@link UpperThreshold} option: `{ degradedAbove?, downAbove? }` of numbers ≥ 0 (at most
 * `max`), with `downAbove ≥ degradedAbove`. Levels given as plain decimal strings (`"250"`, from
 * configuration) are converted, as for every numeric option.
 *
 * @internal
 */
export function IsUpperThreshold(max?: number): PropertyDecorator {
  return thresholdOption(
    ValidateBy({
      name: 'isUpperThreshold',
      validator: {
        validate: (value: unknown) => validPair(value, 'degradedAbove', 'downAbove', max),
        defaultMessage: () =>
          `must be { degradedAbove?, downAbove? } of ${range(max)}, with downAbove ≥ degradedAbove`,
      },
    }),
  );
}

/**
 * A {@link LowerThreshold} option: `{ degradedBelow?, downBelow? }` of numbers ≥ 0 (at most
 * `max`), with `downBelow ≤ degradedBelow`. Levels given as plain decimal strings are converted.
 *
 * @internal
 */
export function IsLowerThreshold(max?: number): PropertyDecorator {
  return thresholdOption(
    ValidateBy({
      name: 'isLowerThreshold',
      validator: {
        validate: (value: unknown) => validPair(value, 'degradedBelow', 'downBelow', max),
        defaultMessage: () =>
          `must be { degradedBelow?, downBelow? } of ${range(max)}, with downBelow ≤ degradedBelow`,
      },
    }),
  );
}

/** Rounds to two decimals, for data and messages. @internal */
export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * Collects what a check found (levels crossed, conditions such as "no worker") and turns it into
 * one result: `down` if anything is down, else `degraded` if anything is, else `up`; the message
 * lists the down reasons first, joined by "; ".
 *
 * @internal
 */
export class Findings {
  private readonly downs: string[] = [];
  private readonly warnings: string[] = [];

  /** Records a reason for `down`. */
  down(reason: string): this {
    this.downs.push(reason);
    return this;
  }

  /** Records a reason for `degraded`. */
  degraded(reason: string): this {
    this.warnings.push(reason);
    return this;
  }

  /** Compares a value with an upper threshold; `null` / `undefined` values are skipped. */
  above(key: string, value: number | null | undefined, threshold?: UpperThreshold): this {
    if (value === null || value === undefined || !threshold) return this;
    if (threshold.downAbove !== undefined && value > threshold.downAbove) {
      this.down(`${key} ${round2(value)} is above ${threshold.downAbove}`);
    } else if (threshold.degradedAbove !== undefined && value > threshold.degradedAbove) {
      this.degraded(`${key} ${round2(value)} is above ${threshold.degradedAbove}`);
    }
    return this;
  }

  /** Compares a value with a lower threshold; `null` / `undefined` values are skipped. */
  below(key: string, value: number | null | undefined, threshold?: LowerThreshold): this {
    if (value === null || value === undefined || !threshold) return this;
    if (threshold.downBelow !== undefined && value < threshold.downBelow) {
      this.down(`${key} ${round2(value)} is below ${threshold.downBelow}`);
    } else if (threshold.degradedBelow !== undefined && value < threshold.degradedBelow) {
      this.degraded(`${key} ${round2(value)} is below ${threshold.degradedBelow}`);
    }
    return this;
  }

  /** The result, with `data` attached whatever the status. */
  result(data: Readonly<Record<string, unknown>>): HealthCheckResult {
    const message = [...this.downs, ...this.warnings].join('; ');
    if (this.downs.length > 0) return down(message, data);
    if (this.warnings.length > 0) return degraded(message, data);
    return up(data);
  }
}

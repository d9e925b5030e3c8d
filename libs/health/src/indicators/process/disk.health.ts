import { IsOptional, IsString, MinLength } from 'class-validator';
import { statfs } from 'node:fs/promises';
import type { HealthCheckContext, HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import {
  abortable,
  BuiltInHealthIndicator,
  Findings,
  IsLowerThreshold,
  IsUpperThreshold,
  prepareOptions,
  round2,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type LowerThreshold,
  type UpperThreshold,
} from '../core';
import { CgroupLocator } from './cgroup/cgroup-locator';
import { readPressure } from './cgroup/pressure';

/**
 * Default levels of `usedPercent` on the checked file system.
 *
 * - `degradedAbove: 90` — time to look: logs, caches and uploads fill the rest fast.
 * - `downAbove: 98` — writes are about to fail with ENOSPC (the percentage counts the space an
 *   unprivileged process can use, as `df` does, so 100 % is where they fail).
 */
export const DISK_DEFAULT_USED_PERCENT: UpperThreshold = Object.freeze({
  degradedAbove: 90,
  downAbove: 98,
});

/**
 * Options of {@link diskIndicator}: the usual indicator options (default name `'disk'`, default
 * groups `['readiness']`), the path and levels. Giving a level object replaces its default pair;
 * `{}` turns it off.
 */
export interface DiskIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * Any path on the file system to check (a directory the app writes to).
   * @default '/'
   */
  path?: string;
  /**
   * Levels for the used space, 0–100.
   * @default { degradedAbove: 90, downAbove: 98 } (see {@link DISK_DEFAULT_USED_PERCENT})
   */
  usedPercent?: UpperThreshold;
  /**
   * Levels for the free space an unprivileged process can use, in bytes (worse when low).
   * @default none
   */
  freeBytes?: LowerThreshold;
  /**
   * Levels for I/O pressure, `some` `avg10`: the share of the last 10 seconds in which some task
   * waited for I/O, 0–100 (the cgroup's own on cgroup v2, else the system's; not the path's file
   * system alone). Only where the kernel reports pressure.
   * @default none
   */
  pressureSomeAvg10Percent?: UpperThreshold;
}

class DiskIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @IsString({ message: 'must be a non-empty path' })
  @MinLength(1, { message: 'must be a non-empty path' })
  path?: string;

  @IsOptional()
  @IsUpperThreshold(100)
  usedPercent?: UpperThreshold;

  @IsOptional()
  @IsLowerThreshold()
  freeBytes?: LowerThreshold;

  @IsOptional()
  @IsUpperThreshold(100)
  pressureSomeAvg10Percent?: UpperThreshold;
}

/** @internal */
export class DiskHealthIndicator extends BuiltInHealthIndicator {
  private readonly locator: CgroupLocator;

  /**
   * @param root - the directory holding `proc/` and `sys/` (for I/O pressure); another path only
   *   in tests.
   */
  constructor(
    options: BuiltInIndicator['options'],
    private readonly path: string,
    private readonly levels: {
      usedPercent?: UpperThreshold;
      freeBytes?: LowerThreshold;
      pressureSomeAvg10Percent?: UpperThreshold;
    },
    root = '/',
  ) {
    super('disk', options);
    this.locator = new CgroupLocator(root);
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    const [stats, pressure] = await abortable(
      Promise.all([
        statfs(this.path, { bigint: true }),
        this.locator.location().then((location) => readPressure(location, 'io', this.locator.root)),
      ]),
      signal,
    );
    const blockBytes = stats.bsize;
    const totalBytes = Number(stats.blocks * blockBytes);
    const freeBytes = Number(stats.bavail * blockBytes);
    const usedBytes = Number((stats.blocks - stats.bfree) * blockBytes);
    // As df computes "Use%": used against what unprivileged processes can reach (the blocks
    // reserved for root do not count as available).
    const usable = usedBytes + freeBytes;
    const data = {
      path: this.path,
      totalBytes,
      freeBytes,
      usedBytes,
      usedPercent: usable > 0 ? round2((usedBytes / usable) * 100) : 0,
      pressure,
    };
    return new Findings()
      .above('usedPercent', data.usedPercent, this.levels.usedPercent)
      .below('freeBytes', data.freeBytes, this.levels.freeBytes)
      .above(
        'pressureSomeAvg10Percent',
        pressure.supported ? pressure.some.avg10 : null,
        this.levels.pressureSomeAvg10Percent,
      )
      .result(data);
  }
}

/**
 * Watches the free space of the file system that holds a path (`fs.promises.statfs`), and I/O
 * pressure (the cgroup's own `io.pressure` on cgroup v2, else `/proc/pressure/io`).
 *
 * Data: `path`, `totalBytes`, `freeBytes` (available to unprivileged processes), `usedBytes`,
 * `usedPercent` (0–100, as `df` reports it); `pressure`: I/O pressure stall averages, or
 * `{ supported: false }` where the kernel has none (see {@link PressureData}). A path that does
 * not exist is `down`.
 *
 * @param options - see {@link DiskIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when an option is invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, diskIndicator } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       indicators: [
 *         diskIndicator({
 *           path: '/var/lib/app',
 *           freeBytes: { degradedBelow: 5 * 2 ** 30, downBelow: 2 ** 30 },
 *         }),
 *       ],
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function diskIndicator(options?: DiskIndicatorOptions): BuiltInIndicator {
  const { registration, own } = prepareOptions(
    'diskIndicator()',
    DiskIndicatorOptionsSchema,
    options,
    { name: 'disk' },
  );
  return new DiskHealthIndicator(registration, own.path ?? '/', {
    usedPercent: own.usedPercent ?? DISK_DEFAULT_USED_PERCENT,
    freeBytes: own.freeBytes,
    pressureSomeAvg10Percent: own.pressureSomeAvg10Percent,
  });
}

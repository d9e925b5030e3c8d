import { IsOptional } from 'class-validator';
import { readdir, readFile } from 'node:fs/promises';
import { up, type HealthCheckContext, type HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import {
  abortable,
  BuiltInHealthIndicator,
  Findings,
  IsUpperThreshold,
  prepareOptions,
  round2,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';

/**
 * Default levels of `usedPercent`, open descriptors against the soft limit (`ulimit -n`).
 *
 * - `degradedAbove: 80` — usually a leak (sockets or files never closed) on its way up.
 * - `downAbove: 95` — at 100 % every `accept`, `connect` and `open` fails with EMFILE; the
 *   last 5 % is the margin the process needs to keep serving what it has.
 */
export const FILE_DESCRIPTORS_DEFAULT_USED_PERCENT: UpperThreshold = Object.freeze({
  degradedAbove: 80,
  downAbove: 95,
});

/**
 * Options of {@link fileDescriptorsIndicator}: the usual indicator options (default name
 * `'file-descriptors'`, default groups `['readiness']`) and levels. Giving a level object
 * replaces its default pair; `{}` turns it off.
 */
export interface FileDescriptorsIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * Levels for open descriptors as a percentage of the soft limit, 0–100.
   * @default { degradedAbove: 80, downAbove: 95 } (see {@link FILE_DESCRIPTORS_DEFAULT_USED_PERCENT})
   */
  usedPercent?: UpperThreshold;
  /**
   * Levels for the number of open descriptors.
   * @default none
   */
  open?: UpperThreshold;
}

class FileDescriptorsIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @IsUpperThreshold(100)
  usedPercent?: UpperThreshold;

  @IsOptional()
  @IsUpperThreshold()
  open?: UpperThreshold;
}

/** @internal */
export class FileDescriptorsHealthIndicator extends BuiltInHealthIndicator {
  /**
   * @param procSelf - the process's `/proc` directory; another path only in tests.
   */
  constructor(
    options: BuiltInIndicator['options'],
    private readonly levels: { usedPercent?: UpperThreshold; open?: UpperThreshold },
    private readonly procSelf = '/proc/self',
  ) {
    super('file-descriptors', options);
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    let entries: string[];
    let limits: string;
    try {
      [entries, limits] = await abortable(
        Promise.all([
          readdir(`${this.procSelf}/fd`),
          readFile(`${this.procSelf}/limits`, { encoding: 'utf8', signal }),
        ]),
        signal,
      );
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') {
        // Not Linux (or no procfs): report that, rather than failing a healthy process.
        return up({ supported: false, platform: process.platform });
      }
      throw error;
    }
    // readdir holds one descriptor on the directory while it lists it: it is in the list.
    const open = Math.max(0, entries.length - 1);
    const match = /^Max open files\s+(\S+)/m.exec(limits);
    const softLimit = match && /^\d+$/.test(match[1]) ? Number(match[1]) : null;
    const data = {
      supported: true,
      open,
      softLimit,
      usedPercent: softLimit ? round2((open / softLimit) * 100) : null,
    };
    return new Findings()
      .above('usedPercent', data.usedPercent, this.levels.usedPercent)
      .above('open', data.open, this.levels.open)
      .result(data);
  }
}

/**
 * Watches open file descriptors (sockets, files, pipes) against the soft limit, on Linux from
 * `/proc/self/fd` and `/proc/self/limits`. Elsewhere it reports `up` with
 * `{ supported: false, platform }` rather than failing.
 *
 * Data: `supported`, `open`, `softLimit` (`null` when unlimited), `usedPercent` (0–100, `null`
 * when unlimited).
 *
 * @param options - see {@link FileDescriptorsIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when an option is invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, fileDescriptorsIndicator } from 'nest-health';
 *
 * @Module({
 *   imports: [HealthModule.forRoot({ indicators: [fileDescriptorsIndicator()] })],
 * })
 * export class AppModule {}
 * ```
 */
export function fileDescriptorsIndicator(
  options?: FileDescriptorsIndicatorOptions,
): BuiltInIndicator {
  const { registration, own } = prepareOptions(
    'fileDescriptorsIndicator()',
    FileDescriptorsIndicatorOptionsSchema,
    options,
    { name: 'file-descriptors' },
  );
  return new FileDescriptorsHealthIndicator(registration, {
    usedPercent: own.usedPercent ?? FILE_DESCRIPTORS_DEFAULT_USED_PERCENT,
    open: own.open,
  });
}

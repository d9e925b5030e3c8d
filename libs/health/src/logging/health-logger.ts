import { Inject, Injectable, Logger, type LoggerService } from '@nestjs/common';
import { HEALTH_RESOLVED_OPTIONS } from '../health.constants';
import type { ResolvedHealthModuleOptions } from '../health-module-options';

/** The context of every line the module logs. */
export const HEALTH_LOG_CONTEXT = 'HealthModule';

/**
 * The module's one way to log, following the `logger` option: Nest's `Logger` with the context
 * `HealthModule` (`true`), nothing (`false`), or the given `LoggerService`.
 *
 * @internal
 */
@Injectable()
export class HealthLogger {
  private readonly nest?: Logger;
  private readonly custom?: LoggerService;

  constructor(@Inject(HEALTH_RESOLVED_OPTIONS) options: ResolvedHealthModuleOptions) {
    const logger = options.logger ?? true;
    if (logger === true) this.nest = new Logger(HEALTH_LOG_CONTEXT);
    else if (logger !== false) this.custom = logger;
  }

  /** Whether anything is logged at all (`logger` is not `false`). */
  get enabled(): boolean {
    return this.nest !== undefined || this.custom !== undefined;
  }

  /** Logs an informational line (a recovery, a shutdown step). */
  log(message: string): void {
    if (this.nest) this.nest.log(message);
    else this.custom?.log(message, HEALTH_LOG_CONTEXT);
  }

  /** Logs a warning (a transition for the worse, a reminder, a slow check). */
  warn(message: string): void {
    if (this.nest) this.nest.warn(message);
    else this.custom?.warn(message, HEALTH_LOG_CONTEXT);
  }

  /** Logs an error (a hook that failed, a result that could not be recorded). */
  error(message: string): void {
    if (this.nest) this.nest.error(message);
    else this.custom?.error(message, HEALTH_LOG_CONTEXT);
  }
}

const LOGGERS = new WeakMap<ResolvedHealthModuleOptions, HealthLogger>();

/**
 * The {@link HealthLogger} of a module instance, for classes that hold its resolved options
 * (one per options object).
 *
 * @internal
 */
export function healthLoggerFor(options: ResolvedHealthModuleOptions): HealthLogger {
  let logger = LOGGERS.get(options);
  if (!logger) LOGGERS.set(options, (logger = new HealthLogger(options)));
  return logger;
}

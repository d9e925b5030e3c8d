import type { Logger } from '@nestjs/common';

/**
 * Logs a connection's outage once when it begins and once when it ends. Drivers emit an `error`
 * on every failed reconnection attempt; logging each would flood the logs while a dependency is
 * down.
 */
export class OutageLog {
  private lastError: string | undefined;

  /**
   * @param logger - where to log.
   * @param subject - what the connection reaches, e.g. `"Redis"`.
   */
  constructor(
    private readonly logger: Logger,
    private readonly subject: string,
  ) {}

  /** The message of the error that began the current outage, if one is under way. */
  get error(): string | undefined {
    return this.lastError;
  }

  /** Records an error: logs a warning if it begins an outage. */
  failed(error: unknown): void {
    if (this.lastError !== undefined) return;
    this.lastError = messageOf(error);
    this.logger.warn(`${this.subject} unavailable: ${this.lastError}`);
  }

  /** Records a working connection: logs if it ends an outage. */
  recovered(): void {
    if (this.lastError === undefined) return;
    this.lastError = undefined;
    this.logger.log(`${this.subject} available again`);
  }
}

/** A short message for anything a driver emits or throws. */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  if (error instanceof Error) {
    return error.message || (error as NodeJS.ErrnoException).code || error.name;
  }
  return String(error);
}

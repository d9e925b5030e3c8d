import { ConsoleLogger, type LoggerService } from '@nestjs/common';

/** One line the app logged. */
export interface LoggedLine {
  readonly level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  readonly context: string | undefined;
  readonly message: string;
}

/**
 * A Nest logger that keeps what the app logs, so that specs can assert on it. Set `E2E_LOGS=1`
 * to print the lines as well.
 */
export class CapturingLogger implements LoggerService {
  readonly lines: LoggedLine[] = [];
  private readonly console = process.env.E2E_LOGS ? new ConsoleLogger() : undefined;

  log(message: unknown, context?: string): void {
    this.keep('log', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    this.keep('error', message, context ?? stackOrContext);
  }
  warn(message: unknown, context?: string): void {
    this.keep('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.keep('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.keep('verbose', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.keep('fatal', message, context);
  }

  /** The lines logged at `level` by the class or context `context`. */
  linesOf(level: LoggedLine['level'], context: string): string[] {
    return this.lines
      .filter((line) => line.level === level && line.context === context)
      .map((line) => line.message);
  }

  private keep(level: LoggedLine['level'], message: unknown, context: string | undefined): void {
    this.lines.push({ level, context, message: String(message) });
    this.console?.[level](message, context);
  }
}

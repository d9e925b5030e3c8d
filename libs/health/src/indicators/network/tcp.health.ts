import { IsOptional } from 'class-validator';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { HealthCheckContext, HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import {
  abortReason,
  BuiltInHealthIndicator,
  elapsedMs,
  Findings,
  IsUpperThreshold,
  onAbort,
  prepareOptions,
  requireArgument,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';

/**
 * Options of {@link tcpIndicator}: the usual indicator options (default name `'tcp'`, default
 * groups `['readiness']`) and levels.
 */
export interface TcpIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * Levels for the time to connect (name lookup included), in milliseconds.
   * @default none (the indicator's `timeoutMs` bounds it)
   */
  responseTimeMs?: UpperThreshold;
}

class TcpIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @IsUpperThreshold()
  responseTimeMs?: UpperThreshold;
}

/** @internal */
export class TcpHealthIndicator extends BuiltInHealthIndicator {
  constructor(
    options: BuiltInIndicator['options'],
    private readonly host: string,
    private readonly port: number,
    private readonly levels: { responseTimeMs?: UpperThreshold },
  ) {
    super('tcp', options);
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    signal.throwIfAborted();
    const started = performance.now();
    const remoteAddress = await new Promise<string | null>((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port });
      const stopListening = onAbort(signal, () => {
        socket.destroy();
        reject(abortReason(signal));
      });
      socket.once('connect', () => {
        stopListening();
        const address = socket.remoteAddress ?? null;
        socket.destroy();
        resolve(address);
      });
      socket.once('error', (error) => {
        stopListening();
        socket.destroy();
        reject(error);
      });
    });
    const data = { responseTimeMs: elapsedMs(started), remoteAddress };
    return new Findings()
      .above('responseTimeMs', data.responseTimeMs, this.levels.responseTimeMs)
      .result(data);
  }
}

/**
 * Checks that a TCP port accepts connections: connects, then closes at once. When the run's
 * signal aborts (the indicator's `timeoutMs`), the socket is destroyed.
 *
 * Data: `responseTimeMs` (time to connect), `remoteAddress` (the address connected to).
 *
 * @param host - a host name or an IP address.
 * @param port - an integer from 1 to 65535.
 * @param options - see {@link TcpIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when the host, the port or an option is invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, tcpIndicator } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       indicators: [tcpIndicator('smtp.internal', 25, { name: 'smtp', critical: false })],
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function tcpIndicator(
  host: string,
  port: number,
  options?: TcpIndicatorOptions,
): BuiltInIndicator {
  requireArgument(
    'tcpIndicator()',
    'host',
    host,
    typeof host === 'string' && host.length > 0,
    'must be a non-empty host name or IP address',
  );
  requireArgument(
    'tcpIndicator()',
    'port',
    port,
    Number.isInteger(port) && port >= 1 && port <= 65_535,
    'must be an integer from 1 to 65535',
  );
  const { registration, own } = prepareOptions(
    'tcpIndicator()',
    TcpIndicatorOptionsSchema,
    options,
    {
      name: 'tcp',
    },
  );
  return new TcpHealthIndicator(registration, host, port, own);
}

import { ArrayNotEmpty, IsArray, IsIn, IsIP, IsOptional, IsString } from 'class-validator';
import { lookup, Resolver } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import type { HealthCheckContext, HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import {
  abortable,
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
 * Options of {@link dnsIndicator}: the usual indicator options (default name `'dns'`, default
 * groups `['readiness']`) and its own.
 */
export interface DnsIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * How to resolve the name.
   *
   * - `'system'`: `dns.lookup`, the operating system's resolver (`/etc/hosts`, then DNS, as
   *   `net.connect` and `fetch` resolve names). It cannot be cancelled: on timeout the run ends,
   *   the lookup finishes in libuv's thread pool.
   * - `'dns'`: DNS queries (A and AAAA) with `dns.Resolver`, to the system's DNS servers or
   *   `servers`; cancelled when the run's signal aborts.
   * @default 'system'
   */
  resolver?: 'system' | 'dns';
  /**
   * With `resolver: 'dns'`: the DNS servers to ask (`'10.0.0.2'`, `'[::1]:5353'`).
   * @default the system's
   */
  servers?: string[];
  /**
   * Addresses the name must resolve to (each of them, among possibly more); a missing one is
   * `down`.
   * @default none
   */
  expectedAddresses?: string[];
  /**
   * Levels for the resolution time, in milliseconds.
   * @default none (the indicator's `timeoutMs` bounds it)
   */
  responseTimeMs?: UpperThreshold;
}

class DnsIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @IsIn(['system', 'dns'], { message: 'must be "system" or "dns"' })
  resolver?: 'system' | 'dns';

  @IsOptional()
  @IsArray({ message: 'must be a non-empty array of DNS server addresses' })
  @ArrayNotEmpty({ message: 'must be a non-empty array of DNS server addresses' })
  @IsString({ each: true, message: 'must be a non-empty array of DNS server addresses' })
  servers?: string[];

  @IsOptional()
  @IsArray({ message: 'must be an array of IP addresses' })
  @IsIP(undefined, { each: true, message: 'must be an array of IP addresses' })
  expectedAddresses?: string[];

  @IsOptional()
  @IsUpperThreshold()
  responseTimeMs?: UpperThreshold;
}

/** @internal */
export class DnsHealthIndicator extends BuiltInHealthIndicator {
  constructor(
    options: BuiltInIndicator['options'],
    private readonly hostname: string,
    private readonly settings: Omit<DnsIndicatorOptions, keyof BuiltInIndicatorOptions>,
  ) {
    super('dns', options);
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    signal.throwIfAborted();
    const started = performance.now();
    const addresses =
      this.settings.resolver === 'dns' ? await this.query(signal) : await this.lookup(signal);
    const data = { addresses, responseTimeMs: elapsedMs(started) };
    const findings = new Findings();
    const missing = (this.settings.expectedAddresses ?? []).filter((a) => !addresses.includes(a));
    if (missing.length > 0) {
      findings.down(
        `${this.hostname} does not resolve to ${missing.join(', ')} (got ${addresses.join(', ') || 'nothing'})`,
      );
    }
    return findings
      .above('responseTimeMs', data.responseTimeMs, this.settings.responseTimeMs)
      .result(data);
  }

  private async lookup(signal: AbortSignal): Promise<string[]> {
    const found = await abortable(lookup(this.hostname, { all: true, verbatim: true }), signal);
    return [...new Set(found.map((entry) => entry.address))];
  }

  private async query(signal: AbortSignal): Promise<string[]> {
    const resolver = new Resolver({ tries: 1 });
    if (this.settings.servers) resolver.setServers(this.settings.servers);
    const stopListening = onAbort(signal, () => resolver.cancel());
    try {
      const [v4, v6] = await Promise.allSettled([
        resolver.resolve4(this.hostname),
        resolver.resolve6(this.hostname),
      ]);
      signal.throwIfAborted();
      if (v4.status === 'rejected' && v6.status === 'rejected') {
        // "no such name" from A rather than "no data" from AAAA
        throw v4.reason;
      }
      return [
        ...(v4.status === 'fulfilled' ? v4.value : []),
        ...(v6.status === 'fulfilled' ? v6.value : []),
      ];
    } finally {
      stopListening();
    }
  }
}

/**
 * Checks that a name resolves, and optionally to which addresses. A name that does not exist
 * (ENOTFOUND) is `down`.
 *
 * Data: `addresses` (every address found), `responseTimeMs`.
 *
 * @param hostname - the name to resolve, e.g. `'db.internal'`.
 * @param options - see {@link DnsIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when the name or an option is invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, dnsIndicator } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       indicators: [
 *         dnsIndicator('db.internal', { resolver: 'dns', expectedAddresses: ['10.0.0.12'] }),
 *       ],
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function dnsIndicator(hostname: string, options?: DnsIndicatorOptions): BuiltInIndicator {
  requireArgument(
    'dnsIndicator()',
    'hostname',
    hostname,
    typeof hostname === 'string' && hostname.length > 0 && hostname.length <= 253,
    'must be a host name of 1 to 253 characters',
  );
  const { registration, own } = prepareOptions(
    'dnsIndicator()',
    DnsIndicatorOptionsSchema,
    options,
    {
      name: 'dns',
    },
  );
  if (own.servers) {
    requireArgument(
      'dnsIndicator()',
      'servers',
      own.servers,
      own.resolver === 'dns',
      'is only used with resolver: "dns"',
    );
    let valid = true;
    try {
      new Resolver().setServers(own.servers);
    } catch {
      valid = false;
    }
    requireArgument(
      'dnsIndicator()',
      'servers',
      own.servers,
      valid,
      'must be IP addresses, optionally with a port ("10.0.0.2", "10.0.0.2:53", "[::1]:53")',
    );
  }
  return new DnsHealthIndicator(registration, hostname, own);
}

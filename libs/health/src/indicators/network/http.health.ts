import { IsIn, IsOptional, ValidateBy } from 'class-validator';
import type { HealthCheckContext, HealthCheckResult } from '../../check';
import { HealthIndicatorOptionsSchema } from '../../decorators/health-indicator.options';
import { performance } from 'node:perf_hooks';
import { messageFromError, redactSecrets } from '../../engine/sanitize';
import { isPlainObject } from '../../options/option-rules';
import {
  BuiltInHealthIndicator,
  elapsedMs,
  Findings,
  IsUpperThreshold,
  prepareOptions,
  requireArgument,
  type BuiltInIndicator,
  type BuiltInIndicatorOptions,
  type UpperThreshold,
} from '../core';

/**
 * An expected HTTP status: a code (`204`), a class (`'2xx'`) or an inclusive range
 * (`'200-299'`).
 */
export type HttpStatusExpectation = number | string;

/**
 * Options of {@link httpIndicator}: the usual indicator options (default name `'http'`, default
 * groups `['readiness']`) and its own.
 */
export interface HttpIndicatorOptions extends BuiltInIndicatorOptions {
  /**
   * The request method.
   * @default 'GET'
   */
  method?: 'GET' | 'HEAD';
  /**
   * Request headers, e.g. an `authorization` the endpoint needs (messages never show them).
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * The statuses that count as healthy, after redirects are followed: codes (`204`), classes
   * (`'2xx'`) or inclusive ranges (`'200-399'`). Any other status is `down`.
   * @default ['2xx']
   */
  expectedStatus?: HttpStatusExpectation[];
  /**
   * Checks the response body (read as text). Returning `false` (or a promise of it) is `down`
   * with "the response body did not match"; throwing is `down` with the error's message.
   * @default none (the body is still read, so that the connection can be reused)
   */
  bodyMatches?: (body: string) => boolean | Promise<boolean>;
  /**
   * Levels for the time to the response headers, in milliseconds.
   * @default none (the indicator's `timeoutMs` bounds it)
   */
  responseTimeMs?: UpperThreshold;
}

const STATUS_CLASS = /^([1-5])xx$/i;
const STATUS_RANGE = /^(\d{3})-(\d{3})$/;

function parseExpectation(value: unknown): [number, number] | undefined {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 100 && value <= 599 ? [value, value] : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const cls = STATUS_CLASS.exec(value);
  if (cls) return [Number(cls[1]) * 100, Number(cls[1]) * 100 + 99];
  const range = STATUS_RANGE.exec(value);
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    return from >= 100 && to <= 599 && from <= to ? [from, to] : undefined;
  }
  return undefined;
}

class HttpIndicatorOptionsSchema extends HealthIndicatorOptionsSchema {
  @IsOptional()
  @IsIn(['GET', 'HEAD'], { message: 'must be "GET" or "HEAD"' })
  method?: 'GET' | 'HEAD';

  @IsOptional()
  @ValidateBy({
    name: 'isHeaderMap',
    validator: {
      validate: (value: unknown) =>
        isPlainObject(value) && Object.values(value).every((v) => typeof v === 'string'),
      defaultMessage: () => 'must be a plain object of header names to string values',
    },
  })
  headers?: Record<string, string>;

  @IsOptional()
  @ValidateBy({
    name: 'isStatusList',
    validator: {
      validate: (value: unknown) =>
        Array.isArray(value) &&
        value.length > 0 &&
        value.every((item) => parseExpectation(item) !== undefined),
      defaultMessage: () =>
        'must be a non-empty array of status codes (200), classes ("2xx") or ranges ("200-399") within 100-599',
    },
  })
  expectedStatus?: HttpStatusExpectation[];

  @IsOptional()
  @ValidateBy({
    name: 'isFunction',
    validator: {
      validate: (value: unknown) => typeof value === 'function',
      defaultMessage: () => 'must be a function (body: string) => boolean | Promise<boolean>',
    },
  })
  bodyMatches?: (body: string) => boolean | Promise<boolean>;

  @IsOptional()
  @IsUpperThreshold()
  responseTimeMs?: UpperThreshold;
}

/** @internal */
export class HttpHealthIndicator extends BuiltInHealthIndicator {
  private readonly ranges: ReadonlyArray<[number, number]>;

  constructor(
    options: BuiltInIndicator['options'],
    private readonly url: URL,
    private readonly settings: Omit<HttpIndicatorOptions, keyof BuiltInIndicatorOptions>,
  ) {
    super('http', options);
    this.ranges = (settings.expectedStatus ?? ['2xx']).map(
      (item) => parseExpectation(item) as [number, number],
    );
  }

  async check({ signal }: HealthCheckContext): Promise<HealthCheckResult> {
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: this.settings.method ?? 'GET',
        headers: this.settings.headers,
        signal,
      });
    } catch (error) {
      throw withCause(error);
    }
    const responseTimeMs = elapsedMs(started);
    // Read to the end (under the same signal), so that the connection goes back to the pool.
    const body = await response.text();
    const data = { statusCode: response.status, responseTimeMs };
    const findings = new Findings();
    const status = response.status;
    if (!this.ranges.some(([from, to]) => status >= from && status <= to)) {
      const expected = (this.settings.expectedStatus ?? ['2xx']).join(', ');
      findings.down(`status ${status} is not one of the expected (${expected})`);
    } else if (this.settings.bodyMatches && !(await this.settings.bodyMatches(body))) {
      findings.down('the response body did not match');
    }
    return findings
      .above('responseTimeMs', responseTimeMs, this.settings.responseTimeMs)
      .result(data);
  }
}

/**
 * `fetch` rejects with "fetch failed" and puts the reason (ECONNREFUSED, ENOTFOUND, a TLS error)
 * in `cause`: bring it into the message.
 */
function withCause(error: unknown): unknown {
  // Duck-typed: errors from Node's own fetch may come from another realm (a test sandbox).
  const record = error as { name?: unknown; message?: unknown; cause?: unknown } | null;
  if (
    record === null ||
    typeof record !== 'object' ||
    typeof record.message !== 'string' ||
    record.name === 'AbortError' ||
    record.name === 'TimeoutError' ||
    record.cause === undefined ||
    record.cause === null
  ) {
    return error;
  }
  return new Error(`${record.message}: ${messageFromError(record.cause)}`, { cause: record.cause });
}

/**
 * Checks an HTTP(S) endpoint with `fetch` and the run's abort signal: the status (after
 * redirects) must be one of `expectedStatus`, and the body must satisfy `bodyMatches` if given.
 * When the signal aborts (the indicator's `timeoutMs`), the request and its socket are dropped.
 *
 * Data: `statusCode`, `responseTimeMs` (time to the response headers).
 *
 * @param url - an `http:` or `https:` URL (a string or a `URL`).
 * @param options - see {@link HttpIndicatorOptions}.
 * @throws InvalidHealthIndicatorOptionsError when the URL or an option is invalid.
 *
 * @example
 * ```ts
 * import { Module } from '@nestjs/common';
 * import { HealthModule, httpIndicator } from 'nest-health';
 *
 * @Module({
 *   imports: [
 *     HealthModule.forRoot({
 *       indicators: [
 *         httpIndicator('https://payments.internal/health', {
 *           name: 'payments',
 *           expectedStatus: [200, 204],
 *           bodyMatches: (body) => body.includes('"ok"'),
 *           responseTimeMs: { degradedAbove: 500 },
 *         }),
 *       ],
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
export function httpIndicator(url: string | URL, options?: HttpIndicatorOptions): BuiltInIndicator {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  requireArgument(
    'httpIndicator()',
    'url',
    redactSecrets(String(url)),
    parsed !== undefined && (parsed.protocol === 'http:' || parsed.protocol === 'https:'),
    'must be an http: or https: URL',
  );
  requireArgument(
    'httpIndicator()',
    'url',
    redactSecrets(String(url)),
    !parsed?.username && !parsed?.password,
    'must not carry credentials (fetch refuses them): pass an authorization header in headers',
  );
  const { registration, own } = prepareOptions(
    'httpIndicator()',
    HttpIndicatorOptionsSchema,
    options,
    { name: 'http' },
  );
  return new HttpHealthIndicator(registration, parsed as URL, own);
}

import {
  BadRequestException,
  ValidationPipe,
  type ArgumentMetadata,
  type Type,
  type ValidationError,
} from '@nestjs/common';

/**
 * What a request without query parameters gets: the same frozen object every time, so that a
 * plain probe (`GET /health/ready`) skips validation entirely.
 *
 * @internal
 */
export const NO_QUERY: Readonly<Record<string, never>> = Object.freeze({});

/**
 * Validates the query parameters of a health endpoint against a class-validator DTO. Invalid
 * values answer 400 with a message that names the parameter and what it allows:
 * `{ statusCode: 400, error: 'Bad Request', message: 'Invalid query parameter "verbose": must
 * be true, false, 1, 0 or empty (the parameter alone means true)' }`. Unknown parameters are
 * ignored, as the Kubernetes API server ignores them.
 *
 * A request with no parameter at all is answered {@link NO_QUERY} without running
 * class-transformer or class-validator: probes stay as cheap as a constant route. The
 * parameter's declared type should be an interface or `object` (not the DTO class), so that an
 * app's global `ValidationPipe` skips it rather than validating it twice.
 *
 * @internal
 */
export class HealthQueryPipe extends ValidationPipe {
  constructor(dto: Type) {
    super({
      expectedType: dto,
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: false,
      validationError: { target: false, value: false },
      exceptionFactory: (errors: ValidationError[]) => {
        const first = firstProblem(errors);
        return new BadRequestException(
          `Invalid query parameter "${first.property}": ${first.message}`,
        );
      },
    });
  }

  /**
   * The validated query parameters of `request` (Express's or Fastify's): {@link NO_QUERY} at
   * once, without parsing or validating anything, when its URL has no query string (a plain
   * probe); otherwise what {@link transform} makes of `request.query`.
   */
  read(request: unknown): unknown {
    const { url, query } = request as { url?: unknown; query?: unknown };
    if (typeof url === 'string' && !url.includes('?')) return NO_QUERY;
    return this.transform(query, { type: 'query' });
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (isEmpty(value)) return Promise.resolve(NO_QUERY);
    return super.transform(value, metadata);
  }

  /** Always validates: the DTO comes from `expectedType`, not from the parameter's type. */
  protected override toValidate(): boolean {
    return true;
  }
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'object') return false;
  for (const key in value) if (Object.prototype.hasOwnProperty.call(value, key)) return false;
  return true;
}

function firstProblem(errors: readonly ValidationError[]): { property: string; message: string } {
  const first = errors[0];
  const message = first?.constraints ? Object.values(first.constraints)[0] : undefined;
  return { property: first?.property ?? '(query)', message: message ?? 'is invalid' };
}

import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

/**
 * Nest's own exception answer (same status and JSON body), plus `Cache-Control: no-store`: every
 * answer of a health endpoint, a 400 for a bad parameter or a 503 for a full stream included,
 * is about the moment it was asked, and a cache must not replay it. Nest applies `@Header()`
 * only to successful answers, hence this filter on the module's controllers.
 *
 * @internal
 */
@Catch()
export class NoStoreExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const adapter = this.httpAdapterHost?.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    if (adapter && host.getType() === 'http') {
      try {
        adapter.setHeader(response, 'Cache-Control', 'no-store');
      } catch {
        // Headers already sent (a stream that failed mid-way): nothing to add.
      }
    }
    super.catch(exception, host);
  }
}

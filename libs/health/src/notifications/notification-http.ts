import { NotificationDeliveryError } from './notification.types';

/** One HTTP request a channel wants sent. @internal */
export interface NotificationHttpRequest {
  readonly url: URL;
  /** Defaults to `POST`. */
  readonly method?: 'POST' | 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The destination as it may be logged: scheme, host and port only. Webhook URLs carry their
 * token in the path (Slack, Discord, Teams Workflows) or the query, and ntfy topics are secrets
 * of their own, so neither is ever shown.
 * @internal
 */
export function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}/…`;
}

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) into milliseconds.
 * @returns `undefined` when absent or unreadable; never negative.
 * @internal
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Sends one request with `fetch` and turns every failure into a redacted
 * {@link NotificationDeliveryError}: network errors and aborts, 429 (with its `Retry-After`) and
 * 5xx are retryable; other non-2xx answers are not. The response body is read and discarded so
 * the connection can be reused.
 * @internal
 */
export async function sendHttpNotification(
  request: NotificationHttpRequest,
  signal: AbortSignal,
): Promise<void> {
  const target = redactUrl(request.url);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method ?? 'POST',
      headers: request.headers,
      body: request.body,
      signal,
      redirect: 'error',
    });
  } catch (error) {
    const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    const reason = signal.aborted
      ? 'timed out or aborted'
      : typeof code === 'string'
        ? code
        : 'network error';
    throw new NotificationDeliveryError(`request to ${target} failed: ${reason}`, {
      retryable: true,
    });
  }
  // Drain (bounded by the same signal) so keep-alive sockets go back to the pool.
  await response.arrayBuffer().catch(() => undefined);
  if (response.ok) return;
  const status = response.status;
  throw new NotificationDeliveryError(`${target} answered HTTP ${status}`, {
    retryable: status === 429 || status >= 500 || status === 408,
    statusCode: status,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
  });
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries a webhook message's signature. */
export const HEALTH_SIGNATURE_HEADER = 'X-Health-Signature';

/** Default of `toleranceMs` in {@link verifyHealthNotificationSignature}: five minutes, as Stripe's. */
export const HEALTH_SIGNATURE_TOLERANCE_MS = 300_000;

/**
 * The `X-Health-Signature` value of a webhook body: `t=<unix seconds>,v1=<hex>`, where `v1` is
 * the HMAC-SHA256, keyed with the secret, of `<t>.<raw body>` (Stripe's scheme).
 * @internal
 */
export function signHealthNotification(rawBody: string, secret: string, nowMs: number): string {
  const timestamp = Math.floor(nowMs / 1000);
  const digest = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/**
 * Checks the `X-Health-Signature` header of a webhook message, for a receiver: recomputes the
 * HMAC-SHA256 of `<t>.<raw body>` with the secret, compares it with each `v1=` value in constant
 * time, and rejects a timestamp more than `toleranceMs` away from now (a replayed message).
 *
 * Verify the raw bytes as received, before any JSON parsing: re-serialising changes them.
 *
 * @param rawBody - the request body exactly as received (a `Buffer` or its UTF-8 string).
 * @param header - the `X-Health-Signature` header's value (`undefined` when absent).
 * @param secret - the channel's `secret`.
 * @param toleranceMs - the largest accepted distance between the signature's timestamp and
 *   now, in milliseconds; default {@link HEALTH_SIGNATURE_TOLERANCE_MS} (five minutes).
 * @param nowMs - now, in milliseconds since the epoch; default `Date.now()`.
 * @returns `true` when the header holds a valid signature within the tolerance; never throws.
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { verifyHealthNotificationSignature, type HealthNotification } from 'nest-health';
 *
 * createServer((request, response) => {
 *   const chunks: Buffer[] = [];
 *   request.on('data', (chunk: Buffer) => chunks.push(chunk));
 *   request.on('end', () => {
 *     const raw = Buffer.concat(chunks);
 *     const header = request.headers['x-health-signature'];
 *     if (!verifyHealthNotificationSignature(raw, String(header), process.env.HOOK_SECRET ?? '')) {
 *       response.writeHead(401).end();
 *       return;
 *     }
 *     const message = JSON.parse(raw.toString('utf8')) as HealthNotification;
 *     console.log(message.status, message.events.length);
 *     response.writeHead(204).end();
 *   });
 * }).listen(8080);
 * ```
 */
export function verifyHealthNotificationSignature(
  rawBody: string | Buffer,
  header: string | undefined,
  secret: string,
  toleranceMs: number = HEALTH_SIGNATURE_TOLERANCE_MS,
  nowMs: number = Date.now(),
): boolean {
  if (typeof header !== 'string' || secret === '') return false;
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't') timestamp = value;
    else if (key === 'v1' && value !== undefined) signatures.push(value);
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) {
    return false;
  }
  if (Math.abs(nowMs - Number(timestamp) * 1000) > toleranceMs) return false;
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  return signatures.some((signature) => {
    if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
    return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
  });
}

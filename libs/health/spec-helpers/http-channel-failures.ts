import { NotificationDeliveryError } from '../src/notifications/notification.types';
import type { NotificationChannelType } from '../src/notifications/notification.types';
import { NotificationReceiver, refusedPort, sampleNotification } from './notification-receiver';

const CONTEXT = { service: 'orders-api', instance: 'orders-api-7d9f-x2' };

/** What `deliver()` threw (fails the spec when it resolved or threw something else). */
async function deliveryError(promise: Promise<void>): Promise<NotificationDeliveryError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(NotificationDeliveryError);
  return error as NotificationDeliveryError;
}

/**
 * The failure classification every HTTP channel shares, against a real receiver: a 400 is final,
 * 503 and 429 (with `Retry-After`) are retryable, a refused port is retryable, and the URL's
 * secret (path token, query token) appears in no error message and not in `target`.
 *
 * @param options - the channel's options for a URL that carries `secret` (and may put `secret`
 *   in an option of its own, a token or a password).
 */
export function describeHttpChannelFailures(
  channelType: NotificationChannelType,
  options: (url: string, secret: string) => Record<string, unknown>,
): void {
  describe(`${channelType.type}: failures`, () => {
    const secret = 'T0KEN-s3cr3t-9f8e7d';
    let receiver: NotificationReceiver;
    beforeAll(async () => {
      receiver = await NotificationReceiver.start();
    });
    afterAll(() => receiver.stop());

    function channelFor(url: string) {
      const raw = options(url, secret);
      expect(channelType.validate(raw, 'notifications.channels[0]')).toEqual([]);
      return channelType.create(raw, CONTEXT);
    }

    it('a 400 answer is final, and its error names neither the path nor the token', async () => {
      receiver.answer = { status: 400, body: `invalid_payload ${secret}` };
      const channel = channelFor(receiver.url(`/hooks/${secret}?token=${secret}`));
      const error = await deliveryError(
        channel.deliver(sampleNotification(), AbortSignal.timeout(30_000)),
      );
      expect(error).toMatchObject({ retryable: false, statusCode: 400 });
      expect(error.message).toContain('HTTP 400');
      expect(`${error.message} ${error.stack ?? ''} ${channel.target}`).not.toContain(secret);
      expect(channel.target).toBe(`http://127.0.0.1:${receiver.port}/…`);
    });

    it('503 and 429 are retryable, with the delay Retry-After asks for', async () => {
      const channel = channelFor(receiver.url(`/hooks/${secret}`));
      receiver.answer = { status: 503 };
      expect(
        await deliveryError(channel.deliver(sampleNotification(), AbortSignal.timeout(30_000))),
      ).toMatchObject({ retryable: true, statusCode: 503, retryAfterMs: undefined });
      receiver.answer = { status: 429, headers: { 'retry-after': '7' } };
      expect(
        await deliveryError(channel.deliver(sampleNotification(), AbortSignal.timeout(30_000))),
      ).toMatchObject({ retryable: true, statusCode: 429, retryAfterMs: 7000 });
    });

    it('a refused connection is retryable and names only the host', async () => {
      const port = await refusedPort();
      const channel = channelFor(`http://127.0.0.1:${port}/hooks/${secret}`);
      const error = await deliveryError(
        channel.deliver(sampleNotification(), AbortSignal.timeout(30_000)),
      );
      expect(error).toMatchObject({ retryable: true, statusCode: undefined });
      expect(error.message).toBe(`request to http://127.0.0.1:${port}/… failed: ECONNREFUSED`);
    });
  });
}

import { describeHttpChannelFailures } from '../../../spec-helpers/http-channel-failures';
import {
  manyEventsNotification,
  NotificationReceiver,
  SAMPLE_PLAIN_TEXT,
  sampleNotification,
} from '../../../spec-helpers/notification-receiver';
import { ntfyChannelType, ntfyHeaderValue } from './ntfy.channel';

const CONTEXT = { service: 'orders-api', instance: 'orders-api-7d9f-x2' };

/** Decodes an RFC 2047 `B` encoded word as ntfy does (or returns plain ASCII as it is). */
function decodeHeader(value: string): string {
  const match = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i.exec(value);
  return match ? Buffer.from(match[1], 'base64').toString('utf8') : value;
}

describe('ntfy channel', () => {
  let receiver: NotificationReceiver;
  beforeAll(async () => {
    receiver = await NotificationReceiver.start();
  });
  afterAll(() => receiver.stop());

  it('POSTs plain text to the topic with Title, Priority and Tags headers', async () => {
    const channel = ntfyChannelType.create(
      { type: 'ntfy', url: receiver.url('/orders-alerts') },
      CONTEXT,
    );
    await channel.deliver(sampleNotification(), AbortSignal.timeout(30_000));

    const request = receiver.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/orders-alerts');
    expect(request.headers).toMatchObject({
      'content-type': 'text/plain; charset=utf-8',
      title: 'orders-api: 3 health changes (1 down, 1 degraded, 1 recovered)',
      priority: '5',
      tags: 'rotating_light',
    });
    expect(request.headers).not.toHaveProperty('authorization');
    expect(request.body).toBe(SAMPLE_PLAIN_TEXT);
  });

  it('maps the worst status to priority and tags: degraded 4 warning, up 3 white_check_mark', async () => {
    const channel = ntfyChannelType.create({ type: 'ntfy', url: receiver.url('/t') }, CONTEXT);
    await channel.deliver(sampleNotification({ status: 'degraded' }), AbortSignal.timeout(30_000));
    expect(receiver.requests.at(-1)!.headers).toMatchObject({ priority: '4', tags: 'warning' });
    await channel.deliver(sampleNotification({ status: 'up' }), AbortSignal.timeout(30_000));
    expect(receiver.requests.at(-1)!.headers).toMatchObject({
      priority: '3',
      tags: 'white_check_mark',
    });
  });

  it('sends a bearer token or Basic credentials', async () => {
    await ntfyChannelType
      .create({ type: 'ntfy', url: receiver.url('/t'), token: 'tk_abc123' }, CONTEXT)
      .deliver(sampleNotification(), AbortSignal.timeout(30_000));
    expect(receiver.requests.at(-1)!.headers.authorization).toBe('Bearer tk_abc123');
    await ntfyChannelType
      .create({ type: 'ntfy', url: receiver.url('/t'), username: 'ops', password: 'pä55' }, CONTEXT)
      .deliver(sampleNotification(), AbortSignal.timeout(30_000));
    expect(receiver.requests.at(-1)!.headers.authorization).toBe(
      `Basic ${Buffer.from('ops:pä55').toString('base64')}`,
    );
  });

  it('encodes a non-ASCII title (RFC 2047) and cuts the body at 4096 bytes', async () => {
    const channel = ntfyChannelType.create({ type: 'ntfy', url: receiver.url('/t') }, CONTEXT);
    const many = manyEventsNotification(10, 1000);
    await channel.deliver({ ...many, service: 'zähler-✓' }, AbortSignal.timeout(30_000));
    const request = receiver.requests.at(-1)!;
    expect(request.headers.title).toMatch(/^=\?UTF-8\?B\?/);
    expect(decodeHeader(request.headers.title as string)).toBe(
      'zähler-✓: 10 health changes (10 down)',
    );
    expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(4096);
    expect(request.body.endsWith('…')).toBe(true);
    expect(ntfyHeaderValue('a\r\nb')).toBe('a b');
  });

  describe('options', () => {
    const prefix = 'notifications.channels[4]';
    it('needs a topic in the URL, one way to authenticate, and never shows a secret', () => {
      expect(ntfyChannelType.validate({ type: 'ntfy', url: 'https://ntfy.sh/' }, prefix)).toEqual([
        expect.objectContaining({ option: `${prefix}.url`, value: '[redacted]' }),
      ]);
      expect(
        ntfyChannelType.validate(
          { type: 'ntfy', url: 'https://ntfy.sh/x', token: 'tk_1', username: 'u', password: 'p' },
          prefix,
        ),
      ).toEqual([expect.objectContaining({ option: `${prefix}.token`, value: '[redacted]' })]);
      expect(
        ntfyChannelType.validate({ type: 'ntfy', url: 'https://ntfy.sh/x', username: 'u' }, prefix),
      ).toEqual([expect.objectContaining({ option: `${prefix}.password` })]);
      expect(
        ntfyChannelType.validate(
          { type: 'ntfy', url: 'https://ntfy.sh/x', password: 'p\nq' },
          prefix,
        ),
      ).toEqual([
        {
          option: `${prefix}.password`,
          value: '[redacted]',
          allowed: 'must be a non-empty string without line breaks',
        },
        expect.objectContaining({ option: `${prefix}.username` }),
      ]);
      expect(
        ntfyChannelType.validate(
          { type: 'ntfy', url: 'https://ntfy.example.com/alerts', token: 'tk_1' },
          prefix,
        ),
      ).toEqual([]);
    });
  });
});

describeHttpChannelFailures(ntfyChannelType, (url, secret) => ({
  type: 'ntfy',
  url,
  token: secret,
}));

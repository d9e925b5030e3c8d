import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotificationDeliveryError, type HealthNotification } from '../notification.types';
import { webhookChannelType } from './webhook.channel';

const TOKEN = 'T0KEN-a1b2c3d4';
const SECRET = 'whsec-Sup3rS3cret';

const message: HealthNotification = {
  version: 1,
  id: '00000000-0000-4000-8000-000000000000',
  service: 'orders',
  instance: 'pod-1',
  status: 'down',
  events: [],
  createdAt: new Date().toISOString(),
};

describe('the webhook channel', () => {
  let server: Server;
  let port: number;
  let answer: number | 'hang' = 204;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (answer !== 'hang') response.writeHead(answer).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function channel(url: string) {
    return webhookChannelType.create(
      { type: 'webhook', name: 'ops', url, secret: SECRET },
      { service: 'orders', instance: 'pod-1' },
    );
  }

  /** The error of one delivery, which must be a redacted NotificationDeliveryError. */
  async function failure(url: string, signal = AbortSignal.timeout(5_000)) {
    const error: unknown = await channel(url)
      .deliver(message, signal)
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(SECRET);
    return error as NotificationDeliveryError;
  }

  it('shows its destination without path, query or token', () => {
    expect(channel(`http://127.0.0.1:${port}/hooks/${TOKEN}?key=${TOKEN}`).target).toBe(
      `http://127.0.0.1:${port}/…`,
    );
  });

  it('classifies failures without ever naming the URL path, query or secret', async () => {
    const url = `http://127.0.0.1:${port}/hooks/${TOKEN}?key=${TOKEN}`;
    answer = 404;
    expect(await failure(url)).toMatchObject({ retryable: false, statusCode: 404 });
    answer = 503;
    expect(await failure(url)).toMatchObject({ retryable: true, statusCode: 503 });
    answer = 'hang';
    expect(await failure(url, AbortSignal.timeout(200))).toMatchObject({ retryable: true });
    // A port that was free a moment ago: nothing listens there.
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await failure(`http://127.0.0.1:${closedPort}/hooks/${TOKEN}`)).toMatchObject({
      retryable: true,
      message: expect.stringContaining('ECONNREFUSED'),
    });
    answer = 204;
    await expect(
      channel(url).deliver(message, AbortSignal.timeout(5_000)),
    ).resolves.toBeUndefined();
  });
});

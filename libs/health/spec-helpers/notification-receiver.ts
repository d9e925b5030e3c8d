import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthNotification } from '../src/notifications/notification.types';

/** One request a {@link NotificationReceiver} got. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How the receiver answers: status, headers, body. */
export interface ReceiverAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * A real HTTP server on 127.0.0.1 that records every request and answers as told (200 by
 * default): the stand-in for Slack, Discord, Teams and ntfy in the channel specs.
 */
export class NotificationReceiver {
  readonly requests: ReceivedRequest[] = [];
  answer: ReceiverAnswer = { status: 200, body: 'ok' };
  private readonly server: Server = createServer((request, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.requests.push({
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const { status, headers, body } = this.answer;
      response.writeHead(status, headers);
      response.end(body ?? '');
    });
  });

  static async start(): Promise<NotificationReceiver> {
    const receiver = new NotificationReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** A URL on this receiver with `path` (which may hold a token, as webhook URLs do). */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The last request, parsed as JSON. */
  lastJson(): Record<string, unknown> {
    const last = this.requests.at(-1);
    if (!last) throw new Error('no request received');
    return JSON.parse(last.body) as Record<string, unknown>;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port on 127.0.0.1 that nothing listens on (taken, then freed). */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A notification with one event of each transition (`database` down, `cache` degraded, group
 * `readiness` recovered); messages hold markup of every format (`<b>`, `*`, `&`, `@everyone`).
 */
export function sampleNotification(
  overrides: Partial<HealthNotification> = {},
): HealthNotification {
  return {
    version: 1,
    id: '6f1c1e9e-4a8e-4f7e-9d0e-2b3c4d5e6f70',
    service: 'orders-api',
    instance: 'orders-api-7d9f-x2',
    status: 'down',
    createdAt: '2026-12-06T19:00:02.000Z',
    events: [
      {
        transition: 'down',
        reminder: false,
        type: 'indicator',
        name: 'database',
        from: 'up',
        to: 'down',
        at: '2026-12-06T19:00:00.000Z',
        message: 'connect ECONNREFUSED <b>127.0.0.1</b> & *retry* @everyone',
        previousDurationMs: 303_000,
      },
      {
        transition: 'degraded',
        reminder: false,
        type: 'indicator',
        name: 'cache',
        from: 'up',
        to: 'degraded',
        at: '2026-12-06T19:00:01.000Z',
        message: 'latency 950 ms > 500 ms',
        previousDurationMs: null,
      },
      {
        transition: 'recovered',
        reminder: false,
        type: 'group',
        name: 'readiness',
        from: 'down',
        to: 'up',
        at: '2026-12-06T19:00:01.500Z',
        message: null,
        previousDurationMs: 45_000,
      },
    ],
    ...overrides,
  };
}

/** A notification with `count` down events named `indicator-0` …, each with a long message. */
export function manyEventsNotification(count: number, messageChars = 2000): HealthNotification {
  const base = sampleNotification();
  return {
    ...base,
    events: Array.from({ length: count }, (_, i) => ({
      ...base.events[0],
      name: `indicator-${i}`,
      message: `${'x'.repeat(messageChars - 4)} <&>`,
    })),
  };
}

/** {@link sampleNotification} as the plain-text channels (ntfy, email's text part) render it. */
export const SAMPLE_PLAIN_TEXT = [
  'database is down (was up for 5m 3s)',
  '  connect ECONNREFUSED <b>127.0.0.1</b> & *retry* @everyone',
  'cache is degraded (was up)',
  '  latency 950 ms > 500 ms',
  'group readiness recovered (was down for 45s)',
  '',
  'service orders-api · instance orders-api-7d9f-x2 · 2026-12-06T19:00:02.000Z',
].join('\n');

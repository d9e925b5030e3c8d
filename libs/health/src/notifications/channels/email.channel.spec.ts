import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAuthentication } from 'smtp-server';
import { BlackHoleServer, waitFor } from '../../../spec-helpers/faults';
import {
  refusedPort,
  SAMPLE_PLAIN_TEXT,
  sampleNotification,
} from '../../../spec-helpers/notification-receiver';
import { NotificationDeliveryError, type NotificationChannel } from '../notification.types';
import { emailChannelType, escapeHtml } from './email.channel';

const CONTEXT = { service: 'orders-api', instance: 'orders-api-7d9f-x2' };
// Each test talks SMTP over loopback: seconds at most, on a loaded machine.
jest.setTimeout(60_000);

const PASSWORD = 'Pa55-w0rd-9c8b7a';

/**
 * A real SMTP server on 127.0.0.1 (the smtp-server package): accepts user `health` with
 * {@link PASSWORD}, records each message, and rejects a recipient whose local part is a reply
 * code (`450@…`, `550@…`) with that code.
 */
class SmtpReceiver {
  readonly messages: ParsedMail[] = [];
  readonly logins: SMTPServerAuthentication[] = [];
  readonly server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth: (auth, _session, callback) => {
      this.logins.push(auth);
      if (auth.username === 'health' && auth.password === PASSWORD)
        return callback(null, { user: 'health' });
      const error = Object.assign(new Error('Authentication failed'), { responseCode: 535 });
      return callback(error);
    },
    onRcptTo: (address, _session, callback) => {
      const code = /^(\d{3})@/.exec(address.address)?.[1];
      if (!code) return callback();
      const error = Object.assign(new Error(`Mailbox ${address.address} rejected`), {
        responseCode: Number(code),
      });
      return callback(error);
    },
    onData: (stream, _session, callback) => {
      simpleParser(stream).then(
        (mail) => {
          this.messages.push(mail);
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get port(): number {
    return (this.server.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(field) ? field : field ? [field] : [];
  return list.flatMap((a) => a.value.map((v) => v.address ?? ''));
}

async function deliveryError(channel: NotificationChannel): Promise<NotificationDeliveryError> {
  const error = await channel.deliver(sampleNotification(), AbortSignal.timeout(60_000)).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(NotificationDeliveryError);
  return error as NotificationDeliveryError;
}

describe('email channel', () => {
  const receiver = new SmtpReceiver();
  const channels: NotificationChannel[] = [];
  beforeAll(() => receiver.start());
  afterAll(async () => {
    await Promise.all(channels.map((c) => c.close?.() ?? Promise.resolve()));
    await receiver.stop();
  });

  function channel(options: Record<string, unknown>): NotificationChannel {
    const raw = {
      type: 'email',
      from: 'Health <health@example.com>',
      to: 'ops@example.com',
      ...options,
    };
    expect(emailChannelType.validate(raw, 'notifications.channels[0]')).toEqual([]);
    const made = emailChannelType.create(raw, CONTEXT);
    channels.push(made);
    return made;
  }

  it('sends one email with from, to, subject, a text part and an escaped HTML part', async () => {
    const email = channel({
      smtp: { host: '127.0.0.1', port: receiver.port, auth: { user: 'health', pass: PASSWORD } },
      to: ['ops@example.com', 'oncall@example.com'],
    });
    expect(email.target).toBe(`smtp://127.0.0.1:${receiver.port}`);
    await email.deliver(sampleNotification(), AbortSignal.timeout(60_000));

    expect(receiver.logins.at(-1)).toMatchObject({ username: 'health', password: PASSWORD });
    const mail = receiver.messages.at(-1)!;
    expect(addresses(mail.from)).toEqual(['health@example.com']);
    expect(addresses(mail.to)).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(mail.subject).toBe(
      '[health] orders-api: 3 health changes (1 down, 1 degraded, 1 recovered)',
    );
    expect(mail.text?.trim()).toBe(SAMPLE_PLAIN_TEXT);
    const html = mail.html as string;
    expect(html).toContain(
      'connect ECONNREFUSED &lt;b&gt;127.0.0.1&lt;/b&gt; &amp; *retry* @everyone',
    );
    expect(html).toContain('latency 950 ms &gt; 500 ms');
    expect(html).not.toContain('<b>');
    expect(html).toContain('<h2 style="color:#d93025">orders-api: 3 health changes');
    expect(html).toContain('<strong>group readiness recovered</strong> (was down for 45s)');
  });

  it('takes an smtp:// URL with credentials and a subject prefix of its own', async () => {
    const email = channel({
      smtp: `smtp://health:${encodeURIComponent(PASSWORD)}@127.0.0.1:${receiver.port}`,
      subjectPrefix: '[orders]',
    });
    expect(email.target).toBe(`smtp://127.0.0.1:${receiver.port}`);
    await email.deliver(sampleNotification(), AbortSignal.timeout(60_000));
    expect(receiver.messages.at(-1)!.subject).toMatch(/^\[orders\] orders-api: /);
    expect(receiver.logins.at(-1)).toMatchObject({ username: 'health', password: PASSWORD });
  });

  it('a 450 answer is retryable, a 550 answer is not; neither error holds the password', async () => {
    const smtp = `smtp://health:${PASSWORD}@127.0.0.1:${receiver.port}`;
    const busy = await deliveryError(channel({ smtp, to: '450@example.com' }));
    expect(busy).toMatchObject({ retryable: true, statusCode: 450 });
    const unknown = await deliveryError(channel({ smtp, to: '550@example.com' }));
    expect(unknown).toMatchObject({ retryable: false, statusCode: 550 });
    for (const error of [busy, unknown]) {
      expect(error.message).toMatch(
        new RegExp(`^smtp://127\\.0\\.0\\.1:${receiver.port} answered SMTP 5?4?50`),
      );
      expect(`${error.message}${error.stack ?? ''}`).not.toContain(PASSWORD);
      expect(`${error.message}`).not.toContain('health:');
    }
  });

  it('refused credentials (535) are final and the error names neither user nor password', async () => {
    const error = await deliveryError(
      channel({
        smtp: {
          host: '127.0.0.1',
          port: receiver.port,
          auth: { user: 'health', pass: `${PASSWORD}x` },
        },
      }),
    );
    expect(error).toMatchObject({ retryable: false, statusCode: 535 });
    expect(error.message).not.toContain(PASSWORD);
  });

  it('a refused connection is retryable', async () => {
    const port = await refusedPort();
    const error = await deliveryError(
      channel({ smtp: `smtp://health:${PASSWORD}@127.0.0.1:${port}` }),
    );
    expect(error).toMatchObject({ retryable: true, statusCode: undefined });
    expect(error.message).toMatch(
      new RegExp(`^sending through smtp://127\\.0\\.0\\.1:${port} failed: E[A-Z]+$`),
    );
  });

  it('an SMTP server that never answers is given up at the signal, retryably, socket closed', async () => {
    const hole = await BlackHoleServer.start(); // accepts, never sends the greeting
    try {
      const email = channel({ smtp: { host: '127.0.0.1', port: hole.port } });
      const attempt = new AbortController(); // the pipeline's per-attempt deadline
      const delivery = email.deliver(sampleNotification(), attempt.signal).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      await waitFor(() => hole.accepted === 1, 30_000);
      attempt.abort();
      const error = await delivery;
      expect(error).toBeInstanceOf(NotificationDeliveryError);
      expect(error).toMatchObject({
        retryable: true,
        message: `sending through smtp://127.0.0.1:${hole.port} failed: timed out or aborted`,
      });
      await waitFor(() => hole.open === 0, 30_000);
    } finally {
      await hole.close();
    }
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });

  describe('options', () => {
    const prefix = 'notifications.channels[5]';
    it('names each problem and never shows the SMTP URL or password', () => {
      expect(emailChannelType.validate({ type: 'email' }, prefix).map((p) => p.option)).toEqual([
        `${prefix}.smtp`,
        `${prefix}.from`,
        `${prefix}.to`,
      ]);
      expect(
        emailChannelType.validate(
          {
            type: 'email',
            smtp: 'http://user:secret@host',
            from: 'nobody',
            to: [],
            subjectPrefix: 'a\nb',
          },
          prefix,
        ),
      ).toEqual([
        expect.objectContaining({ option: `${prefix}.from`, value: 'nobody' }),
        expect.objectContaining({ option: `${prefix}.to`, value: [] }),
        expect.objectContaining({ option: `${prefix}.subjectPrefix` }),
        expect.objectContaining({ option: `${prefix}.smtp`, value: '[redacted]' }),
      ]);
      expect(
        emailChannelType.validate(
          {
            type: 'email',
            smtp: { host: 'mail', port: 70000, auth: { user: 'u', pass: 5 }, tls: {} },
            from: 'a@b.c',
            to: 'd@e.f',
          },
          prefix,
        ),
      ).toEqual([
        { option: `${prefix}.smtp.tls`, value: '[redacted]', allowed: 'no such option' },
        expect.objectContaining({ option: `${prefix}.smtp.port`, value: 70000 }),
        { option: `${prefix}.smtp.auth.pass`, value: '[redacted]', allowed: 'must be a string' },
      ]);
    });
  });
});

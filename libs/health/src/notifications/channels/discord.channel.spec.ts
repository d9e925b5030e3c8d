import { describeHttpChannelFailures } from '../../../spec-helpers/http-channel-failures';
import {
  manyEventsNotification,
  NotificationReceiver,
  sampleNotification,
} from '../../../spec-helpers/notification-receiver';
import { DISCORD_LIMITS, discordChannelType, escapeDiscord } from './discord.channel';

const CONTEXT = { service: 'orders-api', instance: 'orders-api-7d9f-x2' };

interface Embed {
  title: string;
  description: string;
  color: number;
  fields: { name: string; value: string; inline: boolean }[];
  footer: { text: string };
  timestamp: string;
}

const length = (text: string): number => Array.from(text).length;

/** Checks a body against Discord's documented embed limits; returns the one embed. */
function checkDiscordShape(body: Record<string, unknown>): Embed {
  expect(body.allowed_mentions).toEqual({ parse: [] });
  const embeds = body.embeds as Embed[];
  expect(embeds).toHaveLength(1);
  const [embed] = embeds;
  expect(length(embed.title)).toBeLessThanOrEqual(256);
  expect(length(embed.description)).toBeLessThanOrEqual(4096);
  expect(embed.fields.length).toBeLessThanOrEqual(25);
  for (const field of embed.fields) {
    expect(length(field.name)).toBeGreaterThan(0);
    expect(length(field.name)).toBeLessThanOrEqual(256);
    expect(length(field.value)).toBeGreaterThan(0);
    expect(length(field.value)).toBeLessThanOrEqual(1024);
  }
  expect(Number.isInteger(embed.color) && embed.color >= 0 && embed.color <= 0xffffff).toBe(true);
  expect(Number.isNaN(Date.parse(embed.timestamp))).toBe(false);
  const total =
    length(embed.title) +
    length(embed.description) +
    length(embed.footer.text) +
    embed.fields.reduce((sum, f) => sum + length(f.name) + length(f.value), 0);
  expect(total).toBeLessThanOrEqual(6000);
  return embed;
}

describe('discord channel', () => {
  let receiver: NotificationReceiver;
  beforeAll(async () => {
    receiver = await NotificationReceiver.start();
  });
  afterAll(() => receiver.stop());

  it('posts one embed: title, counts, colour by status, a field per event, footer, timestamp', async () => {
    const channel = discordChannelType.create(
      { type: 'discord', url: receiver.url('/api/webhooks/123/tok'), username: 'Health' },
      CONTEXT,
    );
    await channel.deliver(sampleNotification(), AbortSignal.timeout(30_000));

    const request = receiver.requests.at(-1)!;
    expect(request.url).toBe('/api/webhooks/123/tok');
    expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = receiver.lastJson();
    expect(body.username).toBe('Health');
    const embed = checkDiscordShape(body);
    expect(embed).toEqual({
      title: 'orders-api: 3 health changes (1 down, 1 degraded, 1 recovered)',
      description: '1 down, 1 degraded, 1 recovered',
      color: 0xd93025,
      fields: [
        {
          name: '🔴 database is down',
          value:
            'was up for 5m 3s\nconnect ECONNREFUSED \\<b\\>127.0.0.1\\</b\\> & \\*retry\\* \\@everyone',
          inline: false,
        },
        { name: '🟡 cache is degraded', value: 'was up\nlatency 950 ms \\> 500 ms', inline: false },
        { name: '🟢 group readiness recovered', value: 'was down for 45s', inline: false },
      ],
      footer: { text: 'orders-api · orders-api-7d9f-x2' },
      timestamp: '2026-12-06T19:00:02.000Z',
    });
  });

  it('colours by the worst current status and leaves username out unless set', async () => {
    const channel = discordChannelType.create(
      { type: 'discord', url: receiver.url('/w') },
      CONTEXT,
    );
    const recovered = sampleNotification();
    await channel.deliver(
      { ...recovered, status: 'up', events: [recovered.events[2]] },
      AbortSignal.timeout(30_000),
    );
    const body = receiver.lastJson();
    expect(body).not.toHaveProperty('username');
    expect(checkDiscordShape(body).color).toBe(0x1e8e3e);
    await channel.deliver(sampleNotification({ status: 'degraded' }), AbortSignal.timeout(30_000));
    expect(checkDiscordShape(receiver.lastJson()).color).toBe(0xf29900);
  });

  it('keeps within 25 fields and 6000 characters, summarising the rest', async () => {
    const channel = discordChannelType.create(
      { type: 'discord', url: receiver.url('/w') },
      CONTEXT,
    );
    await channel.deliver(manyEventsNotification(40, 10), AbortSignal.timeout(30_000));
    let embed = checkDiscordShape(receiver.lastJson());
    expect(embed.fields).toHaveLength(DISCORD_LIMITS.fields);
    expect(embed.fields.at(-1)!.name).toBe('…and 16 more (16 down)');

    await channel.deliver(manyEventsNotification(12, 2000), AbortSignal.timeout(30_000));
    embed = checkDiscordShape(receiver.lastJson());
    expect(embed.fields.length).toBeLessThan(12);
    expect(embed.fields.at(-1)!.name).toMatch(/^…and \d+ more \(\d+ down\)$/);
    expect(embed.fields[0].value.endsWith('…')).toBe(true);
  });

  it('escapes Discord markdown so a message reads as given', () => {
    expect(escapeDiscord('**bold** _it_ `code` [l](u) @here')).toBe(
      '\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\[l\\]\\(u\\) \\@here',
    );
  });

  describe('options', () => {
    const prefix = 'notifications.channels[1]';
    it('names a bad username and a missing URL', () => {
      expect(discordChannelType.validate({ type: 'discord', username: '' }, prefix)).toEqual([
        {
          option: `${prefix}.username`,
          value: '',
          allowed: 'must be a string of 1 to 80 characters',
        },
        {
          option: `${prefix}.url`,
          value: '[redacted]',
          allowed: 'is required: must be an absolute http:// or https:// URL',
        },
      ]);
      expect(
        discordChannelType.validate(
          { type: 'discord', url: 'https://discord.com/api/webhooks/1/t' },
          prefix,
        ),
      ).toEqual([]);
    });
  });
});

describeHttpChannelFailures(discordChannelType, (url) => ({ type: 'discord', url }));

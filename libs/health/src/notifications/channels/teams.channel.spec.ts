import { describeHttpChannelFailures } from '../../../spec-helpers/http-channel-failures';
import {
  manyEventsNotification,
  NotificationReceiver,
  sampleNotification,
} from '../../../spec-helpers/notification-receiver';
import { escapeTeams, teamsChannelType } from './teams.channel';

const CONTEXT = { service: 'orders-api', instance: 'orders-api-7d9f-x2' };

interface Element {
  type: string;
  text?: string;
  facts?: { title: string; value: string }[];
  color?: string;
}

/**
 * Checks a body against the documented Workflows shape and the Adaptive Card schema's
 * essentials (the elements we use, with their required properties); returns the card's body.
 */
function checkTeamsShape(body: Record<string, unknown>): Element[] {
  expect(body.type).toBe('message');
  const attachments = body.attachments as Record<string, unknown>[];
  expect(attachments).toHaveLength(1);
  expect(attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
  const card = attachments[0].content as Record<string, unknown>;
  expect(card.type).toBe('AdaptiveCard');
  expect(card.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
  expect(card.version).toMatch(/^1\.[4-9]$/);
  const elements = card.body as Element[];
  for (const element of elements) {
    expect(['TextBlock', 'FactSet']).toContain(element.type);
    if (element.type === 'TextBlock') expect(typeof element.text).toBe('string');
    if (element.type === 'FactSet') {
      for (const fact of element.facts!) {
        expect(typeof fact.title).toBe('string');
        expect(typeof fact.value).toBe('string');
      }
    }
  }
  expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(28 * 1024);
  return elements;
}

describe('teams channel', () => {
  let receiver: NotificationReceiver;
  beforeAll(async () => {
    receiver = await NotificationReceiver.start();
  });
  afterAll(() => receiver.stop());

  it('posts an Adaptive Card in a message: title, a TextBlock per event, a FactSet', async () => {
    receiver.answer = { status: 202 };
    const channel = teamsChannelType.create(
      { type: 'teams', url: receiver.url('/workflows/abc/triggers/manual/paths/invoke?sig=SIG') },
      CONTEXT,
    );
    await channel.deliver(sampleNotification(), AbortSignal.timeout(30_000));

    const request = receiver.requests.at(-1)!;
    expect(request.url).toBe('/workflows/abc/triggers/manual/paths/invoke?sig=SIG');
    expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
    const elements = checkTeamsShape(receiver.lastJson());
    expect(elements.map((e) => e.text ?? e.type)).toEqual([
      'orders-api: 3 health changes (1 down, 1 degraded, 1 recovered)',
      '🔴 **database is down** (was up for 5m 3s)',
      'connect ECONNREFUSED \\<b\\>127.0.0.1\\</b\\> & \\*retry\\* @everyone',
      '🟡 **cache is degraded** (was up)',
      'latency 950 ms \\> 500 ms',
      '🟢 **group readiness recovered** (was down for 45s)',
      'FactSet',
    ]);
    expect(elements[0].color).toBe('Attention');
    expect(elements.at(-1)!.facts).toEqual([
      { title: 'Service', value: 'orders-api' },
      { title: 'Instance', value: 'orders-api-7d9f-x2' },
      { title: 'Time', value: '2026-12-06T19:00:02.000Z' },
    ]);
  });

  it('lists at most 30 events and stays under 28 KB', async () => {
    const channel = teamsChannelType.create({ type: 'teams', url: receiver.url('/w') }, CONTEXT);
    await channel.deliver(manyEventsNotification(100, 3000), AbortSignal.timeout(30_000));
    const elements = checkTeamsShape(receiver.lastJson());
    expect(elements.filter((e) => e.text?.startsWith('🔴'))).toHaveLength(29);
    expect(elements.at(-2)!.text).toMatch(
      /^…and 71 more \(71 down\): indicator-29, indicator-30,.*…$/,
    );
  });

  it('escapes the card markdown', () => {
    expect(escapeTeams('**x** [a](b) _y_ a-b')).toBe('\\*\\*x\\*\\* \\[a\\](b) \\_y\\_ a-b');
    expect(escapeTeams('- item\n# head\n1. one')).toBe('\\- item\n\\# head\n1\\. one');
  });

  it('validates its URL, naming the option and never showing it', () => {
    expect(
      teamsChannelType.validate({ type: 'teams', url: 'not a url' }, 'notifications.channels[3]'),
    ).toEqual([
      {
        option: 'notifications.channels[3].url',
        value: '[redacted]',
        allowed: 'must be an absolute http:// or https:// URL',
      },
    ]);
  });
});

describeHttpChannelFailures(teamsChannelType, (url) => ({ type: 'teams', url }));

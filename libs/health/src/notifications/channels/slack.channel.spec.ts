import { describeHttpChannelFailures } from '../../../spec-helpers/http-channel-failures';
import {
  manyEventsNotification,
  NotificationReceiver,
  sampleNotification,
} from '../../../spec-helpers/notification-receiver';
import { escapeSlack, SLACK_LIMITS, slackChannelType } from './slack.channel';

const CONTEXT = { service: 'orders-api', instance: 'orders-api-7d9f-x2' };

interface Block {
  type: string;
  text?: { type: string; text: string; emoji?: boolean };
  elements?: { type: string; text: string }[];
}

/** Checks a body against Slack's documented Block Kit shape and limits; returns the blocks. */
function checkSlackShape(body: Record<string, unknown>): Block[] {
  expect(typeof body.text).toBe('string');
  const blocks = body.blocks as Block[];
  expect(blocks.length).toBeGreaterThan(0);
  expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
  for (const block of blocks) {
    expect(['header', 'section', 'context']).toContain(block.type);
    if (block.type === 'header') {
      expect(block.text?.type).toBe('plain_text');
      expect(Array.from(block.text!.text).length).toBeLessThanOrEqual(150);
    }
    if (block.type === 'section') {
      expect(block.text?.type).toBe('mrkdwn');
      expect(Array.from(block.text!.text).length).toBeLessThanOrEqual(3000);
    }
    if (block.type === 'context') {
      expect(block.elements!.length).toBeLessThanOrEqual(10);
      for (const element of block.elements!) expect(element.type).toBe('mrkdwn');
    }
  }
  return blocks;
}

describe('slack channel', () => {
  let receiver: NotificationReceiver;
  beforeAll(async () => {
    receiver = await NotificationReceiver.start();
  });
  afterAll(() => receiver.stop());

  it('posts a Block Kit message: header, a section per event, context, text fallback', async () => {
    const channel = slackChannelType.create(
      { type: 'slack', url: receiver.url('/services/T000/B000/XXXX') },
      CONTEXT,
    );
    await channel.deliver(sampleNotification(), AbortSignal.timeout(30_000));

    const request = receiver.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/services/T000/B000/XXXX');
    expect(request.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = receiver.lastJson();
    const blocks = checkSlackShape(body);
    expect(blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'section',
      'context',
    ]);
    expect(body.text).toBe('orders-api: 3 health changes (1 down, 1 degraded, 1 recovered)');
    expect(blocks[0].text!.text).toBe(body.text);
    expect(blocks[1].text!.text).toBe(
      '🔴 *database is down* (was up for 5m 3s)\n' +
        '>connect ECONNREFUSED &lt;b&gt;127.0.0.1&lt;/b&gt; &amp; *retry* @everyone',
    );
    expect(blocks[2].text!.text).toBe(
      '🟡 *cache is degraded* (was up)\n>latency 950 ms &gt; 500 ms',
    );
    expect(blocks[3].text!.text).toBe('🟢 *group readiness recovered* (was down for 45s)');
    expect(blocks[4].elements![0].text).toBe(
      'service orders-api · instance orders-api-7d9f-x2 · 2026-12-06T19:00:02.000Z',
    );
  });

  it('keeps within 50 blocks and 3000 characters per text, summarising the rest', async () => {
    const channel = slackChannelType.create({ type: 'slack', url: receiver.url('/s') }, CONTEXT);
    await channel.deliver(manyEventsNotification(120, 4000), AbortSignal.timeout(30_000));

    const blocks = checkSlackShape(receiver.lastJson());
    expect(blocks).toHaveLength(50);
    const sections = blocks.filter((b) => b.type === 'section');
    expect(sections[0].text!.text.endsWith('…')).toBe(true);
    expect(sections.at(-1)!.text!.text).toMatch(/^…and 73 more \(73 down\): indicator-47 \(down\)/);
  });

  it('sends 48 events as 48 sections (no summary needed)', async () => {
    const channel = slackChannelType.create({ type: 'slack', url: receiver.url('/s') }, CONTEXT);
    await channel.deliver(manyEventsNotification(48, 10), AbortSignal.timeout(30_000));
    const blocks = checkSlackShape(receiver.lastJson());
    expect(blocks.filter((b) => b.type === 'section')).toHaveLength(48);
    expect(JSON.stringify(blocks)).not.toContain('more (');
  });

  it('escapes mrkdwn control characters', () => {
    expect(escapeSlack('<!channel> & <http://x|y>')).toBe(
      '&lt;!channel&gt; &amp; &lt;http://x|y&gt;',
    );
  });

  describe('options', () => {
    const prefix = 'notifications.channels[2]';
    it('accepts a URL and ignores the keys every channel shares', () => {
      expect(
        slackChannelType.validate(
          {
            type: 'slack',
            name: 'ops',
            url: 'https://hooks.slack.com/services/T/B/x',
            transitions: ['down'],
          },
          prefix,
        ),
      ).toEqual([]);
    });
    it('names a missing or bad URL and unknown keys, never showing the URL', () => {
      expect(slackChannelType.validate({ type: 'slack' }, prefix)).toEqual([
        expect.objectContaining({
          option: `${prefix}.url`,
          allowed: expect.stringContaining('required'),
        }),
      ]);
      expect(
        slackChannelType.validate(
          { type: 'slack', url: 'ftp://h/T/secret', channel: '#ops' },
          prefix,
        ),
      ).toEqual([
        { option: `${prefix}.channel`, value: '[redacted]', allowed: 'no such option' },
        {
          option: `${prefix}.url`,
          value: '[redacted]',
          allowed: 'must be an absolute http:// or https:// URL',
        },
      ]);
    });
  });
});

describeHttpChannelFailures(slackChannelType, (url) => ({ type: 'slack', url }));

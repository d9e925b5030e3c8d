import { up, type HealthCheckFunction, type HealthDetailsBody } from 'nest-health';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from '../helpers/example-app';
import { SseClient } from '../helpers/sse-client';
import { waitFor } from '../helpers/wait-for';

/** The largest answer a few misbehaving indicators may cause: a few kilobytes each. */
const SMALL_BYTES = 64 * 1024;

const ONE_MEGABYTE = 1024 * 1024;

function circular(): Record<string, unknown> {
  const node: Record<string, unknown> = { name: 'node' };
  node.self = node;
  node.children = [node, { parent: node }];
  return node;
}

function deep(levels: number): Record<string, unknown> {
  let node: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < levels; i += 1) node = { child: node };
  return node;
}

/** A secret that the indicator `secrets-in-odd-data` hides in its odd data. */
const ODD_SECRET = 'OddSecret-4815162342';

/** Indicators whose data no JSON serializer takes as it is, each in the group `odd`. */
const ODD_INDICATORS: Record<string, HealthCheckFunction> = {
  'one-megabyte': () => up({ blob: 'x'.repeat(ONE_MEGABYTE) }),
  'many-keys': () =>
    up(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key${i}`, i]))),
  circular: () => up(circular()),
  functions: () => up({ callback: () => 1, nested: { method: function named() {} }, ok: 1 }),
  bigint: () => up({ count: 2n ** 70n }),
  deep: () => up(deep(10_000)),
  'throwing-getter': () =>
    up({
      get broken(): unknown {
        throw new Error('getter failed');
      },
      ok: 1,
    }),
  'throwing-to-json': () =>
    up({
      value: {
        toJSON(): unknown {
          throw new Error('toJSON failed');
        },
      },
    }),
  'returns-a-function': (() => () => up()) as unknown as HealthCheckFunction,
  // Secrets among odd data: past the string cut, deep down, under a circular reference, in a
  // key, in a getter's neighbour; none may come out, however the data is cut.
  'secrets-in-odd-data': () => {
    const data = circular();
    data.dsn = `${'x'.repeat(995)} postgres://app:${ODD_SECRET}@db/app`;
    data.deep = deep(6);
    (data.deep as Record<string, unknown>).apiKey = ODD_SECRET;
    data.list = [{ 'X-Api-Key': ODD_SECRET }, ...Array.from({ length: 2_000 }, (_, i) => i)];
    data[`amqp://guest:${ODD_SECRET}@rabbit`] = { token: ODD_SECRET, count: 2n ** 70n };
    return up(data);
  },
};

// Whatever an indicator returns, every answer stays small, valid JSON, and the app stays up:
// data is made JSON-safe and bounded when it is recorded, once, not at every answer.
describe.each(HTTP_ADAPTERS)('on %s, indicators that return odd data', (adapter) => {
  let app: RunningExampleApp;

  beforeAll(async () => {
    app = await exampleApp(adapter).start();
    for (const [name, check] of Object.entries(ODD_INDICATORS)) {
      app.registry.register(check, { name, groups: ['odd'] });
    }
  });

  afterAll(async () => {
    await app?.close();
  });

  it('has a result for each', async () => {
    await waitFor(async () => {
      const { body } = await app.get('/health').expect(200);
      for (const name of Object.keys(ODD_INDICATORS)) {
        expect({ name, status: (body as HealthDetailsBody).checks[name]?.status }).not.toEqual({
          name,
          status: 'unknown',
        });
      }
    });
  });

  it('answers GET /health with small, valid JSON', async () => {
    const res = await app.get('/health').expect(200);

    expect(res.text.length).toBeLessThan(SMALL_BYTES);
    const { checks } = JSON.parse(res.text) as HealthDetailsBody;
    expect(checks['one-megabyte']).toMatchObject({ status: 'up' });
    expect(JSON.stringify(checks['one-megabyte'].data).length).toBeLessThan(SMALL_BYTES / 4);
    expect(checks['many-keys']).toMatchObject({ status: 'up' });
    expect(checks.circular).toMatchObject({ status: 'up', data: { name: 'node' } });
    expect(checks.functions).toMatchObject({ status: 'up', data: { ok: 1 } });
    expect(checks.bigint).toMatchObject({ status: 'up', data: { count: String(2n ** 70n) } });
    expect(checks.deep).toMatchObject({ status: 'up' });
    expect(checks['throwing-getter']).toMatchObject({ status: 'up', data: { ok: 1 } });
    expect(checks['throwing-to-json']).toMatchObject({ status: 'up' });
    expect(checks['returns-a-function']).toMatchObject({
      status: 'down',
      message: expect.stringContaining('returned an invalid result (function)'),
    });
  });

  it('redacts secrets however odd the data, and keeps the rest of it', async () => {
    const res = await app.get('/health').expect(200);
    expect(res.text).not.toContain(ODD_SECRET);
    const { data } = (res.body as HealthDetailsBody).checks['secrets-in-odd-data'];
    expect(data).toMatchObject({
      name: 'node',
      self: '[Circular]',
      dsn: expect.stringMatching(/^x{995} pos…$/),
      'amqp://guest:***@rabbit': { token: '***', count: String(2n ** 70n) },
    });
  });

  it('streams small, valid snapshots and changes', async () => {
    const stream = await SseClient.connect(`${await app.app.getUrl()}/health/stream?interval=0.5`);
    try {
      const first = await stream.next('snapshot');
      const second = await stream.next('snapshot');

      for (const event of [first, second]) {
        expect(typeof event.data).toBe('object'); // parsed as JSON
        expect(JSON.stringify(event.data).length).toBeLessThan(SMALL_BYTES);
        expect(event.data.checks.circular.data).toMatchObject({ name: 'node' });
        expect(JSON.stringify(event.data)).not.toContain(ODD_SECRET);
      }
    } finally {
      stream.close();
    }
  });

  it('answers the probes and the group as usual, with no unhandled error', async () => {
    // Readiness does not include them (it reflects the app's own dependencies).
    const ready = await app.get('/health/ready');
    expect(ready.body).toMatchObject({ group: 'readiness' });
    expect(Object.keys(ready.body.checks)).not.toContain('circular');
    const odd = await app.get('/health/group/odd').expect(503);
    expect(odd.body.checks['returns-a-function']).toEqual({ status: 'down' });
    await app.get('/health/group/odd?verbose').expect(503);
    expect(app.unhandledErrors).toEqual([]);
  });
});

import fc from 'fast-check';
import { MAX_DATA_BYTES, MAX_DATA_DEPTH, MAX_DATA_STRING_LENGTH, sanitizeData } from './sanitize';

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

describe('sanitizeData', () => {
  it('keeps ordinary data as it is, in a copy', () => {
    const data = {
      responseTimeMs: 1.25,
      queues: { orders: { messages: 3 } },
      ok: true,
      none: null,
    };

    const copy = sanitizeData(data);

    expect(copy).toEqual(data);
    expect(copy).not.toBe(data);
    data.queues.orders.messages = 4;
    expect(copy).toMatchObject({ queues: { orders: { messages: 3 } } });
  });

  it('writes what JSON cannot: bigint, NaN, infinities, functions, symbols, undefined', () => {
    expect(
      sanitizeData({
        big: 2n ** 70n,
        nan: NaN,
        inf: -Infinity,
        fn: () => 1,
        sym: Symbol('s'),
        undef: undefined,
        list: [1, () => 1, undefined, Symbol('s')],
      }),
    ).toEqual({ big: '1180591620717411303424', nan: null, inf: null, list: [1, null, null, null] });
  });

  it('uses toJSON (a Date), and reads an Error as its message', () => {
    const at = new Date('2026-11-21T10:00:00.000Z');

    expect(sanitizeData({ at, error: new Error('connect ECONNREFUSED') })).toEqual({
      at: '2026-11-21T10:00:00.000Z',
      error: 'connect ECONNREFUSED',
    });
  });

  it('marks circular references, and not shared ones', () => {
    const shared = { n: 1 };
    const node: Record<string, unknown> = { name: 'node', a: shared, b: shared };
    node.self = node;
    node.list = [node];

    expect(sanitizeData(node)).toEqual({
      name: 'node',
      a: { n: 1 },
      b: { n: 1 },
      self: '[Circular]',
      list: ['[Circular]'],
    });
  });

  it(`stops at ${MAX_DATA_DEPTH} levels`, () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 10_000; i += 1) deep = { child: deep };

    const text = JSON.stringify(sanitizeData(deep));

    expect(text).toContain('"[Too deep]"');
    expect(text.match(/child/g)).toHaveLength(MAX_DATA_DEPTH);
  });

  it('reads a throwing getter or a revoked proxy as "[Unreadable]"', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const data = {
      get broken(): unknown {
        throw new Error('nope');
      },
      proxy,
      ok: 1,
    };

    expect(sanitizeData(data)).toEqual({ broken: '[Unreadable]', proxy: '[Unreadable]', ok: 1 });
  });

  it('reads a throwing toJSON as "[Unserializable]"', () => {
    const data = {
      value: {
        toJSON() {
          throw new Error('nope');
        },
      },
    };

    expect(sanitizeData(data)).toEqual({ value: '[Unserializable]' });
  });

  it('cuts long strings with "…"', () => {
    const { text } = sanitizeData({ text: 'x'.repeat(5_000) }) as { text: string };

    expect(text).toHaveLength(MAX_DATA_STRING_LENGTH);
    expect(text.endsWith('…')).toBe(true);
  });

  it('cuts big data to MAX_DATA_BYTES, saying how much was left out', () => {
    const many = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`key${i}`, i]));
    const long = Array.from({ length: 100_000 }, (_, i) => i);

    const keys = sanitizeData(many);
    const items = sanitizeData({ long }) as { long: unknown[] };

    expect(jsonBytes(keys)).toBeLessThanOrEqual(MAX_DATA_BYTES);
    expect(keys['…']).toMatch(/^\d+ more keys$/);
    expect(jsonBytes(items)).toBeLessThanOrEqual(MAX_DATA_BYTES);
    expect(items.long.at(-1)).toMatch(/^… \d+ more items$/);
  });

  it('gives 0 for -0, as JSON reads it back', () => {
    const copy = sanitizeData({ zero: -0 }) as { zero: number };

    expect(Object.is(copy.zero, 0)).toBe(true);
  });

  it('keeps a key named __proto__ as a key, not as the prototype', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as object;

    const copy = sanitizeData(data);

    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'ok']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('redaction', () => {
    it('redacts the values of keys named like secrets, at any depth', () => {
      const data = {
        password: 'p1',
        dbPassword: 'p2',
        DB_PASSWD: 'p3',
        pwd: 'p4',
        clientSecret: 'p5',
        token: 'p6',
        accessToken: 'p7',
        refresh_token: 'p8',
        apiKey: 'p9',
        api_key: 'p10',
        'x-api-key': 'p11',
        Authorization: 'Bearer p12',
        cookie: 'sid=p13',
        'set-cookie': ['sid=p14'],
        credentials: { user: 'app', secret: 'p15' },
        nested: [{ deeper: { privateKey: 'p16', pass: 'p17', 'X-Auth-Token': 'p18' } }],
      };

      const copy = sanitizeData(data);

      expect(copy).toEqual({
        password: '***',
        dbPassword: '***',
        DB_PASSWD: '***',
        pwd: '***',
        clientSecret: '***',
        token: '***',
        accessToken: '***',
        refresh_token: '***',
        apiKey: '***',
        api_key: '***',
        'x-api-key': '***',
        Authorization: '***',
        cookie: '***',
        'set-cookie': '***',
        credentials: '***',
        nested: [{ deeper: { privateKey: '***', pass: '***', 'X-Auth-Token': '***' } }],
      });
      expect(JSON.stringify(copy)).not.toMatch(/p\d/);
    });

    it('keeps counts, flags and keys that only look like secret names', () => {
      const data = {
        tokens: 5,
        tokenCount: 3,
        tokenExpiresAt: '2026-12-01T00:00:00.000Z',
        tokenizer: 'bpe',
        passed: 12,
        passRate: 0.98,
        bypass: 'cache',
        auth: true,
        authMethod: 'scram-sha-256',
        password: null,
        passwordSet: false,
      };

      expect(sanitizeData(data)).toEqual(data);
    });

    it('redacts a number under a key that always names a secret, and keeps it under a count', () => {
      expect(sanitizeData({ password: 123456, apiKey: 42n, tokens: 7, pass: 3 })).toEqual({
        password: '***',
        apiKey: '***',
        tokens: 7,
        pass: 3,
      });
    });

    it('redacts credentials in every URL string, and in keys', () => {
      const copy = sanitizeData({
        url: 'postgres://u:pw1@h/db',
        list: ['redis://:pw2@cache:6379', { target: 'https://api/x?token=t3&page=2' }],
        note: 'connect to amqp://guest:pw4@rabbit failed; password=pw5',
        'mysql://root:pw6@db:3306/app': 'up',
        error: new Error('cannot reach postgres://app:pw7@db'),
      });

      expect(copy).toEqual({
        url: 'postgres://u:***@h/db',
        list: ['redis://:***@cache:6379', { target: 'https://api/x?token=***&page=2' }],
        note: 'connect to amqp://guest:***@rabbit failed; password=***',
        'mysql://root:***@db:3306/app': 'up',
        error: 'cannot reach postgres://app:***@db',
      });
    });

    it('redacts a URL that straddles the string cut rather than cutting it in half', () => {
      const text = `${'x'.repeat(MAX_DATA_STRING_LENGTH - 20)} postgres://u:longpassword@h/db`;
      const { text: kept } = sanitizeData({ text }) as { text: string };
      expect(kept).not.toContain('longpa');
      expect(kept).toHaveLength(MAX_DATA_STRING_LENGTH);
    });

    it('never lets a value under a secret key through, whatever it is (property)', () => {
      const secretKey = fc.constantFrom(
        'password',
        'dbPassword',
        'secret',
        'apiKey',
        'x-api-key',
        'authorization',
        'set-cookie',
        'credentials',
        'accessToken',
      );
      const marker = 'S3CRET-VALUE';
      const secretValue = fc.oneof(
        fc.constant(marker),
        fc.constant([marker]),
        fc.constant({ inner: marker }),
        fc.string().map((prefix) => `${prefix}${marker}`),
      );
      const tree = fc.letrec<{ node: unknown }>((tie) => ({
        node: fc.oneof(
          { depthSize: 'small' },
          fc.tuple(secretKey, secretValue).map(([key, value]) => ({ [key]: value })),
          fc.array(tie('node'), { maxLength: 4 }),
          fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
          fc.anything(),
        ),
      })).node;
      fc.assert(
        fc.property(tree, (node) => {
          const text = JSON.stringify(sanitizeData({ node }));
          expect(text).not.toContain(marker);
        }),
      );
    });
  });

  it('never throws, and always gives JSON of at most MAX_DATA_BYTES that reads back the same', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string(),
          fc.anything({ withBigInt: true, withDate: true, withMap: true }),
        ),
        (data) => {
          const copy = sanitizeData(data);
          const text = JSON.stringify(copy);
          expect(Buffer.byteLength(text, 'utf8')).toBeLessThanOrEqual(MAX_DATA_BYTES);
          expect(JSON.parse(text)).toEqual(copy);
        },
      ),
    );
  });

  it('stays within MAX_DATA_BYTES for large, wide and multi-byte data', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 3_000 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 5 }),
        (strings, nesting) => {
          let data: unknown = strings;
          for (let i = 0; i < nesting; i += 1) data = { level: i, data, copy: data };
          expect(jsonBytes(sanitizeData(data as object))).toBeLessThanOrEqual(MAX_DATA_BYTES);
        },
      ),
      { numRuns: 50 },
    );
  });
});

import fc from 'fast-check';
import { MAX_MESSAGE_LENGTH, messageFromError, redactSecrets, sanitizeMessage } from './sanitize';

describe('redactSecrets', () => {
  it.each([
    ['postgres://u:p@h:5432/db', 'postgres://u:***@h:5432/db'],
    ['postgresql://app:s3cr3t!@db.internal/app', 'postgresql://app:***@db.internal/app'],
    ['redis://:p@h:6379', 'redis://:***@h:6379'],
    ['rediss://default:hunter2@cache:6380/0', 'rediss://default:***@cache:6380/0'],
    ['amqp://u:p@h', 'amqp://u:***@h'],
    [
      'connect to amqps://guest:guest@rabbit:5671/vhost failed',
      'connect to amqps://guest:***@rabbit:5671/vhost failed',
    ],
    ['postgres://u:p@ss@h:5432/db', 'postgres://u:***@h:5432/db'],
  ])('redacts the password of the URL in %j', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('leaves URLs without credentials alone', () => {
    const text = 'GET https://example.com:8443/path?email=a@b.c failed; redis://cache:6379 ok';
    expect(redactSecrets(text)).toBe(text);
  });

  it.each([
    ['host=db user=app password=hunter2 dbname=app', 'host=db user=app password=*** dbname=app'],
    ['Server=db;Uid=app;Pwd=hunter2;Database=app', 'Server=db;Uid=app;Pwd=***;Database=app'],
    ['PASSWORD: "quoted secret" rejected', 'PASSWORD: "***" rejected'],
    ['{"password":"hunter2","user":"app"}', '{"password":"***","user":"app"}'],
    ["{ password: 'hunter2', user: 'app' }", "{ password: '***', user: 'app' }"],
    ['{"dbPassword":"x","accessToken":"y"}', '{"dbPassword":"***","accessToken":"***"}'],
    ['x-api-key: abc123 next', 'x-api-key: *** next'],
    ['Set-Cookie: sid=abc; Path=/', 'Set-Cookie: ***; Path=/'],
    ['DB_PWD=hunter2 DB_USER=app', 'DB_PWD=*** DB_USER=app'],
    ['auth failed: password=hunter2', 'auth failed: password=***'],
    ['token=abc123&x=1', 'token=***&x=1'],
    ['api_key=AKIA123 apiKey: xyz', 'api_key=*** apiKey: ***'],
  ])('redacts key=value secrets in %j', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('does not redact ordinary words that merely start like a secret key', () => {
    const text = 'password authentication failed for user "app"';
    expect(redactSecrets(text)).toBe(text);
  });

  it('redacts bearer and basic credentials', () => {
    expect(redactSecrets('sent Bearer abc.DEF-123_xyz~+/= to upstream')).toBe(
      'sent Bearer *** to upstream',
    );
    expect(redactSecrets('with Basic dXNlcjpwYXNz==')).toBe('with Basic ***');
  });

  it('redacts JWT-like strings', () => {
    const jwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const out = redactSecrets(`invalid session ${jwt} for user 1`);
    expect(out).toBe('invalid session *** for user 1');
    expect(out).not.toContain('eyJ');
  });

  it.each([
    ['Authorization: Bearer abc123', 'Authorization: ***'],
    ['authorization: Basic dXNlcjpwYXNz', 'authorization: ***'],
    ['Proxy-Authorization: Digest username=x', 'Proxy-Authorization: ***'],
    ['headers: { "Authorization": "Token t0k3n" }', 'headers: { "Authorization": "***" }'],
    ['Authorization=opaque-key-123, next', 'Authorization=***, next'],
  ])('redacts the value of the header in %j', (input, expected) => {
    const out = redactSecrets(input);
    expect(out).toBe(expected);
  });

  it('redacts the AUTH / HELLO arguments ioredis attaches to a reply error, inspected or as JSON', () => {
    // What util.inspect(error) and JSON.stringify(error) show of ioredis's WRONGPASS error
    expect(
      redactSecrets(
        "ReplyError: WRONGPASS invalid username-password pair { command: { name: 'auth', args: [ 'default', 'SuperSecret123' ] } }",
      ),
    ).toBe(
      "ReplyError: WRONGPASS invalid username-password pair { command: { name: 'auth', args: [***] } }",
    );
    expect(redactSecrets('{"command":{"name":"auth","args":["SuperSecret123"]}}')).toBe(
      '{"command":{"name":"auth","args":[***]}}',
    );
    expect(redactSecrets("{ name: 'hello', args: [ '3', 'AUTH', 'u', 'pw' ] }")).toBe(
      "{ name: 'hello', args: [***] }",
    );
    expect(redactSecrets("{ name: 'get', args: [ 'key' ] }")).toBe(
      "{ name: 'get', args: [ 'key' ] }",
    );
  });

  it.each([
    ['https://api/x?password=p1&ok=1', 'https://api/x?password=***&ok=1'],
    ['https://api/x?ok=1&access_token=t1#frag', 'https://api/x?ok=1&access_token=***#frag'],
    ['https://api/x?dbPassword=p1&api_key=k1', 'https://api/x?dbPassword=***&api_key=***'],
    ['https://api/x?x%2Dapi%2Dkey=k1', 'https://api/x?x%2Dapi%2Dkey=***'],
    ['https://api/x?next=https://b/y?token=t1', 'https://api/x?next=https://b/y?token=***'],
    ['https://u:p1@api/x?secret=s1', 'https://u:***@api/x?secret=***'],
  ])('redacts the query parameters named like a secret in %j', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it('keeps counts, flags and words that only look like secret names', () => {
    const text =
      'tokens: 5, passed: 3, tokenCount=4, auth=true, bypass=1, tokenizer=bpe, ?page=2&token=';
    expect(redactSecrets(text)).toBe(text);
  });

  // A transition line holds a message that was redacted when recorded: redacting the line
  // again ate the "}" of `{"password":***}` (`{"password":***; check took 3 ms)`).
  it.each([
    '(password=hunter2)',
    '{pwd: hunter2}',
    '[token=abc]',
    'x: up → down ({"password":"hunter2"}; check took 3 ms)',
    '{ authorization: abc123 }',
    'https://h/p?password=x&dbPassword=z#fragment',
    'postgres://u:pw@h,"email":"a@b.c"',
  ])('keeps the syntax around a secret, and redacting twice changes nothing: %j', (input) => {
    const once = redactSecrets(input);
    expect(redactSecrets(once)).toBe(once);
    for (const closer of [')', '}', ']', '#fragment', '"email":"a@b.c"']) {
      if (input.includes(closer)) expect(once).toContain(closer);
    }
    expect(once).not.toMatch(/hunter2|abc|\bpw@|=x&|=z/);
  });

  it('keeps the closing brace of a redacted JSON pair through a second redaction (the log line)', () => {
    const message = redactSecrets('{"password":"hunter2"}');
    const line = `db: up → down (${message}; check took 3 ms)`;
    expect(redactSecrets(line)).toBe('db: up → down ({"password":"***"}; check took 3 ms)');
    expect(redactSecrets('db: up → down ({"password":***}; check took 3 ms)')).toBe(
      'db: up → down ({"password":***}; check took 3 ms)',
    );
  });

  it('is idempotent on a query parameter the key=value rule redacted first', () => {
    // A counterexample the property below found: the value "<)" is no query value (it stops at
    // "<"), so the pair rule redacts it and keeps the ")"; a second pass must keep it too.
    const once = redactSecrets('?password=<)');
    expect(once).toBe('?password=***)');
    expect(redactSecrets(once)).toBe(once);
  });

  it('is idempotent on any text (property)', () => {
    const piece = fc.oneof(
      fc.string(),
      fc.constantFrom('=', ': ', '":"', '"', "'", '(', ')', '{', '}', '[', ']', '&', '?', '@', ' '),
      fc.constantFrom('password', 'dbPassword', 'token', 'x-api-key', 'pwd', 'passed', 'tokens'),
      fc.constantFrom('postgres://u:pw@h/db', 'https://h/p?token=t&x=1', '***', 'Bearer x'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const once = redactSecrets(pieces.join(''));
        expect(redactSecrets(once)).toBe(once);
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 500) },
    );
  });

  it('redacts a pair inside brackets or quotes and keeps them (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('password', 'dbPassword', 'DB_PWD', 'token', 'x-api-key', 'client_secret'),
        fc.stringMatching(/^[A-Za-z][A-Za-z0-9!$%^*+_.~-]{5,30}$/),
        fc.constantFrom(['(', ')'], ['{', '}'], ['[', ']'], ['<', '>'], ['', ''], ['', '}; next']),
        fc.constantFrom('=', ': ', ':'),
        (key, value, [open, close], separator) => {
          const out = redactSecrets(`${open}${key}${separator}${value}${close}`);
          expect(out).toBe(`${open}${key}${separator}***${close}`);
          expect(redactSecrets(`{"${key}":"${value}"}`)).toBe(`{"${key}":"***"}`);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 500) },
    );
  });

  it('stays fast on long text with no spaces (the pairs are bounded)', () => {
    const text = 'a:'.repeat(50_000);
    expect(redactSecrets(text)).toBe(text);
    expect(sanitizeMessage(`${'password='.repeat(100_000)}x`).length).toBeLessThanOrEqual(
      MAX_MESSAGE_LENGTH,
    );
  });

  it('redacts every occurrence, not only the first', () => {
    expect(redactSecrets('a=postgres://u:one@h b=postgres://v:two@h')).toBe(
      'a=postgres://u:***@h b=postgres://v:***@h',
    );
  });
});

describe('sanitizeMessage', () => {
  it('folds multi-line messages and control characters to single spaces', () => {
    expect(sanitizeMessage('  first line\n  second\tline\r\nthird\u0000\u001b[31m  ')).toBe(
      'first line second line third [31m',
    );
  });

  it('redacts before folding, so a secret split by a newline is still caught', () => {
    expect(sanitizeMessage('connect failed\n  password =\n  hunter2\n')).toBe(
      'connect failed password = ***',
    );
  });

  it('keeps a message of exactly MAX_MESSAGE_LENGTH characters', () => {
    const text = 'x'.repeat(MAX_MESSAGE_LENGTH);
    expect(sanitizeMessage(text)).toBe(text);
  });

  it('cuts longer messages to MAX_MESSAGE_LENGTH characters, ending with an ellipsis', () => {
    const out = sanitizeMessage('y'.repeat(MAX_MESSAGE_LENGTH + 50));
    expect(MAX_MESSAGE_LENGTH).toBe(300);
    expect(out).toHaveLength(MAX_MESSAGE_LENGTH);
    expect(out.endsWith('…')).toBe(true);
    expect(out.slice(0, -1)).toBe('y'.repeat(MAX_MESSAGE_LENGTH - 1));
  });

  it('redacts a secret beyond the cut rather than cutting it in half', () => {
    const out = sanitizeMessage(`${'z'.repeat(290)} postgres://u:longpassword@h`);
    expect(out).not.toContain('longpa');
    expect(out.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
  });
});

describe('messageFromError', () => {
  it('uses the message of an Error, sanitized', () => {
    expect(messageFromError(new Error('connect to postgres://app:pw@db failed\n    at x'))).toBe(
      'connect to postgres://app:***@db failed at x',
    );
  });

  it("uses the inner error of an AggregateError with an empty message (Node's ECONNREFUSED)", () => {
    const error = Object.assign(
      new AggregateError(
        [
          Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
          Object.assign(new Error('connect ECONNREFUSED ::1:1'), { code: 'ECONNREFUSED' }),
        ],
        '',
      ),
      { code: 'ECONNREFUSED' },
    );
    expect(error.message).toBe('');
    expect(messageFromError(error)).toBe('connect ECONNREFUSED 127.0.0.1:1');
  });

  it('falls back to the code of an AggregateError whose inner errors say nothing', () => {
    const error = Object.assign(new AggregateError([new Error(''), {}], ''), {
      code: 'ECONNREFUSED',
    });
    expect(messageFromError(error)).toBe('ECONNREFUSED');
    const noInner = Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' });
    expect(messageFromError(noInner)).toBe('ECONNREFUSED');
    expect(messageFromError(new AggregateError([new Error('')], ''))).toBe('AggregateError');
  });

  it('uses the code of an Error with an empty message', () => {
    expect(messageFromError(Object.assign(new Error(''), { code: 'ETIMEDOUT' }))).toBe('ETIMEDOUT');
    expect(messageFromError(Object.assign(new Error('   '), { code: 'EPIPE' }))).toBe('EPIPE');
  });

  it('uses the name of an Error with neither message nor code', () => {
    expect(messageFromError(new TypeError())).toBe('TypeError');
  });

  it('uses a thrown string as the message, sanitized', () => {
    expect(messageFromError('pool exhausted')).toBe('pool exhausted');
    expect(messageFromError('bad\npwd=secret')).toBe('bad pwd=***');
    expect(messageFromError('')).toBe('check failed');
  });

  it.each([
    [42, 'threw number 42'],
    [true, 'threw boolean true'],
    [10n, 'threw bigint 10'],
    [null, 'threw null'],
    [undefined, 'threw undefined'],
    [Symbol('boom'), 'threw Symbol(boom)'],
    [() => 1, 'threw a function'],
    [{}, 'threw a non-Error value'],
    [{ status: 'down' }, 'threw a non-Error value'],
  ])('describes a thrown %p', (value, expected) => {
    expect(messageFromError(value)).toBe(expected);
  });

  it('uses the message or code of a plain object that looks like an error', () => {
    expect(messageFromError({ message: 'from a plain object' })).toBe('from a plain object');
    expect(messageFromError({ code: 'ENOTFOUND' })).toBe('ENOTFOUND');
  });

  it('always returns a single line of at most MAX_MESSAGE_LENGTH characters', () => {
    const out = messageFromError(new Error(`${'long line\n'.repeat(100)}`));
    expect(out).not.toMatch(/\n/);
    expect(out.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
  });
});

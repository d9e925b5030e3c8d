import fc from 'fast-check';
import { request, type IncomingHttpHeaders } from 'node:http';
import { exampleApp, HTTP_ADAPTERS, type RunningExampleApp } from '../helpers/example-app';

/** Every route of the module; `:name` and `:check` are filled by the fuzzer. */
const ENDPOINTS = [
  '/health',
  '/health/live',
  '/health/ready',
  '/health/startup',
  '/health/live/:check',
  '/health/ready/:check',
  '/health/startup/:check',
  '/health/group/:name',
  '/health/group/:name/:check',
  '/livez',
  '/readyz',
  '/startupz',
  '/livez/:check',
  '/readyz/:check',
  '/startupz/:check',
  '/health/stream',
  '/health/dashboard',
  '/health/metrics',
] as const;

/** The probe routes (the ones that answer 503 when their group is down). */
const PROBE_ROUTE = /^\/(health\/(live|ready|startup|group)|livez|readyz|startupz)(\/|$)/;

/** Characters a client may put in a header value (visible ASCII, space, tab). */
const headerChar = fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code));
/** Characters a client may put raw in a request target. */
const targetChar = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));

const NASTY = [
  '',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' OR 1=1 --",
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '..',
  '%',
  '%00',
  '\u0000',
  '\u2028',
  '😀',
  'a'.repeat(500),
];

const text = fc.oneof(
  fc.constantFrom(...NASTY),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

/** A path parameter: known names, and anything. */
const pathParam = fc.oneof(
  fc.constantFrom('database', 'redis', 'queue', 'readiness', 'liveness', 'startup', 'odd'),
  text.filter((s) => s.length > 0),
);

const queryKey = fc.oneof(
  fc.constantFrom(
    'verbose',
    'exclude',
    'fresh',
    'interval',
    'group',
    'exclude[]',
    'exclude[0]',
    'verbose[x]',
    'interval[]',
    '__proto__',
    '__proto__[polluted]',
    'constructor[prototype][polluted]',
  ),
  text,
);

const queryValue = fc.oneof(
  fc.constantFrom(
    'true',
    'false',
    '1',
    '0',
    'yes',
    'database',
    'readiness',
    '0.5',
    '0.49',
    '300',
    '301',
    '-1',
    'NaN',
    'Infinity',
    '1e3',
    '0x10',
  ),
  text,
);

/** A query string: encoded pairs (a key alone, too), or raw characters. */
const queryString = fc.oneof(
  fc
    .array(fc.tuple(queryKey, queryValue, fc.boolean()), { maxLength: 6 })
    .map((pairs) =>
      pairs.map(([k, v, bare]) => (bare ? encode(k) : `${encode(k)}=${encode(v)}`)).join('&'),
    ),
  fc.string({ unit: targetChar, maxLength: 60 }).map((raw) => raw.replace(/#/g, '')),
);

const headerValue = fc.oneof(
  fc.constantFrom('', '<script>alert(1)</script>', '__proto__', '0', '-1', '99999999999999999999'),
  fc.string({ unit: headerChar, maxLength: 120 }),
);

const headers = fc.record(
  {
    accept: fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/health+json',
        'text/event-stream',
        'text/html',
        'text/plain',
        '*/*',
        'application/health+json;q=0.5, application/json;q=0.9',
        'application/openmetrics-text; version=1.0.0',
      ),
      headerValue,
    ),
    'last-event-id': headerValue,
    authorization: headerValue,
    'x-forwarded-for': headerValue,
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity', '*', 'x'),
    'if-none-match': headerValue,
    range: fc.constantFrom('bytes=0-10', 'bytes=-1', 'x'),
    cookie: headerValue,
    origin: headerValue,
  },
  { requiredKeys: [] },
);

const fuzzedRequest = fc.record({
  endpoint: fc.constantFrom(...ENDPOINTS),
  name: pathParam,
  check: pathParam,
  query: fc.option(queryString, { nil: undefined }),
  headers,
  method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD'),
});

/** Percent-encodes the UTF-8 bytes of `value` (a lone surrogate as U+FFFD), as a browser does. */
function encode(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9\-_.~]/.test(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * Sends one request and reads the answer; for an event stream, reads up to the first event and
 * disconnects.
 */
function send(
  baseUrl: string,
  path: string,
  method: string,
  headers: Record<string, string>,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(baseUrl);
    const req = request(
      { host: url.hostname, port: url.port, path, method, headers, agent: false },
      (res) => {
        let body = '';
        const streaming = String(res.headers['content-type']).startsWith('text/event-stream');
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (streaming && /^data: .*\n\n/m.test(body)) {
            res.destroy();
            done();
          }
        });
        res.on('end', done);
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

/** The inputs of a request that an answer must never carry raw: markup. */
function markupInputs(inputs: readonly string[]): string[] {
  return inputs.filter((input) => /[<>]/.test(input));
}

// A fault in parsing what a client sends must never take a health endpoint down: every answer is
// below 500, well-formed for its content type, and never carries the request's markup back.
describe.each(HTTP_ADAPTERS)('on %s, fuzzing every health endpoint', (adapter) => {
  let app: RunningExampleApp;
  let baseUrl: string;
  let dashboard: string;

  beforeAll(async () => {
    // Long budgets: the fuzzer asserts "never 5xx", so readiness must not blip under load.
    app = await exampleApp(adapter)
      .withHealthDefaults({ intervalMs: 5_000, timeoutMs: 5_000 })
      .withHealthOptions({ metrics: true })
      .start();
    baseUrl = await app.app.getUrl();
    await app.waitForCheck('queue', 'up');
    dashboard = (await send(baseUrl, '/health/dashboard', 'GET', {})).body;
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers below 500, well-formed, never echoing markup', async () => {
    await fc.assert(
      fc.asyncProperty(fuzzedRequest, async (fuzzed) => {
        const path = fuzzed.endpoint
          .replace(':name', encode(fuzzed.name))
          .replace(':check', encode(fuzzed.check));
        const target = fuzzed.query === undefined ? path : `${path}?${fuzzed.query}`;
        const answer = await send(baseUrl, target, fuzzed.method, fuzzed.headers);

        const type = String(answer.headers['content-type'] ?? '');
        expect(answer.status).toBeGreaterThanOrEqual(200);
        if (answer.status === 503) {
          // A probe whose group is down (a dependency blipped under load) is the one 503 that
          // says the truth; anything else at 500 and above is a fault of the endpoint.
          expect({ target, probe: PROBE_ROUTE.test(path) }).toEqual({ target, probe: true });
          if (fuzzed.method === 'GET') expect(answer.body).toMatch(/"status":"down"|check failed/);
        } else {
          expect(answer.status).toBeLessThan(500);
        }
        if (fuzzed.method === 'HEAD') return;
        if (/[/+]json\b/.test(type)) expect(() => JSON.parse(answer.body) as unknown).not.toThrow();
        if (type.startsWith('text/html')) expect(answer.body).toBe(dashboard);
        if (type.startsWith('text/event-stream')) {
          const data = /^data: (.*)$/m.exec(answer.body)?.[1];
          expect(() => JSON.parse(data!) as unknown).not.toThrow();
        }
        const inputs = [
          fuzzed.name,
          fuzzed.check,
          decodeSafely(fuzzed.query ?? ''),
          ...Object.values(fuzzed.headers),
        ];
        for (const input of markupInputs(inputs)) {
          if (!type.startsWith('text/html')) expect(answer.body).not.toContain(input);
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1_000), endOnFailure: true },
    );
  });

  it('logged no server error and no unhandled error', () => {
    expect(app.logs.linesOf('error', 'ExceptionsHandler')).toEqual([]);
    expect(app.unhandledErrors).toEqual([]);
  });
});

function decodeSafely(query: string): string {
  try {
    return decodeURIComponent(query);
  } catch {
    return query;
  }
}

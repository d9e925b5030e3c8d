import { connect as amqpConnect } from 'amqplib';
import Redis from 'ioredis';
import {
  down,
  HealthStateStore,
  type HealthChangeEvent,
  type HealthCheckFunction,
} from 'nest-health';
import { inspect } from 'node:util';
import { Client } from 'pg';
import type { Subscription } from 'rxjs';
import { exampleApp, HTTP_ADAPTERS, SERVICES, type RunningExampleApp } from './helpers/example-app';
import { hasRedisServer, TestRedisServer } from './helpers/redis-server';
import { SseClient } from './helpers/sse-client';
import { closedPort } from './helpers/tcp-server';

const SECRET = 'SuperSecret123';
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwcm9iZSJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';

/** A real error from a driver, with what it should still say once redacted. */
interface CorpusEntry {
  readonly name: string;
  readonly url: string;
  readonly error: unknown;
  /** A fragment of the message that must survive redaction (the reason is still useful). */
  readonly says: RegExp;
}

function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the driver to fail');
    },
    (error: unknown) => error,
  );
}

async function pgError(url: string): Promise<unknown> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  const error = await errorOf(client.connect());
  await client.end().catch(() => undefined);
  return error;
}

/** The first 'error' a client emits (ioredis reports a failed AUTH there, with the command). */
async function redisError(url: string): Promise<unknown> {
  const redis = new Redis(url, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  const emitted = new Promise<unknown>((resolve) => redis.once('error', resolve));
  redis.on('error', () => undefined);
  const rejected = errorOf(redis.connect().then(() => redis.ping()));
  const error = await Promise.race([emitted, rejected]);
  await rejected;
  redis.disconnect();
  return error;
}

async function collectCorpus(): Promise<CorpusEntry[]> {
  const closed = await closedPort();
  const corpus: CorpusEntry[] = [];
  const pgClosed = `postgres://app:${SECRET}@127.0.0.1:${closed}/db`;
  corpus.push({
    name: 'pg-refused',
    url: pgClosed,
    error: await pgError(pgClosed),
    says: /ECONNREFUSED/,
  });
  const pgRole = SERVICES.databaseUrl.replace('postgres@', `nobody_e2e:${SECRET}@`);
  corpus.push({
    name: 'pg-no-role',
    url: pgRole,
    error: await pgError(pgRole),
    says: /nobody_e2e/,
  });

  const redisClosed = `redis://:${SECRET}@127.0.0.1:${closed}`;
  corpus.push({
    name: 'redis-refused',
    url: redisClosed,
    error: await redisError(redisClosed),
    says: /ECONNREFUSED|Connection is closed/,
  });
  if (hasRedisServer()) {
    const server = await TestRedisServer.start(['--requirepass', 'the-right-one']);
    try {
      for (const [name, url] of [
        ['redis-wrongpass', `redis://:${SECRET}@127.0.0.1:${server.port}`],
        ['redis-wrongpass-user', `redis://default:${SECRET}@127.0.0.1:${server.port}/0`],
      ] as const) {
        corpus.push({ name, url, error: await redisError(url), says: /WRONGPASS/ });
      }
    } finally {
      await server.stop();
    }
  }

  const amqpUrl = `amqp://guest:${SECRET}@127.0.0.1:5672`;
  corpus.push({
    name: 'amqp-bad-password',
    url: amqpUrl,
    error: await errorOf(amqpConnect(amqpUrl)),
    says: /ACCESS.REFUSED/,
  });
  return corpus;
}

/**
 * The checks a corpus entry becomes: the driver's error thrown as it is, and the ways checks
 * commonly wrap it (the URL in the message, the inspected error, a JSON dump, more secrets).
 */
function checksOf(entry: CorpusEntry): Array<[string, HealthCheckFunction]> {
  const message = (entry.error as Error).message;
  return [
    [
      `${entry.name}-raw`,
      () => {
        throw entry.error;
      },
    ],
    [`${entry.name}-url`, () => Promise.reject(new Error(`cannot reach ${entry.url}: ${message}`))],
    [`${entry.name}-inspect`, () => down(inspect(entry.error))],
    [
      `${entry.name}-json`,
      () => down(`${message} ${JSON.stringify({ url: entry.url, error: entry.error })}`),
    ],
    [
      `${entry.name}-headers`,
      () =>
        Promise.reject(
          new AggregateError(
            [new Error(`${message}; password=${SECRET}; Authorization: Bearer ${JWT}`)],
            '',
          ),
        ),
    ],
  ];
}

describe.each(HTTP_ADAPTERS)('on %s, secrets in real driver errors', (adapter) => {
  let app: RunningExampleApp;
  let corpus: CorpusEntry[];
  const names: string[] = [];

  beforeAll(async () => {
    corpus = await collectCorpus();
    app = await exampleApp(adapter).start();
    for (const entry of corpus) {
      for (const [name, check] of checksOf(entry)) {
        app.registry.register(check, { name, groups: ['readiness', 'secrets'], timeoutMs: 2_000 });
        names.push(name);
      }
    }
    for (const name of names) await app.waitForCheck(name, 'down');
  }, 60_000);

  afterAll(async () => {
    for (const name of names) app?.registry.unregister(name);
    await app?.close();
  });

  it('has a corpus that carries the secret (the drivers were given it)', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(hasRedisServer() ? 6 : 4);
    const raw = corpus.map((entry) => `${entry.url} ${inspect(entry.error)}`).join('\n');
    expect(raw).toContain(SECRET);
  });

  it('never shows the secret in GET /health, and keeps the reason', async () => {
    const res = await app.get('/health').expect(200);
    expect(res.body.details).toBe('full'); // a loopback caller sees every message
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    expect(JSON.stringify(res.body)).not.toContain(JWT);
    for (const entry of corpus) {
      expect([entry.name, res.body.checks[`${entry.name}-raw`].message]).toEqual([
        entry.name,
        expect.stringMatching(entry.says),
      ]);
      expect(res.body.checks[`${entry.name}-url`].message).toContain(':***@');
    }
  });

  it('never shows the secret in ?verbose, nor in a per-check answer', async () => {
    for (const path of [
      '/health/ready?verbose',
      '/health/group/secrets?verbose',
      '/readyz?verbose',
    ]) {
      const res = await app.get(path).expect(503);
      expect(res.text).toContain('[-]pg-refused-url failed: cannot reach postgres://app:***@');
      expect(res.text).not.toContain(SECRET);
    }
    for (const name of names) {
      const res = await app.get(`/health/ready/${name}?verbose`).expect(503);
      expect(res.text).not.toContain(SECRET);
    }
  });

  it('never logs the secret', () => {
    const lines = app.logs.lines.map((line) => line.message);
    expect(lines.filter((line) => /pg-refused-url: unknown → down/.test(line))).toHaveLength(1);
    expect(lines.filter((line) => line.includes(SECRET))).toEqual([]);
    expect(lines.filter((line) => line.includes(JWT))).toEqual([]);
  });
});

/**
 * What an indicator puts in its data, with the secret in every place a check commonly puts one:
 * a connection string, a token, nested objects and arrays, headers, a URL query, a key.
 */
function secretData(): Record<string, unknown> {
  return {
    url: `postgres://app:${SECRET}@db.internal:5432/app`,
    token: SECRET,
    credentials: { user: 'app', password: SECRET },
    nested: {
      list: [
        { dbPassword: SECRET },
        `https://api.internal/v1/status?access_token=${SECRET}&page=2`,
      ],
      headers: { 'x-api-key': SECRET, 'set-cookie': [`sid=${SECRET}`], accept: 'text/plain' },
    },
    [`redis://:${SECRET}@cache.internal:6379`]: 'reachable',
    tokens: 5,
    responseTimeMs: 3,
  };
}

/** What every reader must get of {@link secretData}: the same shape, the secrets as `***`. */
const REDACTED_DATA = {
  url: 'postgres://app:***@db.internal:5432/app',
  token: '***',
  credentials: '***',
  nested: {
    list: [{ dbPassword: '***' }, 'https://api.internal/v1/status?access_token=***&page=2'],
    headers: { 'x-api-key': '***', 'set-cookie': '***', accept: 'text/plain' },
  },
  'redis://:***@cache.internal:6379': 'reachable',
  tokens: 5,
  responseTimeMs: 3,
};

// Data is redacted once, when the result is recorded: every reader gets the redacted copy.
describe.each(HTTP_ADAPTERS)('on %s, secrets in indicator data', (adapter) => {
  let app: RunningExampleApp;
  let base: string;
  const changes: HealthChangeEvent[] = [];
  let stream: SseClient | undefined;
  let subscription: Subscription | undefined;

  beforeAll(async () => {
    app = await exampleApp(adapter)
      .withHealthOptions({ metrics: true, format: { 'data-secrets': 'terminus' } })
      .start();
    base = (await app.app.getUrl()).replace('[::1]', '127.0.0.1');
    subscription = app.app.get(HealthStateStore).changes.subscribe((change) => {
      changes.push(change);
    });
    app.registry.register(
      () => down(`rejected {"password":"${SECRET}"} by the pool`, secretData()),
      { name: 'data-secrets', groups: ['data-secrets'], timeoutMs: 1_000 },
    );
    app.registry.register(() => Promise.resolve({ status: 'up' as const, data: secretData() }), {
      name: 'data-secrets-up',
      groups: ['data-secrets-up'],
      timeoutMs: 1_000,
    });
    await app.waitForCheck('data-secrets', 'down');
    await app.waitForCheck('data-secrets-up', 'up');
  });

  afterAll(async () => {
    stream?.close();
    subscription?.unsubscribe();
    await app?.close();
  });

  it('redacts the data in GET /health, and keeps the rest of it', async () => {
    const res = await app.get('/health').expect(200);
    expect(res.body.details).toBe('full');
    expect(res.body.checks['data-secrets'].data).toEqual(REDACTED_DATA);
    expect(res.body.checks['data-secrets-up'].data).toEqual(REDACTED_DATA);
    expect(res.body.checks['data-secrets'].message).toBe('rejected {"password":"***"} by the pool');
    expect(res.text).not.toContain(SECRET);
  });

  it('redacts the data in the Terminus format and in application/health+json', async () => {
    const terminus = await app.get('/health/group/data-secrets').expect(503);
    expect(terminus.body.error['data-secrets']).toMatchObject({
      ...REDACTED_DATA,
      status: 'down',
    });
    expect(terminus.text).not.toContain(SECRET);

    for (const path of ['/health', '/health/group/data-secrets-up']) {
      const json = await app.get(path).set('Accept', 'application/health+json');
      expect(json.headers['content-type']).toMatch(/^application\/health\+json/);
      expect(json.text).not.toContain(SECRET);
    }
  });

  it('redacts in ?verbose and per-check answers', async () => {
    for (const path of [
      '/health/group/data-secrets?verbose',
      '/health/group/data-secrets-up?verbose',
      '/health/group/data-secrets/data-secrets?verbose',
    ]) {
      const res = await app.get(path);
      expect(res.text).not.toContain(SECRET);
    }
  });

  it('redacts the data in the stream', async () => {
    stream = await SseClient.connect(`${base}/health/stream`);
    const snapshot = await stream.next('snapshot');
    const checks = snapshot.data.checks as Record<string, { data: unknown }>;
    expect(checks['data-secrets'].data).toEqual(REDACTED_DATA);
    expect(checks['data-secrets-up'].data).toEqual(REDACTED_DATA);
    expect(JSON.stringify(snapshot.data)).not.toContain(SECRET);
  });

  it("gives change listeners (the change hooks' source) the redacted data", () => {
    const ours = changes.filter(
      (change) => change.type === 'indicator' && change.name.startsWith('data-secrets'),
    );
    expect(ours.map((change) => change.name).sort()).toEqual(['data-secrets', 'data-secrets-up']);
    for (const change of ours) {
      expect(change.type === 'indicator' && change.state.data).toEqual(REDACTED_DATA);
    }
    expect(JSON.stringify(changes)).not.toContain(SECRET);
  });

  it('puts no secret in the metrics, labels included', async () => {
    const res = await app.get('/health/metrics').expect(200);
    expect(res.text).toContain('health_indicator_status{indicator="data-secrets",state="down"} 1');
    expect(res.text).not.toContain(SECRET);
  });

  it('logs no secret, and keeps the syntax of a redacted message in the line', () => {
    const lines = app.logs.lines.map((line) => line.message);
    expect(lines.filter((line) => line.startsWith('data-secrets: unknown → down'))).toEqual([
      expect.stringMatching(
        /^data-secrets: unknown → down \(rejected \{"password":"\*\*\*"\} by the pool; check took [\d.]+ ms\)$/,
      ),
    ]);
    expect(lines.filter((line) => line.includes(SECRET))).toEqual([]);
  });
});

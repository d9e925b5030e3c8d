import { connect as amqpConnect } from 'amqplib';
import Redis from 'ioredis';
import { down, type HealthCheckFunction } from 'nest-health';
import { inspect } from 'node:util';
import { Client } from 'pg';
import { exampleApp, HTTP_ADAPTERS, SERVICES, type RunningExampleApp } from './helpers/example-app';
import { hasRedisServer, TestRedisServer } from './helpers/redis-server';
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

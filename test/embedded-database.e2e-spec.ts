import { SERVICES, HTTP_ADAPTERS } from './helpers/example-app';
import { ExampleProcess } from './helpers/example-process';
import { waitFor } from './helpers/wait-for';

// main.ts runs in a process of its own here: PGlite loads Node's built-ins with dynamic
// `import()`, which Jest's module sandbox refuses without --experimental-vm-modules.
describe.each(HTTP_ADAPTERS)('main.ts on %s, with no DATABASE_URL', (adapter) => {
  let example: ExampleProcess;
  let url: string;

  beforeAll(async () => {
    example = ExampleProcess.start({
      HTTP_ADAPTER: adapter,
      PORT: '0',
      REDIS_URL: SERVICES.redisUrl,
      QUEUE_PREFIX: `e2e-main-${adapter}`,
    });
    url = await example.url();
  });

  afterAll(async () => {
    await example?.stop('SIGKILL');
  });

  it('checks its embedded PGlite database, and is ready', async () => {
    const { body } = await waitFor(async () => {
      const res = await fetch(`${url}/health/ready`);
      expect(res.status).toBe(200);
      return { body: (await res.json()) as { checks: Record<string, { status: string }> } };
    });

    expect(body.checks).toEqual({
      database: { status: 'up' },
      redis: { status: 'up' },
      queue: { status: 'up' },
    });
    const details = (await (await fetch(`${url}/health`)).json()) as {
      checks: { database: { data: unknown } };
    };
    expect(details.checks.database.data).toEqual({ responseTimeMs: expect.any(Number) });
  });

  it('shuts down on SIGTERM, closing everything, without an error', async () => {
    const { ms } = await example.stop('SIGTERM');

    expect(ms).toBeLessThan(5_000);
    expect(example.logs).not.toMatch(/\bERROR\b/);
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});

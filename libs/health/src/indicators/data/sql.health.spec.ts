import 'reflect-metadata';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import {
  BlackHoleServer,
  checkOnce,
  closedPort,
  runInEngine,
  waitFor,
} from '../../../spec-helpers/faults';
import { sqlIndicator } from './sql.health';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('sqlIndicator (real PostgreSQL)', () => {
  const pools: Pool[] = [];
  const clients: Client[] = [];

  function pool(config: ConstructorParameters<typeof Pool>[0] = {}): Pool {
    const created = new Pool({ connectionString: DATABASE_URL, max: 2, ...config });
    created.on('error', () => undefined);
    pools.push(created);
    return created;
  }

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.end()));
    await Promise.allSettled(pools.splice(0).map((p) => p.end()));
  });

  it('is up through a pg Pool, with the pool counts as data', async () => {
    const result = await checkOnce(sqlIndicator(pool()));
    expect(result).toEqual({
      status: 'up',
      data: {
        responseTimeMs: expect.any(Number),
        poolTotalCount: 1,
        poolIdleCount: 1,
        poolWaitingCount: 0,
      },
    });
  });

  it('is up through a connected pg Client, with a statement of its own', async () => {
    const client = new Client({ connectionString: DATABASE_URL });
    clients.push(client);
    await client.connect();
    const result = await checkOnce(sqlIndicator(client, { query: 'SELECT now()' }));
    expect(result).toEqual({ status: 'up', data: { responseTimeMs: expect.any(Number) } });
  });

  it("is up through a TypeORM DataSource, on its driver's pg Pool, which it drops at the deadline", async () => {
    const dataSource = await new DataSource({
      type: 'postgres',
      url: DATABASE_URL,
      poolSize: 2,
    }).initialize();
    try {
      expect(await checkOnce(sqlIndicator(dataSource))).toEqual({
        status: 'up',
        data: {
          responseTimeMs: expect.any(Number),
          poolTotalCount: 1,
          poolIdleCount: 1,
          poolWaitingCount: 0,
        },
      });
      const slow = await runInEngine(
        sqlIndicator(dataSource, { query: 'SELECT pg_sleep(2)' }),
        300,
      );
      expect(slow).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
      await slow.settled;
      const master = (dataSource.driver as unknown as { master: Pool }).master;
      await waitFor(() => master.totalCount === 0);
    } finally {
      await dataSource.destroy();
    }
  });

  it('fails on a closed port with ECONNREFUSED', async () => {
    const port = await closedPort();
    await expect(
      checkOnce(
        sqlIndicator(pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/test` })),
      ),
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  it("fails with the server's reason for a role that does not exist", async () => {
    const wrong = pool({ connectionString: 'postgres://nosuchrole@127.0.0.1:5432/test' });
    await expect(checkOnce(sqlIndicator(wrong))).rejects.toThrow(
      /role "nosuchrole" does not exist/,
    );
  });

  it("fails with the server's reason for a bad statement, and gives the connection back", async () => {
    const healthy = pool();
    await expect(checkOnce(sqlIndicator(healthy, { query: 'SELEC 1' }))).rejects.toThrow(
      /syntax error/,
    );
    expect(healthy.idleCount).toBe(1);
  });

  it('drops the connection of a statement that outlives the deadline', async () => {
    const healthy = pool();
    const indicator = sqlIndicator(healthy, { query: 'SELECT pg_sleep(2)' });
    const result = await runInEngine(indicator, 300);
    expect(result).toMatchObject({
      status: 'down',
      message: 'timed out after 300 ms',
      timedOut: true,
    });
    await result.settled;
    // destroyed, not returned to the pool busy: the pool has its slot back
    await waitFor(() => healthy.totalCount === 0);
    expect((await checkOnce(sqlIndicator(healthy))).status).toBe('up');
  });

  it('against a server that accepts and never answers: timed out, and no socket left', async () => {
    const hole = await BlackHoleServer.start();
    try {
      const hanging = pool({
        connectionString: `postgres://postgres@127.0.0.1:${hole.port}/test`,
        connectionTimeoutMillis: 400,
      });
      const result = await runInEngine(sqlIndicator(hanging), 200);
      expect(result).toMatchObject({ status: 'down', message: 'timed out after 200 ms' });
      expect(hole.accepted).toBe(1);
      await result.settled;
      // The pool's connectionTimeoutMillis cuts the connection it was opening.
      await waitFor(() => hole.open === 0);
      expect(hanging.totalCount).toBe(0);
    } finally {
      await hole.close();
    }
  });

  it('is degraded past a response-time level', async () => {
    const result = await checkOnce(
      sqlIndicator(pool(), {
        query: 'SELECT pg_sleep(0.05)',
        responseTimeMs: { degradedAbove: 10 },
      }),
    );
    expect(result.status).toBe('degraded');
    expect(result.message).toMatch(/^responseTimeMs \d+(\.\d+)? is above 10$/);
  });

  it('rejects something without query(), without printing it', () => {
    expect(() => sqlIndicator({ password: 'secret' } as never)).toThrow(
      /sqlIndicator\(\)[\s\S]*"client" is "a plain object": must have a query\(sql\) method/,
    );
    expect(() => sqlIndicator(pool(), { query: '' })).toThrow(/"query"/);
  });
});

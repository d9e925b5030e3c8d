import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/mysql';
import { createPool as createCallbackPool } from 'mysql2';
import { createConnection, createPool, type Connection, type Pool } from 'mysql2/promise';
import { Sequelize } from 'sequelize';
import { DataSource } from 'typeorm';
import { checkOnce, runInEngine, waitFor } from '../../../spec-helpers/faults';
import { PrivateMariaDbServer } from '../../../spec-helpers/mariadb-server';
import type { BuiltInIndicator } from '../core';
import { sqlIndicator, type SqlClient } from './sql.health';

const SHARED = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' };

/** One way an app holds MySQL/MariaDB: the client given to sqlIndicator, and how to close it. */
interface Subject {
  readonly client: SqlClient;
  close(): Promise<void>;
}

type SubjectFactory = (port: number) => Promise<Subject>;

const subjects: Record<string, SubjectFactory> = {
  'a mysql2/promise pool': (port) => {
    const pool = createPool({ ...SHARED, port, connectionLimit: 2, connectTimeout: 1_000 });
    return Promise.resolve({ client: pool, close: () => pool.end() });
  },
  'a TypeORM DataSource': async (port) => {
    const dataSource = await new DataSource({
      type: 'mariadb',
      host: '127.0.0.1',
      port,
      username: 'root',
      password: '',
      database: 'test',
      poolSize: 2,
      connectTimeout: 1_000,
    }).initialize();
    return { client: dataSource, close: () => dataSource.destroy() };
  },
  'a Sequelize instance': (port) => {
    const sequelize = new Sequelize('test', 'root', '', {
      host: '127.0.0.1',
      port,
      dialect: 'mysql', // through mysql2, also for MariaDB
      logging: false,
      pool: { max: 2, acquire: 1_000 },
      dialectOptions: { connectTimeout: 1_000 },
    });
    return Promise.resolve({ client: sequelize, close: () => sequelize.close() });
  },
  'a MikroORM instance': async (port) => {
    const orm = await MikroORM.init({
      host: '127.0.0.1',
      port,
      user: 'root',
      password: '',
      dbName: 'test',
      entities: [],
      discovery: { warnWhenNoEntities: false },
      pool: { min: 0, max: 2, acquireTimeoutMillis: 1_000 },
      driverOptions: { connection: { connectTimeout: 1_000 } },
    });
    return { client: orm, close: () => orm.close(true) };
  },
};

const POOL_FACTS = {
  responseTimeMs: expect.any(Number),
  poolTotalCount: 1,
  poolIdleCount: 1,
  poolWaitingCount: 0,
};

describe('sqlIndicator (real MariaDB, 127.0.0.1:3306)', () => {
  const closers: Array<() => Promise<void>> = [];

  afterEach(async () => {
    await Promise.allSettled(closers.splice(0).map((close) => close()));
  });

  it.each(Object.entries(subjects))('is up through %s, with its pool as data', async (_, make) => {
    const subject = await make(SHARED.port);
    closers.push(() => subject.close());
    expect(await checkOnce(sqlIndicator(subject.client))).toEqual({
      status: 'up',
      data: POOL_FACTS,
    });
  });

  it('is up through a mysql2/promise connection, which it leaves open', async () => {
    const connection: Connection = await createConnection(SHARED);
    closers.push(() => connection.end());
    const result = await checkOnce(sqlIndicator(connection, { query: 'SELECT VERSION()' }));
    expect(result).toEqual({ status: 'up', data: { responseTimeMs: expect.any(Number) } });
    await expect(connection.query('SELECT 1')).resolves.toBeDefined();
  });

  it("is up through a callback mysql2 pool's promise()", async () => {
    const pool = createCallbackPool({ ...SHARED, connectionLimit: 2 });
    closers.push(() => new Promise((resolve) => pool.end(() => resolve())));
    expect(await checkOnce(sqlIndicator(pool.promise()))).toEqual({
      status: 'up',
      data: POOL_FACTS,
    });
  });

  it("fails with the server's reason for a bad statement, and gives the connection back", async () => {
    const pool: Pool = createPool({ ...SHARED, connectionLimit: 2 });
    closers.push(() => pool.end());
    await expect(checkOnce(sqlIndicator(pool, { query: 'SELEC 1' }))).rejects.toThrow(
      /You have an error in your SQL syntax/,
    );
    expect((await checkOnce(sqlIndicator(pool))).data).toEqual(POOL_FACTS);
  });

  it("fails with the server's reason for a wrong login, without the password", async () => {
    const pool = createPool({ ...SHARED, user: 'nosuchuser', password: 'hunter2-secret' });
    closers.push(() => pool.end());
    const failure = checkOnce(sqlIndicator(pool));
    await expect(failure).rejects.toThrow(/Access denied for user 'nosuchuser'/);
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });

  it('destroys the connection of a statement that outlives the deadline', async () => {
    const pool = createPool({ ...SHARED, connectionLimit: 2 });
    closers.push(() => pool.end());
    const result = await runInEngine(sqlIndicator(pool, { query: 'SELECT SLEEP(2)' }), 300);
    expect(result).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
    await result.settled;
    // destroyed, not returned busy to the pool: the pool is empty and lends a fresh connection
    expect((pool.pool as unknown as { _allConnections: unknown[] })._allConnections).toHaveLength(
      0,
    );
    expect((await checkOnce(sqlIndicator(pool))).data).toEqual(POOL_FACTS);
  });

  it('rejects something that is neither queryable nor a MikroORM instance', () => {
    expect(() => sqlIndicator({ em: {} } as never)).toThrow(
      /"client" is "a plain object": must have a query\(sql\) method/,
    );
  });
});

const describePrivate = PrivateMariaDbServer.available() ? describe : describe.skip;

describePrivate('sqlIndicator on a MariaDB server that hangs, dies and comes back', () => {
  let server: PrivateMariaDbServer;
  let admin: Connection;

  beforeAll(async () => {
    server = await PrivateMariaDbServer.start();
    admin = await createConnection({ ...SHARED, port: server.port });
  }, 30_000);

  afterAll(async () => {
    await admin?.end().catch(() => undefined);
    await server?.close();
  });

  /** Connections open on the server, the admin connection that asks included. */
  async function threadsConnected(): Promise<number> {
    const [rows] = await admin.query("SHOW STATUS LIKE 'Threads_connected'");
    return Number((rows as Array<{ Value: string }>)[0].Value);
  }

  describe.each(Object.entries(subjects))('through %s', (_, make) => {
    let subject: Subject;
    let indicator: BuiltInIndicator;

    beforeAll(async () => {
      subject = await make(server.port);
      indicator = sqlIndicator(subject.client, { timeoutMs: 300 });
    });

    afterAll(async () => {
      await subject?.close().catch(() => undefined);
    });

    it('is up, and 10,000 runs open no connection on the server', async () => {
      expect((await checkOnce(indicator)).status).toBe('up');
      const before = await threadsConnected();
      let up = 0;
      for (let i = 0; i < 10_000; i += 1) {
        if ((await checkOnce(indicator)).status === 'up') up += 1;
      }
      expect(up).toBe(10_000);
      expect(await threadsConnected()).toBe(before);
    }, 60_000);

    it('hung (SIGSTOP): down at the deadline, its connection destroyed, up again after', async () => {
      expect((await checkOnce(indicator)).data).toEqual(POOL_FACTS);
      const before = await threadsConnected(); // the admin's and the pool's
      await server.pause();
      let result;
      try {
        result = await runInEngine(indicator, 300);
        await result.settled;
      } finally {
        server.resume();
      }
      expect(result).toMatchObject({ status: 'down', message: 'timed out after 300 ms' });
      // the socket was closed by the client: the server sees it gone once it runs again
      await waitFor(async () => (await threadsConnected()) === before - 1, 5_000);
      // the pool lends a fresh connection, and holds one, not two
      expect((await checkOnce(indicator)).data).toEqual(POOL_FACTS);
      expect(await threadsConnected()).toBe(before);
    }, 20_000);

    it('server killed: down; restarted: up again with the same client', async () => {
      await server.stop();
      try {
        const result = await runInEngine(indicator, 1_000);
        await result.settled;
        expect(result.status).toBe('down');
      } finally {
        await server.restart();
        admin.destroy();
        admin = await createConnection({ ...SHARED, port: server.port });
      }
      let last: unknown;
      await waitFor(async () => {
        const result = await runInEngine(indicator, 1_000);
        await result.settled;
        last = result;
        return result.status === 'up';
      }, 10_000).catch(() => {
        throw new Error(`not up again: ${JSON.stringify(last)}`);
      });
    }, 40_000);
  });
});

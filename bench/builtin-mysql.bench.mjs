// sqlIndicator over MySQL / MariaDB: for a mysql2/promise pool, a TypeORM DataSource, a Sequelize
// instance and a MikroORM instance on the server at 127.0.0.1:3306 (root, no password, db test),
// the median check time over 30 runs and the connections the server saw opened per 1,000 runs
// (its `Connections` counter, read on a connection of the benchmark's own, before and after).
//   npm run build:lib && node bench/builtin-mysql.bench.mjs
//   MYSQL_PORT=3307 node bench/builtin-mysql.bench.mjs     (another server)
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MikroORM } from '@mikro-orm/mysql';
import { createConnection, createPool } from 'mysql2/promise';
import { Sequelize } from 'sequelize';
import { DataSource } from 'typeorm';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { sqlIndicator } = require(join(here, '..', 'dist', 'libs', 'health'));

const PORT = Number(process.env.MYSQL_PORT ?? 3306);
const DB = { host: '127.0.0.1', port: PORT, user: 'root', password: '', database: 'test' };
const TIMED_RUNS = 30;
const COUNTED_RUNS = 1_000;

const subjects = {
  'mysql2/promise pool': async () => {
    const pool = createPool({ ...DB, connectionLimit: 4 });
    return { client: pool, close: () => pool.end() };
  },
  'TypeORM DataSource': async () => {
    const dataSource = await new DataSource({
      type: 'mariadb',
      host: DB.host,
      port: PORT,
      username: DB.user,
      password: DB.password,
      database: DB.database,
      poolSize: 4,
    }).initialize();
    return { client: dataSource, close: () => dataSource.destroy() };
  },
  'Sequelize (mysql dialect)': async () => {
    const sequelize = new Sequelize(DB.database, DB.user, DB.password, {
      host: DB.host,
      port: PORT,
      dialect: 'mysql',
      logging: false,
      pool: { max: 4 },
    });
    return { client: sequelize, close: () => sequelize.close() };
  },
  'MikroORM (@mikro-orm/mysql)': async () => {
    const orm = await MikroORM.init({
      host: DB.host,
      port: PORT,
      user: DB.user,
      password: DB.password,
      dbName: DB.database,
      entities: [],
      discovery: { warnWhenNoEntities: false },
      pool: { min: 0, max: 4 },
    });
    return { client: orm, close: () => orm.close(true) };
  },
};

function check(indicator) {
  const controller = new AbortController();
  return indicator.check({ signal: controller.signal, name: 'bench', timeoutMs: 2_000 });
}

async function status(admin, name) {
  const [rows] = await admin.query('SHOW GLOBAL STATUS LIKE ?', [name]);
  return Number(rows[0].Value);
}

const admin = await createConnection(DB);
const rows = [];
for (const [name, make] of Object.entries(subjects)) {
  const subject = await make();
  try {
    const indicator = sqlIndicator(subject.client);
    await check(indicator); // the pool's first connection
    const times = [];
    for (let i = 0; i < TIMED_RUNS; i += 1) {
      const started = performance.now();
      const result = await check(indicator);
      times.push(performance.now() - started);
      if (result.status !== 'up') throw new Error(`${name}: ${JSON.stringify(result)}`);
    }
    times.sort((a, b) => a - b);
    const median = (times[14] + times[15]) / 2;
    const openedBefore = await status(admin, 'Connections');
    const threadsBefore = await status(admin, 'Threads_connected');
    for (let i = 0; i < COUNTED_RUNS; i += 1) await check(indicator);
    const opened = (await status(admin, 'Connections')) - openedBefore;
    const threads = (await status(admin, 'Threads_connected')) - threadsBefore;
    rows.push({
      client: name,
      'median check (ms)': Number(median.toFixed(3)),
      'connections opened / 1,000 runs': opened,
      'Threads_connected change': threads,
    });
  } finally {
    await subject.close();
  }
}
const [[server]] = await admin.query('SELECT VERSION() AS version');
await admin.end();
console.log(`sqlIndicator on ${server.version} at 127.0.0.1:${PORT}, Node ${process.version}`);
console.table(rows);

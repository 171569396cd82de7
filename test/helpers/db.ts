/**
 * The test database: TEST_DATABASE_URL (default: the local server, database shop_test) with the process id
 * appended, so concurrent test runs on one server never share a database. The first caller creates it,
 * runs every migration; `resetDb()` truncates all tables so each test starts from a known, empty state.
 * The database is dropped when the run ends.
 */
import pg from 'pg';
import type { Sequelize } from 'sequelize';
import { createSequelize } from '../../src/db/sequelize.js';
import { migrate } from '../../src/db/migrator.js';
import { initModels } from '../../src/models/index.js';
import { parseConfig, type Config } from '../../src/config.js';

function perProcessUrl(base: string): string {
  const u = new URL(base);
  u.pathname = `/${u.pathname.replace(/^\//, '')}_${process.pid}`;
  return u.toString();
}

/** The environment of the test configuration (tests that need other settings parse `{...testEnv, …}`). */
export const testEnv: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_ENV: 'test',
  SECRET_KEY: 'test-secret-key-0123456789',
  BACKEND_DOMAIN: 'http://shop.test',
  PASSWORD_HASH_ROUNDS: '4', // fast bcrypt in tests
  // one database per test process: concurrent runs on one server never share (or wipe) each other's data
  TEST_DATABASE_URL: perProcessUrl(parseConfig({ ...process.env, NODE_ENV: 'test' }).testDatabaseUrl),
};

export const testConfig: Config = parseConfig(testEnv);

/** Every SQL statement the app sends, for the query-count tests. */
export const queryLog: string[] = [];

let ready: Promise<Sequelize> | null = null;

async function adminQuery(url: string, fn: (client: pg.Client, name: string) => Promise<void>): Promise<void> {
  const u = new URL(url);
  const name = u.pathname.replace(/^\//, '').replace(/"/g, '');
  u.pathname = '/postgres';
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    await fn(client, name);
  } finally {
    await client.end();
  }
}

async function ensureDatabase(url: string): Promise<void> {
  await adminQuery(url, async (client, name) => {
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount === 0) await client.query(`CREATE DATABASE "${name}"`);
  });
}

after(async function () {
  this.timeout(30_000);
  if (!ready) return;
  const s = await ready;
  await s.close();
  await adminQuery(testConfig.testDatabaseUrl, async (client, name) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }).catch(() => {});
});

export function testDb(): Promise<Sequelize> {
  ready ??= (async () => {
    await ensureDatabase(testConfig.testDatabaseUrl);
    const sequelize = createSequelize(testConfig.testDatabaseUrl, { poolMax: 20, onQuery: (sql) => queryLog.push(sql) });
    await sequelize.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
    initModels(sequelize);
    await migrate(sequelize);
    return sequelize;
  })();
  return ready;
}

export async function resetDb(): Promise<Sequelize> {
  const sequelize = await testDb();
  const [rows] = await sequelize.query(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'SequelizeMeta'`,
  );
  const tables = (rows as Array<{ tablename: string }>).map((r) => `"${r.tablename}"`);
  if (tables.length) await sequelize.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
  return sequelize;
}

/** Count the SQL statements `fn` sends (ignores transaction bookkeeping). */
export async function countQueries(fn: () => Promise<unknown>): Promise<number> {
  const start = queryLog.length;
  await fn();
  return queryLog.slice(start).filter((q) => !/^Executing \((default|[0-9a-f-]+)\): (START TRANSACTION|COMMIT|ROLLBACK|SET)/.test(q)).length;
}

/** Wait until some statement of this database waits for a lock (a request queued behind a test's transaction). */
export async function untilSomeoneWaitsForALock(sequelize: Sequelize): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [[row]] = (await sequelize.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    )) as [Array<{ n: number }>, unknown];
    if (row!.n > 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('nothing ever waited for a lock');
}

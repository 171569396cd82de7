// Two processes starting at once on one new database (two servers of a deployment, the app and the worker):
// migrations and seeders run once, under a PostgreSQL advisory lock (src/db/bootstrap.ts underStartupLock).
import { expect } from 'chai';
import { createRequire } from 'node:module';
import pg from 'pg';
import { QueryTypes } from 'sequelize';
import { testConfig } from '../helpers/db.js';
import { createSequelize } from '../../src/db/sequelize.js';
import { migrate, seeder } from '../../src/db/migrator.js';
import { runSeeders, underStartupLock, STARTUP_LOCK_KEY } from '../../src/db/bootstrap.js';

describe('start-up: migrations and seeders under an advisory lock', function () {
  this.timeout(240_000);
  const url = new URL(testConfig.testDatabaseUrl);
  const name = `${url.pathname.slice(1)}_startup_${process.pid}`;
  const admin = () => {
    const u = new URL(testConfig.testDatabaseUrl);
    u.pathname = '/postgres';
    return new pg.Client({ connectionString: u.toString() });
  };
  const run = async (sql: string) => {
    const c = admin();
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  const dbUrl = () => {
    const u = new URL(testConfig.testDatabaseUrl);
    u.pathname = `/${name}`;
    return u.toString();
  };

  before(async () => {
    await run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await run(`CREATE DATABASE "${name}"`);
  });
  after(async () => {
    await run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  it('two starts at once on an empty database: each migration and seeder runs once, both succeed', async () => {
    const a = createSequelize(dbUrl(), { poolMax: 4 });
    const b = createSequelize(dbUrl(), { poolMax: 4 });
    try {
      const start = (s: typeof a) => underStartupLock(dbUrl(), async () => ({ migrations: await migrate(s), seeders: await runSeeders(s, false) }));
      const [ra, rb] = await Promise.all([start(a), start(b)]);
      // one of them did all the work, the other found nothing pending
      const counts = [ra.migrations.length, rb.migrations.length].sort((x, y) => x - y);
      expect(counts[0]).to.equal(0);
      expect(counts[1]).to.be.greaterThan(10);
      expect(Math.min(ra.seeders.length, rb.seeders.length)).to.equal(0);
      const [meta] = await a.query<{ n: number; d: number }>(`SELECT count(*)::int AS n, count(DISTINCT name)::int AS d FROM "SequelizeMeta"`, { type: QueryTypes.SELECT });
      expect(meta!.n).to.equal(counts[1]);
      expect(meta!.d).to.equal(meta!.n);
      // seeders are recorded where sequelize-cli looks for them (SequelizeData), not among the migrations
      const seeded = (await a.query<{ name: string }>(`SELECT name FROM "SequelizeData" ORDER BY name`, { type: QueryTypes.SELECT })).map((r) => r.name);
      expect(seeded).to.deep.equal([...ra.seeders, ...rb.seeders].sort());
      // the lock is released when done
      const [lock] = await a.query<{ held: number }>(`SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND objid = :key`, { type: QueryTypes.SELECT, replacements: { key: STARTUP_LOCK_KEY } });
      expect(lock!.held).to.equal(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('an older database with seeders recorded among the migrations: the bookkeeping migration moves them', async () => {
    const s = createSequelize(dbUrl(), { poolMax: 2 });
    try {
      await s.query(`INSERT INTO "SequelizeMeta" (name) VALUES ('20261125000010-notification-templates.cjs'), ('20261206150001-demo-certificates.cjs')`);
      await s.query(`DELETE FROM "SequelizeData"`);
      const mod = createRequire(import.meta.url)('../../migrations/20261206205001-seeder-bookkeeping.cjs') as { up(qi: unknown): Promise<void> };
      await mod.up(s.getQueryInterface());
      const meta = (await s.query<{ name: string }>(`SELECT name FROM "SequelizeMeta" WHERE name LIKE '%templates%' OR name LIKE '%demo%'`, { type: QueryTypes.SELECT })).map((r) => r.name);
      expect(meta).to.deep.equal([]);
      const data = (await s.query<{ name: string }>(`SELECT name FROM "SequelizeData" ORDER BY name`, { type: QueryTypes.SELECT })).map((r) => r.name);
      expect(data).to.deep.equal(['20261125000010-notification-templates.cjs', '20261206150001-demo-certificates.cjs']);
      // a seeder moved is not run again
      const pending = (await seeder(s).pending()).map((m) => m.name);
      expect(pending).to.include('20261125000001-demo-catalog.cjs');
      expect(pending).to.not.include('20261125000010-notification-templates.cjs');
      expect(pending).to.not.include('20261206150001-demo-certificates.cjs');
    } finally {
      await s.close();
    }
  });
});

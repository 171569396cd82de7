/**
 * Open the database for the app or a CLI: DATABASE_URL, or else the embedded PostgreSQL; then models,
 * migrations and (optionally) seeders. One place, used by `npm start`, `npm run worker` and the CLIs.
 */
import pg from 'pg';
import type { Sequelize } from 'sequelize';
import type { Config } from '../config.js';
import { createSequelize } from './sequelize.js';
import { startEmbeddedPostgres, type EmbeddedDb } from './embedded.js';
import { migrate, seeder } from './migrator.js';
import { initModels } from '../models/index.js';
import { logger } from '../logger.js';
import { assertNoDemoAccounts } from './demo-accounts.js';

export interface Database {
  sequelize: Sequelize;
  url: string;
  close(): Promise<void>;
}

export async function openDatabase(config: Config, opts: { migrate?: boolean; seed?: boolean; refuseDemoAccounts?: boolean } = {}): Promise<Database> {
  let url = config.databaseUrl;
  let embedded: EmbeddedDb | undefined;
  if (!url) {
    logger.info('DATABASE_URL is not set: starting the embedded PostgreSQL', { dir: config.embeddedPg.dir, port: config.embeddedPg.port });
    embedded = await startEmbeddedPostgres(config.embeddedPg.dir, config.embeddedPg.port, (m) => logger.warn(m));
    url = embedded.url;
  }
  const sequelize = createSequelize(url, { poolMax: config.dbPoolMax });
  initModels(sequelize);
  try {
    await sequelize.authenticate();
    if (opts.migrate || opts.seed) {
      await underStartupLock(url, async () => {
        if (opts.migrate) {
          const ran = await migrate(sequelize);
          if (ran.length) logger.info('migrations applied', { ran });
        }
        if (opts.seed) {
          // config refuses SEED_DEMO=true in production; this is the second lock on the same door
          const ran = await runSeeders(sequelize, config.seedDemo && config.env !== 'production');
          if (ran.length) logger.info('seeders applied', { ran });
        }
      });
    }
    // the app and the worker refuse to run in production next to demo accounts (the CLIs do not, so
    // `npm run user -- set-password` can fix them)
    if (opts.refuseDemoAccounts && config.env === 'production') await assertNoDemoAccounts(sequelize);
  } catch (e) {
    await sequelize.close().catch(() => {});
    await embedded?.stop().catch(() => {});
    throw e;
  }
  return {
    sequelize,
    url,
    async close() {
      await sequelize.close();
      await embedded?.stop();
    },
  };
}

/** Any fixed number: the advisory lock that serializes migrations and seeders across processes. */
export const STARTUP_LOCK_KEY = 720_261_206;

/**
 * Run `fn` while holding a PostgreSQL advisory lock on a connection of its own: two app processes (two
 * servers of one deployment, the web app and `npm run worker`, a CLI) starting at once would otherwise both
 * see the same pending migrations and seeders and run them twice (a duplicate table, a duplicate demo
 * catalogue). The second waits, then finds nothing pending. The lock goes with the connection if the
 * process dies.
 */
export async function underStartupLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [STARTUP_LOCK_KEY]);
    return await fn();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [STARTUP_LOCK_KEY]).catch(() => {});
    await client.end().catch(() => {});
  }
}

/** Run pending seeders once each; demo seeders (name contains "-demo-") only when SEED_DEMO is on. */
export async function runSeeders(sequelize: Sequelize, includeDemo: boolean): Promise<string[]> {
  const u = seeder(sequelize);
  const pending = (await u.pending()).map((m) => m.name).filter((n) => includeDemo || !n.includes('-demo-'));
  if (pending.length === 0) return [];
  await u.up({ migrations: pending });
  return pending;
}

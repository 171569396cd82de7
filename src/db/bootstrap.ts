/**
 * Open the database for the app or a CLI: DATABASE_URL, or else the embedded PostgreSQL; then models,
 * migrations and (optionally) seeders. One place, used by `npm start`, `npm run worker` and the CLIs.
 */
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
    if (opts.migrate) {
      const ran = await migrate(sequelize);
      if (ran.length) logger.info('migrations applied', { ran });
    }
    if (opts.seed) {
      // config refuses SEED_DEMO=true in production; this is the second lock on the same door
      const ran = await runSeeders(sequelize, config.seedDemo && config.env !== 'production');
      if (ran.length) logger.info('seeders applied', { ran });
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

/** Run pending seeders once each; demo seeders (name contains "-demo-") only when SEED_DEMO is on. */
export async function runSeeders(sequelize: Sequelize, includeDemo: boolean): Promise<string[]> {
  const u = seeder(sequelize);
  const pending = (await u.pending()).map((m) => m.name).filter((n) => includeDemo || !n.includes('-demo-'));
  if (pending.length === 0) return [];
  await u.up({ migrations: pending });
  return pending;
}

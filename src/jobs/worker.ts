/**
 * `npm run worker`: the job worker alone (no HTTP), so web and worker processes scale apart. Needs
 * DATABASE_URL (the embedded PostgreSQL belongs to `npm start`, which runs its own in-process worker) and a
 * migrated database. SIGTERM/SIGINT: stop taking jobs, let running ones finish (JOBS_SHUTDOWN_TIMEOUT_SECONDS),
 * unlock the rest, close the pools, exit 0.
 */
import { QueryTypes } from 'sequelize';
import { loadConfig, ConfigError } from '../config.js';
import { openDatabase } from '../db/bootstrap.js';
import { createPortOneClient } from '../portone/client.js';
import { registerOrderNotifications } from '../services/notifications.js';
import { logger } from '../logger.js';
import { startJobs } from './definitions.js';
import { AGENDA_TABLE } from './agenda.js';

async function main(): Promise<void> {
  const config = loadConfig();
  logger.setLevel(config.logLevel);
  if (!config.databaseUrl) {
    throw new ConfigError(
      'Invalid configuration:\n  DATABASE_URL: `npm run worker` needs the shared database; with the embedded PostgreSQL, `npm start` runs the worker in-process',
    );
  }
  const db = await openDatabase(config, { migrate: false, refuseDemoAccounts: true });
  const [table] = await db.sequelize.query<{ t: string | null }>(`SELECT to_regclass(:t) AS t`, { type: QueryTypes.SELECT, replacements: { t: AGENDA_TABLE } });
  if (!table?.t) {
    await db.close();
    throw new Error(`table ${AGENDA_TABLE} is missing: run \`npm run db:migrate\` (or start the web process) first`);
  }
  registerOrderNotifications(); // order events raised by jobs send their e-mails too
  const jobs = await startJobs({ config, sequelize: db.sequelize, portone: createPortOneClient(config.portone), process: true, url: db.url, name: `worker-${process.pid}` });
  logger.info('worker started', { pollIntervalMs: config.jobs.pollIntervalMs, smtp: config.mail.smtp ? 'configured' : 'not configured' });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('worker stopping', { signal });
    await jobs.stop().catch((e) => logger.error('job queue stop failed', { error: String(e) }));
    await db.close().catch((e) => logger.error('close failed', { error: String(e) }));
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  if (e instanceof ConfigError) process.stderr.write(`${e.message}\n`);
  else process.stderr.write(`Worker start-up failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

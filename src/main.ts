/**
 * `npm start`: configuration → database (embedded PostgreSQL unless DATABASE_URL) → migrations → seeders
 * (first run) → job queue (+ in-process worker) → HTTP server. SIGINT/SIGTERM stop the server, let running
 * jobs finish, close the pools and the embedded PostgreSQL.
 */
import type { Server } from 'node:http';
import { loadConfig, ConfigError, type Config } from './config.js';
import { openDatabase } from './db/bootstrap.js';
import { createApp } from './http/app.js';
import { clientErrorHandler } from './http/errors.js';
import { createPortOneClient } from './portone/client.js';
import { logger } from './logger.js';
import { startJobs } from './jobs/definitions.js';
import { registerOrderNotifications } from './services/notifications.js';
import { mountAdmin, adminSettings } from '../admin/index.js';

/**
 * The local demo's PortOne: without PortOne credentials (and never with NODE_ENV=production) `npm start`
 * runs the PortOne v1 simulator in-process, so checkout → pay → webhook → refund work on a fresh clone.
 * Only this composition root knows; the services see an ordinary PortOne client. PORTONE_DEMO_SIMULATOR=false
 * turns it off (checkouts then fail with 502 until real credentials are set).
 */
async function startDemoSimulator(config: Config) {
  if (!config.portone.demoSimulator.enabled) return null;
  const { startPortOneSimulator } = await import('./portone/simulator.js');
  const client = { apiUrl: '', impKey: 'demo-imp-key', impSecret: 'demo-imp-secret' };
  const webhookHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const sim = await startPortOneSimulator({
    port: config.portone.demoSimulator.port,
    host: '127.0.0.1',
    impKey: client.impKey,
    impSecret: client.impSecret,
    webhookUrl: `http://${webhookHost.includes(':') ? `[${webhookHost}]` : webhookHost}:${config.port}/v1/shop/payment-histories/`,
  });
  client.apiUrl = sim.url;
  logger.warn('PortOne simulator in use (demo): no real payments are made', {
    url: sim.url,
    pay: `curl -X POST ${sim.url}/__sim/pay -H 'content-type: application/json' -d '{"merchant_uid":"<from checkout>"}'`,
  });
  return { sim, client };
}

async function main(): Promise<void> {
  const config = loadConfig();
  logger.setLevel(config.logLevel);
  const db = await openDatabase(config, { migrate: true, seed: true, refuseDemoAccounts: true });
  const demoSim = await startDemoSimulator(config);
  const portone = createPortOneClient(demoSim ? { ...config.portone, ...demoSim.client } : config.portone);
  // Jobs (issue #8): every process enqueues; the worker runs here unless JOBS_IN_PROCESS=false (`npm run worker`).
  registerOrderNotifications();
  const jobs = await startJobs({ config, sequelize: db.sequelize, portone, process: config.jobs.inProcess, url: db.url });
  const app = createApp({ config, sequelize: db.sequelize, portone });
  // Admin panel (issue #7) at /admin; AdminJS is imported lazily (ADMIN_ENABLED=false to leave it out).
  const admin = adminSettings();
  if (admin.enabled) await mountAdmin(app, { config, sequelize: db.sequelize, portone }, admin);
  const server: Server = app.listen(config.port, config.host, () => {
    const base = `http://localhost:${config.port}`;
    logger.info('listening', { url: base, catalog: `${base}/v1/shop/products/`, admin: admin.enabled ? `${base}/admin` : 'disabled', openapi: `${base}/openapi.json` });
  });
  server.on('clientError', clientErrorHandler); // oversized URL / headers, malformed requests: the error shape too

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    server.close();
    server.closeAllConnections?.();
    await jobs.stop().catch((e) => logger.error('job queue stop failed', { error: String(e) }));
    await db.close().catch((e) => logger.error('close failed', { error: String(e) }));
    await demoSim?.sim.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  if (e instanceof ConfigError) process.stderr.write(`${e.message}\n`);
  else process.stderr.write(`Start-up failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

/**
 * `npm start`: configuration → database (embedded PostgreSQL unless DATABASE_URL) → migrations → seeders
 * (first run) → job queue (+ in-process worker) → HTTP server. SIGINT/SIGTERM stop the server, let running
 * jobs finish, close the pools and the embedded PostgreSQL.
 *
 * WEB_CONCURRENCY=N > 1 (default in production: one per CPU): this process (the cluster primary) does the
 * database, migrations, seeders, the job worker and the demo simulator / fake NHN, then forks N web workers
 * (src/cluster.ts) that serve HTTP on the shared port.
 */
import type { Server } from 'node:http';
import cluster from 'node:cluster';
import { once } from 'node:events';
import { loadConfig, ConfigError, type Config } from './config.js';
import { openDatabase, type Database } from './db/bootstrap.js';
import { superviseWorkers } from './cluster.js';
import { watchCatalogChanges } from './services/catalog-changes.js';
import { createApp } from './http/app.js';
import { clientErrorHandler } from './http/errors.js';
import { createPortOneClient } from './portone/client.js';
import { logger } from './logger.js';
import { startJobs } from './jobs/definitions.js';
import { configureNotifications, notificationSettingsFrom, registerOrderNotifications } from './services/notifications.js';
import { mountAdmin, adminSettings } from '../admin/index.js';

/** connections waiting to be accepted (see the listen call) */
export const LISTEN_BACKLOG = 4096;

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

/**
 * The local demo's NHN Cloud (Kakao alimtalk, SMS): without NHN keys (and never in production) `npm start`
 * runs the fake NHN server in-process and points the senders at it; messages are listed at
 * `GET <url>/__fake/messages`. NHN_DEMO_FAKE=false turns it off (Kakao / SMS then fail "not configured").
 */
async function startDemoNhn(config: Config): Promise<{ close(): Promise<void>; config: Config } | null> {
  if (!config.nhn.demoFake.enabled) return null;
  const { startFakeNhn } = await import('./nhn/fake-server.js');
  const alimtalk = { appKey: 'demo-alimtalk-app-key', secretKey: 'demo-alimtalk-secret' };
  const sms = { appKey: 'demo-sms-app-key', secretKey: 'demo-sms-secret' };
  const fake = await startFakeNhn({ port: config.nhn.demoFake.port, host: '127.0.0.1', alimtalk, sms });
  logger.warn('fake NHN Cloud in use (demo): Kakao / SMS messages are only recorded', { messages: `${fake.url}/__fake/messages` });
  return {
    close: () => fake.close(),
    config: {
      ...config,
      nhn: {
        ...config.nhn,
        alimtalk: { ...config.nhn.alimtalk, ...alimtalk, apiUrl: fake.url, senderKey: config.nhn.alimtalk.senderKey || 'demo-sender-key' },
        sms: { ...config.nhn.sms, ...sms, apiUrl: fake.url, sendNo: config.nhn.sms.sendNo || '0212345678' },
      },
    },
  };
}

/** What the cluster primary hands each web worker (the database it opened, the demo simulator it runs). */
interface WorkerStart {
  type: 'shop:start';
  databaseUrl: string;
  demoPortone: { apiUrl: string; impKey: string; impSecret: string } | null;
  /** the NHN settings pointing at the primary's fake NHN server (demo), or null */
  demoNhn: Config['nhn'] | null;
}

/**
 * One web process: the API (and the panel) on `db`. `jobsProcess`: run the job worker here too (single
 * process), else only enqueue. Returns its stop function.
 */
async function serveWeb(
  config: Config,
  db: Database,
  demo: Pick<WorkerStart, 'demoPortone' | 'demoNhn'>,
  jobsProcess: boolean,
): Promise<() => Promise<void>> {
  const portone = createPortOneClient(demo.demoPortone ? { ...config.portone, ...demo.demoPortone } : config.portone);
  // Jobs: every process enqueues; the worker runs here unless JOBS_IN_PROCESS=false (`npm run worker`).
  registerOrderNotifications();
  const jobsConfig = demo.demoNhn ? { ...config, nhn: demo.demoNhn } : config;
  if (demo.demoNhn) configureNotifications(notificationSettingsFrom(jobsConfig)); // Kakao on, through the fake
  const jobs = await startJobs({ config: jobsConfig, sequelize: db.sequelize, portone, process: jobsProcess, url: db.url });
  // other processes' catalogue writes (other web workers, the job worker, CLIs, the panel) reach this
  // process's catalogue cache through LISTEN/NOTIFY at once instead of after CATALOG_CACHE_MS
  const catalogChanges = config.catalogCacheMs > 0 ? await watchCatalogChanges(db.sequelize) : null;
  const app = createApp({ config, sequelize: db.sequelize, portone });
  // Admin panel at /admin; AdminJS is imported lazily (ADMIN_ENABLED=false to leave it out).
  const admin = adminSettings();
  if (admin.enabled) await mountAdmin(app, { config, sequelize: db.sequelize, portone }, admin);
  // A ticket opening sends thousands of connections at once: with Node's default listen backlog (511) the
  // accept queue overflowed on a busy 2-core machine (the rush bench: 2,000 buyers, ~11,000 listen drops and
  // connections reset). The kernel caps it at net.core.somaxconn.
  const server: Server = app.listen(config.port, config.host, LISTEN_BACKLOG, () => {
    const base = `http://localhost:${config.port}`;
    logger.info('listening', {
      url: base,
      catalog: `${base}/v1/shop/products/`,
      admin: admin.enabled ? `${base}/admin` : 'disabled',
      openapi: `${base}/openapi.json`,
      ...(cluster.isWorker ? { worker: cluster.worker!.id, pid: process.pid } : {}),
    });
  });
  server.on('clientError', clientErrorHandler); // oversized URL / headers, malformed requests: the error shape too
  return async () => {
    // Stop taking connections and let the requests already running finish — a checkout or a webhook cut
    // half-way leaves a buyer without an answer (a rolling restart during a ticket rush) — closing keep-alive
    // connections as they go idle; what still runs after DRAIN_MS is cut. Only then the job queue and the pool
    // (closing the pool under running requests failed them with "connection manager was closed").
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections?.();
    const idle = setInterval(() => server.closeIdleConnections?.(), 100); // keep-alive ones that just finished
    const cut = setTimeout(() => server.closeAllConnections?.(), DRAIN_MS);
    await drained;
    clearInterval(idle);
    clearTimeout(cut);
    await jobs.stop().catch((e) => logger.error('job queue stop failed', { error: String(e) }));
    await catalogChanges?.close().catch(() => undefined);
    await db.close().catch((e) => logger.error('close failed', { error: String(e) }));
  };
}

/** How long a stopping web process lets running requests finish (the cluster primary waits 10 s in all). */
const DRAIN_MS = 5_000;

function onStopSignal(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    void stop(signal).finally(() => process.exit(0));
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

async function main(): Promise<void> {
  const config = loadConfig();
  logger.setLevel(config.logLevel);
  if (cluster.isWorker) return startWorker(config);
  const db = await openDatabase(config, { migrate: true, seed: true, refuseDemoAccounts: true });
  const demoSim = await startDemoSimulator(config);
  const demoNhn = await startDemoNhn(config);
  const demo = { demoPortone: demoSim?.client ?? null, demoNhn: demoNhn?.config.nhn ?? null };
  if (config.webConcurrency <= 1) {
    const stopWeb = await serveWeb(config, db, demo, config.jobs.inProcess);
    onStopSignal(async () => {
      await stopWeb();
      await demoSim?.sim.close().catch(() => undefined);
      await demoNhn?.close().catch(() => undefined);
    });
    return;
  }
  // WEB_CONCURRENCY > 1: this process migrated (above) and runs the job worker and the demo simulator once;
  // the web workers share the listening socket (node:cluster) and everything else through PostgreSQL
  // (sessions, checkout holds, sign-in state; catalogue caches invalidated by LISTEN/NOTIFY).
  const portone = createPortOneClient(demoSim ? { ...config.portone, ...demoSim.client } : config.portone);
  registerOrderNotifications();
  if (demoNhn) configureNotifications(notificationSettingsFrom(demoNhn.config));
  const jobs = config.jobs.inProcess ? await startJobs({ config: demoNhn?.config ?? config, sequelize: db.sequelize, portone, process: true, url: db.url }) : null;
  const web = superviseWorkers(config.webConcurrency, { type: 'shop:start', databaseUrl: db.url, ...demo } satisfies WorkerStart);
  onStopSignal(async () => {
    await web.stop();
    await jobs?.stop().catch((e) => logger.error('job queue stop failed', { error: String(e) }));
    await db.close().catch((e) => logger.error('close failed', { error: String(e) }));
    await demoSim?.sim.close().catch(() => undefined);
    await demoNhn?.close().catch(() => undefined);
  });
}

/** A cluster worker: waits for the primary's start message, then serves on the primary's database. */
async function startWorker(config: Config): Promise<void> {
  const started = once(process, 'message') as Promise<[WorkerStart]>;
  process.send!({ type: 'shop:ready' }); // asked for only now: a message sent before we listen would be lost
  const [start] = await started;
  // the primary opened the database (maybe an embedded one): use its URL, never start another server
  const db = await openDatabase({ ...config, databaseUrl: start.databaseUrl }, {});
  const stopWeb = await serveWeb(config, db, start, false);
  onStopSignal(stopWeb);
  // the primary asks for a stop by IPC (a signal to the whole group reaches us too: one stop either way)
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'shop:stop') process.emit('SIGTERM');
  });
}

main().catch((e) => {
  if (e instanceof ConfigError) process.stderr.write(`${e.message}\n`);
  else process.stderr.write(`Start-up failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

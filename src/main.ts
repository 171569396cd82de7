/**
 * `npm start`: configuration → database (embedded PostgreSQL unless DATABASE_URL) → migrations → seeders
 * (first run) → HTTP server. SIGINT/SIGTERM stop the server, the pool and the embedded PostgreSQL.
 */
import type { Server } from 'node:http';
import { loadConfig, ConfigError } from './config.js';
import { openDatabase } from './db/bootstrap.js';
import { createApp } from './http/app.js';
import { createPortOneClient } from './portone/client.js';
import { logger } from './logger.js';

async function main(): Promise<void> {
  const config = loadConfig();
  logger.setLevel(config.logLevel);
  const db = await openDatabase(config, { migrate: true, seed: true });
  const portone = createPortOneClient(config.portone);
  const app = createApp({ config, sequelize: db.sequelize, portone });
  const server: Server = app.listen(config.port, config.host, () => {
    logger.info('listening', { url: `http://localhost:${config.port}`, catalog: `http://localhost:${config.port}/v1/shop/products/` });
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    server.close();
    server.closeAllConnections?.();
    await db.close().catch((e) => logger.error('close failed', { error: String(e) }));
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

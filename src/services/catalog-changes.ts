/**
 * Cross-process invalidation of the catalogue cache: one connection per process LISTENs on
 * `catalog_changed`, which a statement-level trigger on every table the catalogue is built from NOTIFYs at
 * commit (migration 20261206180000). Each notification drops this process's cache (`CatalogCache.invalidate`),
 * so another web worker's checkout, the panel's edit or a CLI import shows in the next catalogue answer here —
 * not CATALOG_CACHE_MS later. This process's own writes arrive too (harmless: they already invalidated).
 *
 * When the connection is lost the cache is dropped (notifications may have been missed) and the connection
 * is opened again (1 s, doubling up to 30 s); until then CATALOG_CACHE_MS bounds how stale an answer can be.
 */
import pg from 'pg';
import type { Sequelize } from 'sequelize';
import { poolConfigOf } from '../db/sequelize.js';
import { catalogCache } from './catalog-cache.js';
import { logger } from '../logger.js';

export const CATALOG_CHANNEL = 'catalog_changed';

export interface CatalogChanges {
  /** Resolves once LISTEN is active again after a reconnect (tests). */
  readonly listening: Promise<void>;
  close(): Promise<void>;
}

/** Start listening (resolves once the first LISTEN is active). */
export async function watchCatalogChanges(sequelize: Sequelize): Promise<CatalogChanges> {
  const cache = catalogCache(sequelize);
  let client: pg.Client | null = null;
  let closed = false;
  let retryMs = 1000;
  let timer: NodeJS.Timeout | null = null;
  let listening!: Promise<void>;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ ...poolConfigOf(sequelize), application_name: 'catalog-cache-listener' });
    client = c;
    let lost = false;
    const onLost = (e?: Error) => {
      if (lost || closed) return;
      lost = true;
      cache.invalidate(); // what happened while we were not listening is unknown
      logger.warn('catalogue cache: LISTEN connection lost; reconnecting', { error: e?.message, retryInMs: retryMs });
      c.end().catch(() => undefined);
      timer = setTimeout(() => {
        listening = connect().catch(() => undefined);
      }, retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    };
    c.on('error', onLost);
    c.on('end', () => onLost());
    c.on('notification', (n) => {
      if (n.channel === CATALOG_CHANNEL) cache.invalidate();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CATALOG_CHANNEL}`);
      retryMs = 1000;
      cache.invalidate(); // writes between the previous LISTEN and this one were not heard
    } catch (e) {
      onLost(e as Error);
      throw e;
    }
  };

  listening = connect();
  await listening;
  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}

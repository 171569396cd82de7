/**
 * The `django` bench case: `npm run import:django` of a generated Django backend (test/fixtures/django-backend.ts:
 * N orders of two items each, option answers, customer and ticket info, a ledger with full and partial refunds,
 * history rows) into an empty, migrated database of ours. Both databases are its own (`<bench db>_<pid>_django_src`,
 * `<bench db>_<pid>_django_dst`), created and dropped here. Measures the whole run: staging, writes, history,
 * verification, commit.
 */
import { createSequelize } from '../src/db/sequelize.js';
import { migrate } from '../src/db/migrator.js';
import { initModels } from '../src/models/index.js';
import { formatPhases, importFromDjango } from '../src/services/django-import.js';
import { createDjangoDatabase, dropDjangoDatabase, generateBulk, recreateDatabase, type BulkSize } from '../test/fixtures/django-backend.js';

function withDb(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface DjangoBenchResult {
  orders: number;
  rows: number;
  generateSeconds: number;
  importSeconds: number;
  secondRunSeconds: number;
  differences: number;
  /** where the first run's / the re-run's time went */
  phases: string;
  secondRunPhases: string;
}

export async function benchDjangoImport(benchUrl: string, size: BulkSize): Promise<DjangoBenchResult> {
  // per process: these are dropped WITH (FORCE) at the start and end of a run, which on a machine shared by
  // several people (or CI beside a developer) terminated the connections of another run using the same names
  const base = `${new URL(benchUrl).pathname.slice(1)}_${process.pid}`;
  const srcUrl = withDb(benchUrl, `${base}_django_src`);
  const dstUrl = withDb(benchUrl, `${base}_django_dst`);
  const g0 = Date.now();
  const src = await createDjangoDatabase(srcUrl);
  await generateBulk(src, size);
  await src.end();
  const generateSeconds = (Date.now() - g0) / 1000;

  await recreateDatabase(dstUrl);
  const s = createSequelize(dstUrl, { poolMax: 4 });
  try {
    initModels(s);
    await migrate(s);
    const t0 = Date.now();
    const first = await importFromDjango(s, { from: srcUrl });
    const importSeconds = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    const second = await importFromDjango(s, { from: srcUrl }); // re-run: nothing new
    const secondRunSeconds = (Date.now() - t1) / 1000;
    return {
      orders: first.ordersVerified,
      rows: first.counts.reduce((n, c) => n + c.source, 0),
      generateSeconds,
      importSeconds,
      secondRunSeconds,
      differences: first.differences.length,
      phases: formatPhases(first.phases),
      secondRunPhases: formatPhases(second.phases),
    };
  } finally {
    await s.close();
    await dropDjangoDatabase(srcUrl).catch(() => {});
    await dropDjangoDatabase(dstUrl).catch(() => {});
  }
}

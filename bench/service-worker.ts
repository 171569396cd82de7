/**
 * Child process of `npm run bench` for what has no HTTP endpoint yet: the admin order list page and the CSV
 * export, called through their services (src/services/admin-orders.ts, src/services/export.ts) against the
 * bench database. Prints one JSON line per measurement on stdout. A service that does not exist (yet) is
 * reported as `{"name": …, "missing": "…"}`.
 *
 *   node --import tsx bench/service-worker.ts <database-url> admin-list <seconds>
 *   node --import tsx bench/service-worker.ts <database-url> csv-export <orders>
 */
import { Writable } from 'node:stream';
import { createSequelize } from '../src/db/sequelize.js';
import { initModels } from '../src/models/index.js';

const [url, what, arg] = process.argv.slice(2);
let queries = 0;
const sequelize = createSequelize(url!, { poolMax: 4, onQuery: (sql) => { if (!/^Executing \([^)]*\): (START TRANSACTION|COMMIT|ROLLBACK|SET)/.test(sql)) queries++; } });
initModels(sequelize);

const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function load(path: string): Promise<Record<string, unknown> | null> {
  try {
    return (await import(path)) as Record<string, unknown>;
  } catch (e) {
    return null;
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function adminList(seconds: number): Promise<void> {
  const mod = await load('../src/services/admin-orders.js');
  const findOrderIds = mod?.findOrderIds as ((s: unknown, f: unknown, o: unknown) => Promise<string[]>) | undefined;
  const orderRows = mod?.orderRows as ((s: unknown, ids: string[]) => Promise<unknown[]>) | undefined;
  const countOrders = mod?.countOrders as ((s: unknown, f: unknown) => Promise<number>) | undefined;
  if (!findOrderIds || !orderRows || !countOrders) return void out({ name: 'admin-list', missing: 'src/services/admin-orders.ts' });
  const page = async (n: number) => {
    const [ids, total] = await Promise.all([findOrderIds(sequelize, {}, { limit: 20, offset: n * 20 }), countOrders(sequelize, {})]);
    await orderRows(sequelize, ids);
    return total;
  };
  await page(0); // warm-up
  const latencies: number[] = [];
  const q0 = queries;
  const end = Date.now() + seconds * 1000;
  let n = 0;
  // 4 concurrent operators paging through the list
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < end) {
        const t = performance.now();
        await page(n++ % 50);
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  out({ name: 'admin-list', requests: latencies.length, rps: latencies.length / seconds, p50: pct(latencies, 50), p99: pct(latencies, 99), sql: (queries - q0) / latencies.length });
}

async function csvExport(orders: number): Promise<void> {
  const mod = await load('../src/services/export.js');
  const exportOrderIds = mod?.exportOrderIds as ((s: unknown, r: unknown) => Promise<string[]>) | undefined;
  const writeOrdersCsv = mod?.writeOrdersCsv as ((s: unknown, ids: string[], out: Writable, ctx: unknown) => Promise<void>) | undefined;
  if (!exportOrderIds || !writeOrdersCsv) return void out({ name: 'csv-export', missing: 'src/services/export.ts' });
  const all = await exportOrderIds(sequelize, {});
  const ids = all.slice(0, orders);
  global.gc?.();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 10);
  let bytes = 0;
  let rows = -1; // the header line
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
      cb();
    },
  });
  const q0 = queries;
  const t = performance.now();
  await writeOrdersCsv(sequelize, ids, sink, { backendDomain: 'http://127.0.0.1', scancodeSalts: ['bench-salt'] });
  const ms = performance.now() - t;
  clearInterval(timer);
  out({
    name: 'csv-export',
    orders: ids.length,
    rows,
    bytes,
    ms,
    sql: queries - q0,
    baseRssMb: base.rss / 2 ** 20,
    peakRssMb: peakRss / 2 ** 20,
    peakHeapMb: peakHeap / 2 ** 20,
    baseHeapMb: base.heapUsed / 2 ** 20,
  });
}

try {
  if (what === 'admin-list') await adminList(Number(arg ?? 5));
  else if (what === 'csv-export') await csvExport(Number(arg ?? 25_000));
  else throw new Error(`unknown measurement ${what}`);
} catch (e) {
  out({ name: what, error: e instanceof Error ? e.message : String(e) });
} finally {
  await sequelize.close();
}

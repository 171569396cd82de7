/**
 * The participation-certificate scenario of `npm run bench` (`--only certificates`): one buyer with N
 * checked-in ticket items (an event, a ticket category, holders) issues N certificates over HTTP and
 * downloads them. Measured: the latency of one download (the PDF is rendered on every request) → p95 target
 * < 1 s; 20 concurrent downloads without an error; the app's RSS over 200 downloads (after a warm-up) stays
 * flat. `--quick` uses fewer items and downloads.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';

export interface CertificateBenchRow {
  name: string;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  note: string;
  target: string;
  ok: boolean;
}

interface Session {
  cookie: string;
  csrf: string;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Seeds the items (SQL) for the buyer `email`; returns [orderId, oprId] pairs. */
async function seedItems(dbUrl: string, email: string, n: number): Promise<Array<[string, string]>> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const { rows: [user] } = await c.query<{ id: number }>('SELECT id FROM users WHERE email = $1', [email]);
    const { rows: [ev] } = await c.query<{ id: string }>(
      `INSERT INTO events (name_ko, name_en, start_date, end_date) VALUES ('파이콘 한국 2027', 'PyCon Korea 2027', '2027-08-14', '2027-08-15') RETURNING id`,
    );
    const { rows: [grp] } = await c.query<{ id: string }>(`INSERT INTO category_groups (name) VALUES ('벤치 티켓') RETURNING id`);
    const { rows: [cat] } = await c.query<{ id: string }>(
      `INSERT INTO categories (group_id, name, is_ticket, event_id) VALUES ($1, '벤치 컨퍼런스 티켓', true, $2) RETURNING id`,
      [grp!.id, ev!.id],
    );
    const { rows: [prod] } = await c.query<{ id: string }>(
      `INSERT INTO products (category_id, name_ko, name_en, price) VALUES ($1, '벤치 티켓', 'Bench ticket', 0) RETURNING id`,
      [cat!.id],
    );
    const { rows: [order] } = await c.query<{ id: string }>(`INSERT INTO orders (user_id, name_ko, name_en) VALUES ($1, '벤치 티켓', 'Bench ticket') RETURNING id`, [user!.id]);
    await c.query(`INSERT INTO payment_histories (order_id, status, price) VALUES ($1, 'completed', 0)`, [order!.id]);
    await c.query(`INSERT INTO customer_infos (order_id, name, phone, email, organization) VALUES ($1, '벤치 구매자', '010-1234-5678', $2, '')`, [order!.id, email]);
    const { rows } = await c.query<{ id: string }>(
      `INSERT INTO order_product_relations (order_id, product_id, status, price, donation_price, used_at, used_by)
       SELECT $1, $2, 'used', 0, 0, now(), 'bench' FROM generate_series(1, $3) RETURNING id`,
      [order!.id, prod!.id, n],
    );
    await c.query(
      `INSERT INTO ticket_infos (order_product_relation_id, name, phone, email, organization)
       SELECT id, '김참가' || row_number() OVER (), '010-0000-0000', $2, '파이썬사용자모임' FROM unnest($1::uuid[]) AS id`,
      [rows.map((r) => r.id), email],
    );
    // the default template is seeded at the app's start; make sure one is active
    await c.query(
      `INSERT INTO document_templates (document_type, name, body, is_active)
       SELECT 'confirmation_of_participation', 'bench', $1, true
        WHERE NOT EXISTS (SELECT 1 FROM document_templates WHERE is_active AND deleted_at IS NULL)`,
      [readFileSync(new URL('../assets/documents/confirmation-of-participation.html', import.meta.url), 'utf8')],
    );
    return rows.map((r) => [order!.id, r.id]);
  } finally {
    await c.end();
  }
}

export async function certificateScenario(opts: {
  base: string;
  dbUrl: string;
  email: string;
  signIn: (email: string) => Promise<Session>;
  appPid: number | undefined;
  quick: boolean;
}): Promise<CertificateBenchRow> {
  const items = opts.quick ? 5 : 50;
  const memoryDownloads = opts.quick ? 20 : 200;
  const pairs = await seedItems(opts.dbUrl, opts.email, items);
  const s = await opts.signIn(opts.email);
  let errors = 0;
  const urls: string[] = [];
  for (const [orderId, oprId] of pairs) {
    const r = await fetch(`${opts.base}/v1/shop/orders/${orderId}/products/${oprId}/certificate/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrftoken': s.csrf },
      body: '{}',
    });
    if (r.status !== 200) {
      errors++;
      continue;
    }
    urls.push(new URL(((await r.json()) as { download_url: string }).download_url).pathname);
  }
  const download = async (path: string): Promise<number> => {
    const t = performance.now();
    const r = await fetch(`${opts.base}${path}`, { headers: { cookie: s.cookie } });
    const body = Buffer.from(await r.arrayBuffer());
    if (r.status !== 200 || body.subarray(0, 5).toString() !== '%PDF-') errors++;
    return performance.now() - t;
  };
  // one warm-up download first: the app loads the PDF stack and the font on first use (not per certificate)
  const coldMs = urls[0] ? await download(urls[0]) : NaN;
  // one at a time: the latency of one certificate
  const times: number[] = [];
  for (const u of urls) times.push(await download(u));
  // 20 at once
  const before20 = errors;
  await Promise.all(Array.from({ length: 20 }, (_, i) => download(urls[i % urls.length]!)));
  const concurrentErrors = errors - before20;
  // memory over many downloads (4 at a time), after the ones above warmed the process up
  const rss0 = rssMb(opts.appPid);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < memoryDownloads) await download(urls[next++ % urls.length]!);
    }),
  );
  const rss1 = rssMb(opts.appPid);
  const p95 = quantile(times, 0.95);
  const growth = rss1 - rss0;
  const flat = Number.isNaN(growth) || growth < 64;
  return {
    name: 'certificate download (PDF render)',
    p50: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    requests: urls.length * 2 + 1 + 20 + memoryDownloads,
    errors,
    note:
      `${items} certificates issued, p95 ${p95.toFixed(0)} ms one at a time (first, cold: ${coldMs.toFixed(0)} ms); 20 concurrent: ${concurrentErrors} errors; ` +
      `app RSS ${rss0.toFixed(0)} → ${rss1.toFixed(0)} MiB over ${memoryDownloads} downloads`,
    target: 'p95 < 1 s, 20 concurrent ok, memory flat',
    ok: p95 < 1000 && concurrentErrors === 0 && flat,
  };
}

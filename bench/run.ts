/**
 * `npm run bench [-- --quick] [-- --keep]` — measured speed of the shop API on a large data set.
 *
 * 1. creates its own database (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/shop_bench;
 *    dropped first if it exists, dropped again at the end unless --keep), runs the migrations and seeds
 *    bench/seed.ts (200 products, 40 option groups, 2,000 options, 20,000 users, 50,000 orders; --quick: a
 *    small set for a CI smoke run);
 * 2. starts the PortOne simulator and the app (`node --import tsx src/main.ts`, NODE_ENV=production,
 *    QUERY_STATS=true) as child processes;
 * 3. drives the app over HTTP with autocannon and prints req/s, p50/p99 latency and SQL statements per
 *    request (from the app's `GET /__query-stats` counters, transaction control left out);
 * 4. runs what has no HTTP endpoint yet (admin order list, CSV export) through its service in a child
 *    process (bench/service-worker.ts): "n/a (not built yet)" when the service does not exist.
 *
 * 5. refund storm: 50 concurrent item refunds over 10 paid orders of one buyer while PortOne answers slowly
 *    (simulator latency 300 ms): refunds/s, and a HARD FAILURE (exit code 1) when any order's PortOne cancels
 *    differ from its ledger refunds; /healthz is sampled meanwhile (a refund must not hold the pool).
 * 6. `django`: `npm run import:django` of a generated Django backend with 50,000 orders into an empty database
 *    (bench/django-import.ts; two databases of its own; skipped with --quick).
 * 7. the ticket rush (bench/rush.ts) and the catalogue at several sizes (bench/catalog-sizes.ts).
 *
 * `--only catalog,cart,checkout,webhook,orders,refunds,certificates,rush,admin,csv,django` runs just those scenarios
 * (webhook runs the buy-now checkouts it pays, without their row); with only admin / csv / django the app and
 * the simulator are not started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { once } from 'node:events';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { createSequelize } from '../src/db/sequelize.js';
import { migrate } from '../src/db/migrator.js';
import { FULL, QUICK, BENCH_PASSWORD, seed, type SeedInfo } from './seed.js';
import { setVisibleProducts, rawGet, BROWSER_ACCEPT } from './catalog-sizes.js';
import { rush, type RushResult } from './rush.js';
import { benchDjangoImport } from './django-import.js';
import { certificateScenario } from './certificates.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const QUICKMODE = args.has('--quick');
const KEEP = args.has('--keep');
const onlyArg = process.argv.slice(2).find((a, i, all) => a.startsWith('--only=') || all[i - 1] === '--only');
const ONLY = onlyArg ? new Set(onlyArg.replace(/^--only=/, '').split(',').map((s) => s.trim()).filter(Boolean)) : null;
const want = (scenario: string) => !ONLY || ONLY.has(scenario);
const HTTP = ['catalog', 'cart', 'checkout', 'webhook', 'orders', 'refunds', 'certificates', 'rush'].some(want);
const SIZE = QUICKMODE ? QUICK : FULL;
const DURATION = Number(process.env.BENCH_DURATION ?? (QUICKMODE ? 1 : 10)); // seconds per HTTP scenario (quick: a smoke run, its figures informative)
/** times the checkout and webhook scenarios are measured, each side's rounds pooled (see the interleaving) */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? (QUICKMODE ? 1 : 3)));
const BUYERS = Number(process.env.BENCH_BUYERS ?? (QUICKMODE ? 20 : 1000)); // signed-in buyers the signed-in scenarios rotate through (carts stay small)
/** the rush: buyers opening at once, tickets (cap 1 each) */
const RUSH = QUICKMODE ? { buyers: 100, tickets: 20, lateMs: 500 } : { buyers: 2000, tickets: 300, lateMs: 2000 };
/** catalogue sizes measured (visible products) */
const CATALOG_SIZES = QUICKMODE ? [QUICK.products] : [20, 200, 1000];
/** web processes of the app under test (SQL/request is counted per process: 1 keeps it exact) */
const WEB_PROCESSES = process.env.BENCH_WEB_CONCURRENCY ?? '1';
/** a checkout of the code to compare with (its own node_modules or a link to ours): checkouts and the webhook
 * are measured against it first, in the same run, on the same database */
const BASELINE_DIR = process.env.BENCH_BASELINE_DIR ?? '';
const f1 = (x: number | undefined) => (x === undefined ? '?' : x.toFixed(1));
const DB_URL = process.env.BENCH_DATABASE_URL ?? `postgres://postgres@127.0.0.1:5432/shop_bench${QUICKMODE ? '_quick' : ''}`;
/** the baseline app's database: a copy of the seeded one, named after it */
const baselineName = (name: string) => `${name}_baseline`;
const BASELINE_DB_URL = (() => {
  const u = new URL(DB_URL);
  u.pathname = `/${baselineName(u.pathname.slice(1))}`;
  return u.toString();
})();
const IMP = { key: 'bench-imp-key', secret: 'bench-imp-secret' };
const INFO = { phone: '010-1234-5678', email: 'buyer@example.com', organization: '' };

const children: ChildProcess[] = [];
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
/** `phase('x')` logs how long the phase before it took (where a run's time goes; --quick must stay under a minute) */
let phaseStart = Date.now();
let phaseName = 'set-up';
const phase = (next: string) => {
  log(`${phaseName}: ${((Date.now() - phaseStart) / 1000).toFixed(1)} s`);
  phaseName = next;
  phaseStart = Date.now();
};

// ---------------------------------------------------------------------------------------------------------

async function adminClient(fn: (c: pg.Client, name: string) => Promise<void>): Promise<void> {
  const u = new URL(DB_URL);
  const name = u.pathname.slice(1);
  if (!/^[a-z0-9_]+$/i.test(name)) throw new Error(`BENCH_DATABASE_URL: unsupported database name ${name}`);
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    await fn(c, name);
  } finally {
    await c.end();
  }
}

/** The bench's database and the baseline app's copy of it, gone. */
async function dropBenchDatabases(): Promise<void> {
  await adminClient(async (c, name) => {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.query(`DROP DATABASE IF EXISTS "${baselineName(name)}" WITH (FORCE)`);
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  return port;
}

function start(name: string, script: string, env: Record<string, string>, cwd = ROOT): ChildProcess {
  const file = join(tmpdir(), `bench-${name}-${process.pid}.log`);
  const out = createWriteStream(file);
  const extra = name.startsWith('app') && process.env.BENCH_APP_NODE_ARGS ? process.env.BENCH_APP_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', script], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  child.on('exit', (code, signal) => {
    if (!stopping) log(`${name} exited (${code ?? signal}); its log: ${file}`);
  });
  children.push(child);
  return child;
}

let stopping = false;
async function stopAll(): Promise<void> {
  stopping = true;
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await once(c, 'exit');
      clearTimeout(timer);
    }),
  );
}

async function waitFor(url: string, ms = 60_000, child?: ChildProcess): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child && child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

// ---------------------------------------------------------------------------------------------------------

interface Session {
  cookie: string;
  csrf: string;
}

function cookiesOf(res: Response): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const i = pair!.indexOf('=');
    m.set(pair!.slice(0, i), pair!.slice(i + 1));
  }
  return m;
}

/** `count` buyers signed in to `base`, `workers` at a time (the i-th with the e-mail `emailOf(i)`), in order of arrival. */
async function signInMany(base: string, count: number, emailOf: (i: number) => string, workers: number): Promise<Session[]> {
  const out: Session[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) out.push(await signIn(base, emailOf(next++)));
    }),
  );
  return out;
}

async function signIn(base: string, email: string): Promise<Session> {
  const auth = `${base}/authn/social/browser/v1/auth`;
  const first = cookiesOf(await fetch(`${auth}/session`));
  const csrf0 = first.get('csrftoken')!;
  const res = await fetch(`${auth}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `csrftoken=${csrf0}`, 'x-csrftoken': decodeURIComponent(csrf0) },
    body: JSON.stringify({ email, password: BENCH_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`sign-in of ${email}: HTTP ${res.status} ${await res.text()}`);
  const c = cookiesOf(res);
  const csrf = c.get('csrftoken') ?? csrf0;
  return { cookie: `sessionid=${c.get('sessionid')}; csrftoken=${csrf}`, csrf: decodeURIComponent(csrf) };
}

// ---------------------------------------------------------------------------------------------------------

interface Row {
  name: string;
  rps?: number;
  p50?: number;
  p99?: number;
  sql?: number;
  requests?: number;
  errors?: number;
  note?: string;
  target?: string;
  ok?: boolean;
  /** CPU time per request (ms): the app's processes, and every PostgreSQL process (Linux only) */
  cpu?: { app: number; pg: number };
}

/** the app process (or cluster primary) serving each base URL, for the CPU figures */
const appPids = new Map<string, number>();
const TICK_MS = 10; // Linux USER_HZ is 100 on every platform Node supports

/**
 * CPU time (clock ticks) of every process, by pid, with its command name and parent: what `load` reads
 * before and after a scenario. Empty where there is no /proc (the figures are then left out).
 */
function cpuTicks(): Map<number, { comm: string; ppid: number; ticks: number }> {
  const out = new Map<number, { comm: string; ppid: number; ticks: number }>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' '); // f[0] = state (field 3)
      out.set(Number(pid), { comm, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU ms used between two `cpuTicks` by the app (pid and its children) and by PostgreSQL (new processes: all their time). */
function cpuBetween(before: ReturnType<typeof cpuTicks>, after: ReturnType<typeof cpuTicks>, appPid: number | undefined): { app: number; pg: number } | undefined {
  if (!after.size || appPid === undefined || !after.has(appPid)) return undefined;
  let app = 0;
  let pg = 0;
  for (const [pid, a] of after) {
    const used = a.ticks - (before.get(pid)?.ticks ?? 0);
    if (pid === appPid || a.ppid === appPid) app += used;
    else if (a.comm === 'postgres') pg += used;
  }
  return { app: app * TICK_MS, pg: pg * TICK_MS };
}

async function queryStats(base: string): Promise<{ requests: number; queries: number }> {
  return (await fetch(`${base}/__query-stats`)).json() as Promise<{ requests: number; queries: number }>;
}

type Req = autocannon.Request;

async function load(base: string, name: string, opts: { requests: Req[]; connections?: number; amount?: number; duration?: number }): Promise<Row> {
  const before = await queryStats(base);
  const cpuBefore = cpuTicks();
  // the first unexpected answer is shown in the notes (a failing scenario says why)
  let firstFailure = '';
  const requests = opts.requests.map((r) => ({
    ...r,
    onResponse: (status: number, body: string, context: object, headers?: IncomingHttpHeaders) => {
      if (!firstFailure && status >= 400) firstFailure = `first failure: HTTP ${status} ${body.slice(0, 160)}`;
      if (typeof r.onResponse === 'function') r.onResponse(status, body, context, headers);
    },
  }));
  const result = await autocannon({
    url: base,
    connections: opts.connections ?? 20,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? DURATION }),
    requests,
    timeout: 30,
  });
  const cpu = cpuBetween(cpuBefore, cpuTicks(), appPids.get(base));
  const after = await queryStats(base);
  const served = after.requests - before.requests;
  const seconds = (result.duration as number) || opts.duration || DURATION;
  return {
    name,
    rps: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    sql: served ? (after.queries - before.queries) / served : undefined,
    requests: result.requests.total,
    errors: result.non2xx + result.errors + result.timeouts,
    ...(cpu && result.requests.total ? { cpu: { app: cpu.app / result.requests.total, pg: cpu.pg / result.requests.total } } : {}),
    ...(firstFailure ? { note: firstFailure } : {}),
  };
}

function rotate<T>(items: T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}

/**
 * One row per scenario name from its rounds, in first-seen order: req/s = all requests over all seconds,
 * SQL/request and CPU/request weighted by requests, p50 / p99 the median of the rounds' (latency histograms
 * are not kept), errors and requests summed, notes of the first round.
 */
function poolRounds(rounds: Row[]): Row[] {
  const names = [...new Set(rounds.map((r) => r.name))];
  return names.map((name) => {
    const rs = rounds.filter((r) => r.name === name);
    if (rs.length === 1) return rs[0]!;
    const requests = rs.reduce((n, r) => n + (r.requests ?? 0), 0);
    const seconds = rs.reduce((n, r) => n + (r.rps ? (r.requests ?? 0) / r.rps : 0), 0);
    const weighted = (f: (r: Row) => number | undefined) =>
      rs.every((r) => f(r) !== undefined) && requests ? rs.reduce((n, r) => n + f(r)! * (r.requests ?? 0), 0) / requests : undefined;
    const median = (xs: Array<number | undefined>) => {
      const v = xs.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
      return v.length ? v[Math.floor(v.length / 2)] : undefined;
    };
    const app = weighted((r) => r.cpu?.app);
    const pg = weighted((r) => r.cpu?.pg);
    return {
      ...rs[0]!,
      rps: seconds ? requests / seconds : undefined,
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      sql: weighted((r) => r.sql),
      requests,
      errors: rs.reduce((n, r) => n + (r.errors ?? 0), 0),
      ...(app !== undefined && pg !== undefined ? { cpu: { app, pg } } : {}),
    };
  });
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = Date.now();
  log(`${QUICKMODE ? 'quick' : 'full'} run; database ${DB_URL.replace(/\/\/[^@]*@/, '//')}`);
  await dropBenchDatabases();
  await adminClient(async (c, name) => void (await c.query(`CREATE DATABASE "${name}"`)));
  const pgVersion = await (async () => {
    const s = createSequelize(DB_URL, { poolMax: 2 });
    await migrate(s);
    const [rows] = await s.query('SELECT current_setting(\'server_version\') AS v');
    await s.close();
    return (rows as Array<{ v: string }>)[0]!.v;
  })();
  let client = new pg.Client({ connectionString: DB_URL });
  await client.connect();
  const ts = Date.now();
  const info: SeedInfo = await seed(client, SIZE);
  await client.query('VACUUM ANALYZE');
  if (BASELINE_DIR) {
    // The baseline app gets a database of its own, copied from the seeded one: each side starts from the same
    // rows. On one shared database the side measured second ran on the first side's orders too — the
    // baseline counts every unit, so it measured ~25 % slower when second (and the ratios moved with the order).
    await client.end();
    await adminClient(async (c, name) => void (await c.query(`CREATE DATABASE "${baselineName(name)}" TEMPLATE "${name}"`)));
    client = new pg.Client({ connectionString: DB_URL });
    await client.connect();
  }
  client.on('error', (e) => log(`bench database connection: ${e.message}`)); // e.g. dropped at the end of a failed run
  // kept open: the catalogue sizes and the rush write through it (as an operator's process would)
  const seedSeconds = (Date.now() - ts) / 1000;
  log(`seeded in ${seedSeconds.toFixed(1)} s: ${JSON.stringify(info.counts)}`);

  const simPort = await freePort();
  const appPort = await freePort();
  const base = `http://127.0.0.1:${appPort}`;
  const sim = `http://127.0.0.1:${simPort}`;
  let adminNote = '';
  let baseBase = '';
  let appPid: number | undefined;
  if (HTTP) {
    start('portone-sim', 'src/portone/simulator-main.ts', {
      PORTONE_SIM_PORT: String(simPort),
      PORTONE_SIM_HOST: '127.0.0.1',
      PORTONE_IMP_KEY: IMP.key,
      PORTONE_IMP_SECRET: IMP.secret,
      PORTONE_SIM_WEBHOOK_URL: '', // the bench delivers the webhooks itself, under load
    });
    const appEnv: Record<string, string> = {
      NODE_ENV: 'production',
      PORT: String(appPort),
      HOST: '127.0.0.1',
      DATABASE_URL: DB_URL,
      SECRET_KEY: 'bench-secret-key-0123456789abcdef',
      BACKEND_DOMAIN: base,
      SEED_DEMO: 'false',
      LOG_LEVEL: 'error',
      JOBS_IN_PROCESS: 'false',
      PASSWORD_HASH_ROUNDS: '4',
      SESSION_COOKIE_SECURE: 'false',
      PORTONE_API_URL: sim,
      PORTONE_IMP_KEY: IMP.key,
      PORTONE_IMP_SECRET: IMP.secret,
      PORTONE_WEBHOOK_ALLOW_LOOPBACK: 'true',
      LOGIN_THROTTLE_MAX_PER_IP: '100000',
      QUERY_STATS: 'true',
      WEB_CONCURRENCY: WEB_PROCESSES,
    };
    await waitFor(`${sim}/__sim/state`);
    let app = start('app', 'src/main.ts', appEnv);
    try {
      await waitFor(`${base}/healthz`, 120_000, app);
    } catch (e) {
      // when the admin panel keeps the app from starting, measure without it
      log(`the app did not start (${e instanceof Error ? e.message : String(e)}); retrying with ADMIN_ENABLED=false`);
      app = start('app-without-admin', 'src/main.ts', { ...appEnv, ADMIN_ENABLED: 'false' });
      await waitFor(`${base}/healthz`, 120_000, app);
      adminNote = 'panel failed to start; ';
    }
    appPid = app.pid;
    if (app.pid) appPids.set(base, app.pid);
    log(`app pid ${app.pid} on ${base}, simulator on ${sim}`);
    if (BASELINE_DIR) {
      const basePort = await freePort();
      baseBase = `http://127.0.0.1:${basePort}`;
      const b = start('app-baseline', 'src/main.ts', { ...appEnv, DATABASE_URL: BASELINE_DB_URL, PORT: String(basePort), BACKEND_DOMAIN: baseBase, ADMIN_ENABLED: 'false' }, BASELINE_DIR);
      await waitFor(`${baseBase}/healthz`, 180_000, b);
      if (b.pid) appPids.set(baseBase, b.pid);
      log(`baseline app (${BASELINE_DIR}) pid ${b.pid} on ${baseBase}`);
    }
  }

  const rows: Row[] = [];
  const moneyProblems: string[] = [];
  const catalogPath = '/v1/shop/products/';

  phase('catalogue');
  // --- catalogue ---
  if (want('catalog')) {
    const sample = await fetch(`${base}${catalogPath}`);
    const body = (await sample.json()) as Array<{ option_groups: Array<{ options: unknown[] }> }>;
    const catalogNote = `${body.length} products, ${body.reduce((s, p) => s + p.option_groups.reduce((t, g) => t + g.options.length, 0), 0)} options visible; ${(Number(sample.headers.get('content-length')) / 1024).toFixed(0)} KiB`;
    rows.push({ ...(await load(base, 'catalog list, anonymous', { requests: [{ method: 'GET', path: catalogPath }] })), note: catalogNote, target: '≥ 1500 req/s, p99 < 50 ms' });
  }

  const buyerEmail = (i: number) => info.buyerEmail(2 + i);
  const buyers = ['catalog', 'cart', 'checkout', 'webhook'].some(want) ? await signInMany(base, BUYERS, buyerEmail, 8) : [];
  const nextBuyer = rotate(buyers);
  if (want('catalog')) rows.push({
    ...(await load(base, 'catalog list, signed in', {
      requests: [{ method: 'GET', path: catalogPath, setupRequest: (r) => ({ ...r, headers: { ...r.headers, cookie: nextBuyer().cookie } }) }],
    })),
    target: '≥ 1500 req/s, p99 < 50 ms',
  });

  // --- the catalogue at 20 / 200 / 1,000 visible products: bytes on the wire, plain vs compressed vs 304 ---
  if (want('catalog')) {
    for (const n of CATALOG_SIZES) {
      await setVisibleProducts(client, n, SIZE.products);
      await new Promise((r) => setTimeout(r, 200)); // the app hears of the change through LISTEN/NOTIFY
      const plain = await rawGet(`${base}${catalogPath}`, {});
      const br = await rawGet(`${base}${catalogPath}`, { 'accept-encoding': BROWSER_ACCEPT });
      const gz = await rawGet(`${base}${catalogPath}`, { 'accept-encoding': 'gzip' });
      const kib = (b: number) => `${(b / 1024).toFixed(b < 10_240 ? 1 : 0)} KiB`;
      const duration = QUICKMODE ? 1 : Math.max(2, Math.round(DURATION / 2));
      const label = `catalog ${plain.products} visible`;
      const plainRow = await load(base, `${label}, plain`, { duration, requests: [{ method: 'GET', path: catalogPath }] });
      rows.push({ ...plainRow, note: `${kib(plain.bytes)} a response (what every client got before compression)` });
      const brRow = await load(base, `${label}, browser (br)`, { duration, requests: [{ method: 'GET', path: catalogPath, headers: { 'accept-encoding': BROWSER_ACCEPT } }] });
      rows.push({
        ...brRow,
        note: `${kib(br.bytes)} br (${((100 * br.bytes) / plain.bytes).toFixed(1)} %), gzip ${kib(gz.bytes)}; ${(brRow.rps! / plainRow.rps!).toFixed(2)}× plain req/s`,
      });
      const notModified = await load(base, `${label}, revalidate (304)`, { duration, requests: [{ method: 'GET', path: catalogPath, headers: { 'accept-encoding': BROWSER_ACCEPT, 'if-none-match': br.etag } }] });
      rows.push({ ...notModified, errors: 0, note: `If-None-Match: 0 bytes of body; ${(notModified.rps! / plainRow.rps!).toFixed(2)}× plain req/s` });
    }
    await setVisibleProducts(client, SIZE.currentProducts, SIZE.products);
  }

  phase('cart add');
  // --- cart add ---
  // (not the checkouts' product: these units land on this side only, before the before/after checkouts)
  const cartBody = JSON.stringify({ product: info.cartAddProductId, options: [] });
  if (want('cart')) rows.push({
    ...(await load(base, 'cart add', {
      connections: 10,
      requests: [
        {
          method: 'POST',
          path: '/v1/shop/orders/cart/products/',
          setupRequest: (r) => {
            const b = nextBuyer();
            return { ...r, body: cartBody, headers: { ...r.headers, 'content-type': 'application/json', cookie: b.cookie, 'x-csrftoken': b.csrf } };
          },
        },
      ],
    })),
    target: '≥ 300 req/s',
  });

  phase('checkouts and webhook');
  // --- checkouts and the webhook; with BENCH_BASELINE_DIR, each scenario against the baseline app, then this one ---
  // (one side's three scenarios, run step by step: see the interleaving below)
  const checkoutSide = (appBase: string, label: string, sideBuyers: Session[]) => {
    const nextBuyer = rotate(sideBuyers);
    const named = (name: string) => (label ? `${name} ${label}` : name);
    // buy-now checkout (registers the amount with the PortOne simulator); with `--only webhook` it runs all the
    // same (the webhooks pay what it prepared) and only its row is left out
    const prepared: Array<{ merchant_uid: string }> = [];
    let n = 0;
    const buyNow = async (): Promise<Row[]> => {
      if (!want('checkout') && !want('webhook')) return [];
      const buyNowRow = await load(appBase, named('buy-now checkout'), {
        connections: 10,
        requests: [
          {
            method: 'POST',
            path: '/v1/shop/orders/single/',
            setupRequest: (r) => {
              const b = nextBuyer();
              const payload = { product: info.cartProductId, options: [], customer_info: { name: `구매자 ${++n}`, ...INFO } };
              return { ...r, body: JSON.stringify(payload), headers: { ...r.headers, 'content-type': 'application/json', cookie: b.cookie, 'x-csrftoken': b.csrf } };
            },
            onResponse: (status, resBody) => {
              if (status === 201) prepared.push(JSON.parse(resBody) as { merchant_uid: string });
            },
          },
        ],
      });
      return want('checkout') ? [buyNowRow] : [];
    };
    // cart checkout: every buyer has a cart (one item added first); a new name each time, so each checkout
    // prepares the cart again (the same name while the hold is live is a double click: answered at once)
    let cartsReady = false; // the carts are filled once: a later round checks out the same one-item carts again
    const cart = async (): Promise<Row[]> => {
      if (!want('checkout')) return [];
      for (const b of cartsReady ? [] : sideBuyers.slice(0, 200)) {
        const headers = { 'content-type': 'application/json', cookie: b.cookie, 'x-csrftoken': b.csrf };
        await fetch(`${appBase}/v1/shop/orders/cart/products/`, { method: 'POST', headers, body: JSON.stringify({ product: info.cartProductId, options: [] }) });
        // the seeded data gives some buyers a cart with items of products no longer on sale: leave only the
        // bench's product, so every checkout measures a checkout and not a refusal
        const cart = (await (await fetch(`${appBase}/v1/shop/orders/cart/`, { headers })).json()) as { products?: Array<{ id: string; product: { id: string } }> };
        for (const item of cart.products ?? []) {
          if (item.product.id !== info.cartProductId) await fetch(`${appBase}/v1/shop/orders/cart/products/${item.id}/`, { method: 'DELETE', headers });
        }
      }
      cartsReady = true;
      const cartBuyers = rotate(sideBuyers.slice(0, 200));
      const cartRow = await load(appBase, named('cart checkout'), {
          connections: 10,
          requests: [
            {
              method: 'POST',
              path: '/v1/shop/orders/',
              setupRequest: (r) => {
                const b = cartBuyers();
                return { ...r, body: JSON.stringify({ name: `구매자 ${++n}`, ...INFO }), headers: { ...r.headers, 'content-type': 'application/json', cookie: b.cookie, 'x-csrftoken': b.csrf } };
              },
            },
          ],
        });
      return [{ ...cartRow, note: `${cartRow.note ? `${cartRow.note}; ` : ''}${Math.min(200, sideBuyers.length)} buyers' carts, prepared again each time` }];
    };
    // webhook completion: pay each prepared buy-now checkout at the simulator, then deliver the webhooks
    let paidUpTo = 0; // each round pays checkouts no earlier round paid (a repeated webhook is the cheap idempotent path)
    const webhook = async (): Promise<Row[]> => {
      const toPay = want('webhook') ? prepared.slice(paidUpTo, paidUpTo + (QUICKMODE ? 200 : 3000)) : [];
      paidUpTo += toPay.length;
      const hooks: string[] = [];
      for (const p of toPay) {
        const r = await fetch(`${sim}/__sim/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ merchant_uid: p.merchant_uid, notify: false }) });
        const { payment } = (await r.json()) as { payment: { imp_uid: string } };
        hooks.push(JSON.stringify({ imp_uid: payment.imp_uid, merchant_uid: p.merchant_uid, status: 'paid' }));
      }
      if (!hooks.length) return [];
      const nextHook = rotate(hooks);
      const hookRow = await load(appBase, named('webhook completion'), {
        connections: Math.min(10, hooks.length),
        amount: hooks.length,
        requests: [{ method: 'POST', path: '/v1/shop/payment-histories/', setupRequest: (r) => ({ ...r, body: nextHook(), headers: { ...r.headers, 'content-type': 'application/json' } }) }],
      });
      return [{ ...hookRow, note: 'payments of the buy-now checkouts, each delivered once' }];
    };
    return { buyNow, cart, webhook };
  };
  const withCpu = (rows: Row[]) =>
    rows.map((r) => (r.cpu ? { ...r, note: `${r.note ? `${r.note}; ` : ''}CPU per request: app ${r.cpu.app.toFixed(1)} ms + PostgreSQL ${r.cpu.pg.toFixed(1)} ms` } : r));
  if (baseBase) {
    // the same buyers, signed in to the baseline app (its sessions live in its own database)
    const baseBuyers = await signInMany(baseBase, buyers.length, buyerEmail, 8);
    // Interleaved — baseline buy-now, ours, baseline cart, ours, baseline webhook, ours — so the two sides of
    // each ratio are measured seconds apart: this VM's speed moves with its host within a minute, and with
    // one side's three scenarios after the other's, a ratio compared moments ~40 s apart.
    // ROUNDS times over (3 in a full run): this VM's speed drifts by tens of percent within minutes, and one
    // pair of 10 s windows gave ratios from 2.5× to 3.3× for the same code; each side's figure is then its
    // requests over its seconds in all rounds, and every round's ratio is listed beside it.
    const sides = [checkoutSide(baseBase, '(baseline)', baseBuyers), checkoutSide(base, '', buyers)];
    const before: Row[][] = [];
    const after: Row[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const step of ['buyNow', 'cart', 'webhook'] as const) {
        before.push(await sides[0]![step]());
        after.push(await sides[1]![step]());
      }
    }
    const pooledBefore = withCpu(poolRounds(before.flat()));
    const pooledAfter = withCpu(poolRounds(after.flat()));
    for (const r of pooledBefore) {
      const now = pooledAfter.find((x) => `${x.name} (baseline)` === r.name);
      rows.push({ ...r, note: `${r.note ? `${r.note}; ` : ''}${BASELINE_DIR}` });
      if (!now) continue;
      const perRound = before.flat().filter((x) => x.name === r.name).map((b, i) => {
        const a = after.flat().filter((x) => x.name === now.name)[i];
        return a ? (a.rps! / b.rps!).toFixed(2) : '?';
      });
      const rounds = perRound.length > 1 ? ` (rounds: ${perRound.join(' / ')})` : '';
      rows.push({ ...now, note: `${now.note ? `${now.note}; ` : ''}${(now.rps! / r.rps!).toFixed(2)}× baseline req/s${rounds}, SQL ${f1(r.sql)} → ${f1(now.sql)}` });
    }
  } else {
    const side = checkoutSide(base, '', buyers);
    const measured: Row[] = [];
    for (let round = 0; round < ROUNDS; round++) for (const step of ['buyNow', 'cart', 'webhook'] as const) measured.push(...(await side[step]()));
    rows.push(...withCpu(poolRounds(measured)));
  }

  phase('order list');
  // --- the order list of a buyer with 20 orders ---
  if (want('orders')) {
    const twenty = await signIn(base, info.twentyOrdersEmail);
    const orders = (await (await fetch(`${base}/v1/shop/orders/`, { headers: { cookie: twenty.cookie } })).json()) as unknown[];
    rows.push({
      ...(await load(base, 'order list (buyer with 20 orders)', { requests: [{ method: 'GET', path: '/v1/shop/orders/', headers: { cookie: twenty.cookie } }] })),
      note: `${orders.length} orders in the answer`,
    });
  }

  phase('refund storm');
  // --- refund storm ---
  if (want('refunds')) {
    const storm = await refundStorm(base, sim, info);
    rows.push(storm.row);
    moneyProblems.push(...storm.problems);
  }

  phase('certificates');
  // --- participation certificates: issue, download (rendered per request), concurrency, memory ---
  if (want('certificates')) {
    rows.push(await certificateScenario({ base, dbUrl: DB_URL, email: info.twentyOrdersEmail, signIn: (e) => signIn(base, e), appPid, quick: QUICKMODE }));
  }

  phase('rush');
  // --- the ticket rush: many buyers at once for few tickets (bench/rush.ts) ---
  let rushResult: RushResult | null = null;
  if (want('rush')) {
    const t = Date.now();
    // none of the other scenarios' buyers
    const rushBuyers = await signInMany(base, RUSH.buyers, (i) => info.buyerEmail(2 + BUYERS + 100 + i), 16);
    log(`rush: ${rushBuyers.length} buyers signed in (${((Date.now() - t) / 1000).toFixed(1)} s); opening the sale`);
    rushResult = await rush({ base, sim, client, buyers: rushBuyers, tickets: RUSH.tickets, lateMs: RUSH.lateMs });
  }

  phase('admin, CSV, Django import');
  // --- admin order list page, CSV export: through their services until they have HTTP endpoints ---
  const admin = HTTP ? (await fetch(`${base}/admin/login`)).status : 0;
  const service = async (what: string, argument: string): Promise<Record<string, unknown>> => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/service-worker.ts', DB_URL, what, argument], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
    await once(child, 'exit');
    try {
      return JSON.parse(text.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    } catch {
      return { error: text };
    }
  };
  if (want('admin')) {
    const list = await service('admin-list', String(Math.min(DURATION, 5)));
    if (list.missing) rows.push({ name: 'admin order list page', note: 'n/a (not built yet)' });
    else if (list.error) rows.push({ name: 'admin order list page', note: `failed: ${String(list.error)}` });
    else {
      rows.push({
        name: 'admin order list page (20 rows)',
        rps: list.rps as number,
        p50: list.p50 as number,
        p99: list.p99 as number,
        sql: list.sql as number,
        requests: list.requests as number,
        errors: 0,
        note: `${adminNote}service call, 4 concurrent${admin === 404 ? ' (panel not mounted)' : ''}`,
      });
    }
  }
  if (want('csv')) {
    const exportOrders = QUICKMODE ? 1000 : 25_000;
    const small = await service('csv-export', String(Math.round(exportOrders / 10)));
    const big = await service('csv-export', String(exportOrders));
    let csvRow: Row;
    if (big.missing) csvRow = { name: 'CSV export', note: 'n/a (not built yet)' };
    else if (big.error || small.error) csvRow = { name: 'CSV export', note: `failed: ${String(big.error ?? small.error)}` };
    else {
      const mb = (x: unknown) => Number(x).toFixed(0);
      const grow = (r: Record<string, unknown>) => Number(r.peakRssMb) - Number(r.baseRssMb);
      csvRow = {
        name: `CSV export (${big.rows} rows)`,
        note:
          `${(Number(big.ms) / 1000).toFixed(2)} s, ${mb(Number(big.bytes) / 2 ** 20)} MiB, ${big.sql} SQL; ` +
          `peak RSS +${mb(grow(big))} MiB over ${mb(big.baseRssMb)} (${small.rows} rows: +${mb(grow(small))} MiB), heap peak ${mb(big.peakHeapMb)} MiB`,
        target: '< 10 s, memory flat',
        ok: Number(big.ms) < 10_000 && grow(big) < Math.max(64, 3 * grow(small)),
      };
    }
    rows.push(csvRow);
  }

  let djangoPhases = '';
  if (want('django')) {
    if (QUICKMODE) rows.push({ name: 'Django import', note: 'skipped in --quick (two more databases; covered by test/integration/django-import.test.ts)' });
    else {
      try {
        const loadBefore = loadavg()[0]!;
        const d = await benchDjangoImport(DB_URL, { users: 20_000, products: 200, orders: 50_000 });
        djangoPhases = `first run: ${d.phases}\nre-run: ${d.secondRunPhases}`;
        rows.push({
          name: `Django import (${d.orders} orders)`,
          note:
            `${d.importSeconds.toFixed(1)} s for ${d.rows} Django rows incl. history, verified (generated in ${d.generateSeconds.toFixed(1)} s); re-run (nothing new) ${d.secondRunSeconds.toFixed(1)} s; ` +
            `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after`,
          target: '< 60 s',
          ok: d.importSeconds < 60 && d.differences === 0,
        });
      } catch (e) {
        rows.push({ name: 'Django import', note: `failed: ${(e as Error).message}`, errors: 1 });
      }
    }
  }

  await stopAll();
  await client.end();
  if (!KEEP) await dropBenchDatabases();

  phase('report');
  // --- report ---
  for (const r of rows) {
    if (r.target && r.ok === undefined && r.rps !== undefined) {
      const m = /≥ (\d+) req\/s(?:, p99 < (\d+) ms)?/.exec(r.target);
      if (m) r.ok = r.rps >= Number(m[1]) && (!m[2] || (r.p99 ?? Infinity) < Number(m[2]));
    }
  }
  const f = (x: number | undefined, d = 0) => (x === undefined || Number.isNaN(x) ? '' : x.toFixed(d));
  const table = [
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'SQL/req', 'requests', 'errors', 'target', 'notes'],
    ...rows.map((r) => [
      r.name,
      f(r.rps),
      f(r.p50, 1),
      f(r.p99, 1),
      f(r.sql, 1),
      f(r.requests),
      f(r.errors),
      r.target ? `${r.target} ${r.ok ? '✓' : '✗'}` : '',
      r.note ?? '',
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const cpu = cpus();
  console.log('');
  console.log(
    `Machine: ${cpu.length} × ${cpu[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, PostgreSQL ${pgVersion}; ` +
      `${QUICKMODE ? 'quick' : 'full'} data set (${Object.entries(info.counts).map(([k, v]) => `${k} ${v}`).join(', ')}), seeded in ${seedSeconds.toFixed(1)} s; ` +
      `${DURATION} s per HTTP scenario, autocannon in the same machine.`,
  );
  console.log(line(table[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table.slice(1)) console.log(line(row));
  if (rushResult) {
    const r = rushResult;
    const ms = (x: number | null) => (x === null ? 'not reached' : `${(x / 1000).toFixed(2)} s`);
    const mark = (ok: boolean) => (ok ? '✓' : '✗');
    console.log('');
    console.log(`Rush: ${r.buyers} signed-in buyers at once for ${r.tickets} tickets (cap 1 per person) + T-shirts; app with WEB_CONCURRENCY=${WEB_PROCESSES}`);
    console.log('');
    console.log('| figure | value |');
    console.log('|---|---|');
    console.log(`| time to sold out: every ticket held (checkouts) | ${ms(r.heldMs)} |`);
    console.log(`| time to sold out: every ticket paid (webhooks) | ${ms(r.paidMs)} |`);
    console.log(`| checkout p50 / p99 (${r.checkouts} attempts, refused ones included) | ${r.checkoutP50.toFixed(0)} ms / ${r.checkoutP99.toFixed(0)} ms |`);
    console.log(`| checkouts succeeded / refused (sold out, 4xx) | ${r.succeeded} / ${r.refused} |`);
    console.log(`| webhooks delivered (each twice; every fifth buyer's late) | ${r.webhooks} |`);
    console.log(`| 5xx answers (must be 0) | ${r.fiveXx} ${mark(r.fiveXx === 0)} |`);
    console.log(`| oversold units / buyers over the cap (must be 0) | ${r.oversold} / ${r.overCap} ${mark(r.oversold === 0 && r.overCap === 0)} |`);
    console.log(`| paid but refunded automatically (must be 0: stock held at checkout) | ${r.autoRefunded} ${mark(r.autoRefunded === 0)} |`);
    console.log(`| whole rush, late webhooks included | ${r.seconds.toFixed(1)} s |`);
    if (r.otherErrors.length) console.log(`\nunexpected answers (first 5): ${r.otherErrors.slice(0, 5).join('; ')}`);
  }
  if (djangoPhases) console.log(`\nDjango import, where the time went:\n${djangoPhases}`);
  console.log(`\ntotal ${(Date.now() - t0) / 1000} s`);
  const failed = rows.filter((r) => r.errors);
  if (rushResult && (rushResult.fiveXx || rushResult.oversold || rushResult.overCap || rushResult.autoRefunded || rushResult.otherErrors.length)) {
    console.log('the rush failed a must-be-0 figure');
    process.exitCode = 1;
  }
  if (failed.length) {
    console.log(`non-2xx answers or errors in: ${failed.map((r) => r.name).join(', ')}`);
    process.exitCode = 1;
  }
  if (moneyProblems.length) {
    console.log(`MONEY: PortOne and the ledger disagree after the refund storm:\n  ${moneyProblems.join('\n  ')}`);
    process.exitCode = 1;
  }
}

/**
 * 50 concurrent item refunds (DELETE …/orders/{id}/products/{item}/) over 10 paid orders of one buyer, PortOne
 * answering 300 ms late. Returns the row and, per order, any difference between the cancels PortOne made and
 * the refunds in our ledger (a hard failure).
 */
async function refundStorm(base: string, sim: string, info: SeedInfo): Promise<{ row: Row; problems: string[] }> {
  const ORDERS = 10;
  const ITEMS = 5;
  const LATENCY_MS = 300;
  const client = new pg.Client({ connectionString: DB_URL });
  await client.connect();
  const email = info.buyerEmail(BUYERS + 7);
  const orders: Array<{ id: string; impUid: string; items: string[]; total: number }> = [];
  try {
    const userId = (await client.query<{ id: number }>('SELECT id FROM users WHERE email = $1', [email])).rows[0]!.id;
    const products = (await client.query<{ id: string; price: number }>(
      `SELECT id, price FROM products WHERE refundable_ends_at > now() AND deleted_at IS NULL ORDER BY name_en LIMIT $1`,
      [ITEMS],
    )).rows;
    for (let o = 0; o < ORDERS; o++) {
      const total = products.reduce((s, p) => s + p.price, 0);
      const paid = await fetch(`${sim}/__sim/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ merchant_uid: `bench-refund-${process.pid}-${o}`, amount: total, notify: false }) });
      const impUid = ((await paid.json()) as { payment: { imp_uid: string } }).payment.imp_uid;
      const id = randomUUID();
      await client.query(`INSERT INTO orders (id, user_id, name_ko, name_en, created_at, updated_at) VALUES ($1, $2, '환불 벤치', 'Refund bench', now(), now())`, [id, userId]);
      const items: string[] = [];
      for (const p of products) {
        const itemId = randomUUID();
        items.push(itemId);
        await client.query(
          `INSERT INTO order_product_relations (id, order_id, product_id, status, price, donation_price, created_at, updated_at) VALUES ($1, $2, $3, 'paid', $4, 0, now(), now())`,
          [itemId, id, p.id, p.price],
        );
      }
      await client.query(`INSERT INTO payment_histories (order_id, imp_id, status, price, created_at, updated_at) VALUES ($1, $2, 'completed', $3, now(), now())`, [id, impUid, total]);
      orders.push({ id, impUid, items, total });
    }
    const buyer = await signIn(base, email);
    await fetch(`${sim}/__sim/latency`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: LATENCY_MS }) });

    // /healthz sampled during the storm: a refund waiting on PortOne must not hold a pool connection
    let storming = true;
    const health: number[] = [];
    const sampler = (async () => {
      while (storming) {
        const t = performance.now();
        await fetch(`${base}/healthz`).catch(() => {});
        health.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const t0 = performance.now();
    const answers = await Promise.all(
      orders.flatMap((o) =>
        o.items.map(async (item) => {
          const t = performance.now();
          const res = await fetch(`${base}/v1/shop/orders/${o.id}/products/${item}/`, { method: 'DELETE', headers: { cookie: buyer.cookie, 'x-csrftoken': buyer.csrf } });
          await res.arrayBuffer();
          return { status: res.status, ms: performance.now() - t };
        }),
      ),
    );
    const seconds = (performance.now() - t0) / 1000;
    storming = false;
    await sampler;
    await fetch(`${sim}/__sim/latency`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: 0 }) });

    // money: per order, PortOne's cancels = the ledger's refunds (completed price − current balance)
    const state = (await (await fetch(`${sim}/__sim/state`)).json()) as { payments: Array<{ imp_uid: string; cancel_amount: number; cancel_history: Array<{ amount: number }> }> };
    const problems: string[] = [];
    for (const o of orders) {
      const at = state.payments.find((p) => p.imp_uid === o.impUid)!;
      const cancelled = at.cancel_history.reduce((s, c) => s + c.amount, 0);
      const balance = (await client.query<{ price: number }>(`SELECT price FROM payment_histories WHERE order_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1`, [o.id])).rows[0]!.price;
      const refundedItems = Number((await client.query<{ s: string }>(`SELECT coalesce(sum(price + donation_price), 0) AS s FROM order_product_relations WHERE order_id = $1 AND status = 'refunded'`, [o.id])).rows[0]!.s);
      if (cancelled !== o.total - balance || cancelled !== refundedItems) {
        problems.push(`order ${o.id}: PortOne cancelled ${cancelled}, ledger refunded ${o.total - balance}, refunded items ${refundedItems}`);
      }
    }
    const ok = answers.filter((a) => a.status === 204);
    // 409 refund_in_progress (waited too long behind the other refunds of its order) moves no money: not an error
    const busy = answers.filter((a) => a.status === 409).length;
    const lat = ok.map((a) => a.ms).sort((a, b) => a - b);
    const pct = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))];
    return {
      row: {
        name: `refund storm (${ORDERS * ITEMS} item refunds, ${ORDERS} orders, PortOne +${LATENCY_MS} ms)`,
        rps: ok.length / seconds,
        p50: pct(0.5),
        p99: pct(0.99),
        requests: answers.length,
        errors: answers.length - ok.length - busy,
        note: `refunds/s; ${ok.length}/${answers.length} refunded in ${seconds.toFixed(1)} s${busy ? ` (${busy} × 409 busy)` : ''}; /healthz max ${Math.max(0, ...health).toFixed(0)} ms meanwhile; ledger = PortOne for ${ORDERS - problems.length}/${ORDERS} orders`,
        target: 'ledger = PortOne',
        ok: problems.length === 0,
      },
      problems,
    };
  } finally {
    await client.end();
  }
}

process.on('SIGINT', () => {
  void stopAll().then(() => process.exit(130));
});
main().catch(async (e) => {
  console.error(e);
  await stopAll();
  if (!KEEP) await dropBenchDatabases().catch(() => {});
  process.exit(1);
});

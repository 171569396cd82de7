/**
 * Cut-over from the Django backend (`npm run import:django`): reads its database read-only (one
 * REPEATABLE READ snapshot, so every table is of the same instant) and writes ours in one transaction:
 *
 * 1. stage every Django table this import reads into temporary tables here (COPY … TO STDOUT piped into
 *    COPY … FROM STDIN: one round trip per table, whatever its size);
 * 2. map the users (src/domain/django-import/users.ts), create the new accounts, give matched accounts the
 *    Django `unique_id`, link social accounts;
 * 3. upsert the shop tables in foreign-key order by their Django UUIDs: new rows are inserted, rows Django
 *    changed since the last run are updated, identical rows are left alone (a second run changes nothing);
 *    buy-now carts Django promoted to orders since the last run are removed, as Django removed them;
 * 4. turn the simple-history rows into audit rows, oldest first (`import_key` keeps re-runs from repeating);
 * 5. verify: every Django row is here; per order paid / refunded / balance equal in both ledgers (Django's
 *    computed on the Django database itself); per product sold units equal (ours counted by the stock
 *    service the shop uses). Any difference, or a dry run, rolls everything back.
 */
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import {
  SHOP_TABLES,
  USER_SOURCE,
  SOCIAL_SOURCE,
  HISTORY_COLUMNS,
  NOT_IMPORTED,
  attributeName,
  type SourceColumn,
  type TableMap,
  type TargetColumn,
} from '../domain/django-import/tables.js';
import { planUserMapping, defaultIdOffset, type DjangoUser, type MappingMode, type OurUser, type UserPlan } from '../domain/django-import/users.js';
import { compareCounts, compareLedgers, compareSold, type Difference, type LedgerTotals, type TableCount } from '../domain/django-import/verify.js';
import { soldCounts } from './stock.js';

export interface ImportProgress {
  start(totalRows: number): void;
  advance(rows: number, step: string): void;
  stop(): void;
}

export interface DjangoImportOptions {
  /** the Django database (postgres://…) */
  from: string;
  dryRun?: boolean;
  /** Django user id → our user id, applied when neither e-mail nor username matches */
  userMap?: ReadonlyMap<number, number>;
  /** shifted ids = Django id + this; default: the first committed run's, else above our highest id */
  idOffset?: number;
  progress?: ImportProgress;
  now?: Date;
}

export interface DjangoImportResult {
  runId: string | null;
  committed: boolean;
  dryRun: boolean;
  idOffset: number;
  counts: TableCount[];
  users: Record<MappingMode, number> & { source: number; created: number };
  review: string[];
  differences: Difference[];
  ordersVerified: number;
  productsVerified: number;
  skipped: string[];
  notImported: Record<string, string>;
  seconds: number;
  /** where the time went, in order (seconds per phase; `commit` is the COMMIT itself) */
  phases: Array<{ phase: string; seconds: number }>;
}

export class DjangoImportFailed extends Error {
  constructor(message: string, readonly result: DjangoImportResult) {
    super(message);
  }
}

/** Thrown inside the transaction to roll it back (dry run, differences). */
class Rollback extends Error {}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const stage = (source: string) => `dj_${source}`;
const HISTORY_KEY = (table: string) => `'django:${table}:' || s.history_id`;

/** The source URL without its password, for logs and the run record. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

type Columns = Map<string, Map<string, string>>; // table → column → data_type

async function columnsOf(run: (sql: string) => Promise<Array<Record<string, string>>>): Promise<Columns> {
  const rows = await run(`SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()`);
  const out: Columns = new Map();
  for (const r of rows) {
    if (!out.has(r.table_name!)) out.set(r.table_name!, new Map());
    out.get(r.table_name!)!.set(r.column_name!, r.data_type!);
  }
  return out;
}

/** The SELECT that reads a Django table as our staging shape (missing later columns get their default). */
function sourceSelect(table: string, columns: SourceColumn[], have: Map<string, string>): string {
  const exprs = columns.map((c) => {
    if (have.has(c.name)) return `${q(c.name)}::${c.type} AS ${q(c.name)}`;
    if (c.missing === undefined) throw new Error(`Django table ${table} has no column ${c.name}`);
    return `(${c.missing})::${c.type} AS ${q(c.name)}`;
  });
  return `SELECT ${exprs.join(', ')} FROM ${q(table)}`;
}

/**
 * Django user ids become ours through a LEFT JOIN against `django_user_map` per user column (a hash join:
 * one pass over the map), not a subquery per row and column: with ~2.7 million of those in a 50,000-order
 * import, the correlated form cost seconds and its inflated cost estimate pushed the statements into JIT
 * compilation.
 */
const userAlias = (column: string) => q(`u_${column}`);

function userJoins(cols: TargetColumn[]): string {
  return cols
    .filter((c) => c.user)
    .map((c) => `LEFT JOIN django_user_map ${userAlias(c.column)} ON ${userAlias(c.column)}.django_user_id = ${c.expr ?? `s.${q(c.column)}`}`)
    .join(' ');
}

function targetExpr(c: TargetColumn): string {
  return c.user ? `${userAlias(c.column)}.user_id` : (c.expr ?? `s.${q(c.column)}`);
}

/**
 * A value as our audit hooks write it (JS Date JSON for timestamps), as an argument of `jsonb_build_object`,
 * which converts it exactly as `to_jsonb` would (NULL becomes JSON null) but without an intermediate jsonb
 * value per column: wrapping each in `to_jsonb` cost ~40 % more on the history snapshots.
 */
function jsonValue(expr: string, dataType: string | undefined): string {
  if (dataType?.startsWith('timestamp')) return `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return expr;
}

export async function importFromDjango(sequelize: Sequelize, opts: DjangoImportOptions): Promise<DjangoImportResult> {
  const started = new Date();
  const source = new pg.Client({ connectionString: opts.from, application_name: 'conference-shop import:django' });
  // The source connection sits idle in its snapshot transaction while ours writes. If the server ends it
  // then (57P01: the Django database restarted or dropped, an operator's pg_terminate_backend), pg emits
  // 'error' on the client: without a listener that crashed the whole process. Kept here instead, the run
  // fails at its next read and rolls back with this reason; a loss after the last read changes nothing.
  let sourceLost: Error | null = null;
  source.on('error', (e: Error) => {
    sourceLost ??= e;
  });
  await source.connect();
  const result: DjangoImportResult = {
    runId: null,
    committed: false,
    dryRun: Boolean(opts.dryRun),
    idOffset: 0,
    counts: [],
    users: { source: 0, created: 0, previous: 0, auto_email: 0, auto_username: 0, manual: 0, shifted: 0 },
    review: [],
    differences: [],
    ordersVerified: 0,
    productsVerified: 0,
    skipped: [],
    notImported: {},
    seconds: 0,
    phases: [],
  };
  const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      result.phases.push({ phase, seconds: Math.round(performance.now() - t0) / 1000 });
    }
  };
  let committing = 0;
  try {
    // read-only and one snapshot for every table, the ledger and the sold counts
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const srcCols = await columnsOf(async (sql) => (await source.query(sql)).rows);
    if (srcCols.has('django_user_map') || srcCols.has('SequelizeMeta')) {
      throw new Error('--from names a database of this shop, not the Django backend');
    }
    for (const t of Object.keys(NOT_IMPORTED)) if (srcCols.has(t)) result.notImported[t] = NOT_IMPORTED[t]!;

    await sequelize.transaction(async (t) => {
      const client = (t as unknown as { connection: pg.ClientBase }).connection;
      const run = async <T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> => (await client.query(sql, params)).rows as T[];
      // One big batch transaction, not an OLTP one:
      // - no JIT: its compile time (seconds for the history statement, whose many expressions it compiles) is
      //   never won back on a few hundred thousand rows;
      // - memory for the sorts and hashes of the joins, the history window and the ordered audit insert,
      //   which otherwise spill to disk (4 MB default), and for the staging indexes.
      // SET LOCAL: gone when the transaction ends, so the pooled connection goes back unchanged.
      await run(`SET LOCAL jit = off`);
      await run(`SET LOCAL work_mem = '256MB'`);
      await run(`SET LOCAL maintenance_work_mem = '256MB'`);
      const tgtCols = await columnsOf((sql) => run(sql));

      // ---- what to read -------------------------------------------------------------------------------
      for (const required of [USER_SOURCE.source, ...SHOP_TABLES.filter((m) => !m.optional).map((m) => m.source)]) {
        if (!srcCols.has(required)) throw new Error(`the Django database has no table ${required}`);
      }
      const tables = SHOP_TABLES.filter((m) => {
        if (!m.optional) return true;
        const ok = srcCols.has(m.source) && tgtCols.has(m.target);
        if (!ok) result.skipped.push(`${m.source} → ${m.target}: ${srcCols.has(m.source) ? `our schema has no ${m.target} yet` : 'not in the Django database'}`);
        return ok;
      });
      const histories = tables.filter((m) => m.history && srcCols.has(m.history));
      for (const m of tables) if (m.history && !srcCols.has(m.history)) result.skipped.push(`${m.history}: not in the Django database (no history for ${m.target})`);
      const hasSocial = srcCols.has(SOCIAL_SOURCE.source);

      const staging: Array<{ table: string; columns: SourceColumn[] }> = [
        { table: USER_SOURCE.source, columns: USER_SOURCE.columns },
        ...(hasSocial ? [{ table: SOCIAL_SOURCE.source, columns: SOCIAL_SOURCE.columns }] : []),
        ...tables.map((m) => ({ table: m.source, columns: m.columns })),
        ...histories.map((m) => ({ table: m.history!, columns: [...m.columns, ...HISTORY_COLUMNS] })),
      ];
      const sizes = new Map<string, number>();
      for (const s of staging) {
        const r = await source.query(`SELECT count(*)::int AS n FROM ${q(s.table)}`);
        sizes.set(s.table, r.rows[0].n);
      }
      const totalRows = [...sizes.values()].reduce((a, b) => a + b, 0);
      opts.progress?.start(totalRows * 2);

      // ---- 1. stage ---------------------------------------------------------------------------------
      await timed('stage (COPY from Django)', async () => {
      for (const s of staging) {
        await run(`CREATE TEMP TABLE ${q(stage(s.table))} (${s.columns.map((c) => `${q(c.name)} ${c.type}`).join(', ')}) ON COMMIT DROP`);
        // binary: no text formatting and parsing of uuids and timestamps on either side; the SELECT casts
        // every column to the staging column's type, which the binary format requires
        const out = source.query(copyTo(`COPY (${sourceSelect(s.table, s.columns, srcCols.get(s.table)!)}) TO STDOUT (FORMAT binary)`));
        const into = client.query(copyFrom(`COPY ${q(stage(s.table))} (${s.columns.map((c) => q(c.name)).join(', ')}) FROM STDIN (FORMAT binary)`));
        await pipeline(out, into);
        if (s.columns.some((c) => c.name === 'id')) await run(`CREATE INDEX ON ${q(stage(s.table))} (id)`);
        await run(`ANALYZE ${q(stage(s.table))}`);
        opts.progress?.advance(sizes.get(s.table)!, `read ${s.table}`);
      }
      });
      // Django's side of the verification runs on the source connection (same snapshot) while this one writes
      const djangoSide = startDjangoVerification(source);


      // ---- 2. users ---------------------------------------------------------------------------------
      const plan = await timed('users', () => mapUsers(run, opts, result));
      opts.progress?.advance(sizes.get(USER_SOURCE.source)!, 'users');
      if (hasSocial) {
        await timed('social accounts', () => linkSocialAccounts(run, result));
        opts.progress?.advance(sizes.get(SOCIAL_SOURCE.source)!, 'social accounts');
      }

      // ---- 3. shop tables -----------------------------------------------------------------------------
      for (const m of tables) {
        await timed(`upsert ${m.target}`, async () => {
          const c = await upsertTable(run, m, tgtCols.get(m.target)!);
          result.counts.push(c);
          if (m.target === 'customer_infos') {
            // a buy-now cart Django promoted since the last run: Django hard-deleted it; so do we
            await run(`DELETE FROM single_product_carts sp
                        WHERE NOT EXISTS (SELECT 1 FROM ${q(stage('order_singleproductcart'))} s WHERE s.id = sp.id)
                          AND EXISTS (SELECT 1 FROM ${q(stage('order_orderproductrelation'))} o WHERE o.id = sp.order_product_relation_id)`);
          }
        });
        opts.progress?.advance(sizes.get(m.source)!, m.target);
      }

      // ---- 4. history → audit rows ------------------------------------------------------------------
      if (histories.length) {
        const inserted = await timed('history → audit rows', () => importHistory(run, histories, tgtCols));
        await timed('history counts', async () => {
        for (const m of histories) {
          const [row] = await run<{ n: number }>(
            `SELECT count(*)::int AS n FROM ${q(stage(m.history!))} s JOIN audit_logs a ON a.import_key = ${HISTORY_KEY(m.history!)}`,
          );
          const n = sizes.get(m.history!)!;
          result.counts.push({ table: m.history!, target: 'audit_logs', source: n, present: row!.n, inserted: inserted.get(m.history!) ?? 0, updated: 0 });
          opts.progress?.advance(n, `history ${m.history}`);
        }
        });
      }

      // ---- 5. verify --------------------------------------------------------------------------------
      result.differences.push(...compareCounts(result.counts));
      await timed('verify (ledgers, sold units)', async () => {
        const django = await djangoSide;
        const ledger = await verifyLedgers(django.ledger, run);
        result.differences.push(...ledger.differences);
        result.ordersVerified = ledger.orders;
        const sold = await verifySold(sequelize, django.sold, run, t, opts.now ?? new Date());
        result.differences.push(...sold.differences);
        result.productsVerified = sold.products;
      });
      result.users.created = plan.create.length;

      if (result.differences.length) throw new Rollback('differences');
      if (opts.dryRun) throw new Rollback('dry run');
      result.seconds = (Date.now() - started.getTime()) / 1000;
      const [runRow] = await run<{ id: string }>(
        `INSERT INTO django_import_runs (source, status, id_offset, counts, differences, review, summary, started_at)
         VALUES ($1, 'committed', $2, $3, '[]', $4, $5, $6) RETURNING id`,
        [redactUrl(opts.from), result.idOffset, JSON.stringify(result.counts), JSON.stringify(result.review), JSON.stringify(summaryOf(result)), started],
      );
      result.runId = runRow!.id;
      await run(
        `INSERT INTO audit_logs (table_name, record_id, action, actor_label, after) VALUES ('django_import_runs', $1, 'django_import.committed', 'import:django', $2)`,
        [result.runId, JSON.stringify(summaryOf(result))],
      );
      committing = performance.now();
    });
    result.phases.push({ phase: 'commit', seconds: Math.round(performance.now() - committing) / 1000 });
    result.committed = true;
  } catch (e) {
    if (sourceLost && !(e instanceof Rollback)) {
      // The server's reason (57P01 …) reaches the 'error' listener only when no source query is running; when
      // one is (a busy machine: the next COPY already sent), that query gets it and the listener just
      // "Connection terminated unexpectedly". Name the server's reason whichever way it came.
      const pgErr = e as { severity?: string; code?: string };
      const reason = pgErr.severity === 'FATAL' && /^(57|08)/.test(pgErr.code ?? '') ? (e as Error) : (sourceLost as Error);
      throw new Error(`the connection to the Django database was lost: ${reason.message}`, { cause: e });
    }
    if (!(e instanceof Rollback)) {
      const pgErr = e as { detail?: string; table?: string; constraint?: string };
      if (pgErr.constraint || pgErr.detail) {
        result.differences.push({ kind: 'constraint', key: `${pgErr.table ?? '?'} ${pgErr.constraint ?? ''}`.trim(), django: pgErr.detail ?? '', ours: (e as Error).message });
      } else {
        throw e;
      }
    }
  } finally {
    opts.progress?.stop();
    await source.query('ROLLBACK').catch(() => {});
    await source.end().catch(() => {});
  }
  result.seconds = (Date.now() - started.getTime()) / 1000;
  if (result.differences.length) {
    // the data rolled back; the failed run and its list are kept for the operator
    if (!result.dryRun) {
      await sequelize.query(
        `INSERT INTO django_import_runs (source, status, id_offset, counts, differences, review, summary, started_at)
         VALUES (:source, 'failed', :offset, :counts, :differences, :review, :summary, :started)`,
        {
          replacements: {
            source: redactUrl(opts.from),
            offset: result.idOffset,
            counts: JSON.stringify(result.counts),
            differences: JSON.stringify(result.differences),
            review: JSON.stringify(result.review),
            summary: JSON.stringify(summaryOf(result)),
            started,
          },
        },
      );
    }
    throw new DjangoImportFailed(`${result.differences.length} difference(s) between Django and this database: nothing was imported`, result);
  }
  return result;
}

function summaryOf(r: DjangoImportResult): Record<string, unknown> {
  return { dryRun: r.dryRun, users: r.users, ordersVerified: r.ordersVerified, productsVerified: r.productsVerified, skipped: r.skipped, seconds: r.seconds, phases: r.phases };
}

type Run = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

// ---------------------------------------------------------------------------------------------------------
// users

async function mapUsers(run: Run, opts: DjangoImportOptions, result: DjangoImportResult): Promise<UserPlan> {
  const django = (
    await run<{ id: string; password: string | null; last_login: Date | null; is_superuser: boolean; username: string; email: string | null; is_staff: boolean; is_active: boolean; date_joined: Date; unique_id: string }>(
      `SELECT * FROM ${q(stage(USER_SOURCE.source))}`,
    )
  ).map<DjangoUser>((r) => ({
    id: Number(r.id),
    email: r.email ?? '',
    username: r.username,
    password: r.password,
    isActive: r.is_active,
    isStaff: r.is_staff,
    isSuperuser: r.is_superuser,
    lastLogin: r.last_login,
    dateJoined: r.date_joined,
    uniqueId: r.unique_id,
  }));
  const ours = (await run<{ id: number; email: string; username: string; unique_id: string; deleted: boolean }>(
    `SELECT id, email, username, unique_id, deleted_at IS NOT NULL AS deleted FROM users`,
  )).map<OurUser>((r) => ({ id: r.id, email: r.email, username: r.username, uniqueId: r.unique_id, deleted: r.deleted }));
  const previous = new Map(
    (await run<{ django_user_id: string; user_id: number; mode: MappingMode }>(`SELECT django_user_id, user_id, mode FROM django_user_map`)).map((r) => [
      Number(r.django_user_id),
      { userId: r.user_id, mode: r.mode },
    ]),
  );
  const [last] = await run<{ id_offset: number }>(`SELECT id_offset FROM django_import_runs WHERE status = 'committed' AND id_offset IS NOT NULL ORDER BY finished_at LIMIT 1`);
  const offset = opts.idOffset ?? last?.id_offset ?? defaultIdOffset(Math.max(0, ...ours.map((u) => u.id)));
  result.idOffset = offset;

  const plan = planUserMapping({ django, ours, previous, manual: opts.userMap ?? new Map(), offset });
  result.review.push(...plan.review);
  Object.assign(result.users, plan.counts, { source: django.length });

  if (plan.create.length) {
    const djangoIdOf = new Map(plan.mappings.filter((m) => m.mode === 'shifted').map((m) => [m.userId, m.djangoId]));
    await run(
      `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id int, email text, username text, nickname text, "passwordHash" text,
                   "isActive" boolean, "lastLoginAt" timestamptz, "createdAt" timestamptz, "uniqueId" uuid, "djangoId" bigint)),
            ins AS (
              INSERT INTO users (id, unique_id, email, username, nickname_ko, nickname_en, password_hash, is_active, last_login_at, created_at, updated_at)
              SELECT id, coalesce("uniqueId", gen_random_uuid()), email, username, nickname, nickname, "passwordHash", "isActive", "lastLoginAt", "createdAt", "createdAt" FROM r
              RETURNING id, unique_id, email, username, is_active)
       INSERT INTO audit_logs (table_name, record_id, action, actor_label, reason, after)
       SELECT 'users', ins.id::text, 'create', 'import:django', 'imported from Django user ' || r."djangoId",
              jsonb_build_object('id', ins.id, 'uniqueId', ins.unique_id, 'email', ins.email, 'username', ins.username, 'isActive', ins.is_active)
         FROM ins JOIN r ON r.id = ins.id`,
      [JSON.stringify(plan.create.map((c) => ({ ...c, djangoId: djangoIdOf.get(c.id)! })))],
    );
    await run(`SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))`);
  }
  if (plan.uniqueIds.length) {
    await run(
      `WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r("userId" int, "uniqueId" uuid, "djangoId" bigint)),
            old AS (SELECT u.id, u.unique_id FROM users u JOIN r ON r."userId" = u.id WHERE u.unique_id <> r."uniqueId"),
            upd AS (UPDATE users u SET unique_id = r."uniqueId", updated_at = now() FROM r, old WHERE u.id = r."userId" AND old.id = u.id RETURNING u.id, u.unique_id)
       INSERT INTO audit_logs (table_name, record_id, action, actor_label, reason, before, after)
       SELECT 'users', upd.id::text, 'update', 'import:django', 'unique_id of Django user ' || r."djangoId" || ' (its printed QR codes keep working)',
              jsonb_build_object('uniqueId', old.unique_id), jsonb_build_object('uniqueId', upd.unique_id)
         FROM upd JOIN old ON old.id = upd.id JOIN r ON r."userId" = upd.id`,
      [JSON.stringify(plan.uniqueIds)],
    );
  }
  const fresh = plan.mappings;
  if (fresh.length) {
    await run(
      `INSERT INTO django_user_map (django_user_id, user_id, mode)
       SELECT "djangoId", "userId", mode FROM jsonb_to_recordset($1::jsonb) AS r("djangoId" bigint, "userId" int, mode text)`,
      [JSON.stringify(fresh)],
    );
  }
  const [{ n }] = (await run<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${q(stage(USER_SOURCE.source))} s JOIN django_user_map m ON m.django_user_id = s.id`,
  )) as [{ n: number }];
  result.counts.push({ table: USER_SOURCE.source, target: 'users', source: django.length, present: n, inserted: plan.create.length, updated: plan.uniqueIds.length });
  return plan;
}

async function linkSocialAccounts(run: Run, result: DjangoImportResult): Promise<void> {
  const s = q(stage(SOCIAL_SOURCE.source));
  const [ins] = await run<{ n: number }>(
    `WITH w AS (
       INSERT INTO social_accounts (user_id, provider, uid, email, last_login_at, created_at, updated_at)
       SELECT m.user_id, s.provider, s.uid,
              coalesce(s.extra_data->>'email', s.extra_data->'kakao_account'->>'email', s.extra_data->'response'->>'email'),
              s.last_login, s.date_joined, s.date_joined
         FROM ${s} s JOIN django_user_map m ON m.django_user_id = s.user_id
       ON CONFLICT (provider, uid) DO NOTHING RETURNING 1)
     SELECT count(*)::int AS n FROM w`,
  );
  const conflicts = await run<{ provider: string; uid: string; ours: number; mapped: number }>(
    `SELECT s.provider, s.uid, sa.user_id AS ours, m.user_id AS mapped
       FROM ${s} s JOIN django_user_map m ON m.django_user_id = s.user_id
       JOIN social_accounts sa ON sa.provider = s.provider AND sa.uid = s.uid
      WHERE sa.user_id <> m.user_id`,
  );
  for (const c of conflicts) result.review.push(`social account ${c.provider}:${c.uid} is linked to account ${c.ours} here, Django's user is account ${c.mapped}: kept as it is`);
  const [present] = await run<{ n: number; src: number }>(
    `SELECT (SELECT count(*)::int FROM ${s}) AS src,
            (SELECT count(*)::int FROM ${s} s JOIN social_accounts sa ON sa.provider = s.provider AND sa.uid = s.uid) AS n`,
  );
  result.counts.push({ table: SOCIAL_SOURCE.source, target: 'social_accounts', source: present!.src, present: present!.n, inserted: ins!.n, updated: 0 });
}

// ---------------------------------------------------------------------------------------------------------
// shop tables

function writtenColumns(m: TableMap, target: Map<string, string>): TargetColumn[] {
  return m.targetColumns.filter((c) => !c.optional || target.has(c.column));
}

/**
 * Rows identical to ours are filtered out before the INSERT (an anti-join): `ON CONFLICT DO UPDATE … WHERE`
 * alone would still lock every conflicting row — writing its heap page and WAL — even when its WHERE then
 * skips the update, which made a re-run that changes nothing cost as much as a first run. The ON CONFLICT
 * clause stays the authority on what changes (a row the filter lets through compares again, after the
 * column casts).
 */
async function upsertTable(run: Run, m: TableMap, target: Map<string, string>): Promise<TableCount> {
  const cols = writtenColumns(m, target);
  const names = cols.map((c) => q(c.column));
  const changing = cols.filter((c) => c.column !== 'id');
  const changingNames = changing.map((c) => q(c.column));
  const [r] = await run<{ inserted: number; updated: number }>(
    `WITH w AS (
       INSERT INTO ${q(m.target)} AS t (${names.join(', ')})
       SELECT ${cols.map(targetExpr).join(', ')} FROM ${q(stage(m.source))} s ${userJoins(cols)}
        WHERE NOT EXISTS (SELECT 1 FROM ${q(m.target)} x
                           WHERE x.id = s.id
                             AND (${changingNames.map((c) => `x.${c}`).join(', ')}) IS NOT DISTINCT FROM (${changing.map(targetExpr).join(', ')}))
       ON CONFLICT (id) DO UPDATE SET ${changingNames.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
         WHERE (${changingNames.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${changingNames.map((c) => `EXCLUDED.${c}`).join(', ')})
       RETURNING (xmax = 0) AS inserted)
     SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM w`,
  );
  const [c] = await run<{ source: number; present: number }>(
    `SELECT (SELECT count(*)::int FROM ${q(stage(m.source))}) AS source,
            (SELECT count(*)::int FROM ${q(stage(m.source))} s JOIN ${q(m.target)} t ON t.id = s.id) AS present`,
  );
  return { table: m.source, target: m.target, source: c!.source, present: c!.present, inserted: r!.inserted, updated: r!.updated };
}

// ---------------------------------------------------------------------------------------------------------
// history

/**
 * One INSERT for every historical table, oldest change first: the audit row of a `~` change carries only
 * the changed attributes (before and after, as our audit hooks write them); `+` carries the row, `-` the
 * last state. History rows of rows Django no longer has (hard-deleted buy-now carts) are kept too.
 *
 * Set-based and incremental. First, per historical table, the history rows not imported yet (an anti-join on
 * `import_key`) go into a small analyzed temp table: a table with none is left out (a re-run builds no JSON),
 * a table with only new rows is read whole (the first run: no filter at all), otherwise only the records with
 * a new row are read (a hash semi-join the planner can size, which it could not over a CTE: it guessed 200
 * rows and probed the staging table once per record). A record's earlier, already imported rows are read
 * too: the previous snapshot comes from a window over all its rows, so a later run's first change still
 * diffs against the state before it. Each snapshot is built once (`OFFSET 0` keeps the planner from
 * inlining it into both the window and the output); a change's before/after are both snapshots minus the
 * attributes it left alone, found by one fixed comparison per attribute (no per-row set-returning function
 * and aggregate over the keys).
 */
async function importHistory(run: Run, histories: TableMap[], tgtCols: Columns): Promise<Map<string, number>> {
  const parts: string[] = [];
  for (const m of histories) {
    const st = q(stage(m.history!));
    const fresh = q(`dj_new_${m.history}`);
    await run(
      `CREATE TEMP TABLE ${fresh} ON COMMIT DROP AS
       SELECT s.history_id, s.id FROM ${st} s WHERE NOT EXISTS (SELECT 1 FROM audit_logs a WHERE a.import_key = ${HISTORY_KEY(m.history!)})`,
    );
    const [{ fresh: n, all }] = (await run<{ fresh: number; all: number }>(
      `SELECT (SELECT count(*)::int FROM ${fresh}) AS fresh, (SELECT count(*)::int FROM ${st}) AS all`,
    )) as [{ fresh: number; all: number }];
    if (n === 0) continue;
    let records = '';
    let newRows = '';
    if (n < all) {
      await run(`ANALYZE ${fresh}`);
      records = `WHERE s.id IN (SELECT id FROM ${fresh})`;
      newRows = `WHERE l.hid IN (SELECT history_id FROM ${fresh})`;
    }
    const types = tgtCols.get(m.target)!;
    const cols = writtenColumns(m, types);
    const keys = cols.map((c) => attributeName(c.column));
    const snap = `jsonb_build_object(${cols.map((c, i) => `'${keys[i]}', ${jsonValue(targetExpr(c), types.get(c.column))}`).join(', ')})`;
    // the attributes a `~` row did not change: the previous and this snapshot have the same keys, so
    // before = previous minus these, after = this minus these
    const same = `array_remove(ARRAY[${keys.map((k) => `CASE WHEN l.prev->'${k}' IS NOT DISTINCT FROM l.snap->'${k}' THEN '${k}' END`).join(', ')}], NULL)`;
    parts.push(`SELECT '${m.history}'::text AS hist, '${m.target}'::text AS table_name, x.id::text AS record_id,
                       CASE WHEN x.htype = '+' THEN 'create'
                            WHEN x.htype = '-' THEN 'delete'
                            WHEN x.prev IS NOT NULL AND x.prev->>'deletedAt' IS NULL AND x.snap->>'deletedAt' IS NOT NULL THEN 'delete'
                            ELSE 'update' END AS action,
                       x.actor, x.huser, x.reason,
                       CASE WHEN x.htype = '+' THEN NULL WHEN x.htype = '-' THEN x.snap WHEN x.prev IS NULL THEN NULL
                            WHEN cardinality(x.same) = ${keys.length} THEN NULL ELSE x.prev - x.same END AS before,
                       CASE WHEN x.htype = '-' THEN NULL WHEN x.htype = '+' OR x.prev IS NULL THEN x.snap ELSE x.snap - x.same END AS after,
                       x.hdate, x.hid, 'django:${m.history}:' || x.hid AS ikey
                  FROM (SELECT l.*, CASE WHEN l.htype NOT IN ('+', '-') AND l.prev IS NOT NULL THEN ${same} END AS same
                          FROM (SELECT b.*, lag(b.snap) OVER (PARTITION BY b.id ORDER BY b.hdate, b.hid) AS prev
                                  FROM (SELECT s.id, s.history_type AS htype, s.history_date AS hdate, s.history_id AS hid, s.history_change_reason AS reason,
                                               s.history_user_id AS huser, "u_history_user".user_id AS actor, ${snap} AS snap
                                          FROM ${st} s
                                          LEFT JOIN django_user_map "u_history_user" ON "u_history_user".django_user_id = s.history_user_id ${userJoins(cols)}
                                         ${records}
                                        OFFSET 0) b) l
                         ${newRows}
                        OFFSET 0) x`);
  }
  if (!parts.length) return new Map();
  const rows = await run<{ hist: string; n: number }>(
    `WITH h AS (${parts.join('\nUNION ALL\n')}),
          w AS (
            INSERT INTO audit_logs (table_name, record_id, action, actor_user_id, actor_label, reason, before, after, created_at, import_key)
            SELECT table_name, record_id, action, actor, CASE WHEN huser IS NULL THEN 'django' ELSE 'django_user:' || huser END, reason, before, after, hdate, ikey
              FROM h
             ORDER BY hdate, hid, hist
            ON CONFLICT (import_key) WHERE import_key IS NOT NULL DO NOTHING
            RETURNING import_key)
     SELECT split_part(import_key, ':', 2) AS hist, count(*)::int AS n FROM w GROUP BY 1`,
  );
  return new Map(rows.map((r) => [r.hist, r.n]));
}

// ---------------------------------------------------------------------------------------------------------
// verification

/** paid / refunded / balance per order, the same definition over either ledger table. */
function ledgerSql(table: string, restrict = ''): string {
  return `SELECT order_id::text AS id,
                 coalesce(sum(price) FILTER (WHERE status = 'completed'), 0)::bigint AS paid,
                 (array_agg(price ORDER BY created_at DESC, id DESC))[1]::bigint AS balance
            FROM ${table} ph WHERE deleted_at IS NULL ${restrict} GROUP BY order_id`;
}

function toLedger(rows: Array<{ id: string; paid: string | number; balance: string | number }>): Map<string, LedgerTotals> {
  return new Map(rows.map((r) => [r.id, { paid: Number(r.paid), balance: Number(r.balance), refunded: Number(r.paid) - Number(r.balance) }]));
}

/** Django's side of the verification (per-order ledger totals, per-product sold units), read on its own connection. */
function startDjangoVerification(source: pg.Client): Promise<{ ledger: Map<string, LedgerTotals>; sold: Map<string, number> }> {
  const p = (async () => {
    const ledger = toLedger((await source.query(ledgerSql('payment_history_paymenthistory'))).rows);
    const sold = new Map<string, number>(
      (
        await source.query(
          `SELECT opr.product_id::text AS id, count(*)::int AS n
             FROM order_orderproductrelation opr JOIN order_order o ON o.id = opr.order_id AND o.deleted_at IS NULL
            WHERE opr.status IN ('paid', 'used') AND opr.deleted_at IS NULL
            GROUP BY opr.product_id`,
        )
      ).rows.map((r: { id: string; n: number }) => [r.id, r.n]),
    );
    return { ledger, sold };
  })();
  p.catch(() => {}); // awaited later; a failure before then must not be an unhandled rejection
  return p;
}

async function verifyLedgers(django: Map<string, LedgerTotals>, run: Run): Promise<{ differences: Difference[]; orders: number }> {
  const ours = toLedger(
    await run(ledgerSql('payment_histories', `AND EXISTS (SELECT 1 FROM ${q(stage('order_order'))} s WHERE s.id = ph.order_id)`)),
  );
  return { differences: compareLedgers(django, ours), orders: django.size };
}

async function verifySold(sequelize: Sequelize, django: Map<string, number>, run: Run, transaction: Transaction, now: Date): Promise<{ differences: Difference[]; products: number }> {
  const productIds = (await run<{ id: string }>(`SELECT id::text AS id FROM ${q(stage('product_product'))}`)).map((r) => r.id);
  const ours = await soldCounts(sequelize, { productIds, tagIds: [], optionIds: [] }, { transaction, now });
  return { differences: compareSold(django, ours.product, productIds), products: productIds.length };
}

/** `stage 3.1 s, users 0.4 s, …` (phases under 0.05 s left out). */
export function formatPhases(phases: DjangoImportResult['phases']): string {
  return phases.filter((p) => p.seconds >= 0.05).map((p) => `${p.phase} ${p.seconds.toFixed(1)} s`).join(', ');
}

/** The result as the lines the CLI prints. */
export function formatImportReport(r: DjangoImportResult): string {
  const lines: string[] = [];
  lines.push(`${r.dryRun ? 'DRY RUN — nothing was written' : r.committed ? `committed (run ${r.runId})` : 'FAILED — nothing was written'} in ${r.seconds.toFixed(1)} s`);
  lines.push('');
  lines.push('table                                         → ours                             django   here  new  updated');
  for (const c of r.counts) {
    lines.push(`${c.table.padEnd(45)} → ${c.target.padEnd(30)} ${String(c.source).padStart(8)} ${String(c.present).padStart(6)} ${String(c.inserted).padStart(4)} ${String(c.updated).padStart(8)}`);
  }
  lines.push('');
  const u = r.users;
  lines.push(`users: ${u.source} in Django — ${u.previous} mapped before, ${u.auto_email} by e-mail, ${u.auto_username} by username, ${u.manual} by the map file, ${u.shifted} created (id offset ${r.idOffset})`);
  lines.push(`verified: ${r.ordersVerified} orders (paid / refunded / balance equal in both ledgers), ${r.productsVerified} products (sold units equal)`);
  if (r.phases.length) lines.push(`time: ${formatPhases(r.phases)}`);
  for (const s of r.skipped) lines.push(`skipped: ${s}`);
  for (const [t, why] of Object.entries(r.notImported)) lines.push(`not imported: ${t} — ${why}`);
  if (r.review.length) {
    lines.push('', `for review (${r.review.length}):`);
    for (const line of r.review) lines.push(`  ${line}`);
  }
  return lines.join('\n');
}

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

function userExpr(expr: string): string {
  return `(SELECT m.user_id FROM django_user_map m WHERE m.django_user_id = ${expr})`;
}

function targetExpr(c: TargetColumn): string {
  const e = c.expr ?? `s.${q(c.column)}`;
  return c.user ? userExpr(e) : e;
}

/** A value as our audit hooks write it (JS Date JSON for timestamps). */
function jsonValue(expr: string, dataType: string | undefined): string {
  if (dataType?.startsWith('timestamp')) return `to_jsonb(to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;
  return `to_jsonb(${expr})`;
}

export async function importFromDjango(sequelize: Sequelize, opts: DjangoImportOptions): Promise<DjangoImportResult> {
  const started = new Date();
  const source = new pg.Client({ connectionString: opts.from, application_name: 'conference-shop import:django' });
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
  };
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
      for (const s of staging) {
        await run(`CREATE TEMP TABLE ${q(stage(s.table))} (${s.columns.map((c) => `${q(c.name)} ${c.type}`).join(', ')}) ON COMMIT DROP`);
        const out = source.query(copyTo(`COPY (${sourceSelect(s.table, s.columns, srcCols.get(s.table)!)}) TO STDOUT`));
        const into = client.query(copyFrom(`COPY ${q(stage(s.table))} (${s.columns.map((c) => q(c.name)).join(', ')}) FROM STDIN`));
        await pipeline(out, into);
        if (s.columns.some((c) => c.name === 'id')) await run(`CREATE INDEX ON ${q(stage(s.table))} (id)`);
        await run(`ANALYZE ${q(stage(s.table))}`);
        opts.progress?.advance(sizes.get(s.table)!, `read ${s.table}`);
      }

      // ---- 2. users ---------------------------------------------------------------------------------
      const plan = await mapUsers(run, opts, result);
      opts.progress?.advance(sizes.get(USER_SOURCE.source)!, 'users');
      if (hasSocial) {
        await linkSocialAccounts(run, result);
        opts.progress?.advance(sizes.get(SOCIAL_SOURCE.source)!, 'social accounts');
      }

      // ---- 3. shop tables -----------------------------------------------------------------------------
      for (const m of tables) {
        const c = await upsertTable(run, m, tgtCols.get(m.target)!);
        result.counts.push(c);
        if (m.target === 'customer_infos') {
          // a buy-now cart Django promoted since the last run: Django hard-deleted it; so do we
          await run(`DELETE FROM single_product_carts sp
                      WHERE NOT EXISTS (SELECT 1 FROM ${q(stage('order_singleproductcart'))} s WHERE s.id = sp.id)
                        AND EXISTS (SELECT 1 FROM ${q(stage('order_orderproductrelation'))} o WHERE o.id = sp.order_product_relation_id)`);
        }
        opts.progress?.advance(sizes.get(m.source)!, m.target);
      }

      // ---- 4. history → audit rows ------------------------------------------------------------------
      if (histories.length) {
        const inserted = await importHistory(run, histories, tgtCols);
        for (const m of histories) {
          const [row] = await run<{ n: number }>(
            `SELECT count(*)::int AS n FROM ${q(stage(m.history!))} s JOIN audit_logs a ON a.import_key = ${HISTORY_KEY(m.history!)}`,
          );
          const n = sizes.get(m.history!)!;
          result.counts.push({ table: m.history!, target: 'audit_logs', source: n, present: row!.n, inserted: inserted.get(m.history!) ?? 0, updated: 0 });
          opts.progress?.advance(n, `history ${m.history}`);
        }
      }

      // ---- 5. verify --------------------------------------------------------------------------------
      result.differences.push(...compareCounts(result.counts));
      const ledger = await verifyLedgers(source, run);
      result.differences.push(...ledger.differences);
      result.ordersVerified = ledger.orders;
      const sold = await verifySold(sequelize, source, run, t, opts.now ?? new Date());
      result.differences.push(...sold.differences);
      result.productsVerified = sold.products;
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
    });
    result.committed = true;
  } catch (e) {
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
  return { dryRun: r.dryRun, users: r.users, ordersVerified: r.ordersVerified, productsVerified: r.productsVerified, skipped: r.skipped, seconds: r.seconds };
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
      [JSON.stringify(plan.create.map((c) => ({ ...c, djangoId: plan.mappings.find((m) => m.userId === c.id && m.mode === 'shifted')!.djangoId })))],
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

async function upsertTable(run: Run, m: TableMap, target: Map<string, string>): Promise<TableCount> {
  const cols = writtenColumns(m, target);
  const names = cols.map((c) => q(c.column));
  const changing = cols.filter((c) => c.column !== 'id').map((c) => q(c.column));
  const [r] = await run<{ inserted: number; updated: number }>(
    `WITH w AS (
       INSERT INTO ${q(m.target)} AS t (${names.join(', ')})
       SELECT ${cols.map(targetExpr).join(', ')} FROM ${q(stage(m.source))} s
       ON CONFLICT (id) DO UPDATE SET ${changing.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
         WHERE (${changing.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${changing.map((c) => `EXCLUDED.${c}`).join(', ')})
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
 */
async function importHistory(run: Run, histories: TableMap[], tgtCols: Columns): Promise<Map<string, number>> {
  const parts = histories.map((m) => {
    const types = tgtCols.get(m.target)!;
    const cols = writtenColumns(m, types);
    const snap = `jsonb_build_object(${cols.map((c) => `'${attributeName(c.column)}', ${jsonValue(targetExpr(c), types.get(c.column))}`).join(', ')})`;
    return `SELECT '${m.history}'::text AS hist, '${m.target}'::text AS table_name, s.id::text AS record_id, s.history_type AS htype,
                   s.history_date AS hdate, s.history_id AS hid, s.history_change_reason AS reason, s.history_user_id AS huser,
                   ${userExpr('s.history_user_id')} AS actor, ${snap} AS snap, ${HISTORY_KEY(m.history!)} AS ikey
              FROM ${q(stage(m.history!))} s`;
  });
  const rows = await run<{ hist: string; n: number }>(
    `WITH h AS (${parts.join('\nUNION ALL\n')}),
          l AS (SELECT h.*, lag(snap) OVER (PARTITION BY table_name, record_id ORDER BY hdate, hid) AS prev FROM h),
          w AS (
            INSERT INTO audit_logs (table_name, record_id, action, actor_user_id, actor_label, reason, before, after, created_at, import_key)
            SELECT table_name, record_id,
                   CASE WHEN htype = '+' THEN 'create'
                        WHEN htype = '-' THEN 'delete'
                        WHEN prev IS NOT NULL AND prev->>'deletedAt' IS NULL AND snap->>'deletedAt' IS NOT NULL THEN 'delete'
                        ELSE 'update' END,
                   actor,
                   CASE WHEN huser IS NULL THEN 'django' ELSE 'django_user:' || huser END,
                   reason,
                   CASE WHEN htype = '+' THEN NULL
                        WHEN htype = '-' OR prev IS NULL THEN CASE WHEN htype = '-' THEN snap END
                        ELSE (SELECT jsonb_object_agg(k, prev->k) FROM jsonb_object_keys(snap) k WHERE prev->k IS DISTINCT FROM snap->k) END,
                   CASE WHEN htype = '-' THEN NULL
                        WHEN htype = '+' OR prev IS NULL THEN snap
                        ELSE coalesce((SELECT jsonb_object_agg(k, snap->k) FROM jsonb_object_keys(snap) k WHERE prev->k IS DISTINCT FROM snap->k), '{}'::jsonb) END,
                   hdate, ikey
              FROM l
             WHERE NOT EXISTS (SELECT 1 FROM audit_logs a WHERE a.import_key = l.ikey)
             ORDER BY hdate, hid
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

async function verifyLedgers(source: pg.Client, run: Run): Promise<{ differences: Difference[]; orders: number }> {
  const django = toLedger((await source.query(ledgerSql('payment_history_paymenthistory'))).rows);
  const ours = toLedger(
    await run(ledgerSql('payment_histories', `AND EXISTS (SELECT 1 FROM ${q(stage('order_order'))} s WHERE s.id = ph.order_id)`)),
  );
  return { differences: compareLedgers(django, ours), orders: django.size };
}

async function verifySold(sequelize: Sequelize, source: pg.Client, run: Run, transaction: Transaction, now: Date): Promise<{ differences: Difference[]; products: number }> {
  const django = new Map<string, number>(
    (
      await source.query(
        `SELECT opr.product_id::text AS id, count(*)::int AS n
           FROM order_orderproductrelation opr JOIN order_order o ON o.id = opr.order_id AND o.deleted_at IS NULL
          WHERE opr.status IN ('paid', 'used') AND opr.deleted_at IS NULL
          GROUP BY opr.product_id`,
      )
    ).rows.map((r: { id: string; n: number }) => [r.id, r.n]),
  );
  const productIds = (await run<{ id: string }>(`SELECT id::text AS id FROM ${q(stage('product_product'))}`)).map((r) => r.id);
  const ours = await soldCounts(sequelize, { productIds, tagIds: [], optionIds: [] }, { transaction, now });
  return { differences: compareSold(django, ours.product, productIds), products: productIds.length };
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
  for (const s of r.skipped) lines.push(`skipped: ${s}`);
  for (const [t, why] of Object.entries(r.notImported)) lines.push(`not imported: ${t} — ${why}`);
  if (r.review.length) {
    lines.push('', `for review (${r.review.length}):`);
    for (const line of r.review) lines.push(`  ${line}`);
  }
  return lines.join('\n');
}

/**
 * Statements that go to PostgreSQL together, in one message, without a trip through the app between them.
 *
 * Why: in a ticket rush every checkout waits for the same product row lock, so the rate is 1 / (how long a
 * checkout holds it). The statements under the lock take ~3 ms in PostgreSQL, but each answer that has to
 * come back to the app before the next statement goes out waits its turn in a busy event loop (~2.5 ms each
 * at load): with five such trips the lock was held ~18 ms.
 *
 * `send` hands a statement over; the statements handed over for one transaction in the same synchronous
 * stretch of code (before the next microtask) go out as ONE simple-protocol query, `s1; s2; s3`, which
 * PostgreSQL runs one after another — each with its own snapshot (READ COMMITTED), so a read sent after a
 * lock statement sees what the lock's previous holder committed. When one fails, the rest are skipped (the
 * transaction is then aborted) and every statement of the message rejects with that error. `commitWith`
 * hands over a transaction's last statement with its COMMIT: the locks go as soon as PostgreSQL has run both.
 *
 * The simple protocol carries no parameters, so the values are written into the text the way node-pg
 * would send them as parameters (`prepareValue`, then quoted with `escapeLiteral`). A statement with
 * positional values is PREPAREd once per connection and then EXECUTEd with them, with its generic plan
 * (`toSql`): planning these large statements took longer than running them (2.7 ms against 1.4 ms for the
 * counts, 1.8 against 1.7 for buy now's writes), every time, under the lock. Statements are logged
 * like Sequelize's (the query-count tests read that log) and run Sequelize's `afterQuery` hooks (the
 * catalogue cache's write hook), so they count and invalidate as `sequelize.query` does.
 */
import pg from 'pg';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Transaction, type Sequelize } from 'sequelize';

const require = createRequire(import.meta.url);
// Sequelize's own `:name` replacement (escaping as `sequelize.query({ replacements })` does)
const { injectReplacements } = require('sequelize/lib/utils/sql') as {
  injectReplacements(sql: string, dialect: unknown, replacements: Record<string, unknown>): string;
};
// node-pg's conversion of a parameter to its text form (arrays, dates, JSON, buffers) — what `bind` sends
const { prepareValue } = require('pg/lib/utils') as { prepareValue(v: unknown): string | Buffer | null };
const escapeLiteral = pg.Client.prototype.escapeLiteral;

/** A statement's values: positional (`$1`) or named (`:name`). */
export type Values = { bind?: readonly unknown[]; replacements?: Record<string, unknown> };

interface TransactionInternals {
  id: string;
  connection: pg.Client;
  finished?: string;
  cleanup(): void;
  forceCleanup(): Promise<void>;
  _afterCommitHooks: Array<(t: Transaction) => unknown>;
}
interface SequelizeInternals {
  options: { logging?: false | ((sql: string) => void) };
  dialect: unknown;
  runHooks(name: 'afterQuery', options: { transaction: Transaction }, query: { sql: string }): Promise<void>;
}
const internals = (t: Transaction) => t as unknown as TransactionInternals;

/** A parameter written as a literal: exactly the text node-pg would send for it. */
function literal(v: unknown): string {
  const text = prepareValue(v);
  if (text === null) return 'NULL';
  if (Buffer.isBuffer(text)) return `'\\x${text.toString('hex')}'::bytea`;
  return escapeLiteral(text);
}

/** `$n` → the n-th value as a literal (our own statements: no `$n` inside their quoted strings). */
export function inline(sql: string, bind: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= bind.length) throw new Error(`pipeline: no value for $${n}`);
    return literal(bind[i]);
  });
}

/**
 * A statement's prepared name: `prefix` + a digest of its text, remembered per text (a Map lookup costs less
 * than the digest). `pl_`: the pipeline's; src/db/named-query.ts uses `nq_`.
 */
const namesByPrefix = new Map<string, Map<string, string>>();
/** the prefix of the pipeline's own prepared statements (the ones it deallocates) */
const OURS = 'pl';
export function statementName(text: string, prefix = OURS): string {
  let names = namesByPrefix.get(prefix);
  if (!names) namesByPrefix.set(prefix, (names = new Map()));
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= 1024) names.clear(); // a few shapes per hot path: never reached in practice
    names.set(text, (name = `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`));
  }
  return name;
}

/** Prepared statements per connection (name → true, oldest first); `dirty`: unknown after a failed message. */
interface Prepared {
  names: Map<string, true>;
  dirty: boolean;
}
const preparedOf = new WeakMap<pg.Client, Prepared>();
/** at most this many per connection (the oldest is deallocated): a few shapes per hot path */
const MAX_PREPARED = 64;

/** A statement as sent: what must run before it (PREPARE, DEALLOCATE), the statement, and whether it wants the generic plan. */
interface Sent {
  setup: string[];
  sql: string;
  generic: boolean;
}

/**
 * The SQL that runs a statement on this connection: `EXECUTE name(values)` after a `PREPARE` the first time
 * (positional values), or the text with its values written in (named values, none).
 *
 * The EXECUTE runs with PostgreSQL's generic plan (`plan_cache_mode`, set with SET LOCAL around the EXECUTEs
 * of a message and set back right after them: `message`): by default PostgreSQL plans a prepared statement
 * again for each run as long as a plan for those values looks cheaper, and for these statements it did —
 * every time, under the stock locks (buy now's counts: 1.8 ms of planning for a 4.5 ms run; its write 1.4 ms
 * for 0.9). Their generic plans, measured on the bench's data (EXPLAIN ANALYZE under both modes), run as fast
 * as the custom ones: they look rows up by ids and keys, where the values do not change the best plan.
 */
function toSql(conn: pg.Client, text: string, values: Values, dialect: unknown, added: string[]): Sent {
  if (values.replacements) return { setup: [], sql: injectReplacements(text, dialect, values.replacements), generic: false };
  const bind = values.bind ?? [];
  if (!bind.length) return { setup: [], sql: text, generic: false };
  let prepared = preparedOf.get(conn);
  if (!prepared) preparedOf.set(conn, (prepared = { names: new Map(), dirty: false }));
  const setup: string[] = [];
  if (prepared.dirty) {
    // ours only: node-pg's own named statements (src/db/named-query.ts) stay, as node-pg believes they are
    setup.push(DEALLOCATE_OURS);
    prepared.names.clear();
    prepared.dirty = false;
  }
  const name = statementName(text);
  if (!prepared.names.has(name)) {
    if (prepared.names.size >= MAX_PREPARED) {
      const oldest = prepared.names.keys().next().value!;
      prepared.names.delete(oldest);
      setup.push(`DEALLOCATE ${oldest}`);
    }
    setup.push(`PREPARE ${name} AS ${text}`);
    prepared.names.set(name, true);
    added.push(name);
  }
  return { setup, sql: `EXECUTE ${name}(${bind.map(literal).join(', ')})`, generic: true };
}

const DEALLOCATE_OURS = `DO $$DECLARE n text; BEGIN
  FOR n IN SELECT name FROM pg_prepared_statements WHERE name LIKE '${OURS}\\_%' LOOP EXECUTE 'DEALLOCATE ' || quote_ident(n); END LOOP;
END$$`;
const GENERIC = 'SET LOCAL plan_cache_mode = force_generic_plan';
const AUTO = 'SET LOCAL plan_cache_mode = auto';

/**
 * One message of statements: each with its setup in front, one SET LOCAL before each run of EXECUTEs and one
 * after it (a checkout's four reads under the locks take two SETs, not eight), so nothing else — a statement
 * of Sequelize's, the COMMIT — runs with the generic setting. `own[i]`: where statement i's result is.
 */
function message(sent: Sent[]): { sql: string; total: number; own: number[] } {
  const parts: string[] = [];
  const own: number[] = [];
  let generic = false;
  for (const x of sent) {
    if (generic && !x.generic) {
      // (before the COMMIT there is nothing to set back: a SET LOCAL ends with its transaction)
      if (x.sql !== 'COMMIT') parts.push(AUTO);
      generic = false;
    }
    parts.push(...x.setup);
    if (x.generic && !generic) {
      parts.push(GENERIC);
      generic = true;
    }
    own.push(parts.push(x.sql) - 1);
  }
  if (generic) parts.push(AUTO);
  return { sql: parts.join(';\n'), total: parts.length, own };
}

interface Pending {
  /** the statement as written (logged, counted, given to the hooks) */
  text: string;
  /** the lazy BEGIN put in front of the transaction's first message (`inTransaction`): no caller, no hooks */
  begin?: true;
  values: Values;
  resolve(r: pg.QueryResult): void;
  reject(e: unknown): void;
}
interface Queue {
  pending: Pending[];
  /** the message in flight (the next one goes out after it) */
  tail: Promise<unknown>;
}
const queues = new WeakMap<Transaction, Queue>();

function flush(sequelize: Sequelize, t: Transaction, q: Queue): void {
  const batch = q.pending;
  q.pending = [];
  const s = sequelize as unknown as SequelizeInternals;
  q.tail = q.tail.then(async () => {
    try {
      const conn = internals(t).connection;
      if (!conn) throw new Error(`pipeline: transaction ${internals(t).id} has no connection`);
      const added: string[] = [];
      const sent = message(batch.map((p) => toSql(conn, p.text, p.values, s.dialect, added)));
      // `counted`: what query-stats (src/db/query-stats.ts) counts for this message — the statements, not
      // their PREPAREs (node-pg ignores the field)
      const res = await conn.query({ text: sent.sql, counted: batch.map((p) => p.text) } as pg.QueryConfig).catch((e: unknown) => {
        // which PREPAREs ran before the failure is unknown: the connection's next message starts afresh
        if (added.length) preparedOf.get(conn)!.dirty = true;
        throw e;
      });
      // one result per statement run (PREPAREs, DEALLOCATEs and SETs included): each caller's is at its offset
      const all = Array.isArray(res) ? res : [res];
      if (all.length !== sent.total) throw new Error(`pipeline: ${sent.total} statements sent, ${all.length} results`);
      const results = sent.own.map((i) => all[i]!);
      for (const p of batch) if (!p.begin) await s.runHooks('afterQuery', { transaction: t }, { sql: p.text });
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (e) {
      for (const p of batch) p.reject(e);
    }
  });
}

function dispatch(sequelize: Sequelize, t: Transaction, text: string, values: Values): Promise<pg.QueryResult> {
  const s = sequelize as unknown as SequelizeInternals;
  const tx = internals(t);
  if (!tx.connection || tx.finished) return Promise.reject(new Error(`pipeline: transaction ${tx.id} is not open`));
  const sql = text.trim().replace(/;\s*$/, '');
  if (typeof s.options.logging === 'function') s.options.logging(`Executing (${tx.id}): ${values.bind?.length ? inline(sql, values.bind) : sql}`);
  let q = queues.get(t);
  if (!q) queues.set(t, (q = { pending: [], tail: Promise.resolve() }));
  const queue = q;
  if (takeBegin(sequelize, t)) {
    // the transaction's BEGIN goes first, in this message (see `beginLazily`)
    if (queue.pending.push({ text: 'START TRANSACTION', values: {}, begin: true, resolve: () => undefined, reject: () => undefined }) === 1) {
      queueMicrotask(() => flush(sequelize, t, queue));
    }
  }
  return new Promise<pg.QueryResult>((resolve, reject) => {
    if (queue.pending.push({ text: sql, values, resolve, reject }) === 1) queueMicrotask(() => flush(sequelize, t, queue));
  });
}

/**
 * A statement with `:name` replacements as one with positional values (`$1` …, one per name), so it can be
 * prepared; `::type` casts are left alone.
 */
export function positional(sql: string, replacements: Record<string, unknown>): { sql: string; bind: unknown[] } {
  const index = new Map<string, number>();
  const bind: unknown[] = [];
  const out = sql.replace(/(?<![:\w]):(\w+)/g, (whole, name: string) => {
    if (!(name in replacements)) return whole;
    let i = index.get(name);
    if (i === undefined) index.set(name, (i = bind.push(replacements[name])));
    return `$${i}`;
  });
  return { sql: out, bind };
}

/** Hand a statement over for the transaction (sent with the others handed over in this stretch); its rows. */
export function send<T>(sequelize: Sequelize, t: Transaction, sql: string, values: Values = {}): Promise<T[]> {
  return dispatch(sequelize, t, sql, values).then((r) => r.rows as T[]);
}

/**
 * Hand over the transaction's last statement with its COMMIT; the statement's rows once both have run. When
 * it fails, nothing is kept: the transaction is rolled back and its error thrown. The Sequelize transaction
 * is finished either way (connection released; `afterCommit` hooks run after a commit), as `t.commit()` /
 * `t.rollback()` would leave it.
 */
export async function commitWith<T>(sequelize: Sequelize, t: Transaction, sql: string, values: Values = {}): Promise<T[]> {
  return (await commitAnd<T, never>(sequelize, t, sql, values, null)).rows;
}

/**
 * `commitWith`, and in the same message right behind the COMMIT a read that needs none of the transaction's
 * locks (it runs after they are released, in a transaction of its own, and sees what the COMMIT made
 * visible). Its failure fails the whole message as seen from here — although the COMMIT may have gone
 * through: the caller must be able to run again (the webhook is: its retry finds the payment recorded).
 */
export async function commitThenRead<T, U>(
  sequelize: Sequelize,
  t: Transaction,
  sql: string,
  values: Values,
  afterSql: string,
  afterValues: Values = {},
): Promise<{ rows: T[]; after: U[] }> {
  const r = await commitAnd<T, U>(sequelize, t, sql, values, { sql: afterSql, values: afterValues });
  return { rows: r.rows, after: r.after ?? [] };
}

async function commitAnd<T, U>(
  sequelize: Sequelize,
  t: Transaction,
  sql: string,
  values: Values,
  then: { sql: string; values: Values } | null,
): Promise<{ rows: T[]; after: U[] | null }> {
  const tx = internals(t);
  const sent = [dispatch(sequelize, t, sql, values), dispatch(sequelize, t, 'COMMIT', {})];
  if (then) sent.push(dispatch(sequelize, t, then.sql, then.values));
  const [s, c, a] = await Promise.allSettled(sent);
  if (s!.status === 'rejected' || c!.status === 'rejected' || a?.status === 'rejected') {
    const err = [s, c, a].find((x): x is PromiseRejectedResult => x?.status === 'rejected')!.reason;
    // the COMMIT was skipped with the failed statement: the transaction is aborted (or the connection gone)
    await t.rollback().catch(() => undefined);
    throw err;
  }
  const commit = (c as PromiseFulfilledResult<pg.QueryResult>).value;
  if (commit.command !== 'COMMIT') {
    await t.rollback().catch(() => undefined);
    throw new Error(`pipeline: COMMIT answered ${commit.command}`);
  }
  tx.cleanup();
  tx.finished = 'commit';
  for (const hook of tx._afterCommitHooks) await hook(t);
  return {
    rows: (s as PromiseFulfilledResult<pg.QueryResult>).value.rows as T[],
    after: a ? ((a as PromiseFulfilledResult<pg.QueryResult>).value.rows as U[]) : null,
  };
}

let savepoints = 0;

/**
 * A statement whose failure must not fail the transaction (as `sequelize.transaction({ transaction }, …)`
 * makes it, a savepoint before it) in ONE message: `SAVEPOINT; statement`. When it fails the transaction is
 * taken back to the savepoint (one more message) and the error thrown; the transaction goes on. Like
 * Sequelize's, the savepoint is not released: the COMMIT releases it.
 */
export async function guarded<T>(sequelize: Sequelize, t: Transaction, sql: string, values: Values = {}): Promise<T[]> {
  const name = `pl_sp_${++savepoints}`;
  const [s, r] = await Promise.allSettled([dispatch(sequelize, t, `SAVEPOINT ${name}`, {}), dispatch(sequelize, t, sql, values)]);
  if (s.status === 'fulfilled' && r.status === 'fulfilled') return r.value.rows as T[];
  // a failed message rejects all its statements with its one error; the SAVEPOINT, first, ran unless the
  // transaction was aborted already (then this fails too, and the transaction is lost anyway)
  const err = (r.status === 'rejected' ? r : (s as PromiseRejectedResult)).reason;
  await dispatch(sequelize, t, `ROLLBACK TO SAVEPOINT ${name}`, {}).catch(() => undefined);
  throw err;
}

/** Transactions whose BEGIN has not gone out yet (`beginLazily`). */
const beginPending = new WeakSet<Transaction>();

/** True once per lazily begun transaction, for the statement its BEGIN goes in front of (logged as Sequelize logs it). */
function takeBegin(sequelize: Sequelize, t: Transaction): boolean {
  if (!beginPending.delete(t)) return false;
  const s = sequelize as unknown as SequelizeInternals;
  if (typeof s.options.logging === 'function') s.options.logging(`Executing (${internals(t).id}): START TRANSACTION;`);
  return true;
}

/**
 * `sequelize.transaction()` without its own round trip for the BEGIN: the connection is taken from the pool
 * as Sequelize does, and the BEGIN goes out in front of the transaction's first statement — in the same
 * message when that statement is handed over here (`send`, `commitWith`, `guarded`), or just before it
 * (pg sends a connection's queries in order) when it goes through Sequelize (`sequelize.query({ transaction
 * })`, `t.commit()`, `t.rollback()`). Why: a checkout is four round trips (session, BEGIN, the locks and reads,
 * the writes with the COMMIT); each costs both processes a write, a read and a wake-up (~0.2–0.4 ms of CPU
 * together on the bench's VM), and in a rush the CPU is what runs out.
 */
async function beginLazily(sequelize: Sequelize): Promise<Transaction> {
  const t = new Transaction(sequelize, {});
  const tx = t as unknown as TransactionInternals & { begin(): Promise<void>; prepareEnvironment(useCls: boolean): Promise<void> };
  tx.begin = async () => {
    beginPending.add(t);
  };
  await tx.prepareEnvironment(false); // as `sequelize.transaction()` does for a transaction without a callback
  const conn = tx.connection;
  const query = conn.query;
  const own = Object.prototype.hasOwnProperty.call(conn, 'query');
  // a statement that does not come through `dispatch` while the BEGIN is pending: the BEGIN first
  conn.query = function lazyBeginQuery(this: pg.Client, ...args: unknown[]) {
    if (takeBegin(sequelize, t)) {
      (query as (text: string) => Promise<unknown>).call(conn, 'START TRANSACTION').catch(() => undefined); // its failure fails the next statement too
    }
    return (query as (...a: unknown[]) => unknown).apply(conn, args);
  } as typeof conn.query;
  // the connection goes back to the pool as it was
  const restore = () => {
    if (own) conn.query = query;
    else delete (conn as { query?: unknown }).query;
  };
  const cleanup = tx.cleanup.bind(tx);
  const forceCleanup = tx.forceCleanup.bind(tx);
  tx.cleanup = () => {
    restore();
    cleanup();
  };
  tx.forceCleanup = async () => {
    restore();
    await forceCleanup();
  };
  return t;
}

/**
 * `sequelize.transaction(fn)` for a body that may end the transaction itself with `commitWith`: commits when
 * the body returns and has not, rolls back when it throws before ending it. The BEGIN goes with the body's
 * first statement (`beginLazily`).
 */
export async function inTransaction<R>(sequelize: Sequelize, fn: (t: Transaction) => Promise<R>): Promise<R> {
  const t = await beginLazily(sequelize);
  let result: R;
  try {
    result = await fn(t);
  } catch (err) {
    if (!internals(t).finished) await t.rollback().catch(() => undefined);
    throw err;
  }
  if (!internals(t).finished) await t.commit();
  return result;
}

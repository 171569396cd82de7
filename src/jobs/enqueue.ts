/**
 * Enqueueing jobs from services: `enqueueAfterCommit(transaction, name, data)` registers the job on the
 * transaction's `afterCommit` hook (of the outermost transaction, so a savepoint's "commit" does not count):
 * a rollback enqueues nothing. Without a transaction the job is enqueued at once.
 *
 * Which queue: the one the process registered (`registerJobQueue`, done by main.ts / worker.ts / tests);
 * otherwise an enqueue-only queue is opened on first use with the connection settings of the transaction's
 * Sequelize instance (so a CLI or a test that never started jobs still records them for a worker).
 *
 * An enqueue that fails after commit cannot undo the commit: it is logged (and must never make the caller's
 * commit look failed). Notifications survive that: their recipient row stays CREATED and the
 * `notification-sweep` job enqueues it again. (Sequelize 6 also runs afterCommit hooks when COMMIT itself
 * failed; handlers load their rows by id and do nothing when the row is not there.)
 */
import type { Sequelize, Transaction } from 'sequelize';
import { AuditLog } from '../models/index.js';
import { logger } from '../logger.js';
import { AGENDA_TABLE, JobQueue, poolConfigOf } from './agenda.js';

let registered: JobQueue | null = null;
const lazyQueues = new WeakMap<Sequelize, Promise<JobQueue>>();

/** The process's queue (null to unregister, e.g. after a test worker stops). */
export function registerJobQueue(queue: JobQueue | null): void {
  registered = queue;
}

/** Unregister `queue` if it is the registered one (a stopping worker must not unregister another). */
export function unregisterJobQueue(queue: JobQueue): void {
  if (registered === queue) registered = null;
}

export function registeredJobQueue(): JobQueue | null {
  return registered;
}

function rootTransaction(t: Transaction): Transaction {
  let root = t as Transaction & { parent?: Transaction };
  while (root.parent) root = root.parent as Transaction & { parent?: Transaction };
  return root;
}

async function queueFor(sequelize: Sequelize | undefined): Promise<JobQueue> {
  if (registered) return registered;
  const s = sequelize ?? AuditLog.sequelize;
  if (!s) throw new Error('no job queue registered and no database to open one on');
  let q = lazyQueues.get(s);
  if (!q) {
    q = JobQueue.create({ connection: poolConfigOf(s), poolMax: 2, name: 'enqueue' });
    q.catch(() => lazyQueues.delete(s));
    lazyQueues.set(s, q);
  }
  return q;
}

/** Enqueue now (no transaction involved). Rejects when the queue is unreachable. */
export async function enqueueNow(name: string, data: Record<string, unknown>, opts: { at?: Date; sequelize?: Sequelize } = {}): Promise<string> {
  const queue = await queueFor(opts.sequelize);
  return queue.enqueue(name, data, opts.at);
}

/**
 * Enqueue `name` with `data` once `transaction` commits (nothing on rollback); with no transaction, now.
 * `data` must hold ids, never request data. Never throws because of the queue once the data is committed.
 */
export async function enqueueAfterCommit(
  transaction: Transaction | null | undefined,
  name: string,
  data: Record<string, unknown>,
  opts: { at?: Date } = {},
): Promise<void> {
  if (!transaction) {
    await enqueueNow(name, data, opts);
    return;
  }
  const root = rootTransaction(transaction);
  const sequelize = (root as Transaction & { sequelize?: Sequelize }).sequelize;
  root.afterCommit(async () => {
    try {
      await enqueueNow(name, data, { ...opts, sequelize });
    } catch (e) {
      logger.error('job enqueue after commit failed', { job: name, data, error: e instanceof Error ? e.message : String(e) });
    }
  });
}

/**
 * Enqueueing a job to run now *inside* the statement that writes what the job is about: one round trip and
 * one commit where `enqueueNow` after that statement took three (the statement, the job's INSERT and the
 * NOTIFY, each on its own), and the job row commits with those rows or not at all. Every automatic message
 * (src/services/notifications.ts) writes its job this way: the webhook's paid e-mail after its payment's
 * COMMIT, the others inside their transactions (the NOTIFY goes out at commit).
 *
 * The row is the one `agenda.now(name, data)` writes through @agendajs/postgres-backend 3.0.6 (its `saveJob`
 * INSERT of a new normal job: the same columns and values; the table is ours, migration 20261125000010) and
 * the NOTIFY the one its notification channel publishes (channel `agenda_jobs`, the same JSON), so a
 * listening worker takes the job at once. test/integration/jobs.test.ts compares the two rows and runs the
 * job through a worker: upgrading the package means checking it still passes.
 *
 * Arguments are SQL expressions of the statement: `name` (text), `data` (jsonb), `at` (the job's next_run_at
 * as an ISO 8601 text), `from` the rows to enqueue one job each for (the FROM clause of the INSERT's SELECT).
 * Returns the CTE to add to the statement's WITH and the expression that publishes, to SELECT FROM `cte`.
 */
export function enqueueNowSql(opts: { cte: string; name: string; data: string; at: string; from: string }): { cte: string; notify: string } {
  const source = registered?.agenda.attrs.name ?? null; // what agenda.now stores as last_modified_by and sends as source
  const by = source === null ? 'NULL::text' : `'${source.replace(/'/g, "''")}'`;
  return {
    cte: `${opts.cte} AS (
       INSERT INTO ${AGENDA_TABLE} (name, priority, next_run_at, type, repeat_timezone, repeat_interval, data, repeat_at, disabled, fork,
                                 last_modified_by, start_date, end_date, skip_days)
       SELECT ${opts.name}, 0, (${opts.at})::timestamptz, 'normal', NULL, NULL, ${opts.data}, NULL, false, false, ${by}, NULL, NULL, NULL
         FROM ${opts.from}
       RETURNING id, name, priority)`,
    notify: `pg_notify('${AGENDA_TABLE}', json_build_object('jobId', ${opts.cte}.id, 'jobName', ${opts.cte}.name, 'nextRunAt', ${opts.at},
                 'priority', ${opts.cte}.priority, 'timestamp', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                 'source', ${by})::text)`,
  };
}

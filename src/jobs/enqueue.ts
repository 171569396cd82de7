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
import { JobQueue, poolConfigOf } from './agenda.js';

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

/**
 * The job queue: Agenda 6 with @agendajs/postgres-backend on the app's own PostgreSQL (table `agenda_jobs`,
 * created by migration 20261125000010, so `ensureSchema` is off). The queue uses the app's connection
 * settings (the same URL, or the same host/database/user as the Sequelize instance) with its own small
 * `pg` pool: Sequelize's pool is not a `pg.Pool`, and LISTEN needs a connection of its own.
 *
 * One JobQueue per process. Every process can enqueue; a process that also *processes* (the in-process
 * worker of `npm start`, or `npm run worker`) defines the handlers (src/jobs/definitions.ts) and calls
 * `start()`. New jobs wake workers at once through LISTEN/NOTIFY; `pollIntervalMs` is the fallback scan.
 *
 * `stop()` is the graceful stop of SIGTERM: no new jobs are taken, running jobs may finish (up to the
 * timeout), jobs locked but not started are unlocked for other workers, then the pool closes.
 */
import type { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Sequelize } from 'sequelize';
import { Agenda, type Job } from 'agenda';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { logger } from '../logger.js';

export const AGENDA_TABLE = 'agenda_jobs';
/** Recurring schedules (cron) are read in the conference's time zone. */
export const JOBS_TIMEZONE = 'Asia/Seoul';

export interface JobQueueOptions {
  /** The app database: a PostgreSQL URL or `pg` pool settings (see `poolConfigOf(sequelize)`). */
  connection: string | pg.PoolConfig;
  poolMax?: number;
  /** Fallback scan interval of a processing queue (new jobs also arrive by NOTIFY). Default 5000. */
  pollIntervalMs?: number;
  /** Instance name, stored in agenda_jobs.last_modified_by. */
  name?: string;
  /** A job locked longer than this is considered crashed and may run again elsewhere. Default 10 min. */
  lockLifetimeMs?: number;
}

interface ProcessorInternals {
  lockedJobs?: Job[];
  runningJobs?: Job[];
}

/** pg pool settings equal to a Sequelize instance's connection (host, port, database, user, password, ssl). */
export { poolConfigOf } from '../db/sequelize.js';

export class JobQueue {
  private processing = false;
  private closed = false;
  private channelConnectedByUs = false;

  private constructor(
    readonly agenda: Agenda,
    readonly pool: pg.Pool,
    private readonly backend: PostgresBackend,
  ) {}

  /** Connect (throws a readable error when the database is unreachable). Enqueue-ready, not processing. */
  static async create(opts: JobQueueOptions): Promise<JobQueue> {
    const base: pg.PoolConfig = typeof opts.connection === 'string' ? { connectionString: opts.connection } : opts.connection;
    const pool = new pg.Pool({ ...base, max: opts.poolMax ?? 4, idleTimeoutMillis: 30_000, application_name: opts.name ?? 'jobs' });
    pool.on('error', (e) => logger.warn('job queue: idle connection error', { error: e.message }));
    try {
      await pool.query('SELECT 1');
    } catch (e) {
      await pool.end().catch(() => {});
      throw new Error(`job queue: cannot connect to PostgreSQL: ${e instanceof Error ? e.message : String(e)}`);
    }
    const backend = new PostgresBackend({ pool, tableName: AGENDA_TABLE, channelName: AGENDA_TABLE, ensureSchema: false });
    const channel = backend.notificationChannel as unknown as EventEmitter | undefined;
    channel?.on('error', (e: Error) => logger.warn('job queue: LISTEN/NOTIFY channel error', { error: e.message }));
    const agenda = new Agenda({
      backend,
      name: opts.name,
      processEvery: opts.pollIntervalMs ?? 5000,
      defaultLockLifetime: opts.lockLifetimeMs ?? 10 * 60_000,
      defaultConcurrency: 5,
      maxConcurrency: 20,
    });
    agenda.on('error', (e: Error) => logger.error('job queue error', { error: e.message }));
    agenda.on('fail', (e: Error | string, job: { attrs?: { name?: string; _id?: unknown }; jobName?: string }) => {
      logger.error('job failed', { job: job.attrs?.name ?? job.jobName, id: String(job.attrs?._id ?? ''), error: e instanceof Error ? e.message : String(e) });
    });
    await agenda.ready;
    const queue = new JobQueue(agenda, pool, backend);
    // An enqueue-only process publishes NOTIFY too, so a separate worker picks new jobs up at once.
    await queue.connectChannelForPublishing();
    return queue;
  }

  private async connectChannelForPublishing(): Promise<void> {
    const channel = this.backend.notificationChannel;
    if (!channel || channel.state === 'connected') return;
    try {
      await channel.connect();
      this.channelConnectedByUs = true;
    } catch (e) {
      logger.warn('job queue: NOTIFY unavailable, workers will find new jobs by polling', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  get isProcessing(): boolean {
    return this.processing;
  }

  /** Enqueue a job to run now (or at `at`). Returns the job id. */
  async enqueue(name: string, data: Record<string, unknown>, at?: Date): Promise<string> {
    if (this.closed) throw new Error(`job queue is closed (job ${name} not enqueued)`);
    const job = at && at.getTime() > Date.now() ? await this.agenda.schedule(at, name, data) : await this.agenda.now(name, data);
    return String(job.attrs._id);
  }

  /** Recurring job (cron in Asia/Seoul, or an interval such as "5 minutes"); one row per name, upserted. */
  async every(schedule: string, name: string): Promise<void> {
    await this.agenda.every(schedule, name, {}, { timezone: JOBS_TIMEZONE, skipImmediate: true });
  }

  /** Begin processing the jobs defined on `agenda` (define them first). */
  async start(): Promise<void> {
    if (this.processing) return;
    if (this.channelConnectedByUs) {
      // Agenda.start() connects the channel itself (and subscribes); do not hold two LISTEN connections.
      await this.backend.notificationChannel?.disconnect();
      this.channelConnectedByUs = false;
    }
    await this.agenda.start();
    this.processing = true;
  }

  /**
   * Graceful stop: take no new jobs, let running ones finish (up to `timeoutMs`), unlock jobs that were
   * locked but not started, close the pool. Safe to call twice.
   */
  async stop(timeoutMs = 30_000): Promise<{ timedOut: boolean; running: number }> {
    if (this.closed) return { timedOut: false, running: 0 };
    this.closed = true;
    let result = { timedOut: false, running: 0 };
    if (this.processing) {
      const proc = (this.agenda as unknown as { jobProcessor?: ProcessorInternals }).jobProcessor;
      // Agenda 6.2.6's drain() checks "nothing running" one tick after a job's 'complete' event, but a job
      // with removeOnComplete leaves the running list only after its row is deleted — so drain() can miss
      // the last completion and wait for the whole timeout. Watch the running list ourselves as well.
      const done = new AbortController();
      const watch = setInterval(() => {
        if ((proc?.runningJobs?.length ?? 0) === 0) done.abort();
      }, 20);
      await this.agenda.drain({ timeout: timeoutMs, signal: done.signal, closeConnection: false }).finally(() => clearInterval(watch));
      const stillRunning = proc?.runningJobs?.length ?? 0;
      result = { timedOut: stillRunning > 0, running: stillRunning };
      const running = new Set((proc?.runningJobs ?? []).map((j) => String(j.attrs._id)));
      const leftover = (proc?.lockedJobs ?? []).map((j) => String(j.attrs._id)).filter((id) => !running.has(id));
      if (leftover.length) {
        await this.pool.query(`UPDATE ${AGENDA_TABLE} SET locked_at = NULL WHERE id = ANY($1::uuid[])`, [leftover]).catch((e: Error) => {
          logger.warn('job queue: could not unlock jobs at stop', { error: e.message });
        });
      }
      if (stillRunning) logger.warn('job queue: stop timed out, jobs still running', { running: stillRunning });
      this.processing = false;
    } else if (this.channelConnectedByUs) {
      await this.backend.notificationChannel?.disconnect().catch(() => {});
    }
    await this.pool.end().catch(() => {});
    return result;
  }
}

/**
 * What the workers do: the job handlers and the recurring schedules. `startJobs` is the one entry point of
 * `npm start` (in-process worker, unless JOBS_IN_PROCESS=false), `npm run worker` and the tests.
 *
 * Every handler is idempotent (Agenda delivers at least once) and runs as the actor `job:<name>` (audit).
 */
import type { Sequelize } from 'sequelize';
import type { Config } from '../config.js';
import type { PortOneClient } from '../portone/client.js';
import { runAs } from '../context.js';
import { logger } from '../logger.js';
import { createMailer, type Mailer } from '../services/mailer.js';
import { createAlimtalkSender, createSmsSender, type AlimtalkMessage, type NhnSender, type SmsMessage } from '../nhn/client.js';
import { SendSpacing } from '../domain/notification/rate-limit.js';
import { deliverNotification, recoverPaidNotifications, sweepNotifications } from '../services/notifications.js';
import { cleanupAbandonedCarts } from '../services/cart-cleanup.js';
import { reconcile } from '../services/reconcile.js';
import { settleOpenAttempts } from '../services/refund.js';
import { JobQueue, poolConfigOf } from './agenda.js';
import { registerJobQueue, unregisterJobQueue } from './enqueue.js';
import { JOB, type NotificationSendData } from './names.js';
import { pruneEndedAttempts } from '../services/auth-attempts.js';

export interface JobDeps {
  sequelize: Sequelize;
  config: Config;
  portone: PortOneClient;
  mailer: Mailer;
  /** NHN Cloud senders (default: from config.nhn). */
  kakao?: NhnSender<AlimtalkMessage>;
  sms?: NhnSender<SmsMessage>;
}

const DAY_MS = 24 * 3600 * 1000;
const asJob = <T>(name: string, fn: () => Promise<T>) => runAs({ userId: null, label: `job:${name}` }, fn);

/** Define every job on the queue's Agenda (before `start()`). */
export function defineJobs(queue: JobQueue, deps: JobDeps): void {
  const { agenda } = queue;
  const { sequelize, config } = deps;
  const refundDeps = { sequelize, portone: deps.portone, secretKey: config.secretKey };
  const kakao = deps.kakao ?? createAlimtalkSender(config.nhn);
  const sms = deps.sms ?? createSmsSender(config.nhn);
  // the rate limit is per worker process and per channel (NOTIFICATION_RATE_LIMIT_*_PER_MINUTE)
  const spacing = new SendSpacing((channel) => config.mail.ratePerMinute[channel as 'email' | 'kakao' | 'sms'] ?? 0);

  agenda.define<NotificationSendData>(
    JOB.NOTIFICATION_SEND,
    async (job) =>
      asJob(JOB.NOTIFICATION_SEND, async () => {
        const recipientId = String(job.attrs.data?.recipientId ?? '');
        const result = await deliverNotification(sequelize, recipientId, {
          mailer: deps.mailer,
          kakao,
          sms,
          spacing,
          maxAttempts: config.mail.maxAttempts,
          retryDelayMs: config.mail.retryDelayMs,
          retryMaxDelayMs: config.mail.retryMaxDelayMs,
        });
        // A transient failure: the row is FAILED with next_attempt_at; a new job runs then.
        if (result.outcome === 'retry') await queue.enqueue(JOB.NOTIFICATION_SEND, { recipientId }, result.at);
      }),
    { concurrency: 5, lockLifetime: 5 * 60_000, removeOnComplete: true },
  );

  agenda.define(
    JOB.NOTIFICATION_SWEEP,
    async () => {
      await asJob(JOB.NOTIFICATION_SWEEP, async () => {
        await sweepNotifications(sequelize);
        await recoverPaidNotifications(sequelize); // paid messages the webhook did not get to write after its commit
      });
    },
    { concurrency: 1 },
  );

  agenda.define(
    JOB.CART_CLEANUP,
    async () => {
      await asJob(JOB.CART_CLEANUP, () => cleanupAbandonedCarts(sequelize, { olderThanDays: config.jobs.cartCleanupDays }));
      // the daily clean-up also drops sign-in / TOTP failure counters whose window has ended
      await pruneEndedAttempts(sequelize);
    },
    { concurrency: 1, lockLifetime: 30 * 60_000 },
  );

  agenda.define(
    JOB.PORTONE_RECONCILE,
    async () => {
      const since = new Date(Date.now() - config.jobs.reconcileLookbackDays * DAY_MS);
      const result = await asJob(JOB.PORTONE_RECONCILE, () => reconcile({ sequelize, portone: deps.portone }, { since }));
      if (result.drifts.length) logger.warn('PortOne reconciliation found drift', { reportId: result.reportId, drifts: result.drifts.length });
    },
    { concurrency: 1, lockLifetime: 60 * 60_000 },
  );

  agenda.define<{ orderId: string }>(
    JOB.REFUND_SETTLE,
    async (job) => {
      const orderId = String(job.attrs.data?.orderId ?? '');
      const result = await asJob(JOB.REFUND_SETTLE, () => settleOpenAttempts(refundDeps, { orderId }));
      // still unknown (PortOne unreachable): try again later; the recurring sweep is the safety net
      if (result.open > 0) await queue.enqueue(JOB.REFUND_SETTLE, { orderId }, new Date(Date.now() + 30_000));
    },
    { concurrency: 2, lockLifetime: 5 * 60_000, removeOnComplete: true },
  );

  agenda.define(
    JOB.REFUND_SWEEP,
    async () => {
      await asJob(JOB.REFUND_SWEEP, () => settleOpenAttempts(refundDeps));
    },
    { concurrency: 1, lockLifetime: 10 * 60_000 },
  );
}

/** The recurring jobs (one row each in agenda_jobs, upserted by name; cron in Asia/Seoul). */
export async function scheduleRecurringJobs(queue: JobQueue, config: Config): Promise<void> {
  await queue.every(config.jobs.reconcileSchedule, JOB.PORTONE_RECONCILE);
  await queue.every(config.jobs.cartCleanupSchedule, JOB.CART_CLEANUP);
  await queue.every('5 minutes', JOB.NOTIFICATION_SWEEP);
  await queue.every('1 minute', JOB.REFUND_SWEEP);
}

export interface StartJobsOptions {
  config: Config;
  sequelize: Sequelize;
  portone: PortOneClient;
  /** Process jobs here (worker), or only enqueue (a web process with JOBS_IN_PROCESS=false). */
  process: boolean;
  /** The database URL (default: the Sequelize instance's connection settings). */
  url?: string;
  /** Replace the SMTP mailer (tests). */
  mailer?: Mailer;
  /** Replace the NHN senders. */
  kakao?: NhnSender<AlimtalkMessage>;
  sms?: NhnSender<SmsMessage>;
  /** Register the recurring schedules (default true when processing). */
  schedule?: boolean;
  /** Instance name (agenda_jobs.last_modified_by). */
  name?: string;
}

export interface JobsHandle {
  queue: JobQueue;
  /** Graceful stop: running jobs finish (up to JOBS_SHUTDOWN_TIMEOUT_SECONDS), the rest is unlocked. */
  stop(): Promise<void>;
}

/** Open the queue, register it for `enqueueAfterCommit`, and (when processing) define + start the jobs. */
export async function startJobs(opts: StartJobsOptions): Promise<JobsHandle> {
  const { config } = opts;
  const queue = await JobQueue.create({
    connection: opts.url ?? poolConfigOf(opts.sequelize),
    poolMax: config.jobs.poolMax,
    pollIntervalMs: config.jobs.pollIntervalMs,
    name: opts.name ?? (opts.process ? 'worker' : 'web'),
  });
  const mailer = opts.mailer ?? createMailer(config.mail);
  if (opts.process) {
    defineJobs(queue, { sequelize: opts.sequelize, config, portone: opts.portone, mailer, kakao: opts.kakao, sms: opts.sms });
    if (opts.schedule ?? true) await scheduleRecurringJobs(queue, config);
    await queue.start();
  }
  registerJobQueue(queue);
  let stopped: Promise<void> | null = null;
  return {
    queue,
    stop() {
      stopped ??= (async () => {
        unregisterJobQueue(queue);
        await queue.stop(config.jobs.shutdownTimeoutMs);
        mailer.close();
      })();
      return stopped;
    },
  };
}

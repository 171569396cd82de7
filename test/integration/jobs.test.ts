// Issue #8: the Agenda job queue on PostgreSQL — graceful stop, cross-process wake-up, scheduled jobs.
import { expect } from 'chai';
import { QueryTypes, type Sequelize } from 'sequelize';
import { resetDb, testConfig } from '../helpers/db.js';
import { makeGroup, makeOption, makeOrder, makeProduct, makeSingleProductCart, makeUser } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/smtp.js';
import { startTestWorker, workerConfig, type TestWorker } from '../helpers/jobs.js';
import { JobQueue } from '../../src/jobs/agenda.js';
import { enqueueNow, enqueueNowSql, registerJobQueue } from '../../src/jobs/enqueue.js';
import { JOB } from '../../src/jobs/names.js';
import { scheduleRecurringJobs } from '../../src/jobs/definitions.js';
import { cleanupAbandonedCarts } from '../../src/services/cart-cleanup.js';
import {
  AuditLog,
  CustomerInfo,
  Order,
  OrderProductOptionRelation,
  OrderProductRelation,
  PaymentHistory,
  ReconciliationReport,
  SingleProductCart,
} from '../../src/models/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function age(sequelize: Sequelize, table: string, id: string, days: number): Promise<void> {
  await sequelize.query(`UPDATE ${table} SET created_at = now() - (:days * interval '1 day'), updated_at = now() - (:days * interval '1 day') WHERE id = :id`, {
    replacements: { id, days },
  });
}

async function ageOrder(sequelize: Sequelize, orderId: string, days: number): Promise<void> {
  await age(sequelize, 'orders', orderId, days);
  await sequelize.query(
    `UPDATE order_product_relations SET created_at = now() - (:days * interval '1 day'), updated_at = now() - (:days * interval '1 day') WHERE order_id = :id`,
    { replacements: { id: orderId, days } },
  );
}

/**
 * Until a worker's LISTEN is in place (its connection's last statement is the LISTEN): an enqueue before it
 * would be found only by the next poll (a fixed sleep was too short under load).
 */
async function untilListening(sequelize: Sequelize): Promise<void> {
  await waitFor(async () => {
    const [row] = await sequelize.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`,
      { type: QueryTypes.SELECT },
    );
    return row!.n > 0;
  }, 10_000);
}

describe('jobs (Agenda on PostgreSQL)', function () {
  this.timeout(30_000);
  let sequelize: Sequelize;
  beforeEach(async () => {
    sequelize = await resetDb();
  });

  describe('queue', () => {
    it('graceful stop: a running job finishes, jobs locked but not started are unlocked, the stop waits for it', async () => {
      const q = await JobQueue.create({ connection: testConfig.testDatabaseUrl, pollIntervalMs: 100, name: 'stop-test' });
      const events: string[] = [];
      q.agenda.define(
        'test-slow',
        async (job) => {
          events.push(`start ${String((job.attrs.data as { n: number }).n)}`);
          await sleep(400);
          events.push(`end ${String((job.attrs.data as { n: number }).n)}`);
        },
        { concurrency: 1 },
      );
      await q.start();
      await q.enqueue('test-slow', { n: 1 });
      await q.enqueue('test-slow', { n: 2 });
      await waitFor(() => events.length > 0);
      const t0 = Date.now();
      const res = await q.stop(5000);
      expect(res).to.deep.equal({ timedOut: false, running: 0 });
      // the running job finished; the other never started (which of the two equal jobs Agenda took first is its choice)
      const ran = events[0] === 'start 2' ? 2 : 1;
      expect(events).to.deep.equal([`start ${ran}`, `end ${ran}`]);
      expect(Date.now() - t0).to.be.below(2000);
      const rows = await sequelize.query<{ n: number; locked_at: Date | null; last_finished_at: Date | null }>(
        `SELECT (data->>'n')::int AS n, locked_at, last_finished_at FROM agenda_jobs WHERE name = 'test-slow' ORDER BY n`,
        { type: QueryTypes.SELECT },
      );
      expect(rows.map((r) => [r.n, r.locked_at, r.last_finished_at === null])).to.deep.equal([
        [1, null, ran !== 1],
        [2, null, ran !== 2], // the one that did not run: released for another worker
      ]);
      await q.stop(); // twice is fine
    });

    it('a job enqueued by another process wakes a worker at once (LISTEN/NOTIFY), not at its next poll', async () => {
      const worker = await JobQueue.create({ connection: testConfig.testDatabaseUrl, pollIntervalMs: 60_000, name: 'listen-test' });
      const web = await JobQueue.create({ connection: testConfig.testDatabaseUrl, name: 'web-test' });
      try {
        let ran = 0;
        worker.agenda.define('test-ping', async () => {
          ran++;
        });
        await worker.start();
        await untilListening(sequelize);
        const t0 = Date.now();
        await web.enqueue('test-ping', {});
        await waitFor(() => ran === 1, 5000, 10);
        expect(Date.now() - t0).to.be.below(3000);
      } finally {
        await web.stop();
        await worker.stop();
      }
    });

    it('a job enqueued inside a statement (enqueueNowSql) is the row agenda.now writes, and wakes a worker at once', async () => {
      const web = await JobQueue.create({ connection: testConfig.testDatabaseUrl, name: 'web-test' });
      registerJobQueue(web); // its name is what both ways store as last_modified_by
      let worker: JobQueue | null = null;
      const enqueueBySql = async (name: string, id: string) => {
        const job = enqueueNowSql({ cte: 'job', name: '$1', data: "jsonb_build_object('recipientId', src.id)", at: '$2::text', from: '(SELECT $3::text AS id) src' });
        const [row] = await sequelize.query<{ id: string }>(`WITH ${job.cte} SELECT ${job.notify}, job.id FROM job`, {
          bind: [name, new Date().toISOString(), id],
          type: QueryTypes.SELECT,
        });
        return row!.id;
      };
      try {
        // the same job both ways, as written (a name no worker defines: nothing runs them)
        const viaAgenda = await web.enqueue('test-compare', { recipientId: 'a' });
        const viaSql = await enqueueBySql('test-compare', 'b');
        const rows = await sequelize.query<Record<string, unknown>>(`SELECT * FROM agenda_jobs WHERE name = 'test-compare' ORDER BY created_at, id`, { type: QueryTypes.SELECT });
        const byId = new Map(rows.map((r) => [r.id, r]));
        const comparable = (r: Record<string, unknown> | undefined) => {
          const { id, data, next_run_at, created_at, updated_at, ...rest } = r!;
          void [id, created_at, updated_at];
          return { ...rest, data: Object.keys(data as object), due: next_run_at instanceof Date && next_run_at.getTime() <= Date.now() };
        };
        expect(comparable(byId.get(viaSql))).to.deep.equal(comparable(byId.get(viaAgenda)));
        expect(comparable(byId.get(viaSql))).to.include({ last_modified_by: 'web-test', type: 'normal', priority: 0, due: true, locked_at: null });
        expect(byId.get(viaSql)!.data).to.deep.equal({ recipientId: 'b' });

        // a worker polling once a minute takes it at once: the NOTIFY went out with the statement
        worker = await JobQueue.create({ connection: testConfig.testDatabaseUrl, pollIntervalMs: 60_000, name: 'listen-test' });
        const ran: unknown[] = [];
        worker.agenda.define('test-ping', async (job) => {
          ran.push(job.attrs.data);
        });
        await worker.start();
        await untilListening(sequelize);
        await sleep(200); // the worker's first scan (at start) done: what runs next is what the NOTIFY wakes
        const t0 = Date.now();
        await enqueueBySql('test-ping', 'c');
        await waitFor(() => ran.length === 1, 5000, 10);
        expect(Date.now() - t0, 'woken by the NOTIFY, not the 60 s poll').to.be.below(3000);
        expect(ran).to.deep.equal([{ recipientId: 'c' }]);
      } finally {
        registerJobQueue(null);
        await web.stop();
        await worker?.stop();
      }
    });
  });

  describe('cart clean-up', () => {
    it('soft-deletes abandoned carts and buy-now carts, never orders with a payment, recent carts or live holds', async () => {
      const user = await makeUser();
      const p = await makeProduct();
      const g = await makeGroup(p, { nameKo: '이름', isCustomResponse: true, customResponsePattern: '.*' });
      const sizeGroup = await makeGroup(p, { nameKo: '사이즈' });
      const xl = await makeOption(sizeGroup, { nameKo: 'XL' });

      const oldCart = await makeOrder(user, [{ product: p, options: [{ group: g, customResponse: 'x' }, { group: sizeGroup, option: xl }] }], null);
      await CustomerInfo.create({ orderId: oldCart.id, name: 'a', phone: '010-1111-2222', email: 'a@example.com' });
      await ageOrder(sequelize, oldCart.id, 40);
      const recentCart = await makeOrder(user, [{ product: p }], null);
      await ageOrder(sequelize, recentCart.id, 5);
      const touchedCart = await makeOrder(user, [{ product: p }], null); // old cart, but an item added lately
      await ageOrder(sequelize, touchedCart.id, 40);
      await OrderProductRelation.create({ orderId: touchedCart.id, productId: p.id, price: p.price });
      const heldCart = await makeOrder(user, [{ product: p }], null);
      await ageOrder(sequelize, heldCart.id, 40);
      await sequelize.query(`UPDATE orders SET stock_held_until = now() + interval '5 minutes' WHERE id = :id`, { replacements: { id: heldCart.id } });

      const paid = await makeOrder(user, [{ product: p, options: [{ group: g, customResponse: 'paid' }] }], 'completed');
      await ageOrder(sequelize, paid.id, 400);
      const refunded = await makeOrder(user, [{ product: p, status: 'refunded' }], 'refunded');
      await ageOrder(sequelize, refunded.id, 400);
      const deletedHistory = await makeOrder(user, [{ product: p }], null); // a soft-deleted ledger row still counts as "has a payment"
      await PaymentHistory.create({ orderId: deletedHistory.id, status: 'completed', price: 1, impId: 'imp_del', deletedAt: new Date() });
      await ageOrder(sequelize, deletedHistory.id, 400);

      const oldSpc = await makeSingleProductCart(user, p);
      await CustomerInfo.create({ singleProductCartId: oldSpc.id, name: 'b', phone: '010-1111-2222', email: 'b@example.com' });
      await age(sequelize, 'single_product_carts', oldSpc.id, 40);
      const recentSpc = await makeSingleProductCart(user, p);
      await age(sequelize, 'single_product_carts', recentSpc.id, 2);
      const heldSpc = await makeSingleProductCart(user, p);
      await age(sequelize, 'single_product_carts', heldSpc.id, 40);
      await sequelize.query(`UPDATE single_product_carts SET stock_held_until = now() + interval '5 minutes' WHERE id = :id`, { replacements: { id: heldSpc.id } });

      const before = {
        paidItems: await OrderProductRelation.count({ where: { orderId: [paid.id, refunded.id, deletedHistory.id] } }),
        opors: await OrderProductOptionRelation.count(),
      };
      const res = await cleanupAbandonedCarts(sequelize, { olderThanDays: 30 });
      expect(res).to.deep.equal({ carts: 1, cartItems: 1, singleProductCarts: 1 });

      expect(await Order.findByPk(oldCart.id)).to.equal(null);
      expect((await Order.findByPk(oldCart.id, { paranoid: false }))!.deletedAt).to.be.instanceOf(Date);
      expect(await OrderProductRelation.count({ where: { orderId: oldCart.id } })).to.equal(0);
      expect(await CustomerInfo.count({ where: { orderId: oldCart.id } })).to.equal(0);
      for (const kept of [recentCart, touchedCart, heldCart, paid, refunded, deletedHistory]) expect(await Order.findByPk(kept.id), kept.id).not.to.equal(null);
      expect(await OrderProductRelation.count({ where: { orderId: [paid.id, refunded.id, deletedHistory.id] } })).to.equal(before.paidItems);
      expect(await OrderProductOptionRelation.count()).to.equal(before.opors - 2); // only the old cart's two answers
      expect(await PaymentHistory.count({ paranoid: false })).to.equal(3);

      expect(await SingleProductCart.findByPk(oldSpc.id)).to.equal(null);
      expect(await OrderProductRelation.findByPk(oldSpc.orderProductRelationId)).to.equal(null);
      expect(await CustomerInfo.count({ where: { singleProductCartId: oldSpc.id } })).to.equal(0);
      expect(await SingleProductCart.findByPk(recentSpc.id)).not.to.equal(null);
      expect(await SingleProductCart.findByPk(heldSpc.id)).not.to.equal(null);

      const audits = await AuditLog.findAll({ where: { action: 'jobs.cart_cleanup' } });
      expect(audits.map((a) => a.recordId).sort()).to.deep.equal([oldCart.id, oldSpc.id].sort());
      expect(await cleanupAbandonedCarts(sequelize, { olderThanDays: 30 })).to.deep.equal({ carts: 0, cartItems: 0, singleProductCarts: 0 });
    });
  });

  describe('scheduled jobs through the worker', () => {
    let worker: TestWorker;
    before(async () => {
      worker = await startTestWorker(1, { CART_CLEANUP_DAYS: '30' });
    });
    after(async () => {
      await worker?.stop();
    });

    it('registers the recurring jobs once (Asia/Seoul cron), however often workers start', async () => {
      await scheduleRecurringJobs(worker.queue, worker.config);
      await scheduleRecurringJobs(worker.queue, worker.config);
      const rows = await sequelize.query<{ name: string; repeat_interval: string; repeat_timezone: string; next_run_at: Date }>(
        `SELECT name, repeat_interval, repeat_timezone, next_run_at FROM agenda_jobs WHERE type = 'single' ORDER BY name`,
        { type: QueryTypes.SELECT },
      );
      expect(rows.map((r) => [r.name, r.repeat_interval, r.repeat_timezone])).to.deep.equal([
        [JOB.CART_CLEANUP, '30 4 * * *', 'Asia/Seoul'],
        [JOB.NOTIFICATION_SWEEP, '5 minutes', 'Asia/Seoul'],
        [JOB.PORTONE_RECONCILE, '0 4 * * *', 'Asia/Seoul'],
        [JOB.REFUND_SWEEP, '1 minute', 'Asia/Seoul'],
      ]);
      for (const r of rows) expect(r.next_run_at.getTime()).to.be.above(Date.now());
      expect(workerConfig(1).jobs.cartCleanupDays).to.equal(30);
    });

    it('cart-cleanup and portone-reconcile run as jobs (reconcile stores its report)', async () => {
      const user = await makeUser();
      const p = await makeProduct();
      const cart = await makeOrder(user, [{ product: p }], null);
      await ageOrder(sequelize, cart.id, 31);
      await enqueueNow(JOB.CART_CLEANUP, {});
      await waitFor(async () => (await Order.findByPk(cart.id)) === null);
      const audit = (await AuditLog.findOne({ where: { action: 'jobs.cart_cleanup' } }))!;
      expect(audit.actorLabel).to.equal('job:cart-cleanup');

      await enqueueNow(JOB.PORTONE_RECONCILE, {});
      const report = (await waitFor(() => ReconciliationReport.findOne()))!;
      expect(report.checked).to.equal(0);
      expect(Date.now() - report.since.getTime()).to.be.closeTo(3 * 24 * 3600 * 1000, 60_000);
    });
  });
});

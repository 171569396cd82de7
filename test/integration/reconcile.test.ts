import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { resetDb, testConfig, testDb } from '../helpers/db.js';
import { makeApp, portoneSim, portoneClient } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';
import { reconcile, formatReport } from '../../src/services/reconcile.js';
import { PaymentHistory, ReconciliationReport, RefundAttempt } from '../../src/models/index.js';
import { refund } from '../../src/services/refund.js';
import { expectLedgerEqualsPortOne, paidOrderAtSim } from '../helpers/refunds.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };

describe('reconciliation with PortOne', () => {
  let app: Express;
  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
    (await portoneSim()).reset();
  });

  it('finds the planted drift: paid there but pending here, refunded there but not here, unrecorded refunds', async () => {
    const sim = await portoneSim();
    const since = new Date(Date.now() - 60_000);
    const p = await makeProduct({ price: 10000 });
    const buy = async () => (await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO }).expect(201)).body;
    const payAndHook = async (mu: string) => {
      const { payment } = await sim.pay({ merchant_uid: mu, notify: false });
      await request(app).post('/v1/shop/payment-histories/').send({ imp_uid: payment.imp_uid, merchant_uid: mu, status: 'paid' }).expect(200);
      return payment;
    };
    const clean = await buy();
    await payAndHook(clean.merchant_uid);
    const consoleCancelled = await buy();
    const paid = await payAndHook(consoleCancelled.merchant_uid);
    await (await portoneClient()).cancelPayment({ impUid: paid.imp_uid, amount: 4000, checksum: 10000, reason: 'console' });
    const noWebhook = await buy();
    await sim.pay({ merchant_uid: noWebhook.merchant_uid, notify: false });
    await buy(); // prepared, never paid: not a drift
    await RefundAttempt.create({ orderId: clean.id, amount: 100, checksum: 10000, channel: 'admin', status: 'cancelled_at_portone', error: 'commit failed' });

    const result = await reconcile({ sequelize: await testDb(), portone: await portoneClient() }, { since });
    const kinds = result.drifts.map((d) => `${d.kind}:${d.order_id}`).sort();
    // the planted attempt claims a PortOne cancel but has neither PortOne's answer nor an imp_uid to look up
    expect(kinds).to.deep.equal(
      [`paid_there_pending_here:${noWebhook.id}`, `refunded_there_not_here:${consoleCancelled.id}`, `refund_unresolved:${clean.id}`].sort(),
    );
    expect(result.checked).to.equal(4);
    expect(formatReport(result)).to.contain('paid_there_pending_here');
    const stored = await ReconciliationReport.findByPk(result.reportId);
    expect(stored!.driftCount).to.equal(3);
  });

  it('reports PortOne being unreachable instead of failing', async () => {
    const sim = await portoneSim();
    const p = await makeProduct({ price: 10000 });
    const order = (await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO }).expect(201)).body;
    const { payment } = await sim.pay({ merchant_uid: order.merchant_uid, notify: false });
    await request(app).post('/v1/shop/payment-histories/').send({ imp_uid: payment.imp_uid, merchant_uid: order.merchant_uid, status: 'paid' }).expect(200);
    sim.failNext('payments', 'http500', 5);
    const result = await reconcile({ sequelize: await testDb(), portone: await portoneClient() }, { since: new Date(Date.now() - 60_000) });
    expect(result.drifts.map((d) => d.kind)).to.deep.equal(['lookup_failed']);
  });

  it('lists the payments the webhook refused and could not give back, until the money is back', async () => {
    const sim = await portoneSim();
    const portone = await portoneClient();
    const since = new Date(Date.now() - 60_000);
    const p = await makeProduct({ price: 10000 });
    const buy = async () => (await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO }).expect(201)).body;
    const notify = (imp: string, mu: string) => request(app).post('/v1/shop/payment-histories/').send({ imp_uid: imp, merchant_uid: mu, status: 'paid' });

    // a second payment of an order already paid: refused, its cancel refused by PortOne — in no ledger row,
    // so no other step of the report sees it
    const twice = await buy();
    const first = (await sim.pay({ merchant_uid: twice.merchant_uid, notify: false })).payment;
    await notify(first.imp_uid, twice.merchant_uid).expect(200);
    const second = (await sim.pay({ merchant_uid: twice.merchant_uid, notify: false })).payment;
    sim.failNext('cancel', 'code1');
    expect((await notify(second.imp_uid, twice.merchant_uid)).body.errors.map((e: { code: string }) => e.code)).to.include('portone_cancel_error');
    // a forged amount, its cancel refused too: listed as what it is, not as "paid there, pending here"
    const forged = await buy();
    const fake = (await sim.pay({ merchant_uid: forged.merchant_uid, notify: false, amount: 700 })).payment;
    sim.failNext('cancel', 'code1');
    expect((await notify(fake.imp_uid, forged.merchant_uid)).body.errors.map((e: { code: string }) => e.code)).to.include('portone_cancel_error');

    const result = await reconcile({ sequelize: await testDb(), portone }, { since });
    expect(result.drifts.map((d) => `${d.kind}:${d.order_id}:${d.imp_uid}`).sort()).to.deep.equal(
      [`auto_cancel_failed:${twice.id}:${second.imp_uid}`, `auto_cancel_failed:${forged.id}:${fake.imp_uid}`].sort(),
    );
    expect(result.drifts.find((d) => d.imp_uid === second.imp_uid)!.detail).to.contain('10000원');
    expect(result.drifts.find((d) => d.imp_uid === fake.imp_uid)!.detail).to.contain('700원');

    // an operator gives the money back (PortOne's console): no longer drift
    await portone.cancelPayment({ impUid: second.imp_uid, amount: 10000, checksum: 10000, reason: 'console' });
    await portone.cancelPayment({ impUid: fake.imp_uid, amount: 700, checksum: 700, reason: 'console' });
    const after = await reconcile({ sequelize: await testDb(), portone }, { since });
    expect(after.drifts).to.deep.equal([]);
  });
});

describe('reconciliation: only real drift', () => {
  beforeEach(async () => {
    await resetDb();
    (await portoneSim()).reset();
  });

  it('partial, full and several partial refunds (also ones an older version left marked "cancelled at PortOne") are not drift; the exact list is the real drift', async () => {
    const sim = await portoneSim();
    const portone = await portoneClient();
    const deps = { sequelize: await testDb(), portone, secretKey: testConfig.secretKey, lookupBackoffMs: [10] };
    const since = new Date(Date.now() - 60_000);
    const user = await makeUser();
    const product = (price: number) => makeProduct({ price });
    const buyerRefund = (orderId: string, itemId?: string) => refund(deps, { orderId, itemId, channel: 'buyer', buyerUserId: user.id });

    // not drift: one partial refund; a full refund; several partial refunds
    const partial = await paidOrderAtSim(sim, user, [await product(10000), await product(4000)]);
    await buyerRefund(partial.order.id, partial.itemIds[1]);
    const full = await paidOrderAtSim(sim, user, [await product(6000), await product(6000)]);
    await buyerRefund(full.order.id);
    const several = await paidOrderAtSim(sim, user, [await product(3000), await product(3000), await product(5000)]);
    await buyerRefund(several.order.id, several.itemIds[0]);
    await buyerRefund(several.order.id, several.itemIds[1]);
    // ... and what the older refund code left when its "completed" update failed after the commit: recorded
    // refunds still marked cancelled_at_portone (the false "not recorded" alarms)
    await RefundAttempt.update({ status: 'cancelled_at_portone', error: 'Operation timeout' }, { where: { orderId: several.order.id } });
    // not drift either: PortOne cancelled, the answer was lost and the attempt left pending — settled first
    const lost = await paidOrderAtSim(sim, user, [await product(2000), await product(7000)]);
    sim.failNext('cancel', 'drop');
    sim.failNext('payments', 'http500', 2);
    await buyerRefund(lost.order.id, lost.itemIds[0]).catch(() => {});
    expect((await RefundAttempt.findOne({ where: { orderId: lost.order.id } }))!.status).to.equal('pending');
    // not drift: a refund in flight right now (PortOne has cancelled, its request has not recorded it yet)
    const inFlight = await paidOrderAtSim(sim, user, [await product(8000)]);
    await portone.cancelPayment({ impUid: inFlight.impUid, amount: 8000, checksum: 8000 });
    await RefundAttempt.create({ orderId: inFlight.order.id, impUid: inFlight.impUid, amount: 8000, checksum: 8000, channel: 'buyer', status: 'requested' });

    // real drift: a cancel made in PortOne's console; a refund in our ledger that PortOne never made
    const consoleCancel = await paidOrderAtSim(sim, user, [await product(9000)]);
    await portone.cancelPayment({ impUid: consoleCancel.impUid, amount: 3000, checksum: 9000, reason: 'console' });
    const ledgerOnly = await paidOrderAtSim(sim, user, [await product(5000), await product(5000)]);
    await PaymentHistory.create({ orderId: ledgerOnly.order.id, impId: ledgerOnly.impUid, status: 'partial_refunded', price: 5000 });

    const result = await reconcile({ sequelize: await testDb(), portone }, { since });
    expect(result.drifts.map((d) => `${d.kind}:${d.order_id}`).sort()).to.deep.equal(
      [`refunded_there_not_here:${consoleCancel.order.id}`, `refunded_here_not_there:${ledgerOnly.order.id}`].sort(),
    );
    expect(result.settled, 'the two stale attempts of "several" and the pending one').to.equal(3);
    // the settled ones are in the ledger exactly once: PortOne and the ledger agree for every non-drift order
    await expectLedgerEqualsPortOne(sim, [partial, full, several, lost]);
    expect(await PaymentHistory.count({ where: { orderId: several.order.id } }), 'not recorded twice').to.equal(3);
  });
});

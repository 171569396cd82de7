import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { resetDb, testDb } from '../helpers/db.js';
import { makeApp, portoneSim, portoneClient } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';
import { reconcile, formatReport } from '../../src/services/reconcile.js';
import { ReconciliationReport, RefundAttempt } from '../../src/models/index.js';

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
    expect(kinds).to.deep.equal(
      [`paid_there_pending_here:${noWebhook.id}`, `refunded_there_not_here:${consoleCancelled.id}`, `refund_not_recorded:${clean.id}`].sort(),
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
});

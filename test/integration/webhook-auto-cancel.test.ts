/**
 * The webhook's automatic cancels go through the refunds' recorded path: a refund attempt (channel `webhook`)
 * is committed before PortOne is asked, a lost or failed answer is looked up before deciding, and the
 * outcome is settled on the attempt — never as ledger rows (the refused payment was never recorded).
 */
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { testDb } from '../helpers/db.js';
import { paymentsBed, portoneClient } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';
import { OrderProductRelation, PaymentHistory, PaymentWebhookEvent, RefundAttempt, SingleProductCart, type User } from '../../src/models/index.js';
import { settleOpenAttempts } from '../../src/services/refund.js';
import type { PortOneSimulator } from '../../src/portone/simulator.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };
const WEBHOOK = '/v1/shop/payment-histories/';

describe('webhook: automatic cancels are recorded refund attempts', function () {
  this.timeout(30_000);
  let app: Express;
  let sim: PortOneSimulator;
  beforeEach(async () => ({ app, sim } = await paymentsBed()));

  async function buyNow(user: User, productId: string) {
    return (await asBuyer(app, user).post('/v1/shop/orders/single/', { product: productId, options: [], customer_info: INFO }).expect(201)).body as { id: string; merchant_uid: string };
  }
  async function payAndNotify(merchantUid: string, over: Record<string, unknown> = {}) {
    const { payment } = await sim.pay({ merchant_uid: merchantUid, notify: false, ...over });
    return { payment, res: await request(app).post(WEBHOOK).send({ imp_uid: payment.imp_uid, merchant_uid: merchantUid, status: 'paid' }) };
  }
  const attempts = async () => (await RefundAttempt.findAll({ order: [['createdAt', 'ASC']] })).map((a) => a.get({ plain: true }) as RefundAttempt);
  const events = async (type: string) => PaymentWebhookEvent.findAll({ where: { eventType: type } });

  it('a forged amount: the attempt is written and completed, the money returned, nothing in the ledger', async () => {
    const cart = await buyNow(await makeUser(), (await makeProduct({ price: 30000 })).id);
    const { payment, res } = await payAndNotify(cart.merchant_uid, { amount: 100 });
    expect(res.status).to.equal(400);
    expect(res.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(['UNEXPECTED_PAID_PRICE']);
    const [a, ...more] = await attempts();
    expect(more).to.have.length(0);
    expect(a).to.include({ orderId: cart.id, impUid: payment.imp_uid, amount: 100, checksum: 100, channel: 'webhook', status: 'completed', actorLabel: 'webhook:portone', plan: null });
    expect(a!.reason).to.equal('결제 금액이 일치하지 않습니다.');
    expect((a!.portoneResponse as { status: string }).status).to.equal('cancelled');
    expect(sim.state.cancels.map((c) => c.body)).to.deep.equal([{ imp_uid: payment.imp_uid, amount: 100, checksum: 100, reason: '결제 금액이 일치하지 않습니다.' }]);
    expect(await PaymentHistory.count()).to.equal(0);
    expect(await SingleProductCart.count()).to.equal(1);
    expect(await events('cancel_succeeded')).to.have.length(1);
  });

  it('the cancel done but its answer lost: looked up, recorded as cancelled (no error answered, no second cancel)', async () => {
    const cart = await buyNow(await makeUser(), (await makeProduct({ price: 30000 })).id);
    sim.failNext('cancel', 'drop'); // PortOne cancels, then the connection closes without an answer
    const { payment, res } = await payAndNotify(cart.merchant_uid, { amount: 500 });
    expect(res.status).to.equal(400);
    expect(res.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(['UNEXPECTED_PAID_PRICE']);
    const [a] = await attempts();
    expect(a).to.include({ channel: 'webhook', status: 'completed', amount: 500, impUid: payment.imp_uid });
    expect(sim.state.payments.find((p) => p.imp_uid === payment.imp_uid)).to.include({ status: 'cancelled', cancel_amount: 500 });
    expect(sim.state.cancels).to.have.length(1);
    expect(await events('cancel_succeeded')).to.have.length(1);
    expect(await events('cancel_failed')).to.have.length(0);
  });

  it('the cancel refused: looked up, recorded as failed, answered with the cancel error, the money still held', async () => {
    const cart = await buyNow(await makeUser(), (await makeProduct({ price: 30000 })).id);
    sim.failNext('cancel', 'code1');
    const { payment, res } = await payAndNotify(cart.merchant_uid, { amount: 700 });
    expect(res.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(['UNEXPECTED_PAID_PRICE', 'portone_cancel_error']);
    const [a] = await attempts();
    expect(a).to.include({ channel: 'webhook', status: 'failed' });
    expect(a!.error).to.include('simulated failure');
    expect(sim.state.payments.find((p) => p.imp_uid === payment.imp_uid)).to.include({ status: 'paid', cancel_amount: 0 });
    expect(await events('cancel_failed')).to.have.length(1);
  });

  it('a second payment of a paid order, its cancel answer and look-ups lost: pending, settled later without touching the ledger', async () => {
    const user = await makeUser();
    const cart = await buyNow(user, (await makeProduct({ price: 10000 })).id);
    const first = await payAndNotify(cart.merchant_uid);
    expect(first.res.status).to.equal(200);
    sim.failNext('cancel', 'hang'); // cancelled at PortOne, never answered (the client times out)
    // once the cancel has reached PortOne (the webhook's own look-up came before it), every look-up fails
    const lookupsFail = (async () => {
      while (sim.state.cancels.length === 0) await new Promise((r) => setTimeout(r, 5));
      sim.failNext('payments', 'http500', 4);
    })();
    const second = await payAndNotify(cart.merchant_uid, { amount: 10000 });
    await lookupsFail;
    expect(sim.state.faultLog.map((f) => `${f.endpoint}/${f.mode}`)).to.deep.equal(['cancel/hang', ...Array(4).fill('payments/http500')]);
    expect(second.res.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(['illegal_transition', 'portone_cancel_error']);
    let [a] = await attempts();
    expect(a).to.include({ orderId: cart.id, impUid: second.payment.imp_uid, channel: 'webhook', status: 'pending' });

    // the settle job (or the next refund of the order) looks again: PortOne did cancel
    const result = await settleOpenAttempts({ sequelize: await testDb(), portone: await portoneClient(), lookupBackoffMs: [10] });
    expect(result).to.include({ settled: 1, open: 0 });
    [a] = await attempts();
    expect(a).to.include({ status: 'completed' });
    // the order's own payment is untouched: one completed ledger row, its item paid, refundable as usual
    expect((await PaymentHistory.findAll({ where: { orderId: cart.id } })).map((h) => [h.status, h.impId, h.price])).to.deep.equal([['completed', first.payment.imp_uid, 10000]]);
    expect((await OrderProductRelation.findAll({ where: { orderId: cart.id } })).map((i) => i.status)).to.deep.equal(['paid']);
    await asBuyer(app, user).delete(`/v1/shop/orders/${cart.id}/`).expect(204);
    expect(sim.state.payments.find((p) => p.imp_uid === first.payment.imp_uid)).to.include({ status: 'cancelled', cancel_amount: 10000 });
    expect(sim.state.payments.find((p) => p.imp_uid === second.payment.imp_uid)).to.include({ status: 'cancelled', cancel_amount: 10000 });
  });
});

import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Express } from 'express';
import { generate } from 'otplib';
import { testEnv } from '../helpers/db.js';
import { paymentsBed, portoneClient } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeUser, makeOrder, daysFromNow } from '../helpers/fixtures.js';
import { createApp } from '../../src/http/app.js';
import { parseConfig } from '../../src/config.js';
import {
  Order,
  OrderProductRelation,
  PaymentHistory,
  PaymentWebhookEvent,
  SingleProductCart,
  CustomerInfo,
  RefundAttempt,
  AuditLog,
  type User,
} from '../../src/models/index.js';
import { refund, previewRefund } from '../../src/services/refund.js';
import { startEnrollment, confirmEnrollment } from '../../src/services/totp.js';
import { testConfig, testDb } from '../helpers/db.js';
import type { PortOneSimulator } from '../../src/portone/simulator.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };
const WEBHOOK = '/v1/shop/payment-histories/';

describe('payments: PortOne webhook', () => {
  let app: Express;
  let sim: PortOneSimulator;
  beforeEach(async () => ({ app, sim } = await paymentsBed()));

  async function buyNow(user: User, productId: string, extra: Record<string, unknown> = {}) {
    const res = await asBuyer(app, user).post('/v1/shop/orders/single/', { product: productId, options: [], customer_info: INFO, ...extra }).expect(201);
    return res.body as { id: string; merchant_uid: string; first_paid_price: number };
  }
  const hook = (body: unknown) => request(app).post(WEBHOOK).send(body as object);
  async function pay(merchantUid: string, over: Record<string, unknown> = {}) {
    const { payment } = await sim.pay({ merchant_uid: merchantUid, notify: false, ...over });
    return payment;
  }

  it('a buy-now payment: webhook from the simulator → promoted to an Order with the same id, paid, ledger row', async () => {
    // the simulator delivers the webhook over real HTTP to the app listening on a port
    const server = http.createServer(app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    sim.setWebhookUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}${WEBHOOK}`);
    try {
      const user = await makeUser();
      const p = await makeProduct({ price: 30000, stock: 5 });
      const cart = await buyNow(user, p.id);
      const { payment, webhook } = await sim.pay({ merchant_uid: cart.merchant_uid });
      expect(webhook?.status).to.equal(200);
      expect(webhook?.body).to.deep.equal({ status: 'success', message: '일반 결제 성공' });
      expect(await SingleProductCart.count()).to.equal(0);
      const order = await Order.findByPk(cart.id);
      expect(order).to.not.equal(null);
      expect(order!.nameKo).to.equal(p.nameKo);
      const phs = await PaymentHistory.findAll({ where: { orderId: cart.id } });
      expect(phs.map((h) => [h.status, h.price, h.impId])).to.deep.equal([['completed', 30000, payment.imp_uid]]);
      expect((await OrderProductRelation.findAll({ where: { orderId: cart.id } })).map((o) => o.status)).to.deep.equal(['paid']);
      expect(await CustomerInfo.count({ where: { orderId: cart.id } })).to.equal(1);
      const list = await asBuyer(app, user).get('/v1/shop/orders/').expect(200);
      expect(list.body[0]).to.include({ id: cart.id, current_status: 'completed', current_paid_price: 30000 });
      const events = (await PaymentWebhookEvent.findAll({ order: [['createdAt', 'ASC']] })).map((e) => e.eventType);
      expect(events).to.deep.equal(['webhook_received', 'payment_lookup_succeeded', 'payment_accepted']);
    } finally {
      server.close();
    }
  });

  it('a cart payment (form-encoded webhook, as PortOne may send it)', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 10000 });
    await asBuyer(app, user).post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);
    await asBuyer(app, user).post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);
    const co = (await asBuyer(app, user).post('/v1/shop/orders/', INFO).expect(201)).body;
    const payment = await pay(co.merchant_uid);
    await request(app).post(WEBHOOK).type('form').send({ imp_uid: payment.imp_uid, merchant_uid: co.merchant_uid, status: 'paid' }).expect(200);
    const dto = (await asBuyer(app, user).get(`/v1/shop/orders/${co.id}/`).expect(200)).body;
    expect(dto.current_status).to.equal('completed');
    expect(dto.products.map((x: { status: string }) => x.status)).to.deep.equal(['paid', 'paid']);
    expect((await Order.findByPk(co.id))!.stockHeldUntil).to.equal(null);
    // the cart is now an order: the buyer's next add starts a new cart
    const next = await asBuyer(app, user).post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);
    expect(next.body.id).to.not.equal(co.id);
  });

  it('20 concurrent identical webhooks (racing the promotion) → one ledger row, all answered 200', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 5000 });
    const cart = await buyNow(user, p.id);
    const payment = await pay(cart.merchant_uid);
    const body = { imp_uid: payment.imp_uid, merchant_uid: cart.merchant_uid, status: 'paid' };
    const results = await Promise.all(Array.from({ length: 20 }, () => hook(body)));
    expect(results.map((r) => r.status), JSON.stringify(results.filter((r) => r.status !== 200).map((r) => r.body))).to.deep.equal(Array(20).fill(200));
    expect(await PaymentHistory.count()).to.equal(1);
    expect(await Order.count()).to.equal(1);
    expect(sim.state.cancels).to.have.length(0);
    // and once more, later
    await hook(body).expect(200);
    expect(await PaymentHistory.count()).to.equal(1);
  });

  it('rejects notifications that are not payments: ready, failed, cancelled, bad body', async () => {
    const expectCode = async (body: object, code: string) => {
      const res = await hook(body).expect(400);
      expect(res.body.errors[0].code).to.equal(code);
    };
    await expectCode({ imp_uid: 'imp_1', merchant_uid: 'x.y', status: 'ready' }, 'VIRTUAL_ACCOUNT_NOT_SUPPORTED');
    await expectCode({ imp_uid: 'imp_1', merchant_uid: 'x.y', status: 'failed' }, 'PURCHASE_FAILED');
    await expectCode({ imp_uid: 'imp_1', merchant_uid: 'x.y', status: 'cancelled' }, 'CANCELLED_NOT_SUPPORTED');
    const bad = await hook({ merchant_uid: 5, status: 'weird' }).expect(400);
    expect(bad.body.type).to.equal('validation_error');
    expect(bad.body.errors.map((e: { attr: string }) => e.attr)).to.deep.equal(['imp_uid', 'merchant_uid', 'status']);
    await expectCode({ imp_uid: 'imp_404', merchant_uid: 'nothing.here', status: 'paid' }, 'portone_error');
    expect(await PaymentWebhookEvent.count({ where: { eventType: 'webhook_received' } })).to.equal(5);
    expect(await PaymentWebhookEvent.count({ where: { eventType: 'payment_rejected' } })).to.equal(4);
  });

  it('unknown order → ORDER_NOT_FOUND, nothing cancelled (the money is not ours to judge)', async () => {
    const other = await pay('someone-elses-merchant-uid', { amount: 1000 });
    const res = await hook({ imp_uid: other.imp_uid, merchant_uid: 'someone-elses-merchant-uid', status: 'paid' }).expect(400);
    expect(res.body.errors[0].code).to.equal('ORDER_NOT_FOUND');
    expect(sim.state.cancels).to.have.length(0);
  });

  it('forged amount → 400 UNEXPECTED_PAID_PRICE, order untouched, money cancelled at PortOne automatically', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 30000 });
    const cart = await buyNow(user, p.id);
    const payment = await pay(cart.merchant_uid, { amount: 100 });
    const res = await hook({ imp_uid: payment.imp_uid, merchant_uid: cart.merchant_uid, status: 'paid' }).expect(400);
    expect(res.body.errors[0]).to.include({ code: 'UNEXPECTED_PAID_PRICE', detail: '결제 금액이 일치하지 않습니다.' });
    expect(await PaymentHistory.count()).to.equal(0);
    expect(await SingleProductCart.count()).to.equal(1);
    expect(sim.state.cancels).to.have.length(1);
    expect(sim.state.cancels[0]!.body).to.include({ imp_uid: payment.imp_uid, amount: 100, checksum: 100 });
    const after = sim.state.payments.find((x) => x.imp_uid === payment.imp_uid)!;
    expect(after.status).to.equal('cancelled');
    expect(await PaymentWebhookEvent.count({ where: { eventType: 'cancel_succeeded' } })).to.equal(1);
  });

  it('forged currency → UNSUPPORTED_CURRENCY + automatic cancel; wrong merchant_uid → UNEXPECTED_RETRIEVED_ORDER_ID, no cancel', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 30000 });
    const cart = await buyNow(user, p.id);
    const usd = await pay(cart.merchant_uid, { currency: 'USD' });
    let res = await hook({ imp_uid: usd.imp_uid, merchant_uid: cart.merchant_uid, status: 'paid' }).expect(400);
    expect(res.body.errors[0].code).to.equal('UNSUPPORTED_CURRENCY');
    expect(sim.state.cancels.map((c) => c.body.imp_uid)).to.deep.equal([usd.imp_uid]);
    const elsewhere = await pay('another-shop-order', { amount: 30000 });
    res = await hook({ imp_uid: elsewhere.imp_uid, merchant_uid: cart.merchant_uid, status: 'paid' }).expect(400);
    expect(res.body.errors[0].code).to.equal('UNEXPECTED_RETRIEVED_ORDER_ID');
    expect(sim.state.cancels).to.have.length(1);
    const failed = await pay(cart.merchant_uid, { status: 'failed' });
    res = await hook({ imp_uid: failed.imp_uid, merchant_uid: cart.merchant_uid, status: 'paid' }).expect(400);
    expect(res.body.errors[0].code).to.equal('UNEXPECTED_RETRIEVED_ORDER_STATUS');
    expect(await PaymentHistory.count()).to.equal(0);
  });

  it('cart changed after prepare: the old merchant_uid matches nothing → rejected and the payment returned', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 10000 });
    await asBuyer(app, user).post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);
    const co = (await asBuyer(app, user).post('/v1/shop/orders/', INFO).expect(201)).body;
    await asBuyer(app, user).post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);
    const payment = await pay(co.merchant_uid);
    const res = await hook({ imp_uid: payment.imp_uid, merchant_uid: co.merchant_uid, status: 'paid' }).expect(400);
    expect(res.body.errors[0].code).to.equal('ORDER_NOT_FOUND');
    expect(sim.state.cancels.map((c) => c.body.imp_uid)).to.deep.equal([payment.imp_uid]);
    expect(await PaymentHistory.count()).to.equal(0);
  });

  it('last unit sold meanwhile (hold expired, someone else paid): rejected, rolled back, cancelled at PortOne', async () => {
    const p = await makeProduct({ price: 10000, stock: 1, nameKo: '마지막' });
    const slow = await makeUser();
    const fast = await makeUser();
    const first = await buyNow(slow, p.id);
    await SingleProductCart.update({ stockHeldUntil: new Date(Date.now() - 1) }, { where: { id: first.id } });
    const second = await buyNow(fast, p.id);
    const paid2 = await pay(second.merchant_uid);
    await hook({ imp_uid: paid2.imp_uid, merchant_uid: second.merchant_uid, status: 'paid' }).expect(200);
    const paid1 = await pay(first.merchant_uid);
    const res = await hook({ imp_uid: paid1.imp_uid, merchant_uid: first.merchant_uid, status: 'paid' }).expect(400);
    expect(res.body.errors[0]).to.include({ code: 'ORDER_NOT_ORDERABLE', detail: '주문 가능한 상태가 아니거나 재고가 부족합니다.' });
    expect(res.body.errors[1]).to.include({ code: 'PRODUCT_SOLDOUT', detail: '마지막 상품은 매진되었습니다.' });
    expect(sim.state.cancels.map((c) => c.body.imp_uid)).to.deep.equal([paid1.imp_uid]);
    expect(await SingleProductCart.count()).to.equal(1); // the promotion was rolled back
    expect(await PaymentHistory.count()).to.equal(1);
    expect(await OrderProductRelation.count({ where: { status: 'paid' } })).to.equal(1);
    // the rejection is on record although its transaction rolled back
    expect(await PaymentWebhookEvent.count({ where: { eventType: 'payment_rejected', reasonCode: 'ORDER_NOT_ORDERABLE' } })).to.equal(1);
  });

  it('a second, different payment for an already paid order is refused and returned', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 10000 });
    const cart = await buyNow(user, p.id);
    const a = await pay(cart.merchant_uid);
    await hook({ imp_uid: a.imp_uid, merchant_uid: cart.merchant_uid, status: 'paid' }).expect(200);
    const b = await pay(cart.merchant_uid, { amount: 10000 });
    const res = await hook({ imp_uid: b.imp_uid, merchant_uid: cart.merchant_uid, status: 'paid' }).expect(400);
    expect(res.body.errors[0].code).to.equal('illegal_transition');
    expect(sim.state.cancels.map((c) => c.body.imp_uid)).to.deep.equal([b.imp_uid]);
    expect(await PaymentHistory.count()).to.equal(1);
  });

  it('only PortOne may call it: a sender outside PORTONE_IP_LIST gets 403', async () => {
    // the app sits behind two proxies: the local one (the test's socket peer) and one inside 10.0.0.0/8
    const config = parseConfig({ ...testEnv, TRUST_PROXY: 'loopback,10.0.0.0/8', PORTONE_WEBHOOK_ALLOW_LOOPBACK: 'false', PORTONE_IP_LIST: '52.78.100.19' });
    const strict = createApp({ config, sequelize: await testDb(), portone: await portoneClient() });
    const res = await request(strict).post(WEBHOOK).set('X-Forwarded-For', '203.0.113.9').send({ imp_uid: 'i', merchant_uid: 'm', status: 'paid' }).expect(403);
    expect(res.body.type).to.equal('client_error');
    const ok = await request(strict).post(WEBHOOK).set('X-Forwarded-For', '52.78.100.19, 10.0.0.1').send({ imp_uid: 'i', merchant_uid: 'm', status: 'ready' });
    expect(ok.status).to.equal(400); // allowed through, then rejected as a virtual account notice
    expect(testConfig.portone.allowLoopback).to.equal(true);
  });
});

describe('payments: refunds', () => {
  let app: Express;
  let sim: PortOneSimulator;
  beforeEach(async () => ({ app, sim } = await paymentsBed({ simulatorWebhooks: true })));

  /** A paid order through the real flow: buy-now / cart checkout, simulator payment, webhook. */
  async function paidOrder(user: User, productIds: string[]): Promise<{ id: string; impUid: string }> {
    const b = asBuyer(app, user);
    for (const id of productIds) await b.post('/v1/shop/orders/cart/products/', { product: id, options: [] }).expect(201);
    const co = (await b.post('/v1/shop/orders/', INFO).expect(201)).body;
    const { payment } = await sim.pay({ merchant_uid: co.merchant_uid, notify: false });
    await request(app).post(WEBHOOK).send({ imp_uid: payment.imp_uid, merchant_uid: co.merchant_uid, status: 'paid' }).expect(200);
    return { id: co.id, impUid: payment.imp_uid };
  }
  const deps = async () => ({ sequelize: await testDb(), portone: await portoneClient(), secretKey: testConfig.secretKey });

  it('partial then full refund: amounts, checksum chain, statuses, ledger', async () => {
    const user = await makeUser();
    const a = await makeProduct({ price: 10000 });
    const b = await makeProduct({ price: 25000 });
    const c = await makeProduct({ price: 7000 });
    const order = await paidOrder(user, [a.id, b.id, c.id]);
    const dto = (await asBuyer(app, user).get(`/v1/shop/orders/${order.id}/`).expect(200)).body;
    const itemB = dto.products.find((x: { product: { id: string } }) => x.product.id === b.id);
    await asBuyer(app, user).delete(`/v1/shop/orders/${order.id}/products/${itemB.id}/`).expect(204);
    let after = (await asBuyer(app, user).get(`/v1/shop/orders/${order.id}/`).expect(200)).body;
    expect(after.current_status).to.equal('partial_refunded');
    expect(after.current_paid_price).to.equal(17000);
    expect(after.payment_histories).to.deep.equal([
      { price: 17000, status: 'partial_refunded' },
      { price: 42000, status: 'completed' },
    ]);
    expect(sim.state.cancels[0]!.body).to.include({ imp_uid: order.impUid, amount: 25000, checksum: 42000 });
    // the refunded item cannot be refunded again
    const again = await asBuyer(app, user).delete(`/v1/shop/orders/${order.id}/products/${itemB.id}/`).expect(404);
    expect(again.body.type).to.equal('client_error');
    await asBuyer(app, user).delete(`/v1/shop/orders/${order.id}/`).expect(204);
    after = (await asBuyer(app, user).get(`/v1/shop/orders/${order.id}/`).expect(200)).body;
    expect(after.current_status).to.equal('refunded');
    expect(after.current_paid_price).to.equal(0);
    expect(after.products.map((x: { status: string }) => x.status)).to.deep.equal(['refunded', 'refunded', 'refunded']);
    expect(sim.state.cancels[1]!.body).to.include({ amount: 17000, checksum: 17000 });
    const payment = sim.state.payments.find((p) => p.imp_uid === order.impUid)!;
    expect(payment.cancel_amount).to.equal(42000);
    expect(payment.status).to.equal('cancelled');
    expect(await RefundAttempt.count({ where: { status: 'completed' } })).to.equal(2);
    const audit = await AuditLog.findAll({ where: { recordId: order.id, action: ['shop.order.item_refunded', 'shop.order.refunded'] } });
    expect(audit).to.have.length(2);
  });

  it('the last paid item refunded alone makes the order refunded; a used item keeps it partial', async () => {
    const user = await makeUser();
    const a = await makeProduct({ price: 10000 });
    const b = await makeProduct({ price: 5000 });
    const order = await paidOrder(user, [a.id, b.id]);
    const items = await OrderProductRelation.findAll({ where: { orderId: order.id }, order: [['price', 'DESC']] });
    await items[1]!.update({ status: 'used' });
    await asBuyer(app, user).delete(`/v1/shop/orders/${order.id}/products/${items[0]!.id}/`).expect(204);
    expect((await asBuyer(app, user).get(`/v1/shop/orders/${order.id}/`)).body.current_status).to.equal('partial_refunded');
    // the whole order is not refundable while an item is used
    const res = await asBuyer(app, user).delete(`/v1/shop/orders/${order.id}/`).expect(400);
    expect(res.body.errors[0]).to.include({ code: 'ONE_OF_PRODUCT_IS_USED_TRY_AFTER_CHANGING_STATUS', attr: 'non_field_errors' });
    // the used item itself cannot be refunded by the buyer
    await asBuyer(app, user).delete(`/v1/shop/orders/${order.id}/products/${items[1]!.id}/`).expect(404);
  });

  it('refund window: the buyer is refused after it; operators with a TOTP code are not', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 10000 });
    const order = await paidOrder(user, [p.id]);
    await p.update({ refundableEndsAt: daysFromNow(-1) });
    const res = await asBuyer(app, user).delete(`/v1/shop/orders/${order.id}/`).expect(400);
    expect(res.body.errors[0].code).to.equal('ONE_OF_PRODUCT_REFUND_TIME_EXPIRED');
    const preview = await previewRefund({ orderId: order.id, channel: 'admin' });
    expect(preview).to.include({ refundable: true, amount: 10000, resultingStatus: 'refunded' });
    const staff = await makeUser({ isStaff: true, adminRole: 'manager' });
    const { secret } = await startEnrollment(staff.id, { secretKey: testConfig.secretKey, issuer: 'test' });
    await confirmEnrollment(staff.id, await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }), { secretKey: testConfig.secretKey });
    const code = await generate({ secret });
    const outcome = await refund(await deps(), { orderId: order.id, channel: 'admin', authorizerUserId: staff.id, totp: code });
    expect(outcome).to.include({ refunded: 10000, status: 'refunded', remaining: 0 });
    const audit = await AuditLog.findOne({ where: { recordId: order.id, action: 'shop.order.refunded' } });
    expect(audit!.after).to.deep.include({ authorizer_user_id: staff.id, channel: 'admin' });
  });

  it('an imported order (no imp_id) is never refundable; neither is someone else\'s order', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 10000 });
    const imported = await makeOrder(user, [{ product: p }], 'completed', null as unknown as string);
    await PaymentHistory.update({ impId: null }, { where: { orderId: imported.id } });
    const res = await asBuyer(app, user).delete(`/v1/shop/orders/${imported.id}/`).expect(400);
    expect(res.body.errors[0].code).to.equal('ORDER_IMP_ID_NOT_EXIST');
    const order = await paidOrder(user, [p.id]);
    await asBuyer(app, await makeUser()).delete(`/v1/shop/orders/${order.id}/`).expect(404);
    await asBuyer(app, null).delete(`/v1/shop/orders/${order.id}/`).expect(401);
    expect(sim.state.cancels).to.have.length(0);
  });

  it('10 concurrent refunds of one order → one PortOne cancel, one refund', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 10000 });
    const order = await paidOrder(user, [p.id, p.id]);
    const results = await Promise.all(Array.from({ length: 10 }, () => asBuyer(app, user).delete(`/v1/shop/orders/${order.id}/`)));
    expect(results.filter((r) => r.status === 204)).to.have.length(1);
    expect(results.filter((r) => r.status === 400)).to.have.length(9);
    expect(sim.state.cancels).to.have.length(1);
    expect(await PaymentHistory.count({ where: { orderId: order.id, status: 'refunded' } })).to.equal(1);
  });

  it('PortOne down or answering code ≠ 0 → 502, nothing changes; the retry works', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 10000 });
    const order = await paidOrder(user, [p.id]);
    sim.failNext('cancel', 'code1', 1);
    let res = await asBuyer(app, user).delete(`/v1/shop/orders/${order.id}/`).expect(502);
    expect(res.body.type).to.equal('server_error');
    expect(res.body.errors[0].code).to.equal('portone_error');
    sim.failNext('cancel', 'http500', 1);
    res = await asBuyer(app, user).delete(`/v1/shop/orders/${order.id}/`).expect(502);
    expect(await PaymentHistory.count({ where: { orderId: order.id } })).to.equal(1);
    expect(await OrderProductRelation.count({ where: { status: 'paid' } })).to.equal(1);
    expect(await RefundAttempt.count({ where: { status: 'failed' } })).to.equal(2);
    await asBuyer(app, user).delete(`/v1/shop/orders/${order.id}/`).expect(204);
  });

  it('TOTP: right, wrong, reused, previous step, two steps old, missing, not enrolled', async () => {
    const user = await makeUser();
    const staff = await makeUser({ isStaff: true, adminRole: 'manager' });
    const stranger = await makeUser({ isStaff: true, adminRole: 'manager' });
    const p = await makeProduct({ price: 1000 });
    const { secret } = await startEnrollment(staff.id, { secretKey: testConfig.secretKey, issuer: 'test' });
    const nowS = Math.floor(Date.now() / 1000);
    await confirmEnrollment(staff.id, await generate({ secret, epoch: nowS - 90 }), { secretKey: testConfig.secretKey, now: new Date((nowS - 90) * 1000) });
    const d = await deps();
    const attempt = async (orderId: string, totp: string | null, authorizerUserId = staff.id) => {
      try {
        // the clock of the check is pinned to nowS: a 30 s step boundary passing during the test must not
        // turn "the previous step" into "two steps old" (this flaked)
        await refund(d, { orderId, channel: 'desk', authorizerUserId, totp }, new Date(nowS * 1000 + 500));
        return 'ok';
      } catch (e) {
        return (e as { errors: Array<{ code: string }> }).errors[0]!.code;
      }
    };
    const o1 = await paidOrder(user, [p.id]);
    const o2 = await paidOrder(user, [p.id]);
    const o3 = await paidOrder(user, [p.id]);
    expect(await attempt(o1.id, null)).to.equal('OTP_REQUIRED');
    expect(await attempt(o1.id, '000000')).to.equal((await generate({ secret, epoch: nowS })) === '000000' ? 'ok' : 'INVALID_OTP_CODE');
    expect(await attempt(o1.id, await generate({ secret, epoch: nowS - 60 }))).to.equal('INVALID_OTP_CODE'); // two steps old
    expect(await attempt(o1.id, await generate({ secret, epoch: nowS }), stranger.id)).to.equal('INVALID_OTP_CODE'); // not enrolled
    const previous = await generate({ secret, epoch: nowS - 30 });
    expect(await attempt(o1.id, previous)).to.equal('ok'); // previous step accepted
    expect(await attempt(o2.id, previous)).to.equal('INVALID_OTP_CODE'); // a code is accepted once
    expect(await attempt(o2.id, await generate({ secret, epoch: nowS }))).to.equal('ok'); // current step
    expect(await attempt(o3.id, 'abcdef')).to.equal('INVALID_OTP_CODE');
    expect(sim.state.cancels).to.have.length(2);
  });
});

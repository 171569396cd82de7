import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { paymentsBed } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeCategory, makeProduct, makeGroup, makeOption, makeUser, HOLDER } from '../helpers/fixtures.js';
import { Option, OrderProductRelation, PaymentHistory, PaymentWebhookEvent, Product, TicketInfo, type User } from '../../src/models/index.js';
import type { PortOneSimulator } from '../../src/portone/simulator.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };
const WEBHOOK = '/v1/shop/payment-histories/';

/** The webhook re-validates the whole order on locked rows; a failure cancels the payment (ORDER_NOT_ORDERABLE). */
describe('webhook re-validation (ORDER_NOT_ORDERABLE)', () => {
  let app: Express;
  let sim: PortOneSimulator;
  beforeEach(async () => ({ app, sim } = await paymentsBed()));

  async function cartCheckout(user: User, items: Array<Record<string, unknown>>) {
    const b = asBuyer(app, user);
    for (const item of items) await b.post('/v1/shop/orders/cart/products/', item).expect(201);
    return (await b.post('/v1/shop/orders/', INFO).expect(201)).body as { id: string; merchant_uid: string };
  }
  async function payAndNotify(merchantUid: string, over: Record<string, unknown> = {}) {
    const { payment } = await sim.pay({ merchant_uid: merchantUid, notify: false, ...over });
    return { payment, res: await request(app).post(WEBHOOK).send({ imp_uid: payment.imp_uid, merchant_uid: merchantUid, status: 'paid' }) };
  }

  it('a ticket whose holder was removed meanwhile: rejected, rolled back, the payment cancelled', async () => {
    const ticket = await makeProduct({ nameKo: '티켓', price: 30000 }, await makeCategory('티켓', '컨퍼런스 티켓', true));
    const co = await cartCheckout(await makeUser(), [{ product: ticket.id, options: [], ticket_info: HOLDER }]);
    await TicketInfo.destroy({ where: {} }); // e.g. an operator removed it
    const { payment, res } = await payAndNotify(co.merchant_uid);
    expect(res.status).to.equal(400);
    expect(res.body.errors.map((e: { code: string }) => e.code)).to.deep.equal(['ORDER_NOT_ORDERABLE', 'CART_TICKET_INFO_REQUIRED']);
    expect(res.body.errors[0].detail).to.equal('주문 가능한 상태가 아니거나 재고가 부족합니다.');
    expect(sim.state.cancels.map((c) => c.body.imp_uid)).to.deep.equal([payment.imp_uid]);
    expect(await PaymentHistory.count()).to.equal(0);
    expect(await OrderProductRelation.count({ where: { status: 'paid' } })).to.equal(0);
    expect(await PaymentWebhookEvent.count({ where: { eventType: 'payment_rejected', reasonCode: 'ORDER_NOT_ORDERABLE' } })).to.equal(1);
  });

  it('a chosen option removed meanwhile (buy-now): rejected and cancelled', async () => {
    const p = await makeProduct({ nameKo: '티셔츠', price: 20000 });
    const g = await makeGroup(p, { nameKo: '사이즈', minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    const m = await makeOption(g, { nameKo: 'M' });
    const single = (await asBuyer(app, await makeUser())
      .post('/v1/shop/orders/single/', { product: p.id, options: [{ product_option_group: g.id, product_option: m.id, custom_response: null }], customer_info: INFO })
      .expect(201)).body;
    await Option.destroy({ where: { id: m.id } });
    const { res } = await payAndNotify(single.merchant_uid);
    expect(res.status).to.equal(400);
    expect(res.body.errors[0].code).to.equal('ORDER_NOT_ORDERABLE');
    expect(sim.state.cancels).to.have.length(1);
    expect(await PaymentHistory.count()).to.equal(0);
  });

  it('a sales window that closed while the buyer was paying does not cancel the payment', async () => {
    const ticket = await makeProduct({ nameKo: '티켓', price: 30000 }, await makeCategory('티켓', '컨퍼런스 티켓', true));
    const single = (await asBuyer(app, await makeUser())
      .post('/v1/shop/orders/single/', { product: ticket.id, options: [], customer_info: INFO, ticket_info: HOLDER })
      .expect(201)).body;
    await Product.update({ orderableEndsAt: new Date() }, { where: { id: ticket.id } }); // after the checkout, before the payment
    await new Promise((r) => setTimeout(r, 5));
    const { res } = await payAndNotify(single.merchant_uid);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(await OrderProductRelation.count({ where: { status: 'paid' } })).to.equal(1);
    expect(sim.state.cancels).to.have.length(0);
  });

  it('a paid ticket cart with holders is accepted', async () => {
    const ticket = await makeProduct({ nameKo: '티켓', price: 30000 }, await makeCategory('티켓', '컨퍼런스 티켓', true));
    const co = await cartCheckout(await makeUser(), [{ product: ticket.id, options: [], ticket_info: HOLDER }]);
    const { res } = await payAndNotify(co.merchant_uid);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  });
});

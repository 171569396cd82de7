import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { resetDb, testDb } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeCategory, makeProduct, makeGroup, makeOption, makeUser, HOLDER } from '../helpers/fixtures.js';
import { AuditLog, Order, OrderProductRelation, PaymentHistory, SingleProductCart } from '../../src/models/index.js';
import { onOrderEvent } from '../../src/services/order-events.js';
import type { PortOneSimulator } from '../../src/portone/simulator.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };

describe('0-won checkout (completes at once, no PortOne call)', () => {
  let app: Express;
  let sim: PortOneSimulator;
  let events: Array<{ kind: string; orderId: string; committed: boolean }>;
  let off: () => void;
  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
    sim = await portoneSim();
    sim.reset();
    events = [];
    off = onOrderEvent((kind, orderId, t) => {
      const e = { kind, orderId, committed: false };
      events.push(e);
      t.afterCommit(() => {
        e.committed = true;
      });
    });
  });
  afterEach(() => off());

  async function freeTicket(stock = 10) {
    const cat = await makeCategory('티켓', '무료 밋업', true);
    return makeProduct({ nameKo: '무료 밋업', price: 0, stock, refundableEndsAt: null }, cat);
  }

  it('buy-now of a 0-won ticket → 201 with the completed Order: items paid, a completed ledger row of 0 without imp_id', async () => {
    const p = await freeTicket();
    const user = await makeUser();
    const b = asBuyer(app, user);
    const res = await b.post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO, ticket_info: HOLDER }).expect(201);
    expect(res.body.current_status).to.equal('completed');
    expect(res.body.first_paid_price).to.equal(0);
    expect(res.body.first_paid_at).to.be.a('string');
    expect(res.body.payment_histories).to.deep.equal([{ price: 0, status: 'completed' }]);
    expect(res.body.products.map((i: { status: string }) => i.status)).to.deep.equal(['paid']);
    expect(res.body.products[0].ticket_info.name).to.equal(HOLDER.name);
    expect(res.body.customer_info.email).to.equal(INFO.email);

    // promoted: an Order with the buy-now cart's id, nothing left in single_product_carts, nothing at PortOne
    const order = (await Order.findByPk(res.body.id))!;
    expect(order.stockHeldUntil).to.equal(null);
    expect(await SingleProductCart.count()).to.equal(0);
    const ph = (await PaymentHistory.findAll({ where: { orderId: order.id } }));
    expect(ph.map((h) => [h.status, h.price, h.impId])).to.deep.equal([['completed', 0, null]]);
    expect(Object.keys(sim.state.prepared)).to.have.length(0);
    expect(sim.state.payments).to.have.length(0);
    // the paid event was raised inside the transaction and its effects run after commit
    expect(events).to.deep.equal([{ kind: 'paid', orderId: order.id, committed: true }]);

    // the buyer sees it among their orders; the unit is sold
    const orders = (await b.get('/v1/shop/orders/').expect(200)).body;
    expect(orders.map((o: { id: string }) => o.id)).to.deep.equal([order.id]);
    const catalogue = (await request(app).get(`/v1/shop/products/${p.id}/`).expect(200)).body;
    expect(catalogue.leftover_stock).to.equal(9);
  });

  it('cart checkout of a 0-won cart completes at once; the cart is gone', async () => {
    const p = await freeTicket();
    const goods = await makeProduct({ nameKo: '무료 스티커', price: 0 }, await makeCategory('굿즈', '굿즈'));
    const size = await makeGroup(goods, { nameKo: '종류', placeholderMode: 'optional', maxQuantityPerProduct: 1 });
    await makeOption(size, { nameKo: 'A' });
    const user = await makeUser();
    const b = asBuyer(app, user);
    await b.post('/v1/shop/orders/cart/products/', { product: p.id, options: [], ticket_info: HOLDER }).expect(201);
    await b.post('/v1/shop/orders/cart/products/', { product: goods.id, options: [] }).expect(201);
    const res = await b.post('/v1/shop/orders/', INFO).expect(201);
    expect(res.body.current_status).to.equal('completed');
    expect(res.body.products.map((i: { status: string }) => i.status)).to.deep.equal(['paid', 'paid']);
    expect((await b.get('/v1/shop/orders/cart/').expect(200)).body).to.deep.equal({});
    expect(Object.keys(sim.state.prepared)).to.have.length(0);
  });

  it('a cart with a 0-won item and a paid item goes through PortOne as usual', async () => {
    const p = await freeTicket();
    const mug = await makeProduct({ nameKo: '머그', price: 12000 }, await makeCategory('굿즈', '굿즈'));
    const b = asBuyer(app, await makeUser());
    await b.post('/v1/shop/orders/cart/products/', { product: p.id, options: [], ticket_info: HOLDER }).expect(201);
    await b.post('/v1/shop/orders/cart/products/', { product: mug.id, options: [] }).expect(201);
    const res = await b.post('/v1/shop/orders/', INFO).expect(201);
    expect(res.body.current_status).to.equal('pending');
    expect(res.body.merchant_uid).to.be.a('string');
    expect(Object.keys(sim.state.prepared)).to.have.length(1);
  });

  it('free orders are never buyer-refundable (reasons shown, DELETE refused, nothing changes)', async () => {
    const p = await freeTicket();
    await p.update({ refundableEndsAt: new Date('9999-12-31T00:00:00Z') }); // refundable product: still not a refund
    const user = await makeUser();
    const b = asBuyer(app, user);
    const order = (await b.post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO, ticket_info: HOLDER }).expect(201)).body;
    expect(order.not_fully_refundable_reason).to.equal('환불이 불가능한 주문입니다. PyCon 한국 준비 위원회에 문의해주세요.');
    expect(order.products[0].not_refundable_reason).to.equal('환불 가능한 상품이 아닙니다. (환불할 금액이 없습니다.)');
    const whole = await b.delete(`/v1/shop/orders/${order.id}/`).expect(400);
    expect(whole.body.errors[0].code).to.equal('ORDER_IMP_ID_NOT_EXIST');
    const item = await b.delete(`/v1/shop/orders/${order.id}/products/${order.products[0].id}/`).expect(400);
    expect(item.body.errors[0].code).to.equal('PRODUCT_PRICE_IS_ZERO');
    expect(await OrderProductRelation.count({ where: { status: 'paid' } })).to.equal(1);
  });

  it('the free checkout re-validates like any checkout (sold out → 400, nothing written)', async () => {
    const p = await freeTicket(1);
    await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO, ticket_info: HOLDER }).expect(201);
    const res = await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO, ticket_info: HOLDER }).expect(400);
    expect(res.body.errors[0].code).to.equal('PRODUCT_SOLDOUT');
    expect(await PaymentHistory.count()).to.equal(1);
  });

  it('a negative total is still refused; the ledger row is audited as a payment of 0', async () => {
    const p = await freeTicket();
    const user = await makeUser();
    await asBuyer(app, user).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO, ticket_info: HOLDER }).expect(201);
    const sequelize = await testDb();
    const [rows] = await sequelize.query(`SELECT count(*)::int AS n FROM payment_histories WHERE price = 0 AND imp_id IS NULL AND status = 'completed'`);
    expect((rows as Array<{ n: number }>)[0]!.n).to.equal(1);
    expect(await AuditLog.count({ where: { tableName: 'order_product_relations', action: 'update' } })).to.be.greaterThan(0);
  });
});

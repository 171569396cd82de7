import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import type { z } from 'zod';
import { resetDb } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeCategory, makeProduct, makeGroup, makeOption, makeTag, makeUser } from '../helpers/fixtures.js';
import * as S from '../../src/http/contract/schemas.js';

const INFO = { name: '홍길동', phone: '+821012345678', email: 'gildong@example.com', organization: null };

/** Parse with a strict contract schema; on failure show zod's issues (they name the offending field). */
function conforms<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`does not match the contract:\n${JSON.stringify(r.error.issues, null, 2)}\n${JSON.stringify(value, null, 2)}`);
  return r.data;
}

describe('contract conformance (responses parsed with the strict contract schemas)', () => {
  let app: Express;
  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
    (await portoneSim()).reset();
  });

  it('catalogue, cart, checkouts, orders, patrons and errors all match shared/contract/shop-api.md', async () => {
    const ticket = await makeProduct({ nameKo: '티켓', price: 50000, stock: 10 }, await makeCategory('티켓', '컨퍼런스 티켓'));
    const shirt = await makeGroup(ticket, { nameKo: '티셔츠', minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    const m = await makeOption(shirt, { nameKo: 'M', stock: 5 });
    const badge = await makeGroup(ticket, { nameKo: '배지', isCustomResponse: true, customResponsePattern: '.+', priority: 1, responseModifiableEndsAt: new Date(Date.now() + 86400000) });
    await makeTag({ nameKo: '티켓류', maxQuantityPerUser: 2 }, [ticket]);
    const patron = await makeProduct({ nameKo: '후원', price: 10000, donationAllowed: true, donationMinPrice: 1000, donationMaxPrice: 9000 });
    await makeGroup(patron, { nameKo: '후원자 한마디', isCustomResponse: true, customResponsePattern: '.*' });

    const user = await makeUser();
    const b = asBuyer(app, user);
    for (const p of conforms(S.Product.array(), (await b.get('/v1/shop/products/').expect(200)).body)) expect(p.id).to.be.a('string');
    conforms(S.Product, (await request(app).get(`/v1/shop/products/${ticket.id}/`).expect(200)).body);
    expect((await b.get('/v1/shop/orders/cart/').expect(200)).body).to.deep.equal({});

    const item = { product: ticket.id, options: [{ product_option_group: shirt.id, product_option: m.id, custom_response: null }, { product_option_group: badge.id, product_option: null, custom_response: 'Gildong' }] };
    conforms(S.CartItemAppendRequest, item);
    const cart = conforms(S.Order, (await b.post('/v1/shop/orders/cart/products/', item).expect(201)).body);
    conforms(S.Order, (await b.get('/v1/shop/orders/cart/').expect(200)).body);
    const prepared = conforms(S.Order, (await b.post('/v1/shop/orders/', INFO).expect(201)).body);
    expect(prepared.id).to.equal(cart.id);
    expect(prepared.merchant_uid).to.be.a('string');
    const single = conforms(S.Order, (await b.post('/v1/shop/orders/single/', { product: patron.id, options: [], donation_price: 5000, customer_info: INFO }).expect(201)).body);

    const sim = await portoneSim();
    for (const o of [prepared, single]) {
      const { payment } = await sim.pay({ merchant_uid: o.merchant_uid!, notify: false });
      await request(app).post('/v1/shop/payment-histories/').send({ imp_uid: payment.imp_uid, merchant_uid: o.merchant_uid, status: 'paid' }).expect(200);
    }
    const orders = conforms(S.Order.array(), (await b.get('/v1/shop/orders/').expect(200)).body);
    expect(orders.map((o) => o.current_status)).to.deep.equal(['completed', 'completed']);
    const order = orders.find((o) => o.id === cart.id)!;
    const opr = order.products[0]!;
    const answer = opr.options.find((o) => o.product_option_group.is_custom_response)!;
    conforms(S.Order, (await b.patch(`/v1/shop/orders/${order.id}/products/${opr.id}/options/`, [{ order_product_option_relation: answer.id, custom_response: 'Kim' }]).expect(200)).body);
    conforms(S.Patron.array(), (await request(app).get(`/v1/shop/patron/?year=${new Date().getFullYear()}`).expect(200)).body);

    // error bodies
    conforms(S.ErrorResponse, (await b.post('/v1/shop/orders/cart/products/', { product: 'nope', options: [] }).expect(400)).body);
    conforms(S.ErrorResponse, (await request(app).get('/v1/shop/nothing/').expect(404)).body);
    conforms(S.ErrorResponse, (await asBuyer(app, null).post('/v1/shop/orders/', INFO).expect(401)).body);
    conforms(S.ErrorResponse, (await b.post('/v1/shop/orders/', INFO).expect(400)).body); // empty cart now
  });

  it("the current client's calls (ticket holders, item PATCH, placeholder mode, 0-won orders, non-refundable products) match the contract schemas", async () => {
    const HOLDER = { name: '김참가', phone: '010-1234-5678', email: 'holder@example.com', organization: '' };
    const tickets = await makeCategory('티켓', '컨퍼런스 티켓', true);
    const ticket = await makeProduct({ nameKo: '티켓', price: 50000, refundableEndsAt: null }, tickets);
    const color = await makeGroup(ticket, { nameKo: '색상', placeholderMode: 'optional', maxQuantityPerProduct: 1 });
    await makeOption(color, { nameKo: '빨강' });
    const badge = await makeGroup(ticket, { nameKo: '배지', isCustomResponse: true, customResponsePattern: '.+', priority: 1, responseModifiableEndsAt: new Date(Date.now() + 86400000) });
    const free = await makeProduct({ nameKo: '무료 밋업', price: 0 }, tickets);
    const b = asBuyer(app, await makeUser());

    const catalogue = conforms(S.Product.array(), (await b.get('/v1/shop/products/').expect(200)).body);
    const t = catalogue.find((p) => p.id === ticket.id)!;
    expect(t).to.include({ is_ticket: true, refundable_ends_at: null });
    expect(t.option_groups.map((g) => g.placeholder_mode)).to.deep.equal(['optional', 'hidden']);

    // cart add with the holder → the cart DTO carries it
    const item = conforms(S.CartItemAppendRequest, {
      product: ticket.id,
      options: [{ product_option_group: color.id, product_option: null, custom_response: null }, { product_option_group: badge.id, product_option: null, custom_response: 'Kim' }],
      ticket_info: HOLDER,
    });
    const cart = conforms(S.Order, (await b.post('/v1/shop/orders/cart/products/', item).expect(201)).body);
    expect(cart.products[0]!).to.deep.include({ is_ticket: true, certificate_status: 'not_issuable', ticket_info: { ...HOLDER, contribution_message: null } });
    expect(cart.first_paid_at).to.equal(null);
    const prepared = conforms(S.Order, (await b.post('/v1/shop/orders/', INFO).expect(201)).body);
    const sim = await portoneSim();
    const { payment } = await sim.pay({ merchant_uid: prepared.merchant_uid!, notify: false });
    await request(app).post('/v1/shop/payment-histories/').send({ imp_uid: payment.imp_uid, merchant_uid: prepared.merchant_uid, status: 'paid' }).expect(200);

    // item PATCH → 204, then GET shows it
    const opr = prepared.products[0]!;
    const patch = conforms(S.OrderItemPatchRequest, { options: [{ order_product_option_relation: opr.options[1]!.id, custom_response: 'Lee' }], ticket_info: { name: '이참가' } });
    const patched = await b.patch(`/v1/shop/orders/${prepared.id}/products/${opr.id}/`, patch).expect(204);
    expect(patched.text).to.equal('');
    const order = conforms(S.Order, (await b.get(`/v1/shop/orders/${prepared.id}/`).expect(200)).body);
    expect(order.products[0]!.ticket_info!.name).to.equal('이참가');
    expect(order.products[0]!.options[1]!.custom_response).to.equal('Lee');

    // non-refundable product → refunds refused with the message
    expect(order.products[0]!.not_refundable_reason).to.equal('해당 상품은 환불할 수 없습니다. PyCon 한국 준비 위원회에 문의해주세요.');
    const refused = conforms(S.ErrorResponse, (await b.delete(`/v1/shop/orders/${order.id}/products/${opr.id}/`).expect(400)).body);
    expect(refused.errors[0]).to.include({ code: 'PRODUCT_IS_NOT_REFUNDABLE', detail: '해당 상품은 환불할 수 없습니다. PyCon 한국 준비 위원회에 문의해주세요.' });

    // 0-won buy-now → 201 with the completed Order
    const done = conforms(S.Order, (await b.post('/v1/shop/orders/single/', { product: free.id, options: [], customer_info: INFO, ticket_info: HOLDER }).expect(201)).body);
    expect(done).to.include({ current_status: 'completed', current_paid_price: 0 });
    expect(done.products[0]!.status).to.equal('paid');

    // errors of the new rules are in the error shape
    conforms(S.ErrorResponse, (await b.post('/v1/shop/orders/cart/products/', { product: ticket.id, options: [] }).expect(400)).body);
    conforms(S.ErrorResponse, (await b.patch(`/v1/shop/orders/${order.id}/products/${opr.id}/`, { ticket_info: { phone: 'x' } }).expect(400)).body);
    conforms(S.Order.array(), (await b.get('/v1/shop/orders/').expect(200)).body);
  });

  it('serves the OpenAPI document generated from the same schemas', async () => {
    const res = await request(app).get('/openapi.json').expect(200);
    expect(res.body.openapi).to.equal('3.1.0');
    expect(Object.keys(res.body.paths)).to.include.members(['/v1/shop/products/', '/v1/shop/orders/single/', '/v1/shop/payment-histories/', '/v1/shop/orders/{id}/products/{item}/']);
    expect(res.body.paths['/v1/shop/orders/{id}/products/{item}/options/'].patch.deprecated).to.equal(true);
    expect(res.body.components.schemas).to.have.property('TicketInfo');
    expect(res.body.components.schemas).to.have.property('Order');
  });
});

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

  it('serves the OpenAPI document generated from the same schemas', async () => {
    const res = await request(app).get('/openapi.json').expect(200);
    expect(res.body.openapi).to.equal('3.1.0');
    expect(Object.keys(res.body.paths)).to.include.members(['/v1/shop/products/', '/v1/shop/orders/single/', '/v1/shop/payment-histories/']);
    expect(res.body.components.schemas).to.have.property('Order');
  });
});

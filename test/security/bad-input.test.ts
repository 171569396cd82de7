/**
 * Bad input the reliability suite did not cover, found from outside: NUL bytes (PostgreSQL text cannot
 * hold U+0000), a JSON number overflowing to Infinity, an import file over the size limit. Each is a 4xx in
 * the contract shape `{type, errors: [{code, detail, attr}]}` and nothing is written.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import request from 'supertest';
import { expectContractError } from '../helpers/contract.js';
import { QueryTypes } from 'sequelize';
import { resetDb, testDb } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { signedInBuyer, type Agent } from '../helpers/auth.js';
import { makeGroup, makeOrder, makeProduct } from '../helpers/fixtures.js';
import { createApiKey } from '../../src/services/auth.js';
import { OrderProductOptionRelation, OrderProductRelation } from '../../src/models/index.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };
const TABLES = ['orders', 'order_product_relations', 'order_product_option_relations', 'customer_infos', 'payment_histories', 'single_product_carts', 'audit_logs'];

describe('security: bad input → 4xx, nothing written (NUL bytes, 1e400)', function () {
  this.timeout(60_000);
  let app: Express;
  let buyer: { agent: Agent; csrf: string };
  let ids: { product: string; group: string; order: string; opr: string; opor: string };
  let key: { key: string; secret: string };
  let snapshot: () => Promise<string>;
  let before: string;

  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
    const product = await makeProduct({ price: 20000, stock: 100, isDonationAllowed: true, donationMinPrice: 0, donationMaxPrice: 100000 });
    // permissive patterns: the value reaches the database unless NUL is refused first
    const group = await makeGroup(product, { isCustomResponse: true, customResponsePattern: '.*', responseModifiableEndsAt: new Date(Date.now() + 86_400_000) });
    buyer = await signedInBuyer(app);
    const order = await makeOrder((buyer as unknown as { user: never }).user, [{ product, options: [{ group, customResponse: 'alice' }] }]);
    const opr = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
    const opor = (await OrderProductOptionRelation.findOne({ where: { orderProductRelationId: opr.id } }))!;
    ids = { product: product.id, group: group.id, order: order.id, opr: opr.id, opor: opor.id };
    const k = await createApiKey({ name: 'desk', scopes: ['desk'] });
    key = { key: k.apiKey.key, secret: k.secret };
    const sequelize = await testDb();
    snapshot = async () => {
      const out: string[] = [];
      for (const t of TABLES) out.push(`${t}=${(await sequelize.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`, { type: QueryTypes.SELECT }))[0]!.n}`);
      const [a] = await sequelize.query<{ r: string }>(`SELECT custom_response AS r FROM order_product_option_relations WHERE id = :id`, { type: QueryTypes.SELECT, replacements: { id: ids.opor } });
      out.push(`answer=${a!.r}`);
      return out.join(' ');
    };
    before = await snapshot();
  });

  afterEach(async function () {
    // desk searches are audited (a read, not a change of the shop's data): count only what changes data
    if (this.currentTest?.title.includes('desk search')) return;
    expect(await snapshot(), 'nothing written').to.equal(before);
  });

  const post = (path: string, body: unknown) => buyer.agent.post(path).set('x-csrftoken', buyer.csrf).send(body as object);
  const desk = (r: request.Test) => r.set('x-api-key', key.key).set('x-api-secret', key.secret);

  for (const nul of ['\u0000', 'a\u0000b', 'alice\u0000']) {
    const label = JSON.stringify(nul);
    it(`cart answer with NUL ${label}`, async () => {
      expectContractError(await post('/v1/shop/orders/cart/products/', { product: ids.product, options: [{ product_option_group: ids.group, product_option: null, custom_response: nul }] }), 'cart answer');
    });
    it(`buy-now and cart checkout with a NUL in the name ${label}`, async () => {
      expectContractError(await post('/v1/shop/orders/single/', { product: ids.product, options: [{ product_option_group: ids.group, product_option: null, custom_response: 'ok' }], customer_info: { ...INFO, name: `홍${nul}` } }), 'buy-now name');
      expectContractError(await post('/v1/shop/orders/', { ...INFO, name: `홍${nul}`, organization: nul }), 'checkout name');
    });
    it(`answer patch with NUL ${label}`, async () => {
      const res = await buyer.agent.patch(`/v1/shop/orders/${ids.order}/products/${ids.opr}/options/`).set('x-csrftoken', buyer.csrf).send([{ order_product_option_relation: ids.opor, custom_response: nul }]);
      expectContractError(res, 'answer patch');
    });
    it(`desk patch with NUL ${label}`, async () => {
      expectContractError(await desk(request(app).patch(`/v1/internal-api/desk-support/${ids.order}/`)).send({ products: [{ id: ids.opr, options: [{ id: ids.opor, custom_response: nul }] }] }), 'desk patch');
    });
    it(`desk search with NUL ${label}`, async () => {
      for (const q of ['keywords', 'categories', 'category_groups']) {
        expectContractError(await desk(request(app).get(`/v1/internal-api/desk-support/?${q}=${encodeURIComponent(nul)}`)), `desk search ${q}`);
      }
    });
  }

  it('donation_price: 1e400 (Infinity once parsed) and other out-of-range JSON numbers on buy-now and add to cart', async () => {
    for (const n of ['1e400', '-1e400', '1e308', '123456789012345678901234567890', '0.5']) {
      for (const path of ['/v1/shop/orders/single/', '/v1/shop/orders/cart/products/']) {
        const body = `{"product":"${ids.product}","options":[{"product_option_group":"${ids.group}","product_option":null,"custom_response":"ok"}],"donation_price":${n},"customer_info":${JSON.stringify(INFO)}}`;
        const res = await buyer.agent.post(path).set('x-csrftoken', buyer.csrf).set('content-type', 'application/json').send(body);
        expectContractError(res, `${path} donation_price=${n}`);
      }
    }
  });
});

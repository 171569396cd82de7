/**
 * Issue #9 reliability: bad input on every public endpoint — wrong types, huge bodies, unicode, injection
 * strings, negative / overflowing amounts, unknown ids, malformed UUIDs, wrong content types, missing CSRF —
 * is always a 4xx in the contract error shape `{type, errors: [{code, detail, attr}]}`, never a 5xx, and
 * writes nothing. Buyers sign in through the real session endpoints (cookies + CSRF).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import request from 'supertest';
import type { Response } from 'supertest';
import type { Express } from 'express';
import { QueryTypes } from 'sequelize';
import { resetDb, testDb } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { AUTH, anonymousBrowser, signedInBuyer, type Agent } from '../helpers/auth.js';
import { makeProduct, makeGroup, makeOption, makeOrder } from '../helpers/fixtures.js';
import http from 'node:http';
import { createApiKey } from '../../src/services/auth.js';
import { clientErrorHandler } from '../../src/http/errors.js';
import { OrderProductRelation } from '../../src/models/index.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };
const UNKNOWN = '6f1c2a9e-8d4b-4c1e-9a3f-2b7d5e8c1a04';
const MALFORMED_IDS = ['not-a-uuid', '1', '-1', '0x10', "' OR '1'='1", '../../etc/passwd', '%00', '6f1c2a9e-8d4b-4c1e-9a3f-2b7d5e8c1a0', '6f1c2a9e8d4b4c1e9a3f2b7d5e8c1a04z', 'ａｂｃ', '😀', 'null', 'undefined'];
/** Values no field of ours accepts as they are (ids, customer fields, amounts, answers). */
const NASTY: unknown[] = [
  null, true, false, -1, 0.5, -2147483649, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, '', '   ', 'NaN', 'Infinity', '1e999', '-0',
  "' OR 1=1 --", "'; DROP TABLE orders; --", '"; DELETE FROM users; --', '<script>alert(1)</script>', '${7*7}', '{{7*7}}',
  '\u0000', '\ud800', '\u202eevil', '\u200b', '😀'.repeat(300), 'ㄱ'.repeat(5000), 'a'.repeat(20_000), [], [null], [1, 2], {}, { $gt: '' },
  { __proto__: { polluted: true } }, JSON.parse('{"__proto__": {"polluted": true}}'), 'not-a-uuid', '00000000-0000-0000-0000-000000000000', UNKNOWN,
];
const WRITTEN_TABLES = ['orders', 'order_product_relations', 'order_product_option_relations', 'single_product_carts', 'customer_infos', 'payment_histories', 'refund_attempts', 'users', 'products', 'api_keys'];

/** URL-encode; a lone surrogate (not encodable) becomes the invalid UTF-8 bytes of one. */
function enc(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return '%ED%A0%80';
  }
}

function expectErrorShape(res: Response, what: string): void {
  expect(res.status, `${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`).to.be.within(400, 499);
  expect(res.headers['content-type'], what).to.match(/application\/json/);
  expect(res.body.type, what).to.be.oneOf(['validation_error', 'client_error']);
  expect(res.body.errors, what).to.be.an('array').that.is.not.empty;
  for (const e of res.body.errors as Array<Record<string, unknown>>) {
    expect(e.code, what).to.be.a('string');
    expect(e.detail, what).to.be.a('string');
    expect(e.attr === null || typeof e.attr === 'string', `${what}: attr`).to.equal(true);
  }
  expect(JSON.stringify(res.body), `${what}: no stack trace`).to.not.match(/\bat .*\.(ts|js):\d+/);
}

describe('reliability: bad input on every public endpoint', function () {
  this.timeout(60_000);
  let app: Express;
  let buyer: { agent: Agent; csrf: string };
  let counts: () => Promise<Record<string, number>>;
  let initial: Record<string, number>;
  let ids: { product: string; group: string; option: string; order: string; opr: string; opor: string; cartOpr: string };
  let key: { apiKey: { key: string }; secret: string };

  before(async () => {
    await resetDb();
    app = await makeApp();
    const sequelize = await testDb();
    const product = await makeProduct({ price: 20000, stock: 100 });
    const group = await makeGroup(product, { isCustomResponse: true, customResponsePattern: '^[a-z]{3,10}$', responseModifiableEndsAt: new Date(Date.now() + 86_400_000) });
    const sizes = await makeGroup(product, { nameKo: '크기', minQuantityPerProduct: 0, maxQuantityPerProduct: 1 });
    const option = await makeOption(sizes, { stock: 5 });
    const signed = await signedInBuyer(app);
    buyer = signed;
    const order = await makeOrder(signed.user, [{ product, options: [{ group, customResponse: 'alice' }] }]);
    const opr = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
    const [opor] = await sequelize.query<{ id: string }>(`SELECT id FROM order_product_option_relations WHERE order_product_relation_id = :id`, { type: QueryTypes.SELECT, replacements: { id: opr.id } });
    // one item in the buyer's cart, so the cart checkout reaches its customer-info validation
    const added = await buyer.agent.post('/v1/shop/orders/cart/products/').set('x-csrftoken', buyer.csrf).send({ product: product.id, options: [{ product_option_group: group.id, product_option: null, custom_response: 'bob' }] });
    expect(added.status, JSON.stringify(added.body)).to.equal(201);
    ids = { product: product.id, group: group.id, option: option.id, order: order.id, opr: opr.id, opor: opor!.id, cartOpr: added.body.products[0].id };
    key = (await createApiKey({ name: 'bench_desk', scopes: ['desk'] })) as never;
    counts = async () => {
      const out: Record<string, number> = {};
      for (const t of WRITTEN_TABLES) out[t] = Number((await sequelize.query<{ n: number }>(`SELECT count(*) AS n FROM ${t}`, { type: QueryTypes.SELECT }))[0]!.n);
      const [cart] = await sequelize.query<{ h: string | null }>(`SELECT prepared_cart_hash AS h FROM orders WHERE id = (SELECT order_id FROM order_product_relations WHERE id = :id)`, { type: QueryTypes.SELECT, replacements: { id: ids.cartOpr } });
      out.cartPrepared = cart?.h ? 1 : 0;
      const [answer] = await sequelize.query<{ r: string }>(`SELECT custom_response AS r FROM order_product_option_relations WHERE id = :id`, { type: QueryTypes.SELECT, replacements: { id: ids.opor } });
      out.answerChanged = answer?.r === 'alice' ? 0 : 1;
      return out;
    };
    initial = await counts();
  });

  afterEach(async () => {
    expect(await counts(), 'nothing written').to.deep.equal(initial);
  });

  const post = (path: string, body: unknown) => buyer.agent.post(path).set('x-csrftoken', buyer.csrf).send(body as object);
  const patch = (path: string, body: unknown) => buyer.agent.patch(path).set('x-csrftoken', buyer.csrf).send(body as object);

  it('add to cart: every field wrong, and random JSON', async () => {
    const path = '/v1/shop/orders/cart/products/';
    for (const v of NASTY) {
      expectErrorShape(await post(path, { product: v, options: [] }), `product=${String(v).slice(0, 40)}`);
      if (!(Array.isArray(v) && v.length === 0)) expectErrorShape(await post(path, { product: ids.product, options: v }), `options=${String(v).slice(0, 40)}`);
      expectErrorShape(await post(path, { product: ids.product, options: [{ product_option_group: v, product_option: ids.option }] }), `group=${String(v).slice(0, 40)}`);
      expectErrorShape(await post(path, { product: ids.product, options: [{ product_option_group: ids.group, custom_response: v }] }), `answer=${String(v).slice(0, 40)}`);
      if (v !== null && v !== 0 && v !== false && v !== '' && v !== '   ' && v !== '-0') {
        expectErrorShape(await post(path, { product: ids.product, options: [], donation_price: v }), `donation=${String(v).slice(0, 40)}`);
      }
    }
    for (const body of [[], [1], 'string', 42, null]) expectErrorShape(await buyer.agent.post(path).set('x-csrftoken', buyer.csrf).set('content-type', 'application/json').send(JSON.stringify(body)), `body=${JSON.stringify(body)}`);
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), async (body) => {
        expectErrorShape(await post(path, body), `random ${JSON.stringify(body).slice(0, 80)}`);
      }),
      { numRuns: 40 },
    );
  });

  it('buy now: bad items and bad customer info (nested attrs), never prepared', async () => {
    const path = '/v1/shop/orders/single/';
    for (const v of NASTY) {
      expectErrorShape(await post(path, { product: v, options: [], customer_info: INFO }), `product=${String(v).slice(0, 40)}`);
      expectErrorShape(await post(path, { product: ids.product, options: [], customer_info: v }), `customer_info=${String(v).slice(0, 40)}`);
      for (const field of ['name', 'phone', 'email'] as const) {
        // an invalid item keeps even a lucky-valid value from completing a checkout; the value must not crash anything
        expectErrorShape(await post(path, { product: UNKNOWN, options: [], customer_info: { ...INFO, [field]: v } }), `${field}=${String(v).slice(0, 40)}`);
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), async (body) => {
        expectErrorShape(await post(path, body), `random ${JSON.stringify(body).slice(0, 80)}`);
      }),
      { numRuns: 30 },
    );
  });

  it('cart checkout: bad customer info; cart item removal and order reads with malformed / unknown ids', async () => {
    for (const v of NASTY) {
      if (typeof v === 'string' && v.trim() && !/[<'"${}]/.test(v) && v.length < 100) continue; // a plain name could be valid
      expectErrorShape(await post('/v1/shop/orders/', { ...INFO, name: v, phone: v }), `name/phone=${String(v).slice(0, 40)}`);
      expectErrorShape(await post('/v1/shop/orders/', { ...INFO, email: v }), `email=${String(v).slice(0, 40)}`);
    }
    for (const body of [[], 'x', 7]) expectErrorShape(await buyer.agent.post('/v1/shop/orders/').set('x-csrftoken', buyer.csrf).set('content-type', 'application/json').send(JSON.stringify(body)), `body ${JSON.stringify(body)}`);
    for (const id of [...MALFORMED_IDS, UNKNOWN, ids.opr /* paid, not in the cart */]) {
      const e = encodeURIComponent(id);
      expectErrorShape(await buyer.agent.delete(`/v1/shop/orders/cart/products/${e}/`).set('x-csrftoken', buyer.csrf), `remove ${id}`);
      expectErrorShape(await buyer.agent.get(`/v1/shop/orders/${e}/`), `get order ${id}`);
      expectErrorShape(await buyer.agent.delete(`/v1/shop/orders/${e}/`).set('x-csrftoken', buyer.csrf), `refund ${id}`);
      if (id !== ids.opr) expectErrorShape(await buyer.agent.delete(`/v1/shop/orders/${ids.order}/products/${e}/`).set('x-csrftoken', buyer.csrf), `refund item ${id}`);
      expectErrorShape(await buyer.agent.get(`/v1/shop/products/${e}/`), `product ${id}`);
      const receipt = await buyer.agent.get(`/v1/shop/orders/${e}/receipt/`);
      expect(receipt.status, `receipt ${id}`).to.be.within(400, 499);
    }
  });

  it('answer edits: wrong shapes, unknown relations, pattern-breaking and injected answers', async () => {
    const path = `/v1/shop/orders/${ids.order}/products/${ids.opr}/options/`;
    for (const v of NASTY) {
      if (v === 'alice' || (Array.isArray(v) && v.length === 0)) continue; // [] = no edits: a valid no-op
      expectErrorShape(await patch(path, v === null || typeof v !== 'object' || !Array.isArray(v) ? [{ order_product_option_relation: ids.opor, custom_response: v }] : v), `answer=${String(v).slice(0, 40)}`);
      expectErrorShape(await patch(path, [{ order_product_option_relation: v, custom_response: 'carol' }]), `relation=${String(v).slice(0, 40)}`);
    }
    for (const body of [{}, 'x', 5, { order_product_option_relation: ids.opor, custom_response: 'carol' }]) {
      expectErrorShape(await buyer.agent.patch(path).set('x-csrftoken', buyer.csrf).set('content-type', 'application/json').send(JSON.stringify(body)), `body ${JSON.stringify(body)}`);
    }
    for (const id of [...MALFORMED_IDS, UNKNOWN]) {
      expectErrorShape(await patch(`/v1/shop/orders/${encodeURIComponent(id)}/products/${ids.opr}/options/`, [{ order_product_option_relation: ids.opor, custom_response: 'carol' }]), `order ${id}`);
      expectErrorShape(await patch(`/v1/shop/orders/${ids.order}/products/${encodeURIComponent(id)}/options/`, [{ order_product_option_relation: ids.opor, custom_response: 'carol' }]), `item ${id}`);
    }
  });

  it('PortOne webhook: bad bodies, forged and unknown ids, form and wrong content types', async () => {
    const hook = (body: unknown) => request(app).post('/v1/shop/payment-histories/').send(body as object);
    for (const v of NASTY) {
      expectErrorShape(await hook({ imp_uid: v, merchant_uid: v, status: 'paid' }), `ids=${String(v).slice(0, 40)}`);
      expectErrorShape(await hook({ imp_uid: 'imp_1', merchant_uid: `${ids.order}.abc`, status: v }), `status=${String(v).slice(0, 40)}`);
    }
    for (const imp of ['../users/getToken', 'imp_1/../../payments/cancel', '%2e%2e%2f', 'imp?x=1#y']) {
      expectErrorShape(await hook({ imp_uid: imp, merchant_uid: `${ids.order}.0123456789abcdef`, status: 'paid' }), `imp_uid=${imp}`);
    }
    expectErrorShape(await request(app).post('/v1/shop/payment-histories/').type('form').send('imp_uid[]=1&merchant_uid[$gt]=&status=paid'), 'form arrays');
    expectErrorShape(await request(app).post('/v1/shop/payment-histories/').set('content-type', 'text/plain').send('imp_uid=1'), 'text/plain');
  });

  it('public reads: patron years, catalogue filters, QR pages — no 5xx', async () => {
    for (const y of ['abc', '-1', '1e9', '99999999999999999999', '2026.5', "2026' OR 1=1", '', '0x7E9']) {
      const res = await request(app).get(`/v1/shop/patron/?year=${enc(y)}`);
      if (res.status !== 200) expectErrorShape(res, `year=${y}`);
    }
    expectErrorShape(await request(app).get('/v1/shop/patron/?year=abc'), 'year=abc');
    for (const v of NASTY.filter((x): x is string => typeof x === 'string' && x.length < 1000)) {
      const res = await request(app).get(`/v1/shop/products/?category=${enc(v)}&category_group=${enc(v)}`);
      if (res.status === 200) expect(res.body, `category=${v.slice(0, 40)}`).to.deep.equal([]);
      else expectErrorShape(res, `category=${v.slice(0, 40)}`);
      const qr = await request(app).get(`/v1/shop/orders/scancode/?token=${enc(v)}`);
      expect(qr.status, `scancode token=${v.slice(0, 40)}`).to.be.below(500);
    }
    const arrays = await request(app).get('/v1/shop/products/?category=a&category=b');
    expect(arrays.status).to.be.below(500);
    // a URL over Node's 16 KiB header limit is refused by the HTTP parser itself: in the error shape too
    const server = http.createServer(app).on('clientError', clientErrorHandler);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const long = await request(server).get(`/v1/shop/products/?category=${'%E3%84%B1'.repeat(5000)}`);
      expect(long.status).to.equal(431);
      expectErrorShape(long, 'URL too long');
    } finally {
      server.close();
    }
  });

  it('sign-in and the desk API: bad bodies, bad keys, bad filters', async () => {
    const browser = await anonymousBrowser(app);
    for (const v of NASTY) {
      expectErrorShape(await browser.agent.post(`${AUTH}/login`).set('x-csrftoken', browser.csrf).send({ email: v, password: v }), `login ${String(v).slice(0, 40)}`);
    }
    const desk = (r: request.Test) => r.set('x-api-key', key.apiKey.key).set('x-api-secret', key.secret);
    expectErrorShape(await request(app).get('/v1/internal-api/desk-support/'), 'desk without key');
    expectErrorShape(await request(app).get('/v1/internal-api/desk-support/').set('x-api-key', key.apiKey.key).set('x-api-secret', 'wrong'), 'desk wrong secret');
    expectErrorShape(await request(app).get('/v1/internal-api/desk-support/').set('x-api-key', "' OR 1=1 --").set('x-api-secret', 'x'), 'desk injected key');
    for (const v of NASTY.filter((x): x is string => typeof x === 'string' && x.length < 1000)) {
      const res = await desk(request(app).get(`/v1/internal-api/desk-support/?order_id=${enc(v)}&email=${enc(v)}&name=${enc(v)}`));
      if (res.status !== 200) expectErrorShape(res, `desk filter ${v.slice(0, 40)}`);
      else expect(res.body, `desk filter ${v.slice(0, 40)}`).to.be.an('array');
    }
    for (const v of NASTY) {
      const at = `/v1/internal-api/desk-support/${ids.order}/`;
      if (!(Array.isArray(v) && v.length === 0) && v !== null) expectErrorShape(await desk(request(app).patch(at).send({ products: v } as object)), `desk products=${String(v).slice(0, 40)}`);
      expectErrorShape(await desk(request(app).patch(at).send({ products: [{ id: v, status: 'used' }] })), `desk id=${String(v).slice(0, 40)}`);
      expectErrorShape(await desk(request(app).patch(at).send({ products: [{ id: ids.opr, status: v }] })), `desk status=${String(v).slice(0, 40)}`);
      expectErrorShape(await desk(request(app).patch(at).send({ products: [{ id: ids.opr, options: [{ id: ids.opor, custom_response: v }] }] })), `desk answer=${String(v).slice(0, 40)}`);
    }
    for (const id of [...MALFORMED_IDS, UNKNOWN]) expectErrorShape(await desk(request(app).patch(`/v1/internal-api/desk-support/${enc(id)}/`).send({})), `desk order ${id}`);
  });

  it('wrong content types, broken JSON, unsupported charsets, huge bodies (limit 100 kB) → 4xx before any work', async () => {
    const path = '/v1/shop/orders/cart/products/';
    const raw = (type: string, body: string | Buffer) => buyer.agent.post(path).set('x-csrftoken', buyer.csrf).set('content-type', type).send(body);
    expectErrorShape(await raw('application/json', '{"product": '), 'truncated JSON');
    expectErrorShape(await raw('application/json', '{"product": "x",}'), 'trailing comma');
    expectErrorShape(await raw('text/plain', JSON.stringify({ product: ids.product, options: [] })), 'text/plain');
    expectErrorShape(await raw('application/xml', `<product>${ids.product}</product>`), 'xml');
    expectErrorShape(await raw('multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="product"\r\n\r\n1\r\n--x--'), 'multipart');
    expectErrorShape(await raw('application/json; charset=utf-7', '{}'), 'utf-7');
    expectErrorShape(await raw('application/x-www-form-urlencoded', `product=${ids.product}&options=`), 'form');
    const huge = JSON.stringify({ product: ids.product, options: [], pad: 'x'.repeat(200_000) });
    const big = await raw('application/json', huge);
    expectErrorShape(big, 'huge JSON');
    expect(big.status).to.equal(413);
    expect((await raw('application/x-www-form-urlencoded', `pad=${'x'.repeat(200_000)}`)).status).to.equal(413);
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    expectErrorShape(await raw('application/json', deep), 'deeply nested');
    expectErrorShape(await request(app).post('/v1/shop/payment-histories/').set('content-type', 'application/json').send(JSON.stringify({ imp_uid: 'x'.repeat(200_000) })), 'huge webhook');
  });

  it('missing or wrong CSRF token on every buyer write: 403 in the error shape, nothing done', async () => {
    const writes: Array<[string, string, unknown]> = [
      ['post', '/v1/shop/orders/cart/products/', { product: ids.product, options: [] }],
      ['post', '/v1/shop/orders/single/', { product: ids.product, options: [], customer_info: INFO }],
      ['post', '/v1/shop/orders/', INFO],
      ['delete', `/v1/shop/orders/cart/products/${ids.cartOpr}/`, undefined],
      ['delete', `/v1/shop/orders/${ids.order}/`, undefined],
      ['delete', `/v1/shop/orders/${ids.order}/products/${ids.opr}/`, undefined],
      ['patch', `/v1/shop/orders/${ids.order}/products/${ids.opr}/options/`, [{ order_product_option_relation: ids.opor, custom_response: 'carol' }]],
      ['delete', `${AUTH}/session`, undefined],
    ];
    for (const [method, path, body] of writes) {
      for (const token of [undefined, 'wrong', 'x'.repeat(32), buyer.csrf.slice(1)]) {
        let r = (buyer.agent as unknown as Record<string, (p: string) => request.Test>)[method]!(path);
        if (token !== undefined) r = r.set('x-csrftoken', token);
        const res = await (body === undefined ? r : r.send(body as object));
        expectErrorShape(res, `${method} ${path} token=${token}`);
        expect(res.status, `${method} ${path}`).to.equal(403);
      }
      // a right token from a foreign origin is refused too
      let r = (buyer.agent as unknown as Record<string, (p: string) => request.Test>)[method]!(path).set('x-csrftoken', buyer.csrf).set('origin', 'https://evil.example');
      const res = await (body === undefined ? r : r.send(body as object));
      expectErrorShape(res, `${method} ${path} foreign origin`);
    }
    // still signed in afterwards
    await buyer.agent.get(`${AUTH}/session`).expect(200);
  });
});

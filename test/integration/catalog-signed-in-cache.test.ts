/**
 * The signed-in catalogue's cache of the buyer's own counts (src/services/catalog-cache.ts): a warm
 * signed-in request sends only the session check; the buyer's own writes through this process show at once;
 * other processes' writes show within CATALOG_CACHE_MS; the per-buyer entries are bounded (LRU). Every answer
 * is compared byte for byte with the uncached path (`listProducts`).
 */
import { expect } from 'chai';
import pg from 'pg';
import request from 'supertest';
import type { Express } from 'express';
import type { Sequelize } from 'sequelize';
import { resetDb, countQueries, testConfig } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { signedInBuyer, type Agent } from '../helpers/auth.js';
import { makeProduct, makeGroup, makeOption, makeOrder, makeUser } from '../helpers/fixtures.js';
import { listProducts } from '../../src/services/catalog.js';
import { CatalogCache } from '../../src/services/catalog-cache.js';
import type { Product, User } from '../../src/models/index.js';

const LIST = '/v1/shop/products/';
const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };
const WEBHOOK = '/v1/shop/payment-histories/';

/** A product with a per-user limit of 3 (shown in its option group's `leftover_stock_info`). */
async function limitedProduct(): Promise<Product> {
  const p = await makeProduct({ stock: 100, maxQuantityPerUser: 3, nameKo: '한 사람 세 장' });
  const g = await makeGroup(p, { minQuantityPerProduct: 0, maxQuantityPerProduct: 1 });
  await makeOption(g, { stock: 50 });
  return p;
}

/** The buyer's remaining per-user quantity of `productId`, as the catalogue shows it. */
function perUserLeft(body: Array<{ id: string; option_groups: Array<{ leftover_stock_info: { product_max_quantity_per_user: number | null } }> }>, productId: string) {
  return body.find((p) => p.id === productId)!.option_groups[0]!.leftover_stock_info.product_max_quantity_per_user;
}

describe('signed-in catalogue: the buyer\'s own counts cached per process', () => {
  let sequelize: Sequelize;
  beforeEach(async () => {
    sequelize = await resetDb();
  });

  /** GET the list as this buyer: the answer must be the uncached one, byte for byte. */
  async function list(agent: Agent, user: User) {
    const res = await agent.get(LIST).expect(200);
    const uncached = JSON.stringify(await listProducts(sequelize, { lang: 'ko', now: new Date(), userId: user.id }));
    expect(res.text).to.equal(uncached);
    return { body: JSON.parse(res.text), statements: Number(res.headers['x-query-count']), etag: res.headers.etag as string };
  }

  it('a warm signed-in request sends one statement (the session check); a buyer without counts gets the anonymous bytes', async () => {
    const app: Express = await makeApp({ env: { QUERY_STATS: 'true' } });
    const p = await limitedProduct();
    await makeProduct({ stock: 10 });
    const { agent, user } = await signedInBuyer(app);
    await makeOrder(user, [{ product: p }]); // one paid unit: 2 left for this buyer
    const cold = await list(agent, user);
    expect(perUserLeft(cold.body, p.id)).to.equal(2);
    expect(cold.statements).to.be.greaterThan(1);
    const warm = await list(agent, user);
    expect(warm.statements, 'session check only').to.equal(1);
    expect(warm.etag).to.equal(cold.etag);
    expect(perUserLeft(warm.body, p.id)).to.equal(2);

    // another buyer with no counts at all: the anonymous answer as it is (same bytes, same ETag)
    const other = await signedInBuyer(app);
    await list(other.agent, other.user); // cold
    const otherWarm = await list(other.agent, other.user);
    expect(otherWarm.statements).to.equal(1);
    const anonymous = await request(app).get(LIST).expect(200);
    expect(anonymous.headers['x-query-count']).to.equal('0');
    expect(otherWarm.etag).to.equal(anonymous.headers.etag);
    expect(perUserLeft(otherWarm.body, p.id)).to.equal(3);
  });

  it('the buyer\'s own cart add, checkout, payment and buy-now through this process show at once', async () => {
    const app: Express = await makeApp({ env: { QUERY_STATS: 'true' } });
    const sim = await portoneSim();
    sim.reset();
    sim.setWebhookUrl(undefined);
    const p = await limitedProduct();
    const { agent, csrf, user } = await signedInBuyer(app);
    /** the list right after a write (new counts), then again (cached: the session check only) */
    const expectLeft = async (left: number, step: string) => {
      expect(perUserLeft((await list(agent, user)).body, p.id), step).to.equal(left);
      const again = await list(agent, user);
      expect(perUserLeft(again.body, p.id), step).to.equal(left);
      expect(again.statements, `${step}: warm`).to.equal(1);
    };
    await expectLeft(3, 'before');

    await agent.post('/v1/shop/orders/cart/products/').set('x-csrftoken', csrf).send({ product: p.id, options: [] }).expect(201);
    await expectLeft(2, 'after cart add');
    await agent.post('/v1/shop/orders/cart/products/').set('x-csrftoken', csrf).send({ product: p.id, options: [] }).expect(201);
    await expectLeft(1, 'after the second cart add');

    const co = (await agent.post('/v1/shop/orders/').set('x-csrftoken', csrf).send(INFO).expect(201)).body as { id: string; merchant_uid: string };
    await expectLeft(1, 'after checkout (held, still the buyer\'s)');
    const paid = await sim.pay({ merchant_uid: co.merchant_uid, notify: false });
    await request(app).post(WEBHOOK).send({ imp_uid: paid.payment.imp_uid, merchant_uid: co.merchant_uid, status: 'paid' }).expect(200);
    await expectLeft(1, 'after payment (purchased now)');

    // refund one unit of the paid order: it no longer counts
    const order = (await agent.get(`/v1/shop/orders/${co.id}/`).expect(200)).body as { products: Array<{ id: string }> };
    await agent.delete(`/v1/shop/orders/${co.id}/products/${order.products[0]!.id}/`).set('x-csrftoken', csrf).expect(204);
    await expectLeft(2, 'after a refund');

    // buy-now carts do not count until paid; the payment promotes it to an order
    const now = (await agent.post('/v1/shop/orders/single/').set('x-csrftoken', csrf).send({ product: p.id, options: [], customer_info: INFO }).expect(201)).body as {
      merchant_uid: string;
    };
    await expectLeft(2, 'after buy-now checkout');
    const paidNow = await sim.pay({ merchant_uid: now.merchant_uid, notify: false });
    await request(app).post(WEBHOOK).send({ imp_uid: paidNow.payment.imp_uid, merchant_uid: now.merchant_uid, status: 'paid' }).expect(200);
    await expectLeft(1, 'after buy-now payment');
  });

  it('a write from another connection (another process) shows within CATALOG_CACHE_MS', async function () {
    const ttl = 1500;
    const app: Express = await makeApp({ env: { QUERY_STATS: 'true', CATALOG_CACHE_MS: String(ttl) } });
    const p = await limitedProduct();
    const { agent, user } = await signedInBuyer(app);
    const cart = await makeOrder(user, [{ product: p }], null); // a cart item: taken, not sold
    const warmedAt = Date.now();
    expect(perUserLeft((await list(agent, user)).body, p.id)).to.equal(2);

    const other = new pg.Client({ connectionString: testConfig.testDatabaseUrl });
    await other.connect();
    try {
      await other.query('UPDATE order_product_relations SET deleted_at = now() WHERE order_id = $1', [cart.id]);
    } finally {
      await other.end();
    }
    // not seen by this process's write hook: the cached counts are still shown…
    const stale = await agent.get(LIST).expect(200);
    if (Date.now() - warmedAt < ttl - 200) {
      expect(perUserLeft(stale.body, p.id)).to.equal(2);
      expect(stale.headers['x-query-count']).to.equal('1');
    }
    // …until CATALOG_CACHE_MS has passed
    await new Promise((r) => setTimeout(r, Math.max(0, warmedAt + ttl + 50 - Date.now())));
    expect(perUserLeft((await list(agent, user)).body, p.id)).to.equal(3);
  });

  it('keeps at most maxUsers buyers, dropping the least recently used', async () => {
    const p = await limitedProduct();
    const users = await Promise.all(Array.from({ length: 6 }, () => makeUser()));
    for (const u of users) await makeOrder(u, [{ product: p }]);
    const cache = new CatalogCache(sequelize, 3);
    try {
      const ask = (u: User) => countQueries(() => cache.signedInJson({ lang: 'ko', now: new Date(), userId: u.id }, 60_000));
      const [u1, u2, u3, u4, u5, u6] = users as [User, User, User, User, User, User];
      await ask(u1); // also fills the catalogue rows and sold counts
      for (const u of [u2, u3, u4, u5]) expect(await ask(u), 'a new buyer: their counts').to.equal(1);
      expect(cache.cachedUsers).to.equal(3); // u3, u4, u5
      expect(await ask(u3), 'kept').to.equal(0); // now u4, u5, u3
      expect(await ask(u6)).to.equal(1); // drops u4 (least recently used): u5, u3, u6
      expect(cache.cachedUsers).to.equal(3);
      expect(await ask(u5)).to.equal(0);
      expect(await ask(u3)).to.equal(0);
      expect(await ask(u4), 'dropped').to.equal(1);
      expect(await ask(u1), 'dropped').to.equal(1);
      expect(cache.cachedUsers).to.equal(3);

      // and the answers are the uncached ones
      const json = await cache.signedInJson({ lang: 'ko', now: new Date(), userId: u1.id }, 60_000);
      expect(json.json.toString()).to.equal(JSON.stringify(await listProducts(sequelize, { lang: 'ko', now: new Date(), userId: u1.id })));
    } finally {
      cache.dispose();
    }
  });

  it('buyers missing at the same time are loaded in one statement, each with their own counts', async () => {
    const p = await limitedProduct();
    const users = await Promise.all(Array.from({ length: 5 }, () => makeUser()));
    for (const [i, u] of users.entries()) if (i % 2 === 0) await makeOrder(u, Array.from({ length: 1 + (i % 3) }, () => ({ product: p })));
    const cache = new CatalogCache(sequelize);
    try {
      await cache.anonymousJson({ lang: 'ko', now: new Date() }, 60_000); // catalogue rows and sold counts
      let answers: Array<{ json: Buffer }> = [];
      const statements = await countQueries(async () => {
        answers = await Promise.all(users.map((u) => cache.signedInJson({ lang: 'ko', now: new Date(), userId: u.id }, 60_000)));
      });
      expect(statements).to.equal(1);
      for (const [i, u] of users.entries()) {
        const uncached = JSON.stringify(await listProducts(sequelize, { lang: 'ko', now: new Date(), userId: u.id }));
        expect(answers[i]!.json.toString(), `buyer ${i}`).to.equal(uncached);
      }
    } finally {
      cache.dispose();
    }
  });

  it('one build per query at a time; a rebuild that finds the same catalogue keeps the same body (and its compressed bytes)', async () => {
    const p = await limitedProduct();
    const cache = new CatalogCache(sequelize);
    try {
      const q = () => ({ lang: 'ko' as const, now: new Date() });
      // ten requests at once on an empty cache: one answer, built once, shared
      const first = await Promise.all(Array.from({ length: 10 }, () => cache.anonymousJson(q(), 50)));
      for (const b of first) expect(b, 'the same answer object for every concurrent request').to.equal(first[0]);
      // expired (50 ms TTL), rebuilt from a reload: same bytes, so the same body object (same ETag, its
      // brotli / gzip variants kept)
      await new Promise((r) => setTimeout(r, 80));
      const again = await cache.anonymousJson(q(), 50);
      expect(again).to.equal(first[0]);
      // a change to the catalogue: a new body
      await p.update({ nameKo: '바뀐 이름' });
      const changed = await cache.anonymousJson(q(), 50);
      expect(changed).not.to.equal(first[0]);
      expect(changed.etag).not.to.equal(first[0]!.etag);
      expect(changed.json.toString()).to.include('바뀐 이름');
      expect(changed.json.toString()).to.equal(JSON.stringify(await listProducts(sequelize, q())));
    } finally {
      cache.dispose();
    }
  });

  it('many buyers in a row never grow the cache past its bound', async () => {
    await limitedProduct();
    const cache = new CatalogCache(sequelize, 5);
    try {
      for (let id = 1; id <= 40; id++) {
        await cache.signedInJson({ lang: 'ko', now: new Date(), userId: id }, 60_000);
        expect(cache.cachedUsers).to.be.at.most(5);
      }
      expect(cache.cachedUsers).to.equal(5);
    } finally {
      cache.dispose();
    }
  });
});

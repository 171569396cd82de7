/**
 * Issue #9 reliability: the database goes away in the middle of a request. The app's connections to its own
 * per-process test database are terminated (pg_terminate_backend) and new ones refused
 * (ALTER DATABASE … ALLOW_CONNECTIONS false) — never the shared server. Every request then answers 503 in
 * the error shape, a checkout cut between two of its statements leaves nothing half-written, and when the
 * database is back the app serves again without a restart.
 */
import { expect } from 'chai';
import pg from 'pg';
import type { Express } from 'express';
import type { Sequelize, Transaction } from 'sequelize';
import { resetDb, testConfig } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';
import { CustomerInfo, Order, OrderProductRelation, SingleProductCart } from '../../src/models/index.js';
import request from 'supertest';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };

async function admin<T>(fn: (c: pg.Client, db: string) => Promise<T>): Promise<T> {
  const u = new URL(testConfig.testDatabaseUrl);
  const db = u.pathname.slice(1);
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    return await fn(c, db);
  } finally {
    await c.end();
  }
}

/** Cut the database away from the app: refuse new connections, kill the open ones. */
async function outage(): Promise<void> {
  await admin(async (c, db) => {
    await c.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS false`);
    await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db]);
  });
}
async function restore(): Promise<void> {
  await admin(async (c, db) => void (await c.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`)));
}

function expect503(res: request.Response, what: string): void {
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(503);
  expect(res.body.type, what).to.equal('server_error');
  expect(res.body.errors[0].code, what).to.be.a('string');
  expect(res.body.errors[0].detail, what).to.be.a('string');
}

type HookHost = { addHook(n: string, k: string, f: (o: { transaction?: Transaction }, q: { sql?: string }) => Promise<void>): void; removeHook(n: string, k: string): void };

describe('reliability: the database goes away mid-request', function () {
  this.timeout(30_000);
  let app: Express;
  let sequelize: Sequelize;

  beforeEach(async () => {
    sequelize = await resetDb();
    app = await makeApp();
    (await portoneSim()).reset();
  });
  afterEach(async () => {
    (sequelize as unknown as HookHost).removeHook('afterQuery', 'outage');
    await restore();
  });

  /** Cut the database right after the statement matching `when` ran inside a transaction. */
  function cutAfter(when: RegExp): { fired: () => boolean } {
    let fired = false;
    (sequelize as unknown as HookHost).addHook('afterQuery', 'outage', async (options, query) => {
      if (fired || !options.transaction || !when.test(query.sql ?? '')) return;
      fired = true;
      await outage();
    });
    return { fired: () => fired };
  }

  for (const [name, when] of [
    // both checkouts send their writes and their COMMIT in one message (src/db/pipeline.ts): there is no
    // moment between them to cut, so the cut comes after their locks, before their writes
    ['buy now, under its locks before its writes', /FROM users WHERE id = .* FOR UPDATE/s],
    ['cart checkout, under its locks before its writes', /FROM users WHERE id = .* FOR UPDATE/s],
  ] as const) {
    it(`${name}: 503 in the error shape, nothing half-written, served again once the database is back`, async () => {
      const user = await makeUser();
      const p = await makeProduct({ stock: 5, price: 12000 });
      const buyer = asBuyer(app, user);
      const cart = name.startsWith('cart');
      if (cart) await buyer.post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);
      const before = { oprs: await OrderProductRelation.count(), spcs: await SingleProductCart.count(), infos: await CustomerInfo.count() };

      const trigger = cutAfter(when);
      const res = cart
        ? await buyer.post('/v1/shop/orders/', INFO)
        : await buyer.post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO });
      expect(trigger.fired(), 'the cut happened inside the checkout').to.equal(true);
      expect503(res, 'the interrupted checkout');

      // while it is gone: every request that needs it answers 503 (in the shape), health says so
      expect503(await buyer.get('/v1/shop/orders/'), 'order list');
      expect503(await buyer.post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }), 'add to cart');
      expect503(await request(app).post('/v1/shop/payment-histories/').send({ imp_uid: 'imp_x', merchant_uid: 'a.b', status: 'paid' }), 'webhook');
      const health = await request(app).get('/healthz');
      expect(health.status).to.equal(503);
      expect(health.body.database).to.equal('unavailable');

      await restore();
      // back: nothing of the interrupted checkout was kept
      await request(app).get('/healthz').expect(200);
      expect(await OrderProductRelation.count()).to.equal(before.oprs);
      expect(await SingleProductCart.count()).to.equal(before.spcs);
      expect(await CustomerInfo.count()).to.equal(before.infos);
      if (cart) {
        const order = await Order.findOne({ where: { userId: user.id } });
        expect(order!.preparedCartHash, 'the cart was not prepared').to.equal(null);
        expect(order!.stockHeldUntil, 'and holds nothing').to.equal(null);
      }
      // and the same checkout now goes through
      const again = cart
        ? await buyer.post('/v1/shop/orders/', INFO)
        : await buyer.post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO });
      expect(again.status, JSON.stringify(again.body)).to.equal(201);
      expect(again.body.merchant_uid).to.be.a('string');
    });
  }
});

/**
 * A cart paid (its payment recorded by the webhook) while a checkout of that same cart waits for the cart's
 * lock. The checkout's second statement locked the cart it found in its snapshot, taken before the wait;
 * its third statement, run after, finds the buyer's cart by the same rule and no longer finds that one (a
 * cart is an order without payment history). That is a conflict with what just happened, not a server
 * fault: 409, and nothing of the checkout written.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import type { Sequelize } from 'sequelize';
import { resetDb, untilSomeoneWaitsForALock } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };

describe('cart checkout: the cart paid while the checkout waited for its lock', () => {
  let app: Express;
  let sequelize: Sequelize;
  beforeEach(async () => {
    sequelize = await resetDb();
    app = await makeApp();
    (await portoneSim()).reset();
  });

  it('answers 409 in the error shape and writes nothing (it was a 500)', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 20000, stock: 10 });
    const buyer = asBuyer(app, user);
    await buyer.post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);
    const [[cart]] = (await sequelize.query(`SELECT id FROM orders WHERE user_id = $1 AND deleted_at IS NULL`, { bind: [user.id] })) as [
      Array<{ id: string }>,
      unknown,
    ];

    // the webhook's transaction: the cart's row lock, then its payment recorded
    const webhook = await sequelize.transaction();
    await sequelize.query(`SELECT id FROM orders WHERE id = $1 FOR UPDATE`, { bind: [cart!.id], transaction: webhook });
    await sequelize.query(`INSERT INTO payment_histories (order_id, imp_id, status, price) VALUES ($1, 'imp_race', 'completed', 20000)`, {
      bind: [cart!.id],
      transaction: webhook,
    });
    const checkout = buyer.post('/v1/shop/orders/', INFO).then((r) => r);
    try {
      await untilSomeoneWaitsForALock(sequelize);
    } finally {
      await webhook.commit();
    }
    const res = await checkout;

    expect(res.status, JSON.stringify(res.body)).to.equal(409);
    expect(res.body.type).to.equal('client_error');
    expect(res.body.errors[0].code).to.equal('cart_changed');
    // nothing of the checkout: no hold, no preparation, no customer info, nothing registered with PortOne
    const [[o]] = (await sequelize.query(
      `SELECT stock_held_until, prepared_cart_hash, (SELECT count(*)::int FROM customer_infos c WHERE c.order_id = orders.id) AS infos FROM orders WHERE id = $1`,
      { bind: [cart!.id] },
    )) as [Array<{ stock_held_until: Date | null; prepared_cart_hash: string | null; infos: number }>, unknown];
    expect(o).to.deep.equal({ stock_held_until: null, prepared_cart_hash: null, infos: 0 });
    expect(Object.keys((await portoneSim()).state.prepared)).to.have.length(0);
  });
});

/**
 * Cart checkout reads the catalogue rows BEFORE it takes the stock locks (src/services/orderability.ts
 * `sendRowsBeforeLock`), so that only the counts are read while the hot product is locked. An edit that
 * commits while the checkout waits for the product's lock must still decide the checkout, as it did when the
 * rows were read after the locks: each test holds the product's lock in an "admin" transaction that edits
 * the catalogue, lets the checkout read the old rows and queue behind that lock, then commits the edit.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import type { Sequelize, Transaction } from 'sequelize';
import { resetDb, untilSomeoneWaitsForALock } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeTag, makeUser, makeOrder, daysFromNow } from '../helpers/fixtures.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };

describe('cart checkout: catalogue rows read before the stock locks, checked against the rows locked', () => {
  let app: Express;
  let sequelize: Sequelize;
  beforeEach(async () => {
    sequelize = await resetDb();
    app = await makeApp();
    (await portoneSim()).reset();
  });

  /** Run `edit` in a transaction holding `productId`'s lock; check out meanwhile; commit the edit; the checkout's answer. */
  async function checkoutDuring(user: Parameters<typeof asBuyer>[1], productId: string, edit: (t: Transaction) => Promise<void>) {
    const admin = await sequelize.transaction();
    await sequelize.query(`SELECT id FROM products WHERE id = $1 FOR UPDATE`, { bind: [productId], transaction: admin });
    await edit(admin);
    const checkout = asBuyer(app, user).post('/v1/shop/orders/', INFO).then((r) => r);
    try {
      await untilSomeoneWaitsForALock(sequelize);
    } finally {
      await admin.commit();
    }
    return checkout;
  }

  it('a price changed while the checkout waited for the product: the new price is charged', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 20000, stock: 10 });
    await asBuyer(app, user).post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);

    const res = await checkoutDuring(user, p.id, async (t) => {
      await sequelize.query(`UPDATE products SET price = 25000 WHERE id = $1`, { bind: [p.id], transaction: t });
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body.products.map((i: { price: number }) => i.price)).to.deep.equal([25000]);
    expect((await portoneSim()).state.prepared[res.body.merchant_uid]?.amount).to.equal(25000);
  });

  it('a product closed for orders while the checkout waited: refused, nothing held', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 20000, stock: 10 });
    await asBuyer(app, user).post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);

    const res = await checkoutDuring(user, p.id, async (t) => {
      await sequelize.query(`UPDATE products SET orderable_ends_at = $2 WHERE id = $1`, { bind: [p.id, daysFromNow(-1)], transaction: t });
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(400);
    const [[held]] = (await sequelize.query(`SELECT count(*)::int AS n FROM orders WHERE stock_held_until IS NOT NULL`)) as [Array<{ n: number }>, unknown];
    expect(held!.n).to.equal(0);
  });

  it('a sold-out tag put on the product while the checkout waited: refused (its quota is checked)', async () => {
    const user = await makeUser();
    const other = await makeUser();
    const p = await makeProduct({ price: 20000, stock: 10 });
    const q = await makeProduct({ price: 10000, stock: 10 });
    const tag = await makeTag({ stock: 1 }, [q]);
    await makeOrder(other, [{ product: q }]); // the tag's one unit, sold
    await asBuyer(app, user).post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);

    const res = await checkoutDuring(user, p.id, async (t) => {
      await sequelize.query(
        `INSERT INTO product_tag_relations (id, product_id, tag_id, created_at, updated_at) VALUES (gen_random_uuid(), $1, $2, now(), now())`,
        { bind: [p.id, tag.id], transaction: t },
      );
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(400);
    expect(JSON.stringify(res.body.errors)).to.contain(tag.nameKo);
  });
});

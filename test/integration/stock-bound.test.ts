/**
 * The checkouts' counts (src/services/stock.ts `sendCheckoutCountsOf`): a product at least FAR_FROM_SOLD_OUT
 * units below its stock by the cheap bound (live paid / used / pending items) reports the bound as its sold
 * count; any other product is counted exactly (purchased units in live orders + units under a live hold).
 */
import { expect } from 'chai';
import type { Express } from 'express';
import type { Sequelize } from 'sequelize';
import { resetDb } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeUser, makeOrder, makeSingleProductCart, type ItemSpec } from '../helpers/fixtures.js';
import { Order, SingleProductCart } from '../../src/models/index.js';
import { FAR_FROM_SOLD_OUT, sendCheckoutCounts } from '../../src/services/stock.js';
import { inTransaction } from '../../src/db/pipeline.js';
import type { Product } from '../../src/models/index.js';

const INFO = { name: '구매자', phone: '010-1234-5678', email: 'buyer@example.com', organization: null };

describe('stock counts: the bound far from selling out, the exact count near it', () => {
  let sequelize: Sequelize;
  let app: Express;
  beforeEach(async () => {
    sequelize = await resetDb();
    app = await makeApp();
    (await portoneSim()).reset();
  });

  /** 3 paid units, 1 refunded, 1 in a deleted order (paid), 2 pending without a hold, 1 buy-now pending with a live hold, 1 deleted */
  async function sell(p: Product): Promise<void> {
    const buyer = await makeUser();
    const paid: ItemSpec[] = [{ product: p }, { product: p }, { product: p }, { product: p, status: 'refunded' }, { product: p, deleted: true }];
    await makeOrder(buyer, paid);
    const gone = await makeOrder(await makeUser(), [{ product: p }]);
    await Order.destroy({ where: { id: gone.id } });
    await makeOrder(await makeUser(), [{ product: p }, { product: p }], null); // a cart, no hold
    const spc = await makeSingleProductCart(await makeUser(), p);
    await SingleProductCart.update({ stockHeldUntil: new Date(Date.now() + 600_000) }, { where: { id: spc.id } });
  }
  // exact: 3 paid + 1 held = 4; bound: 3 paid + 1 paid in the deleted order + 2 cart + 1 held = 7
  const EXACT = 4;
  const BOUND = 7;

  const counted = (ids: string[]) =>
    inTransaction(sequelize, (t) => sendCheckoutCounts(sequelize, t, { productIds: ids, groupIds: [] }, 0, { now: new Date() }));

  it('reports the bound (never below the exact count) only when it leaves FAR_FROM_SOLD_OUT units; else counts exactly', async () => {
    const far = await makeProduct({ stock: FAR_FROM_SOLD_OUT + BOUND }); // bound = stock − margin: far
    const near = await makeProduct({ stock: FAR_FROM_SOLD_OUT + BOUND - 1 }); // one unit nearer: exact
    const small = await makeProduct({ stock: 10 }); // a ticket: always exact
    for (const p of [far, near, small]) await sell(p);
    const { sold } = await counted([far.id, near.id, small.id]);
    expect([sold.product.get(far.id), sold.product.get(near.id), sold.product.get(small.id)]).to.deep.equal([BOUND, EXACT, EXACT]);
  });

  it('a checkout far from selling out passes as it would with the exact count; near it, the exact count decides', async () => {
    const far = await makeProduct({ stock: FAR_FROM_SOLD_OUT + BOUND, price: 1000 });
    await sell(far);
    const buyer = asBuyer(app, await makeUser());
    const res = await buyer.post('/v1/shop/orders/single/', { product: far.id, options: [], customer_info: INFO });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);

    // the last unit by the exact count (stock 5, 4 consuming) — none by the bound (7): counted exactly, it sells;
    // then the product is sold out for the next buyer
    const tight = await makeProduct({ stock: EXACT + 1, price: 1000 });
    await sell(tight);
    const ok = await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', { product: tight.id, options: [], customer_info: INFO });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    const late = await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', { product: tight.id, options: [], customer_info: INFO });
    expect(late.status, JSON.stringify(late.body)).to.equal(400);
  });
});

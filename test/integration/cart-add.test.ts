/**
 * Cart add writes the cart (first add), the item, its option answers and their audit rows in one statement
 * and reads its answer in the same one. These tests pin that it stays equal to the generic path
 * (Sequelize create + the audit hooks of src/models/index.ts) and that its statement count does not grow back.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import type { Sequelize } from 'sequelize';
import { resetDb, countQueries } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeGroup, makeOption, makeUser } from '../helpers/fixtures.js';
import { AuditLog, Order, OrderProductRelation, OrderProductOptionRelation } from '../../src/models/index.js';
import { runAs } from '../../src/context.js';

const PATH = '/v1/shop/orders/cart/products/';

type Audit = { tableName: string; recordId: string; action: string; actorUserId: number | null; actorLabel: string | null; reason: string | null; before: unknown; after: Record<string, unknown> };

async function auditsAfter(id: number): Promise<Audit[]> {
  const rows = await AuditLog.findAll({ order: [['id', 'ASC']] });
  return rows.filter((r) => Number(r.id) > id).map((r) => {
    const { id: _id, createdAt: _at, ...rest } = r.get({ plain: true }) as Record<string, unknown>;
    return rest as Audit;
  });
}

/** An audit row with its generated ids and timestamps replaced by names, for comparing two paths. */
function normalize(a: Audit, names: Map<string, string>): Audit {
  const name = (v: unknown) => (typeof v === 'string' && names.has(v) ? names.get(v)! : v);
  const after = Object.fromEntries(
    Object.entries(a.after).map(([k, v]) => [k, k === 'createdAt' || k === 'updatedAt' ? (typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v) ? 'ISO' : v) : name(v)]),
  );
  return { ...a, recordId: name(a.recordId) as string, after };
}

describe('cart add (one-statement write)', () => {
  let app: Express;
  let sequelize: Sequelize;
  beforeEach(async () => {
    sequelize = await resetDb();
    app = await makeApp();
  });

  it('writes the same audit rows (fields, before/after, order) as Sequelize create with the audit hooks', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 20000 });
    const g = await makeGroup(p, { minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    const xl = await makeOption(g, { nameKo: 'XL', additionalPrice: 3000 });
    const free = await makeGroup(p, { isCustomResponse: true, customResponsePattern: '^.+$' });
    const options = [
      { product_option_group: g.id, product_option: xl.id, custom_response: null },
      { product_option_group: free.id, product_option: null, custom_response: '홍길동' },
    ];
    const mark = Number((await AuditLog.max('id')) ?? 0);
    const res = await asBuyer(app, user).post(PATH, { product: p.id, options, donation_price: 0 }).expect(201);
    const viaCartAdd = await auditsAfter(mark);

    // every audit row's `after` holds exactly the stored row (timestamps to the millisecond, as JS serializes)
    const cart = (await Order.findByPk(res.body.id))!;
    const item = (await OrderProductRelation.findOne({ where: { orderId: cart.id } }))!;
    const answers = await OrderProductOptionRelation.findAll({ where: { orderProductRelationId: item.id }, order: [['createdAt', 'ASC']] });
    const stored = (row: Order | OrderProductRelation | OrderProductOptionRelation) => JSON.parse(JSON.stringify(row.get({ plain: true })));
    expect(viaCartAdd.map((a) => a.after)).to.deep.equal([stored(cart), stored(item), ...answers.map(stored)]);
    expect(answers.map((a) => a.productOptionGroupId)).to.deep.equal([g.id, free.id]);

    // the generic path: the same rows written through the models (their hooks write the audit rows)
    const mark2 = Number(await AuditLog.max('id'));
    const ref = await runAs({ userId: user.id, label: `user:${user.id}` }, () =>
      sequelize.transaction(async (t) => {
        const o = await Order.create({ userId: user.id, nameKo: '', nameEn: '' }, { transaction: t });
        const opr = await OrderProductRelation.create({ orderId: o.id, productId: p.id, status: 'pending', price: 23000, donationPrice: 0 }, { transaction: t });
        const ans = [];
        for (const x of options) {
          ans.push(await OrderProductOptionRelation.create(
            { orderProductRelationId: opr.id, productOptionGroupId: x.product_option_group, productOptionId: x.product_option, customResponse: x.custom_response },
            { transaction: t },
          ));
        }
        return { o, opr, ans };
      }),
    );
    const viaHooks = await auditsAfter(mark2);
    const namesA = new Map([[cart.id, 'ORDER'], [item.id, 'ITEM'], ...answers.map((a, i) => [a.id, `ANSWER${i}`] as [string, string])]);
    const namesB = new Map([[ref.o.id, 'ORDER'], [ref.opr.id, 'ITEM'], ...ref.ans.map((a, i) => [a.id, `ANSWER${i}`] as [string, string])]);
    expect(viaCartAdd.map((a) => normalize(a, namesA))).to.deep.equal(viaHooks.map((a) => normalize(a, namesB)));
    expect(viaCartAdd.map((a) => [a.tableName, a.action, a.actorUserId, a.actorLabel, a.before])).to.deep.equal([
      ['orders', 'create', user.id, `user:${user.id}`, null],
      ['order_product_relations', 'create', user.id, `user:${user.id}`, null],
      ['order_product_option_relations', 'create', user.id, `user:${user.id}`, null],
      ['order_product_option_relations', 'create', user.id, `user:${user.id}`, null],
    ]);
  });

  it('answers with exactly what GET /cart/ shows afterwards', async () => {
    const user = await makeUser();
    const b = asBuyer(app, user);
    const p = await makeProduct();
    const g = await makeGroup(p);
    const o1 = await makeOption(g, { nameKo: 'A' });
    await b.post(PATH, { product: p.id, options: [] }).expect(201);
    const added = await b.post(PATH, { product: p.id, options: [{ product_option_group: g.id, product_option: o1.id, custom_response: null }] }).expect(201);
    const cart = await b.get('/v1/shop/orders/cart/').expect(200);
    expect(JSON.stringify(added.body)).to.equal(JSON.stringify(cart.body));
    expect(added.body.products).to.have.length(2);
  });

  it('costs 3 statements (besides BEGIN/COMMIT), first add or not, with option answers', async () => {
    const user = await makeUser();
    const b = asBuyer(app, user);
    const p = await makeProduct();
    const g = await makeGroup(p);
    const o1 = await makeOption(g);
    const first = await countQueries(() => b.post(PATH, { product: p.id, options: [] }).expect(201));
    const next = await countQueries(() => b.post(PATH, { product: p.id, options: [{ product_option_group: g.id, product_option: o1.id, custom_response: null }] }).expect(201));
    // buyer lock + catalogue rows; counts + cart lock; cart/item/answers/audit rows + the view
    expect([first, next]).to.deep.equal([3, 3]);
  });

  it('concurrent first adds of one buyer make one cart holding every item', async () => {
    const user = await makeUser();
    const b = asBuyer(app, user);
    const p = await makeProduct();
    const answers = await Promise.all(Array.from({ length: 8 }, () => b.post(PATH, { product: p.id, options: [] })));
    expect(answers.map((r) => r.status)).to.deep.equal(Array(8).fill(201));
    const carts = await Order.findAll({ where: { userId: user.id } });
    expect(carts).to.have.length(1);
    expect(await OrderProductRelation.count({ where: { orderId: carts[0]!.id } })).to.equal(8);
    expect(new Set(answers.map((r) => r.body.id))).to.deep.equal(new Set([carts[0]!.id]));
  });

  it('adding to a prepared cart clears the preparation, with its audit row, as before', async () => {
    const user = await makeUser();
    const b = asBuyer(app, user);
    const p = await makeProduct();
    const first = await b.post(PATH, { product: p.id, options: [] }).expect(201);
    await Order.update({ preparedCartHash: 'abcdef0123456789', preparedCartSnapshot: { price: 10000 }, stockHeldUntil: new Date(Date.now() + 60_000) }, { where: { id: first.body.id } });
    const mark = Number(await AuditLog.max('id'));
    const added = await b.post(PATH, { product: p.id, options: [] }).expect(201);
    expect(added.body.merchant_uid).to.equal(null);
    const cart = (await Order.findByPk(first.body.id))!;
    expect([cart.preparedCartHash, cart.preparedCartSnapshot, cart.stockHeldUntil]).to.deep.equal([null, null, null]);
    const audits = await auditsAfter(mark);
    expect(audits.map((a) => [a.tableName, a.action])).to.deep.equal([['orders', 'update'], ['order_product_relations', 'create']]);
    expect(audits[0]!.before).to.deep.include({ preparedCartHash: 'abcdef0123456789', preparedCartSnapshot: { price: 10000 } });
    expect(audits[0]!.after).to.deep.equal({ preparedCartHash: null, preparedCartSnapshot: null, stockHeldUntil: null });
  });
});

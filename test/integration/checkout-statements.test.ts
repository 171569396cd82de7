/**
 * Buy-now and cart checkout in few statements (src/services/checkout-sql.ts): they write the same rows and
 * the same audit rows as the generic path (Sequelize create / update + the audit hooks of
 * src/models/index.ts), and their statement counts do not grow back.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import type { Sequelize } from 'sequelize';
import { resetDb, countQueries } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeGroup, makeOption, makeUser, makeTag } from '../helpers/fixtures.js';
import { AuditLog, CustomerInfo, Order, OrderProductRelation, OrderProductOptionRelation, SingleProductCart } from '../../src/models/index.js';
import { runAs } from '../../src/context.js';
import { merchantUid } from '../../src/domain/checkout/snapshot.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };

type Audit = { tableName: string; recordId: string; action: string; actorUserId: number | null; actorLabel: string | null; reason: string | null; before: Record<string, unknown> | null; after: Record<string, unknown> | null };

async function auditsAfter(id: number): Promise<Audit[]> {
  const rows = await AuditLog.findAll({ order: [['id', 'ASC']] });
  return rows.filter((r) => Number(r.id) > id).map((r) => {
    const { id: _id, createdAt: _at, ...rest } = r.get({ plain: true }) as Record<string, unknown>;
    return rest as Audit;
  });
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** Generated ids, timestamps and preparation values replaced by names / placeholders, for comparing two paths. */
function normalize(a: Audit, names: Map<string, string>): Audit {
  const name = (v: unknown) => (typeof v === 'string' && names.has(v) ? names.get(v)! : v);
  const clean = (o: Record<string, unknown> | null) =>
    o &&
    Object.fromEntries(
      Object.entries(o).map(([k, v]) => {
        if (typeof v === 'string' && ISO.test(v)) return [k, 'ISO'];
        if (k === 'preparedCartSnapshot' && v) return [k, 'SNAPSHOT'];
        if (k === 'preparedCartHash' && v) return [k, 'HASH'];
        if (k === 'requestFingerprint' && v) return [k, 'FINGERPRINT'];
        return [k, name(v)];
      }),
    );
  return { ...a, recordId: name(a.recordId) as string, before: clean(a.before), after: clean(a.after) };
}

describe('checkouts in few statements (same rows, same audit rows)', () => {
  let app: Express;
  let sequelize: Sequelize;
  beforeEach(async () => {
    sequelize = await resetDb();
    app = await makeApp();
    (await portoneSim()).reset();
  });

  it('buy now: the audit rows of createItem + SingleProductCart.create + CustomerInfo.create + the preparation update, in order', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 20000, stock: 10 });
    const g = await makeGroup(p, { minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    const xl = await makeOption(g, { nameKo: 'XL', additionalPrice: 3000 });
    const free = await makeGroup(p, { isCustomResponse: true, customResponsePattern: '^.+$' });
    const options = [
      { product_option_group: g.id, product_option: xl.id, custom_response: null },
      { product_option_group: free.id, product_option: null, custom_response: '홍길동' },
    ];
    const mark = Number((await AuditLog.max('id')) ?? 0);
    const res = await asBuyer(app, user).post('/v1/shop/orders/single/', { product: p.id, options, customer_info: INFO }).expect(201);
    const viaSql = await auditsAfter(mark);

    // every created row's audit `after` is the row as stored (its state right after create)
    const spc = (await SingleProductCart.findByPk(res.body.id))!;
    const item = (await OrderProductRelation.findByPk(spc.orderProductRelationId))!;
    const answers = await OrderProductOptionRelation.findAll({ where: { orderProductRelationId: item.id }, order: [['createdAt', 'ASC']] });
    const info = (await CustomerInfo.findOne({ where: { singleProductCartId: spc.id } }))!;
    const stored = (row: { get(o: { plain: true }): unknown }) => JSON.parse(JSON.stringify(row.get({ plain: true })));
    expect(viaSql.slice(0, 3).map((a) => a.after)).to.deep.equal([stored(item), ...answers.map(stored)]);
    expect(viaSql[4]!.after).to.deep.equal(stored(info));
    expect(viaSql[5]!.after).to.deep.equal({ preparedCartSnapshot: spc.preparedCartSnapshot, preparedCartHash: spc.preparedCartHash, stockHeldUntil: spc.stockHeldUntil!.toISOString() });
    expect(res.body.merchant_uid).to.equal(merchantUid(spc.id, spc.preparedCartHash!));

    // the generic path: the same writes through the models
    const mark2 = Number(await AuditLog.max('id'));
    const ref = await runAs({ userId: user.id, label: `user:${user.id}` }, () =>
      sequelize.transaction(async (t) => {
        const opr = await OrderProductRelation.create({ orderId: null, productId: p.id, status: 'pending', price: 23000, donationPrice: 0 }, { transaction: t });
        const ans = [];
        for (const x of options) {
          ans.push(await OrderProductOptionRelation.create(
            { orderProductRelationId: opr.id, productOptionGroupId: x.product_option_group, productOptionId: x.product_option, customResponse: x.custom_response },
            { transaction: t },
          ));
        }
        const s = await SingleProductCart.create({ userId: user.id, orderProductRelationId: opr.id, requestFingerprint: 'f' }, { transaction: t });
        const ci = await CustomerInfo.create({ singleProductCartId: s.id, ...INFO }, { transaction: t });
        await s.update({ preparedCartSnapshot: { a: 1 }, preparedCartHash: 'h', stockHeldUntil: new Date() }, { transaction: t });
        return { opr, ans, s, ci };
      }),
    );
    const viaHooks = await auditsAfter(mark2);
    const namesA = new Map([[spc.id, 'SPC'], [item.id, 'ITEM'], [info.id, 'INFO'], ...answers.map((a, i) => [a.id, `ANSWER${i}`] as [string, string])]);
    const namesB = new Map([[ref.s.id, 'SPC'], [ref.opr.id, 'ITEM'], [ref.ci.id, 'INFO'], ...ref.ans.map((a, i) => [a.id, `ANSWER${i}`] as [string, string])]);
    expect(viaSql.map((a) => normalize(a, namesA))).to.deep.equal(viaHooks.map((a) => normalize(a, namesB)));
  });

  it('cart checkout: the audit rows of the re-pricing, the customer info and the preparation updates, in order', async () => {
    const user = await makeUser();
    const p = await makeProduct({ price: 20000, stock: 10 });
    const q = await makeProduct({ price: 5000 });
    const b = asBuyer(app, user);
    const first = (await b.post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201)).body as { id: string };
    await b.post('/v1/shop/orders/cart/products/', { product: q.id, options: [] }).expect(201);
    const created = await b.post('/v1/shop/orders/', { ...INFO, name: '처음 이름' }).expect(201); // a customer info to update later
    // the answer is the cart's view read with its lock with the written rows laid over it: what GET shows
    // afterwards (info created)
    expect(created.body).to.deep.equal((await b.get('/v1/shop/orders/cart/').expect(200)).body);
    expect(created.body.customer_info.name).to.equal('처음 이름');
    await p.update({ price: 25000 }); // the item is re-priced at the next checkout
    // another holder's update of the cart (an operator): the next update names the acting buyer again
    const operator = await makeUser({ isStaff: true });
    await runAs({ userId: operator.id, label: 'op' }, () => Order.update({ nameKo: '운영자 수정' }, { where: { id: first.id }, individualHooks: true }));

    const cart = (await Order.findByPk(first.id))!;
    const items = await OrderProductRelation.findAll({ where: { orderId: cart.id }, order: [['createdAt', 'ASC']] });
    const infoBefore = (await CustomerInfo.findOne({ where: { orderId: cart.id } }))!;
    const mark = Number(await AuditLog.max('id'));
    const res = await b.post('/v1/shop/orders/', INFO).expect(201);
    const viaSql = await auditsAfter(mark);
    const after = (await Order.findByPk(cart.id))!;
    expect(res.body.merchant_uid).to.equal(merchantUid(cart.id, after.preparedCartHash!));
    expect(res.body.products.map((i: { price: number }) => i.price)).to.deep.equal([25000, 5000]);
    // (re-priced item, info and cart as the write statement returned them, laid over the view)
    expect(res.body).to.deep.equal((await b.get('/v1/shop/orders/cart/').expect(200)).body);
    expect(res.body.customer_info.name).to.equal(INFO.name);

    // the generic path on a copy of the same state, through the models
    const mark2 = Number(await AuditLog.max('id'));
    await runAs({ userId: operator.id, label: 'op' }, () => Order.update({ nameKo: '운영자 수정' }, { where: { id: cart.id }, individualHooks: true }));
    const mark3 = Number(await AuditLog.max('id'));
    const fresh = (await Order.findByPk(cart.id))!;
    await runAs({ userId: user.id, label: `user:${user.id}` }, () =>
      sequelize.transaction(async (t) => {
        const [i0] = await OrderProductRelation.findAll({ where: { orderId: cart.id }, order: [['createdAt', 'ASC']], transaction: t });
        await i0!.update({ price: 30000 }, { transaction: t });
        const ci = (await CustomerInfo.findOne({ where: { orderId: cart.id }, transaction: t }))!;
        await ci.update({ ...INFO, name: '다른 이름' }, { transaction: t });
        await fresh.update({ nameKo: after.nameKo, nameEn: after.nameEn, preparedCartSnapshot: { a: 1 }, preparedCartHash: 'h', stockHeldUntil: new Date() }, { transaction: t });
      }),
    );
    expect(mark2).to.be.greaterThan(mark);
    const viaHooks = await auditsAfter(mark3);
    const names = new Map([[cart.id, 'CART'], [items[0]!.id, 'ITEM0'], [items[1]!.id, 'ITEM1'], [infoBefore.id, 'INFO']]);
    const shape = (a: Audit) => {
      const n = normalize(a, names);
      return { table: n.tableName, record: n.recordId, action: n.action, actor: n.actorLabel, fields: Object.keys(n.after ?? {}).sort(), before: Object.keys(n.before ?? {}).sort() };
    };
    expect(viaSql.map(shape)).to.deep.equal(viaHooks.map(shape));
    expect(viaSql.map((a) => [a.tableName, a.action])).to.deep.equal([
      ['order_product_relations', 'update'],
      ['customer_infos', 'update'],
      ['orders', 'update'],
    ]);
    expect(viaSql[0]!.before).to.deep.equal({ price: 20000 });
    expect(viaSql[0]!.after).to.deep.equal({ price: 25000 });
    expect(viaSql[1]!.before).to.deep.equal({ name: '처음 이름' });
    expect(viaSql[2]!.before!.updatedById).to.equal(operator.id);
    expect(viaSql[2]!.after!.updatedById).to.equal(user.id);
    expect(viaSql[2]!.after!.preparedCartHash).to.equal(after.preparedCartHash);
  });

  it('statements: buy now 5, cart checkout 6 (besides BEGIN/COMMIT; + the session read over HTTP)', async () => {
    const user = await makeUser();
    const tagged = await makeProduct({ stock: 10 });
    await makeTag({ stock: 100 }, [tagged]);
    const b = asBuyer(app, user);
    const buyNow = await countQueries(() => b.post('/v1/shop/orders/single/', { product: tagged.id, options: [], customer_info: INFO }).expect(201));
    await b.post('/v1/shop/orders/cart/products/', { product: tagged.id, options: [] }).expect(201);
    await b.post('/v1/shop/orders/cart/products/', { product: (await makeProduct()).id, options: [] }).expect(201);
    const cart = await countQueries(() => b.post('/v1/shop/orders/', INFO).expect(201));
    // buy now: buyer + product + tag locks; same-request check; catalogue rows; counts; every write + the view
    // cart: buyer lock; cart lock + the view; rows (before the stock locks); items + answers + info + product /
    // tag locks; counts + the versions of the rows read (behind the locks); every write
    expect([buyNow, cart]).to.deep.equal([5, 6]);
  });

  it('cart checkout with option answers: its rows go before its stock locks, its counts behind them (still 6 statements) and count the option held meanwhile', async () => {
    const p = await makeProduct({ stock: 10 });
    const g = await makeGroup(p, { minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    const last = await makeOption(g, { stock: 1 });
    const answer = { product: p.id, options: [{ product_option_group: g.id, product_option: last.id, custom_response: null }] };
    const first = asBuyer(app, await makeUser());
    const second = asBuyer(app, await makeUser());
    for (const b of [first, second]) {
      const added = await b.post('/v1/shop/orders/cart/products/', answer);
      expect(added.status, JSON.stringify(added.body)).to.equal(201);
    }
    // the ids the rows and counts statements take from the cart (in SQL) are the ones the answers name, and
    // nothing changed in between: no second read (that would be 2 more statements)
    expect(await countQueries(() => first.post('/v1/shop/orders/', INFO).expect(201))).to.equal(6);
    // the first checkout holds the option's last unit: the second buyer's checkout counts it and is refused
    const refused = await second.post('/v1/shop/orders/', INFO).expect(400);
    expect(JSON.stringify(refused.body), JSON.stringify(refused.body)).to.match(/sold|품절|재고/i);
  });
});

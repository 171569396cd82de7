/**
 * "Change an order" through the panel's own HTTP API (the item record action `changeOption`, as the panel's
 * browser code calls it): a paid item's T-shirt size swapped within stock, caps and windows, at equal price,
 * audited, the ledger untouched; refusals with their codes; viewers refused; and two operators racing for the
 * last unit — exactly one wins.
 */
import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { resetDb, testDb } from '../helpers/db.js';
import { changeItemOptions } from '../../src/services/order-changes.js';
import { createCompOrder } from '../../src/services/comp-orders.js';
import { ServiceError } from '../../src/services/errors.js';
import { adminApp, adminLogin, makeStaff, type Agent } from '../helpers/admin.js';
import { makeGroup, makeOption, makeOrder, makeProduct, makeUser, daysFromNow } from '../helpers/fixtures.js';
import {
  AuditLog,
  Option,
  OptionGroup,
  OrderProductOptionRelation,
  OrderProductRelation,
  PaymentHistory,
  Product,
  SingleProductCart,
  User,
} from '../../src/models/index.js';
import { asBuyer } from '../helpers/buyer.js';

const API = '/admin/api/resources';
const ITEMS = `${API}/order_product_relations/records`;

describe('admin: change an order (swap a paid item\'s option)', function () {
  this.timeout(60_000);
  let app: Express;
  let manager: User;
  let m: Agent;
  let v: Agent;
  let shirt: Product;
  let size: OptionGroup;
  let badge: OptionGroup;
  let S: Option, M: Option, L: Option, XL: Option;

  before(async () => {
    ({ app } = await adminApp());
  });

  beforeEach(async () => {
    await resetDb();
    manager = await makeStaff('manager', { email: 'manager@example.com' });
    const viewer = await makeStaff('viewer', { email: 'viewer@example.com' });
    m = await adminLogin(app, manager.email);
    v = await adminLogin(app, viewer.email);
    shirt = await makeProduct({ nameKo: '티셔츠 포함 티켓', price: 30000 });
    size = await makeGroup(shirt, { nameKo: '사이즈', minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    S = await makeOption(size, { nameKo: 'S', stock: 10, priority: 1 });
    M = await makeOption(size, { nameKo: 'M', stock: 1, priority: 2 });
    L = await makeOption(size, { nameKo: 'L', stock: 10, maxQuantityPerUser: 1, priority: 3 });
    XL = await makeOption(size, { nameKo: 'XL', stock: 10, additionalPrice: 5000, priority: 4 });
    badge = await makeGroup(shirt, { nameKo: '배지 이름', isCustomResponse: true, customResponsePattern: '.*' });
  });

  /** A paid order of a new buyer (or `user`) holding one shirt ticket with size `option` and a badge answer. */
  async function paidItem(option: Option, user?: User, status: 'completed' | 'partial_refunded' = 'completed', itemStatus: 'paid' | 'used' | 'refunded' = 'paid') {
    const buyer = user ?? (await makeUser());
    const order = await makeOrder(buyer, [{ product: shirt, status: itemStatus, options: [{ group: size, option }, { group: badge, customResponse: '@파이' }] }], status);
    const item = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
    const answers = await OrderProductOptionRelation.findAll({ where: { orderProductRelationId: item.id } });
    return { order, item, sizeAnswer: answers.find((a) => a.productOptionGroupId === size.id)!, badgeAnswer: answers.find((a) => a.productOptionGroupId === badge.id)!, buyer };
  }

  const change = (agent: Agent, itemId: string, changes: unknown, reason?: string) =>
    agent.post(`${ITEMS}/${itemId}/changeOption`).type('form').send({ changes: JSON.stringify(changes), ...(reason ? { reason } : {}) });

  /** What must not move when a change is refused: the answers, the ledger, the item's price, and no audit row of the action. */
  async function unchanged(x: Awaited<ReturnType<typeof paidItem>>, option: Option) {
    expect((await x.sizeAnswer.reload()).productOptionId).to.equal(option.id);
    expect((await x.item.reload()).price).to.equal(30000 + option.additionalPrice);
    expect(await AuditLog.count({ where: { action: 'shop.order.item_options_changed' } })).to.equal(0);
    expect(await AuditLog.count({ where: { tableName: 'order_product_option_relations', action: 'update' } })).to.equal(0);
  }

  const leftoverInCatalog = async (optionId: string) => {
    const list = await request(app).get('/v1/shop/products/').expect(200);
    const product = (list.body as Array<{ id: string; option_groups: Array<{ options: Array<{ id: string; leftover_stock: number | null }> }> }>).find((p) => p.id === shirt.id)!;
    return product.option_groups.flatMap((g) => g.options).find((o) => o.id === optionId)!.leftover_stock;
  };

  it('swaps S → L: preview with the stock left per option, the change, one audit row per answer and one on the order; price, ledger and the free-text answer untouched', async () => {
    const x = await paidItem(S);
    await paidItem(S); // another buyer's S: S has 8 left for others
    expect([await leftoverInCatalog(S.id), await leftoverInCatalog(L.id)]).to.deep.equal([8, 10]);
    const ledgerBefore = (await PaymentHistory.findAll({ where: { orderId: x.order.id } })).map((h) => [h.status, h.price]);

    const preview = (await m.get(`${ITEMS}/${x.item.id}/changeOption`).expect(200)).body.preview;
    expect(preview).to.include({ orderId: x.order.id, itemId: x.item.id, productName: '티셔츠 포함 티켓', price: 30000, refusal: null, orderStatus: 'completed', itemStatus: 'paid' });
    const sizeRow = preview.answers.find((a: { id: string }) => a.id === x.sizeAnswer.id);
    expect(sizeRow).to.deep.include({ groupName: '사이즈', refusal: null, current: { id: S.id, name: 'S', additionalPrice: 0 } });
    expect(sizeRow.choices.map((c: { name: string; leftover: number; current: boolean; refusal: string | null }) => [c.name, c.leftover, c.current, c.refusal === null])).to.deep.equal([
      ['S', 8, true, false], // as the catalogue shows it
      ['M', 1, false, true],
      ['L', 10, false, true],
      ['XL', 10, false, false], // +5,000원: the price would change
    ]);
    const badgeRow = preview.answers.find((a: { id: string }) => a.id === x.badgeAnswer.id);
    expect(badgeRow).to.deep.include({ isCustomResponse: true, customResponse: '@파이', choices: [] });
    expect(badgeRow.refusal).to.match(/직접 입력/);

    const ok = await change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: L.id }], '사이즈 교환 요청');
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect(ok.body.notice).to.deep.include({ type: 'success' });
    expect(ok.body.notice.message).to.include('사이즈: S → L');
    expect(ok.body.outcome).to.deep.equal({
      orderId: x.order.id,
      itemId: x.item.id,
      changes: [{ answer: x.sizeAnswer.id, group: '사이즈', from: { id: S.id, name: 'S', additionalPrice: 0 }, to: { id: L.id, name: 'L', additionalPrice: 0 } }],
    });
    expect(ok.body.preview.answers.find((a: { id: string }) => a.id === x.sizeAnswer.id).current.name).to.equal('L');

    expect((await x.sizeAnswer.reload()).productOptionId).to.equal(L.id);
    expect((await x.badgeAnswer.reload()).customResponse).to.equal('@파이');
    expect((await x.item.reload()).price).to.equal(30000);
    expect(x.item.status).to.equal('paid');
    expect((await PaymentHistory.findAll({ where: { orderId: x.order.id } })).map((h) => [h.status, h.price])).to.deep.equal(ledgerBefore);

    const rowAudit = await AuditLog.findAll({ where: { tableName: 'order_product_option_relations', recordId: x.sizeAnswer.id, action: 'update' } });
    expect(rowAudit).to.have.length(1);
    expect(rowAudit[0]!.actorUserId).to.equal(manager.id);
    expect(rowAudit[0]!.actorLabel).to.equal(`user:${manager.id}`);
    expect(rowAudit[0]!.before).to.include({ productOptionId: S.id });
    expect(rowAudit[0]!.after).to.include({ productOptionId: L.id, updatedById: manager.id });
    const orderAudit = await AuditLog.findAll({ where: { tableName: 'orders', recordId: x.order.id, action: 'shop.order.item_options_changed' } });
    expect(orderAudit).to.have.length(1);
    expect(orderAudit[0]!).to.deep.include({ actorUserId: manager.id, reason: '사이즈 교환 요청' });
    expect(orderAudit[0]!.before).to.deep.equal({ item: x.item.id, product: '티셔츠 포함 티켓', options: [{ answer: x.sizeAnswer.id, group: '사이즈', option_id: S.id, option: 'S' }] });
    expect(orderAudit[0]!.after).to.deep.equal({ item: x.item.id, product: '티셔츠 포함 티켓', options: [{ answer: x.sizeAnswer.id, group: '사이즈', option_id: L.id, option: 'L' }], price: 30000 });
    // the order's history page lists it
    const history = await m.get(`${API}/orders/records/${x.order.id}/history`).expect(200);
    expect(JSON.stringify(history.body.history)).to.include('shop.order.item_options_changed');

    // stock followed the unit: S gave one back, L took one
    expect([await leftoverInCatalog(S.id), await leftoverInCatalog(L.id)]).to.deep.equal([9, 9]);
  });

  it('refuses an option sold out to others (400 OPTION_SOLDOUT) and keeps everything as it was', async () => {
    await paidItem(M); // the only M
    const x = await paidItem(S);
    const res = await change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: M.id }]);
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.include({ type: 'validation_error' });
    expect(res.body.errors[0]).to.deep.include({ code: 'OPTION_SOLDOUT', attr: 'non_field_errors' });
    expect(res.body.notice).to.deep.include({ type: 'error' });
    await unchanged(x, S);
    // the preview says so before anyone tries
    const preview = (await m.get(`${ITEMS}/${x.item.id}/changeOption`).expect(200)).body.preview;
    const mChoice = preview.answers[0].choices.find((c: { id: string }) => c.id === M.id);
    expect(mChoice.leftover).to.equal(0);
    expect(mChoice.refusal).to.match(/매진/);
  });

  it('refuses the per-buyer cap of the option (400 OPTION_ALREADY_ORDERED_TOO_MUCH): the buyer already holds an L', async () => {
    const buyer = await makeUser();
    await paidItem(L, buyer);
    const x = await paidItem(S, buyer);
    const res = await change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: L.id }]);
    expect(res.status).to.equal(400);
    expect(res.body.errors[0]).to.deep.include({ code: 'OPTION_ALREADY_ORDERED_TOO_MUCH' });
    await unchanged(x, S);
    // another buyer may take an L
    const y = await paidItem(S);
    await change(m, y.item.id, [{ answer: y.sizeAnswer.id, option: L.id }]).expect(200);
  });

  it('refuses a change of price (400 option_price_differs) and the option group’s own closed window (OPTION_GROUP_NOT_ORDERABLE_TIME), not the product’s', async () => {
    const x = await paidItem(S);
    const res = await change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: XL.id }]);
    expect(res.status).to.equal(400);
    expect(res.body.errors).to.deep.equal([{ code: 'option_price_differs', detail: res.body.errors[0].detail, attr: 'changes' }]);
    expect(res.body.errors[0].detail).to.include('5,000원');
    await unchanged(x, S);

    // a cutoff set on the choice itself is honoured
    await size.update({ orderableEndsAt: daysFromNow(-1), orderableStartsAt: daysFromNow(-30) });
    const closed = await change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: L.id }]);
    expect(closed.status).to.equal(400);
    expect(closed.body.errors[0]).to.deep.include({ code: 'OPTION_GROUP_NOT_ORDERABLE_TIME' });
    await unchanged(x, S);

    // the product's sale has closed (and it is hidden), the choice has no cutoff: a paid buyer's swap goes through
    await size.update({ orderableEndsAt: null, orderableStartsAt: null });
    await shirt.update({ orderableStartsAt: daysFromNow(-30), orderableEndsAt: daysFromNow(-1), visibleEndsAt: daysFromNow(-1) });
    await change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: L.id }]).expect(200);
    expect((await x.sizeAnswer.reload()).productOptionId).to.equal(L.id);
  });

  it('refuses refunded items, unpaid orders, free-text answers, foreign answers and bad payloads; nothing is written', async () => {
    const refunded = await paidItem(S, undefined, 'partial_refunded', 'refunded');
    const r1 = await change(m, refunded.item.id, [{ answer: refunded.sizeAnswer.id, option: L.id }]);
    expect(r1.status).to.equal(409);
    expect(r1.body).to.deep.include({ type: 'client_error' });
    expect(r1.body.errors[0]).to.deep.include({ code: 'item_not_changeable' });
    await unchanged(refunded, S);
    const preview = (await m.get(`${ITEMS}/${refunded.item.id}/changeOption`).expect(200)).body.preview;
    expect(preview.refusal).to.match(/환불 완료/);

    // a checked-in (used) item of a partly refunded order may still change
    const used = await paidItem(S, undefined, 'partial_refunded', 'used');
    await change(m, used.item.id, [{ answer: used.sizeAnswer.id, option: L.id }]).expect(200);
    await AuditLog.destroy({ where: {}, truncate: true });

    // a cart's item (no payment yet)
    const cart = await makeOrder(await makeUser(), [{ product: shirt, options: [{ group: size, option: S }] }], null);
    const cartItem = (await OrderProductRelation.findOne({ where: { orderId: cart.id } }))!;
    const cartAnswer = (await OrderProductOptionRelation.findOne({ where: { orderProductRelationId: cartItem.id } }))!;
    const r2 = await change(m, cartItem.id, [{ answer: cartAnswer.id, option: L.id }]);
    expect(r2.status).to.equal(409);
    expect(r2.body.errors[0]).to.deep.include({ code: 'order_not_paid' });

    const x = await paidItem(S);
    const other = await paidItem(S);
    const r3 = await change(m, x.item.id, [{ answer: x.badgeAnswer.id, option: L.id }, { answer: other.sizeAnswer.id, option: L.id }]);
    expect(r3.status).to.equal(400);
    expect(r3.body.errors.map((e: { code: string; attr: string }) => `${e.code}@${e.attr}`)).to.deep.equal([
      'custom_response_not_changeable@changes.0.answer',
      'answer_not_found@changes.1.answer',
    ]);
    const r4 = await m.post(`${ITEMS}/${x.item.id}/changeOption`).type('form').send({ changes: 'not json' });
    expect(r4.status).to.equal(400);
    expect(r4.body.errors[0]).to.deep.include({ attr: 'changes' });
    const r5 = await change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: 'S' }]);
    expect(r5.status).to.equal(400);
    expect(r5.body.errors[0].attr).to.equal('changes.0.option');
    const r6 = await change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: S.id }]);
    expect(r6.status).to.equal(400);
    expect(r6.body.errors[0].code).to.equal('no_change');
    await unchanged(x, S);
    await unchanged(other, S);
    // an item that is gone
    await x.item.destroy();
    const gone = await change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: L.id }]);
    expect(gone.body.notice).to.deep.include({ type: 'error' }); // AdminJS finds no record: the handler never runs
    expect(gone.body.outcome).to.equal(undefined);
    const direct = await changeItemOptions(await testDb(), { itemId: x.item.id, changes: [{ answer: x.sizeAnswer.id, option: L.id }] }).catch((e: unknown) => e);
    expect(direct).to.be.instanceOf(ServiceError);
    expect((direct as ServiceError).status).to.equal(404);
    expect((await x.sizeAnswer.reload()).productOptionId).to.equal(S.id);
  });

  it('a comp order\'s item (0-won, no refund action) may change its size too; the ledger stays at 0원', async () => {
    const speaker = await makeUser({ email: 'speaker@example.com' });
    const comp = await createCompOrder(await testDb(), {
      user: speaker.id,
      reason: '연사',
      customer_info: { name: '김연사', phone: '010-1234-5678', email: 'speaker@example.com', organization: '' },
      items: [{ product: shirt.id, options: [{ product_option_group: size.id, product_option: S.id, custom_response: null }] }],
    });
    const orderId = comp.orderId;
    const item = (await OrderProductRelation.findOne({ where: { orderId } }))!;
    const answer = (await OrderProductOptionRelation.findOne({ where: { orderProductRelationId: item.id } }))!;
    const ledger = async () => (await PaymentHistory.findAll({ where: { orderId } })).map((h) => [h.status, h.price]);
    const before = await ledger();
    const ok = await change(m, item.id, [{ answer: answer.id, option: L.id }]);
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect((await answer.reload()).productOptionId).to.equal(L.id);
    expect(await ledger()).to.deep.equal(before);
  });

  it('viewers neither see nor call it; managers see it on paid items only', async () => {
    const x = await paidItem(S);
    const actions = async (agent: Agent, id: string) =>
      ((await agent.get(`${ITEMS}/${id}/show`).expect(200)).body.record.recordActions as Array<{ name: string }>).map((a) => a.name);
    expect(await actions(m, x.item.id)).to.include('changeOption');
    expect(await actions(v, x.item.id)).to.not.include('changeOption');
    const refunded = await paidItem(S, undefined, 'partial_refunded', 'refunded');
    expect(await actions(m, refunded.item.id)).to.not.include('changeOption');

    const preview = await v.get(`${ITEMS}/${x.item.id}/changeOption`);
    expect(preview.body.notice).to.deep.include({ type: 'error', message: 'forbiddenError' });
    expect(preview.body.preview).to.equal(undefined);
    const post = await change(v, x.item.id, [{ answer: x.sizeAnswer.id, option: L.id }]);
    expect(post.body.notice).to.deep.include({ type: 'error', message: 'forbiddenError' });
    expect(post.body.outcome).to.equal(undefined);
    await unchanged(x, S);
  });

  it('two operators race for the last M: exactly one wins, the other is told it is sold out', async () => {
    const a = await paidItem(S);
    const b = await paidItem(S);
    const m2 = await adminLogin(app, (await makeStaff('manager', { email: 'manager2@example.com' })).email);
    const [ra, rb] = await Promise.all([change(m, a.item.id, [{ answer: a.sizeAnswer.id, option: M.id }]), change(m2, b.item.id, [{ answer: b.sizeAnswer.id, option: M.id }])]);
    expect([ra.status, rb.status].sort()).to.deep.equal([200, 400]);
    const lost = ra.status === 400 ? ra : rb;
    expect(lost.body.errors[0].code).to.equal('OPTION_SOLDOUT');
    expect(await OrderProductOptionRelation.count({ where: { productOptionId: M.id } })).to.equal(1);
    expect(await AuditLog.count({ where: { action: 'shop.order.item_options_changed' } })).to.equal(1);
  });

  it('a buyer\'s live checkout hold on the last M counts: the operator is refused until the hold expires', async () => {
    const x = await paidItem(S);
    const held = await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', {
      product: shirt.id,
      options: [{ product_option_group: size.id, product_option: M.id, custom_response: null }],
      customer_info: { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' },
    });
    expect(held.status, JSON.stringify(held.body)).to.equal(201);
    const refused = await change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: M.id }]);
    expect(refused.status).to.equal(400);
    expect(refused.body.errors[0].code).to.equal('OPTION_SOLDOUT');
    await SingleProductCart.update({ stockHeldUntil: new Date(Date.now() - 1000) }, { where: { id: held.body.id } });
    await change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: M.id }]).expect(200);
  });

  it('eight changes at once for two units of M (stock 2): exactly two win, and M is never oversold', async () => {
    await M.update({ stock: 2 });
    const items = [];
    for (let i = 0; i < 8; i++) items.push(await paidItem(S));
    const results = await Promise.all(items.map((x) => change(m, x.item.id, [{ answer: x.sizeAnswer.id, option: M.id }])));
    expect(results.filter((r) => r.status === 200)).to.have.length(2);
    const lost = results.filter((r) => r.status !== 200);
    expect(lost).to.have.length(6);
    for (const r of lost) expect(r.body.errors[0].code).to.equal('OPTION_SOLDOUT');
    const held = await OrderProductOptionRelation.count({ where: { productOptionId: M.id } }); // every item here is paid
    expect(held).to.equal(2);
  });
});

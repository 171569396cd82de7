import { expect } from 'chai';
import type { Express } from 'express';
import { resetDb } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeCategory, makeProduct, makeGroup, makeUser, makeOrder, daysFromNow, HOLDER } from '../helpers/fixtures.js';
import { AuditLog, OrderProductRelation, OrderProductOptionRelation, TicketInfo, type Order, type User } from '../../src/models/index.js';

/** PATCH v1/shop/orders/{id}/products/{oprId}/ — the current client's item edit: answers and/or holder. */
describe('item PATCH (options and ticket holder of a paid item)', () => {
  let app: Express;
  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
  });

  async function paidTicket(user: User, over: { status?: 'paid' | 'used' | 'refunded'; answerEnds?: Date; holder?: boolean } = {}) {
    const ticket = await makeProduct({ nameKo: '일반 티켓', price: 50000 }, await makeCategory('티켓', '컨퍼런스 티켓', true));
    const badge = await makeGroup(ticket, { nameKo: '배지 이름', isCustomResponse: true, customResponsePattern: '[A-Za-z]+$', responseModifiableEndsAt: over.answerEnds ?? daysFromNow(1) });
    const order = await makeOrder(user, [{ product: ticket, status: over.status ?? 'paid', options: [{ group: badge, customResponse: 'Kim' }] }]);
    const opr = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
    if (over.holder !== false) await TicketInfo.create({ orderProductRelationId: opr.id, ...HOLDER });
    const answer = (await OrderProductOptionRelation.findOne({ where: { orderProductRelationId: opr.id } }))!;
    return { order, opr, answer, ticket };
  }
  const url = (order: Order, opr: OrderProductRelation) => `/v1/shop/orders/${order.id}/products/${opr.id}/`;

  it('updates the holder partially → 204 with an empty body; GET shows it; an audit row records it', async () => {
    const user = await makeUser();
    const { order, opr } = await paidTicket(user);
    const b = asBuyer(app, user);
    const res = await b.patch(url(order, opr), { ticket_info: { phone: '+821099998888', organization: '' } }).expect(204);
    expect(res.text).to.equal('');
    const item = (await b.get(`/v1/shop/orders/${order.id}/`).expect(200)).body.products[0];
    expect(item.ticket_info).to.deep.equal({ ...HOLDER, phone: '+821099998888', organization: '', contribution_message: null });
    const holder = (await TicketInfo.findOne({ where: { orderProductRelationId: opr.id } }))!;
    const audit = await AuditLog.findOne({ where: { tableName: 'ticket_infos', recordId: holder.id, action: 'update' } });
    expect(audit!.before).to.deep.include({ phone: HOLDER.phone });
    expect(audit!.after).to.deep.include({ phone: '+821099998888' });
  });

  it('creates a missing holder (complete data required), with no deadline', async () => {
    const user = await makeUser();
    const { order, opr } = await paidTicket(user, { holder: false, answerEnds: daysFromNow(-1) });
    const b = asBuyer(app, user);
    const partial = await b.patch(url(order, opr), { ticket_info: { phone: '010-1111-2222' } }).expect(400);
    expect(partial.body.errors.map((e: { attr: string }) => e.attr)).to.deep.equal(['ticket_info.name', 'ticket_info.email', 'ticket_info.organization']);
    await b.patch(url(order, opr), { ticket_info: HOLDER }).expect(204);
    expect(await TicketInfo.count({ where: { orderProductRelationId: opr.id } })).to.equal(1);
  });

  it('options and holder together are atomic: a bad answer leaves the holder unchanged', async () => {
    const user = await makeUser();
    const { order, opr, answer } = await paidTicket(user);
    const b = asBuyer(app, user);
    const res = await b
      .patch(url(order, opr), { options: [{ order_product_option_relation: answer.id, custom_response: '123' }], ticket_info: { name: '바뀐이름' } })
      .expect(400);
    expect(res.body.errors[0].code).to.equal('CUSTOM_RESPONSE_PATTERN_MISMATCH');
    expect((await TicketInfo.findOne({ where: { orderProductRelationId: opr.id } }))!.name).to.equal(HOLDER.name);
    await b.patch(url(order, opr), { options: [{ order_product_option_relation: answer.id, custom_response: 'Lee' }], ticket_info: { name: '바뀐이름' } }).expect(204);
    expect((await answer.reload()).customResponse).to.equal('Lee');
    expect((await TicketInfo.findOne({ where: { orderProductRelationId: opr.id } }))!.name).to.equal('바뀐이름');
  });

  it('answers keep their deadline; the holder has none', async () => {
    const user = await makeUser();
    const { order, opr, answer } = await paidTicket(user, { answerEnds: daysFromNow(-1) });
    const b = asBuyer(app, user);
    const late = await b.patch(url(order, opr), { options: [{ order_product_option_relation: answer.id, custom_response: 'Lee' }] }).expect(400);
    expect(late.body.errors[0].code).to.equal('RESPONSE_MODIFIABLE_ENDS_AT');
    await b.patch(url(order, opr), { ticket_info: { email: 'new@example.com' } }).expect(204);
  });

  it('only the owner\'s paid item: used, refunded, a cart item or someone else\'s → 404', async () => {
    const user = await makeUser();
    const b = asBuyer(app, user);
    for (const status of ['used', 'refunded'] as const) {
      const { order, opr } = await paidTicket(user, { status });
      await b.patch(url(order, opr), { ticket_info: { name: 'x' } }).expect(404);
    }
    const { order, opr } = await paidTicket(user);
    await asBuyer(app, await makeUser()).patch(url(order, opr), { ticket_info: { name: 'x' } }).expect(404);
    const cart = await makeOrder(user, [{ product: await makeProduct() }], null);
    const cartItem = (await OrderProductRelation.findOne({ where: { orderId: cart.id } }))!;
    await b.patch(url(cart, cartItem), { ticket_info: HOLDER }).expect(404);
    await asBuyer(app, null).patch(url(order, opr), { ticket_info: { name: 'x' } }).expect(401);
  });

  it('the product rules apply: no holder on a non-ticket, no contribution message on a non-donation product; bad bodies are 400', async () => {
    const user = await makeUser();
    const mug = await makeProduct({ nameKo: '머그컵' }, await makeCategory('굿즈', '굿즈'));
    const order = await makeOrder(user, [{ product: mug }]);
    const opr = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
    const b = asBuyer(app, user);
    const res = await b.patch(url(order, opr), { ticket_info: HOLDER }).expect(400);
    expect(res.body.errors).to.deep.equal([{ code: 'TICKET_INFO_NOT_ALLOWED', detail: '머그컵 상품은 티켓이 아니므로 참가자 정보를 입력할 수 없습니다.', attr: 'ticket_info' }]);
    const t = await paidTicket(user);
    const msg = await b.patch(url(t.order, t.opr), { ticket_info: { contribution_message: '응원합니다' } }).expect(400);
    expect(msg.body.errors[0].code).to.equal('CONTRIBUTION_MESSAGE_NOT_ALLOWED');
    await b.patch(url(t.order, t.opr), [1, 2]).expect(400);
    await b.patch(url(t.order, t.opr), { options: 'x' }).expect(400);
    await b.patch(url(t.order, t.opr), { ticket_info: { phone: '12' } }).expect(400);
    await b.patch(url(t.order, t.opr), {}).expect(204); // nothing to change
  });

  it('a removed (soft-deleted) holder is revived by the edit, not duplicated', async () => {
    const user = await makeUser();
    const { order, opr } = await paidTicket(user);
    await TicketInfo.destroy({ where: { orderProductRelationId: opr.id } });
    const b = asBuyer(app, user);
    expect((await b.get(`/v1/shop/orders/${order.id}/`).expect(200)).body.products[0].ticket_info).to.equal(null);
    await b.patch(url(order, opr), { ticket_info: { name: '되살림' } }).expect(204);
    const rows = await TicketInfo.findAll({ where: { orderProductRelationId: opr.id }, paranoid: false });
    expect(rows).to.have.length(1);
    expect(rows[0]!.deletedAt).to.equal(null);
    expect(await AuditLog.count({ where: { tableName: 'ticket_infos', recordId: rows[0]!.id, action: 'restore' } })).to.equal(1);
    expect((await b.get(`/v1/shop/orders/${order.id}/`).expect(200)).body.products[0].ticket_info.name).to.equal('되살림');
  });

  it('the old …/options/ path keeps working and answers the Order', async () => {
    const user = await makeUser();
    const { order, opr, answer } = await paidTicket(user);
    const res = await asBuyer(app, user).patch(`${url(order, opr)}options/`, [{ order_product_option_relation: answer.id, custom_response: 'Park' }]).expect(200);
    expect(res.body.id).to.equal(order.id);
    expect(res.body.products[0].options[0].custom_response).to.equal('Park');
  });
});

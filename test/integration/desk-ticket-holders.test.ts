import { expect } from 'chai';
import type { Express } from 'express';
import request from 'supertest';
import { resetDb } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { makeCategory, makeGroup, makeOrder, makeProduct, makeUser, HOLDER } from '../helpers/fixtures.js';
import { createApiKey } from '../../src/services/auth.js';
import { OrderProductOptionRelation, OrderProductRelation, TicketInfo, type Order } from '../../src/models/index.js';
import * as S from '../../src/http/contract/schemas.js';

const DESK = '/v1/internal-api/desk-support/';

/** The desk sees and edits ticket holders (paid or used items; not the contribution message). */
describe('desk: ticket holders', () => {
  let app: Express;
  let key: { key: string; secret: string };
  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
    const a = await createApiKey({ name: 'registration_desk', scopes: ['desk'] });
    key = { key: a.apiKey.key, secret: a.secret };
  });
  const patch = (order: Order, body: unknown) => request(app).patch(`${DESK}${order.id}/`).set('x-api-key', key.key).set('x-api-secret', key.secret).send(body as object);

  async function ticketOrder(status: 'paid' | 'used' | 'refunded' = 'paid') {
    const ticket = await makeProduct({ nameKo: '티켓', price: 30000, donationAllowed: true, donationMaxPrice: 1000 }, await makeCategory('티켓', '컨퍼런스 티켓', true));
    const order = await makeOrder(await makeUser(), [{ product: ticket, status }]);
    const opr = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
    return { ticket, order, opr };
  }

  it('sets a missing holder and replaces fields while paid or used; never the contribution message; shows it in the row', async () => {
    const { order, opr } = await ticketOrder('used');
    const created = await patch(order, { products: [{ id: opr.id, ticket_info: { ...HOLDER, contribution_message: '무시됨' } }] }).expect(200);
    const row = S.DeskRow.extend({ notices: S.DeskNotice.array() }).parse(created.body);
    expect(row.products[0]!.is_ticket).to.equal(true);
    expect(row.products[0]!.ticket_info).to.deep.equal(HOLDER);
    expect((await TicketInfo.findOne({ where: { orderProductRelationId: opr.id } }))!.contributionMessage).to.equal(null);

    await TicketInfo.update({ contributionMessage: '원래 메시지' }, { where: { orderProductRelationId: opr.id } });
    await patch(order, { products: [{ id: opr.id, ticket_info: { name: '현장수정', contribution_message: '바꿈' } }] }).expect(200);
    const holder = (await TicketInfo.findOne({ where: { orderProductRelationId: opr.id } }))!;
    expect(holder).to.include({ name: '현장수정', email: HOLDER.email, contributionMessage: '원래 메시지' });
  });

  it('refuses other statuses and bad values, writing nothing', async () => {
    const { order, opr } = await ticketOrder('refunded');
    const res = await patch(order, { products: [{ id: opr.id, ticket_info: HOLDER }] }).expect(400);
    expect(res.body.errors).to.deep.equal([{ code: 'TICKET_INFO_NOT_EDITABLE_STATUS', detail: '결제 완료 또는 사용 상태에서만 참가자 정보를 수정할 수 있습니다.', attr: 'products.0.ticket_info' }]);
    const paid = await ticketOrder('paid');
    const bad = await patch(paid.order, { products: [{ id: paid.opr.id, status: 'used', ticket_info: { ...HOLDER, phone: '123' } }] }).expect(400);
    expect(bad.body.errors[0].attr).to.equal('products.0.ticket_info.phone');
    expect(await TicketInfo.count()).to.equal(0);
    expect((await paid.opr.reload()).status).to.equal('paid'); // all or nothing
  });

  it('a free-text group with placeholder_mode required refuses an empty answer at the desk', async () => {
    const { ticket, order, opr } = await ticketOrder('paid');
    const g = await makeGroup(ticket, { nameKo: '배지', isCustomResponse: true, customResponsePattern: '.*', placeholderMode: 'required' });
    const answer = await OrderProductOptionRelation.create({ orderProductRelationId: opr.id, productOptionGroupId: g.id, customResponse: 'x' });
    const res = await patch(order, { products: [{ id: opr.id, options: [{ id: answer.id, custom_response: ' ' }] }] }).expect(400);
    expect(res.body.errors).to.deep.equal([{ code: 'required', detail: '응답이 필수인 옵션입니다.', attr: 'products.0.options.0.custom_response' }]);
  });
});

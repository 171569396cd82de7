// The panel's registration-desk days, order-item tags (CRUD + the Tags action on the item list) and the
// per-ticket Notify action, through AdminJS's HTTP API (the same services as the desk and the tests of each).
import { expect } from 'chai';
import type { Express } from 'express';
import { resetDb } from '../helpers/db.js';
import { adminApp, adminLogin, makeStaff, type Agent } from '../helpers/admin.js';
import { makeCategory, makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { CustomerInfo, NotificationRecipient, NotificationTemplate, OrderItemTag, OrderProductRelation, RegistrationDeskConfig } from '../../src/models/index.js';
import { DeskConfigMessages } from '../../src/services/desk-config.js';

const API = '/admin/api/resources';

describe('admin panel: desk days, order-item tags, per-ticket notify', function () {
  this.timeout(60_000);
  let app: Express;
  let m: Agent;
  let v: Agent;

  before(async () => {
    ({ app } = await adminApp());
  });
  beforeEach(async () => {
    await resetDb();
    m = await adminLogin(app, (await makeStaff('manager')).email);
    v = await adminLogin(app, (await makeStaff('viewer')).email);
  });

  it('desk days are created and edited through the service: overlaps and bad dates show next to the fields', async () => {
    const cat = await makeCategory('티켓', '컨퍼런스');
    const ok = await m.post(`${API}/registration_desk_configs/actions/new`).type('form').send({ name: '1일차', eventName: 'PyCon', startDate: '2027-08-10', endDate: '2027-08-11', 'categoryIds.0': cat.id });
    expect(ok.body.notice.type, JSON.stringify(ok.body)).to.equal('success');
    expect((await RegistrationDeskConfig.findOne())!.categoryIds).to.deep.equal([cat.id]);
    const clash = await m.post(`${API}/registration_desk_configs/actions/new`).type('form').send({ name: '2일차', startDate: '2027-08-11', endDate: '2027-08-12', 'categoryIds.0': cat.id });
    expect(clash.body.record.errors.startDate.message).to.equal(DeskConfigMessages.OVERLAP);
    const denied = await v.post(`${API}/registration_desk_configs/actions/new`).type('form').send({ name: 'x', startDate: '2027-09-01', endDate: '2027-09-01', 'categoryIds.0': cat.id });
    expect(denied.body.notice?.message ?? denied.status).to.not.equal('successfullyCreated');
    expect(await RegistrationDeskConfig.count()).to.equal(1);
  });

  it('tags: create with validation, then the Tags action assigns / unassigns over the item list filters', async () => {
    const created = await m.post(`${API}/order_item_tags/actions/new`).type('form').send({ code: 'vip', name: 'VIP', priority: '1' });
    expect(created.body.notice.type).to.equal('success');
    const dup = await m.post(`${API}/order_item_tags/actions/new`).type('form').send({ code: 'vip', name: 'x' });
    expect(dup.body.record.errors.code.message).to.equal('이미 있는 코드입니다.');
    const tag = (await OrderItemTag.findOne())!;
    const p = await makeProduct({ price: 1000 });
    const order = await makeOrder(await makeUser(), [{ product: p }, { product: p }], 'completed');
    const list = await m.get(`${API}/order_product_relations/actions/tags`).expect(200);
    expect(list.body.tags).to.deep.equal([{ id: tag.id, label: 'vip — VIP' }]);
    const none = await m.post(`${API}/order_product_relations/actions/tags`).type('form').send({ step: 'assign', tagId: tag.id, filters: '{}' });
    expect(none.body.notice.type).to.equal('error'); // no filter: never "every item"
    const done = await m.post(`${API}/order_product_relations/actions/tags`).type('form').send({ step: 'assign', tagId: tag.id, filters: JSON.stringify({ orderId: order.id }) });
    expect(done.body.affected).to.equal(2);
    const viewer = await v.post(`${API}/order_product_relations/actions/tags`).type('form').send({ step: 'unassign', tagId: tag.id, filters: JSON.stringify({ orderId: order.id }) });
    expect(viewer.body.notice.message).to.equal('forbiddenError');
    const [first] = await OrderProductRelation.findAll({ where: { orderId: order.id } });
    const undone = await m.post(`${API}/order_product_relations/actions/tags`).type('form').send({ step: 'unassign', tagId: tag.id, filters: JSON.stringify({ id: first!.id }) });
    expect(undone.body.affected).to.equal(1);
  });

  it('per-ticket Notify on the item list: one recipient per item of the filters', async () => {
    const p = await makeProduct({ price: 1000 });
    const order = await makeOrder(await makeUser(), [{ product: p }, { product: p }], 'completed');
    await CustomerInfo.create({ orderId: order.id, name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' });
    const t = await NotificationTemplate.create({ code: 'ticket', language: 'ko', subject: '{{ product_name }}', body: '{{ scancode_url }}' });
    const preview = await m.post(`${API}/order_product_relations/actions/notify`).type('form').send({ step: 'preview', templateId: t.id, filters: JSON.stringify({ orderId: order.id }) });
    expect(preview.body.preview.recipients.map((r: { recipient: string }) => r.recipient)).to.deep.equal(['gildong@example.com', 'gildong@example.com']);
    const sent = await m.post(`${API}/order_product_relations/actions/notify`).type('form').send({ step: 'send', templateId: t.id, filters: JSON.stringify({ orderId: order.id }) });
    expect(sent.body.notice.type, JSON.stringify(sent.body)).to.equal('success');
    expect(sent.body.history.recipients).to.have.length(2);
  });
  it('per-ticket Notify states its scope (tickets, orders, the filters in words) and needs the explicit confirmation to send to every ticket', async () => {
    const p = await makeProduct({ nameKo: '워크숍', price: 1000 });
    const buyer = await makeUser({ email: 'ticket-buyer@example.com' });
    const order = await makeOrder(buyer, [{ product: p }, { product: p }], 'completed');
    const other = await makeOrder(await makeUser(), [{ product: await makeProduct({ price: 2000 }) }], 'completed');
    for (const o of [order, other]) await CustomerInfo.create({ orderId: o.id, name: '홍길동', phone: '010-1234-5678', email: `c${o.id.slice(0, 4)}@example.com`, organization: '' });
    const t = await NotificationTemplate.create({ code: 'ticket', language: 'ko', subject: '{{ product_name }}', body: '{{ scancode_url }}' });
    const url = `${API}/order_product_relations/actions/notify`;

    // the drawer's first call carries the list's filters in its query: the scope in words and counts
    const byOrder = (await m.get(`${url}?filters.orderId=${order.id}`).expect(200)).body;
    expect(byOrder.scope).to.deep.equal({ everyone: false, tickets: 2, orders: 1, filters: [{ label: '주문 ID', value: order.id }] });
    const byProduct = (await m.get(`${url}?filters.productId=${p.id}&filters.status=paid`).expect(200)).body;
    expect(byProduct.scope).to.deep.equal({ everyone: false, tickets: 2, orders: 1, filters: [{ label: '상태', value: '결제 완료' }, { label: '상품', value: '워크숍' }] });
    const all = (await m.get(url).expect(200)).body;
    expect(all.scope).to.deep.equal({ everyone: true, tickets: 3, orders: 2, filters: [] });
    const bad = (await m.get(`${url}?filters.orderId=not-a-uuid`).expect(200)).body;
    expect(bad.notice.type).to.equal('error'); // a malformed filter is said, never a 500 nor "every ticket"

    // the preview answers the scope too
    const preview = (await m.post(`${url}?filters.orderId=${order.id}`).type('form').send({ step: 'preview', templateId: t.id })).body;
    expect(preview.preview.recipients).to.have.length(2);
    expect(preview.scope).to.include({ everyone: false, tickets: 2 });

    // no filter = every ticket: refused without the confirmation, nothing written
    const refused = (await m.post(url).type('form').send({ step: 'send', templateId: t.id })).body;
    expect(refused.notice.type).to.equal('error');
    expect(refused.notice.message).to.include('모든 티켓(3장, 주문 2건)');
    expect(refused).to.include({ needsConfirmation: true });
    expect(await NotificationRecipient.count()).to.equal(0);
    // the number of tickets changed since the preview: refused until previewed again
    const stale = (await m.post(url).type('form').send({ step: 'send', templateId: t.id, filters: JSON.stringify({ orderId: order.id }), expectedTickets: '1' })).body;
    expect(stale.notice.message).to.include('1장 → 2장');
    expect(await NotificationRecipient.count()).to.equal(0);
    // viewers never send
    const viewer = (await v.post(url).type('form').send({ step: 'send', templateId: t.id, confirmEveryone: 'true' })).body;
    expect(viewer.notice.type).to.equal('error');
    expect(await NotificationRecipient.count()).to.equal(0);
    // confirmed: one message per ticket of every order
    const sent = (await m.post(url).type('form').send({ step: 'send', templateId: t.id, confirmEveryone: 'true', expectedTickets: '3' })).body;
    expect(sent.notice.type, JSON.stringify(sent)).to.equal('success');
    expect(sent.history.recipients).to.have.length(3);
    expect(await NotificationRecipient.count()).to.equal(3);
  });
});

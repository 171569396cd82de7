/**
 * Comp orders (무료 발급) through the panel's HTTP API (`orders/actions/comp`): a paid 0-won order for an
 * existing user, validated as the checkout validates (windows aside: operators may comp hidden or closed
 * products), under the checkout's locks, audited with the operator as the actor; the paid e-mail, the QR
 * pages, check-in and the exports treat it as any paid order; refunds refuse it; a unit is taken back with
 * *무료 발급 취소*, which frees its stock.
 */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import type { Express } from 'express';
import { Op, type Sequelize } from 'sequelize';
import { generate } from 'otplib';
import { resetDb, testConfig } from '../helpers/db.js';
import { adminApp, adminLogin, makeStaff, type Agent } from '../helpers/admin.js';
import { asBuyer } from '../helpers/buyer.js';
import { DAY, makeCategory, makeGroup, makeOption, makeOrder, makeProduct, makeTag, makeUser } from '../helpers/fixtures.js';
import {
  AuditLog,
  CustomerInfo,
  NotificationRecipient,
  Order,
  OrderProductOptionRelation,
  OrderProductRelation,
  PaymentHistory,
  TicketInfo,
  User,
  type Product,
} from '../../src/models/index.js';
import { registerOrderNotifications } from '../../src/services/notifications.js';
import { refund } from '../../src/services/refund.js';
import { ServiceError } from '../../src/services/errors.js';
import { confirmEnrollment, startEnrollment } from '../../src/services/totp.js';
import { portoneClient } from '../helpers/app.js';
import { seoulDay } from '../../src/domain/admin/format.js';

const require = createRequire(import.meta.url);
const templatesSeeder = require('../../seeders/20261125000010-notification-templates.cjs') as { up(qi: unknown): Promise<void> };

const API = '/admin/api/resources';
const INFO = { name: '김연사', phone: '010-2222-3333', email: 'speaker.info@example.com', organization: '파이썬 모임' };

describe('comp orders (무료 발급) through the panel', function () {
  this.timeout(60_000);
  let app: Express;
  let sequelize: Sequelize;
  let manager: User;
  let m: Agent;
  let v: Agent;
  let speaker: User;
  let stopNotifications: () => void;

  before(async () => {
    ({ app } = await adminApp());
    stopNotifications = registerOrderNotifications();
  });
  after(() => stopNotifications());
  beforeEach(async () => {
    sequelize = await resetDb();
    await templatesSeeder.up(sequelize.getQueryInterface());
    manager = await makeStaff('manager', { email: 'ops@example.com' });
    m = await adminLogin(app, manager.email);
    v = await adminLogin(app, (await makeStaff('viewer')).email);
    speaker = await makeUser({ email: 'speaker@example.com', nicknameKo: '연사' });
  });

  const comp = (agent: Agent, body: unknown) => agent.post(`${API}/orders/actions/comp`).type('form').send({ data: JSON.stringify(body) });
  const codes = (res: { body: { error?: { errors: Array<{ code: string }> } } }) => (res.body.error?.errors ?? []).map((e) => e.code);

  /** Row counts of every table a comp order writes (a refusal must leave them all as they were). */
  async function counts(): Promise<Record<string, number>> {
    const tables = ['orders', 'order_product_relations', 'order_product_option_relations', 'customer_infos', 'ticket_infos', 'payment_histories', 'audit_logs', 'notification_recipients'];
    const out: Record<string, number> = {};
    for (const t of tables) {
      const [[row]] = (await sequelize.query(`SELECT count(*)::int AS n FROM ${t}`)) as [Array<{ n: number }>, unknown];
      out[t] = row!.n;
    }
    return out;
  }

  /** A ticket whose sales ended yesterday and that is hidden from the catalogue, with a size group. */
  async function closedTicket(over: Record<string, unknown> = {}) {
    const cat = await makeCategory('티켓', '연사 티켓', true);
    const past = new Date(Date.now() - DAY);
    const ticket = await makeProduct({ nameKo: '컨퍼런스 티켓', price: 50000, stock: 3, orderableEndsAt: past, visibleEndsAt: past, ...over }, cat);
    const size = await makeGroup(ticket, { nameKo: '티셔츠 사이즈', minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    const s = await makeOption(size, { nameKo: 'S' });
    const l = await makeOption(size, { nameKo: 'L', additionalPrice: 5000 });
    return { ticket, size, s, l, categoryId: cat.id };
  }

  const line = (p: Product, options: Array<{ group: { id: string }; option: { id: string } }> = [], quantity = 1) => ({
    product: p.id,
    quantity,
    options: options.map((o) => ({ product_option_group: o.group.id, product_option: o.option.id, custom_response: null })),
  });

  it('creates a paid 0-won order (closed, hidden product allowed) with its list price, audited with the operator; e-mail, QR, check-in and export as any paid order', async () => {
    const { ticket, size, l, categoryId } = await closedTicket();
    const before = await counts();
    const res = await comp(m, { user: speaker.email, reason: '2027 연사', customer_info: INFO, items: [line(ticket, [{ group: size, option: l }])] });
    expect(res.body.notice, JSON.stringify(res.body)).to.deep.include({ type: 'success' });
    const { orderId, items, listTotal } = res.body.result as { orderId: string; items: Array<{ id: string; listPrice: number }>; listTotal: number };
    expect(listTotal).to.equal(55000);
    expect(res.body.orderUrl).to.equal(`/admin/resources/orders/records/${orderId}/show`);

    const order = (await Order.findByPk(orderId))!;
    expect(order).to.include({ userId: speaker.id, compReason: '2027 연사', nameKo: '컨퍼런스 티켓', createdById: manager.id });
    const [item] = await OrderProductRelation.findAll({ where: { orderId } });
    expect(item).to.include({ id: items[0]!.id, status: 'paid', price: 0, donationPrice: 0, listPrice: 55000, productId: ticket.id });
    expect((await OrderProductOptionRelation.findAll({ where: { orderProductRelationId: item!.id } })).map((o) => o.productOptionId)).to.deep.equal([l.id]);
    expect((await PaymentHistory.findAll({ where: { orderId } })).map((h) => [h.status, h.price, h.impId])).to.deep.equal([['completed', 0, null]]);
    expect((await CustomerInfo.findOne({ where: { orderId } }))!.get({ plain: true })).to.include(INFO);
    // a ticket's holder defaults to the customer (the buyer may change it later)
    expect((await TicketInfo.findOne({ where: { orderProductRelationId: item!.id } }))!).to.include({ name: INFO.name, email: INFO.email });

    // audit: every row written names the operator; one summary row with the reason
    const audits = await AuditLog.findAll({ where: { createdAt: { [Op.gte]: order.createdAt } } });
    const mine = audits.filter((a) => a.tableName !== 'notification_histories' && a.tableName !== 'notification_recipients');
    expect(mine.length).to.be.greaterThan(5);
    for (const a of mine) expect([a.actorUserId, a.actorLabel], `${a.tableName} ${a.action}`).to.deep.equal([manager.id, `user:${manager.id}`]);
    expect(mine.map((a) => `${a.tableName}:${a.action}`)).to.include.members([
      'orders:create',
      'order_product_relations:create',
      'order_product_option_relations:create',
      'ticket_infos:create',
      'customer_infos:create',
      'orders:shop.order.comp_created',
    ]);
    const summary = mine.find((a) => a.action === 'shop.order.comp_created')!;
    expect(summary.reason).to.equal('2027 연사');
    expect(summary.after).to.deep.include({ user_id: speaker.id, paid: 0, list_total: 55000 });
    const after = await counts();
    expect(after.orders - before.orders).to.equal(1);
    expect(after.payment_histories - before.payment_histories).to.equal(1);

    // the paid e-mail (the ticket e-mail with its QR link) goes to the customer, as for a paid order
    const mail = (await NotificationRecipient.findOne({ where: { orderId } }))!;
    expect(mail.recipient).to.equal(INFO.email);
    const qr = String(mail.context.scancode_url);
    expect(qr).to.match(/\/v1\/shop\/orders\/scancode\/\?token=order/);
    expect(mail.body).to.include(qr).and.include('컨퍼런스 티켓');

    // the user sees it among their orders, with the ticket's QR page
    const mine2 = (await asBuyer(app, speaker).get('/v1/shop/orders/').expect(200)).body as Array<{ id: string; current_status: string; products: Array<{ id: string; scancode_url: string }> }>;
    expect(mine2.map((o) => [o.id, o.current_status])).to.deep.equal([[orderId, 'completed']]);
    const ticketPage = mine2[0]!.products[0]!.scancode_url;
    expect(ticketPage).to.be.a('string');
    const page = await asBuyer(app, null).get(new URL(ticketPage).pathname + new URL(ticketPage).search).expect(200);
    expect(page.text).to.include('컨퍼런스 티켓');

    // check-in at the panel's check-in page, as any ticket
    const checkin = await m.post('/admin/api/pages/checkin').type('form').send({ step: 'checkin', categoryId, day: seoulDay(new Date()), orderId, itemId: item!.id }).expect(200);
    expect(checkin.body.notice.type, JSON.stringify(checkin.body)).to.equal('success');
    expect((await item!.reload()).status).to.equal('used');

    // the panel marks it: the comp filter, the reason on the order page, and the export columns
    const list = await m.get(`${API}/orders/actions/list?filters.comp=true`).expect(200);
    expect(list.body.records.map((r: { id: string }) => r.id)).to.deep.equal([orderId]);
    expect((await m.get(`${API}/orders/actions/list?filters.comp=false`).expect(200)).body.records).to.have.length(0);
    const show = await m.get(`${API}/orders/records/${orderId}/show`).expect(200);
    expect(show.body.record.params).to.include({ compReason: '2027 연사', currentPaidPrice: 0, currentStatus: 'completed' });
    const csv = (await m.get(`${API}/orders/actions/export?format=csv`).expect(200)).text;
    const [header, row] = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    const cols = header!.split(',');
    const cells = row!.split(',');
    expect(cells[cols.indexOf('무료 발급')]).to.equal('예');
    expect(cells[cols.indexOf('무료 발급 사유')]).to.equal('2027 연사');
    expect(cells[cols.indexOf('정가')]).to.equal('55000');
    expect(cells[cols.indexOf('상품 금액')]).to.equal('0');
  });

  it('opens from the users list for that user; prefilled from the account', async () => {
    const go = await m.get(`${API}/users/records/${speaker.id}/comp`).expect(200);
    expect(go.body.redirectUrl).to.equal(`/admin/resources/orders/actions/comp?user=${speaker.id}`);
    const form = await m.get(`${API}/orders/actions/comp?user=${speaker.id}`).expect(200);
    expect(form.body.user).to.deep.equal({ id: speaker.id, email: 'speaker@example.com', name: '연사' });
    const { ticket } = await closedTicket();
    // hidden / closed products are offered, with what is left
    expect(form.body.catalogue).to.deep.equal([]); // (the product did not exist yet)
    const again = await m.get(`${API}/orders/actions/comp`).expect(200);
    expect(again.body.catalogue.map((p: { id: string; saleStatus: string; leftover: number }) => [p.id, p.saleStatus, p.leftover])).to.deep.equal([[ticket.id, 'out_of_visible_period', 3]]);
  });

  it('refuses beyond stock (the last units, also within one order and between two racing comps): nothing written', async () => {
    const { ticket, size, l } = await closedTicket({ stock: 2 });
    await makeOrder(await makeUser(), [{ product: ticket }]); // one of two sold
    const before = await counts();
    const res = await comp(m, { user: speaker.id, reason: '연사', customer_info: INFO, items: [line(ticket, [{ group: size, option: l }], 2)] });
    expect(res.body.notice.type).to.equal('error');
    expect(codes(res)).to.deep.equal(['PRODUCT_SOLDOUT']);
    expect(res.body.error.errors[0].attr).to.equal('items.0.product');
    expect(await counts()).to.deep.equal(before);

    // two operators comp the last unit at once: the locks let one through
    const other = await makeUser();
    const [a, b] = await Promise.all([
      comp(m, { user: speaker.id, reason: '연사', customer_info: INFO, items: [line(ticket, [{ group: size, option: l }])] }),
      comp(m, { user: other.id, reason: '봉사', customer_info: INFO, items: [line(ticket, [{ group: size, option: l }])] }),
    ]);
    expect([a.body.notice.type, b.body.notice.type].sort()).to.deep.equal(['error', 'success']);
    expect(await OrderProductRelation.count({ where: { productId: ticket.id, status: 'paid' } })).to.equal(2);
  });

  it('refuses beyond the per-user caps (product, tag): nothing written', async () => {
    const { ticket, size, l } = await closedTicket({ stock: 0, maxQuantityPerUser: 1 });
    await makeOrder(speaker, [{ product: ticket }]); // already holds one
    const a = await makeProduct({ nameKo: '1일차', price: 10000 });
    const b = await makeProduct({ nameKo: '2일차', price: 10000 });
    await makeTag({ nameKo: '티켓 1인 1매', maxQuantityPerUser: 1 }, [a, b]);
    const before = await counts();
    const res = await comp(m, { user: speaker.email, reason: '연사', customer_info: INFO, items: [line(ticket, [{ group: size, option: l }])] });
    expect(codes(res)).to.deep.equal(['PRODUCT_ALREADY_ORDERED_TOO_MUCH']);
    expect(await counts()).to.deep.equal(before);

    // a tag's cap of 1 per person across two products: the second unit of the same order is refused
    const two = await comp(m, { user: speaker.email, reason: '연사', customer_info: INFO, items: [line(a), line(b)] });
    expect(codes(two)).to.deep.equal(['TAG_ALREADY_ORDERED_TOO_MUCH_RELATED_PRODUCTS']);
    expect(two.body.error.errors[0].attr).to.equal('items.1.product');
    expect(await counts()).to.deep.equal(before);
  });

  it('refuses a missing reason, an unknown user, bad customer info and a bad option (every problem at once), and viewers', async () => {
    const { ticket, size } = await closedTicket();
    const m2 = await makeOption(size, { nameKo: 'M' });
    const before = await counts();
    const res = await comp(m, { user: 'nobody@example.com', customer_info: { ...INFO, phone: '12' }, items: [line(ticket)] });
    expect(res.body.notice.type).to.equal('error');
    expect(res.body.error.errors.map((e: { attr: string; code: string }) => `${e.attr}:${e.code}`)).to.deep.equal(['reason:reason_required', 'customer_info.phone:invalid']);
    const blank = await comp(m, { user: speaker.email, reason: '   ', customer_info: INFO, items: [line(ticket, [{ group: size, option: m2 }])] });
    expect(codes(blank)).to.deep.equal(['reason_required']);
    const unknown = await comp(m, { user: 'nobody@example.com', reason: '연사', customer_info: INFO, items: [line(ticket)] });
    expect(unknown.body.error.errors).to.deep.equal([{ code: 'user_not_found', detail: '사용자를 찾을 수 없습니다: nobody@example.com', attr: 'user' }]);
    const noOption = await comp(m, { user: speaker.email, reason: '연사', customer_info: INFO, items: [line(ticket)] });
    expect(codes(noOption)).to.deep.equal(['OPTION_GROUP_NOT_ENOUGH_OPTION']);
    const notJson = await m.post(`${API}/orders/actions/comp`).type('form').send({ data: '{' });
    expect(codes(notJson)).to.deep.equal(['invalid']);
    const extra = await comp(m, { user: speaker.email, reason: '연사', customer_info: INFO, items: [{ ...line(ticket), price: 0 }] });
    expect(codes(extra)).to.deep.equal(['unknown_field']);

    // viewers: neither the form nor the submit
    const form = await v.get(`${API}/orders/actions/comp`);
    expect(form.body.notice ?? { status: form.status }).to.not.deep.include({ type: 'success' });
    expect(form.body.catalogue).to.equal(undefined);
    const post = await comp(v, { user: speaker.email, reason: '연사', customer_info: INFO, items: [line(ticket)] });
    expect(post.body.notice).to.deep.include({ type: 'error', message: 'forbiddenError' });
    expect((await v.get(`${API}/users/records/${speaker.id}/comp`)).body.redirectUrl).to.equal(undefined);
    expect(await counts()).to.deep.equal(before);
  });

  it('refunds refuse a comp order (admin, item, buyer, service: COMP_ORDER_NOT_REFUNDABLE) without spending the TOTP code; cancelling a unit frees its stock', async () => {
    const { ticket, size, s } = await closedTicket({ stock: 1 });
    const created = await comp(m, { user: speaker.email, reason: '자원봉사', customer_info: INFO, items: [line(ticket, [{ group: size, option: s }])] });
    const orderId = created.body.result.orderId as string;
    const itemId = created.body.result.items[0].id as string;
    const { secret } = await startEnrollment(manager.id, { secretKey: testConfig.secretKey, issuer: 'test' });
    await confirmEnrollment(manager.id, await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }), { secretKey: testConfig.secretKey });
    const stepBefore = (await User.findByPk(manager.id))!.totpLastStep;

    const preview = await m.get(`${API}/orders/records/${orderId}/refund`).expect(200);
    expect(preview.body.preview).to.include({ refundable: false });
    expect(preview.body.preview.reason).to.include('무료 발급');
    const full = await m.post(`${API}/orders/records/${orderId}/refund`).type('form').send({ totp: await generate({ secret }) });
    expect(full.body.notice.type).to.equal('error');
    expect(full.body.notice.message).to.include('무료 발급 주문은 환불할 수 없습니다');
    const one = await m.post(`${API}/order_product_relations/records/${itemId}/refund`).type('form').send({ totp: await generate({ secret }) });
    expect(one.body.notice.message).to.include('무료 발급 주문은 환불할 수 없습니다');
    expect((await User.findByPk(manager.id))!.totpLastStep).to.equal(stepBefore); // the code was not spent
    const buyer = await asBuyer(app, speaker).delete(`/v1/shop/orders/${orderId}/`).expect(400);
    expect(buyer.body).to.deep.equal({ type: 'validation_error', errors: [{ code: 'COMP_ORDER_NOT_REFUNDABLE', detail: buyer.body.errors[0].detail, attr: 'non_field_errors' }] });
    const err = await refund({ sequelize, portone: await portoneClient(), secretKey: testConfig.secretKey }, { orderId, channel: 'desk', authorizerUserId: manager.id, totp: '000000' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ServiceError);
    expect([(err as ServiceError).status, (err as ServiceError).errors[0]!.code]).to.deep.equal([400, 'COMP_ORDER_NOT_REFUNDABLE']);
    expect((await PaymentHistory.findAll({ where: { orderId } })).map((h) => h.status)).to.deep.equal(['completed']);

    // sold out now; 무료 발급 취소 (viewers may not) frees the unit, audited, with no refund at PortOne
    const soldOut = await comp(m, { user: (await makeUser()).id, reason: '연사', customer_info: INFO, items: [line(ticket, [{ group: size, option: s }])] });
    expect(codes(soldOut)).to.deep.equal(['PRODUCT_SOLDOUT']);
    const denied = await v.post(`${API}/order_product_relations/records/${itemId}/cancelComp`).type('form').send({ reason: '불참' });
    expect(denied.body.notice).to.deep.include({ type: 'error', message: 'forbiddenError' });
    const cancelled = await m.post(`${API}/order_product_relations/records/${itemId}/cancelComp`).type('form').send({ reason: '불참' });
    expect(cancelled.body.notice.type, JSON.stringify(cancelled.body)).to.equal('success');
    expect(cancelled.body.outcome).to.deep.equal({ orderId, status: 'refunded' });
    expect((await OrderProductRelation.findByPk(itemId))!.status).to.equal('refunded');
    expect((await PaymentHistory.findAll({ where: { orderId }, order: [['createdAt', 'ASC']] })).map((h) => [h.status, h.price, h.impId])).to.deep.equal([
      ['completed', 0, null],
      ['refunded', 0, null],
    ]);
    const audit = (await AuditLog.findOne({ where: { action: 'shop.order.comp_item_cancelled', recordId: orderId } }))!;
    expect([audit.actorUserId, audit.reason]).to.deep.equal([manager.id, '불참']);
    const twice = await m.post(`${API}/order_product_relations/records/${itemId}/cancelComp`).type('form').send({ reason: '불참' });
    expect(twice.body.error.errors[0].code).to.equal('comp_item_not_cancellable');
    const again = await comp(m, { user: (await makeUser()).id, reason: '대체 연사', customer_info: INFO, items: [line(ticket, [{ group: size, option: s }])] });
    expect(again.body.notice.type, JSON.stringify(again.body)).to.equal('success');
    // a paid (not comp) order's item cannot be "cancelled" this way
    const paid = await makeOrder(await makeUser(), [{ product: await makeProduct({ price: 1000 }) }]);
    const paidItem = (await OrderProductRelation.findOne({ where: { orderId: paid.id } }))!;
    const notComp = await m.post(`${API}/order_product_relations/records/${paidItem.id}/cancelComp`).type('form').send({});
    expect(notComp.body.error.errors[0].code).to.equal('not_comp_order');
  });
});

// The session-based registration desk (`/v1/internal-api/registration-desk/`) over the one desk service:
// a desk day — sign in → configuration → scan → check in → statistics change → undo — plus the scope rules,
// discovery, refunds guarded by the authorizer's TOTP, and the configuration rules of the panel.
import { expect } from 'chai';
import type { Express } from 'express';
import request from 'supertest';
import { generate } from 'otplib';
import { resetDb, testConfig } from '../helpers/db.js';
import { makeApp, portoneClient, portoneSim } from '../helpers/app.js';
import { signIn, type SignedIn } from '../helpers/auth.js';
import { makeCategory, makeGroup, makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { startEnrollment, confirmEnrollment } from '../../src/services/totp.js';
import { AuditLog, CustomerInfo, OrderProductRelation, PaymentHistory, RegistrationDeskConfig, TicketInfo, type Category, type Order, type User } from '../../src/models/index.js';
import { signScancodeToken } from '../../src/domain/scancode/token.js';
import { saveDeskConfig, DeskConfigMessages } from '../../src/services/desk-config.js';
import { seoulDate } from '../../src/domain/desk/day.js';
import * as S from '../../src/http/contract/schemas.js';
import { z } from 'zod';

const BASE = '/v1/internal-api/registration-desk';
const PASSWORD = 'desk-staff-pass-1';

describe('registration desk (session desk client)', function () {
  this.timeout(30_000);
  let app: Express;
  let staff: User;
  let ticketCat: Category;
  let sprintCat: Category;
  let order: Order;
  let sprintOrder: Order;
  let browser: SignedIn;

  const today = () => seoulDate(new Date());
  const day = (offset: number) => seoulDate(new Date(Date.now() + offset * 86_400_000));

  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
    staff = await makeUser({ isStaff: true, adminRole: 'manager', email: 'desk@example.com' }, PASSWORD);
    ticketCat = await makeCategory('티켓', '컨퍼런스 티켓', true);
    sprintCat = await makeCategory('행사', '스프린트');
    const ticket = await makeProduct({ nameKo: '컨퍼런스 티켓', price: 30000 }, ticketCat);
    const sprint = await makeProduct({ nameKo: '스프린트', price: 0 }, sprintCat);
    const buyer = await makeUser({ email: 'buyer@example.com', username: 'buyer1' });
    order = await makeOrder(buyer, [{ product: ticket }, { product: ticket }], 'completed');
    await CustomerInfo.create({ orderId: order.id, name: '김참가', phone: '010-1111-2222', email: 'kim@example.com', organization: 'PSF' });
    sprintOrder = await makeOrder(buyer, [{ product: sprint }], 'completed');
    browser = await signIn(app, staff.email, PASSWORD);
  });

  const get = (path: string) => browser.agent.get(`${BASE}${path}`);
  const patch = (path: string, body: unknown) => browser.agent.patch(`${BASE}${path}`).set('x-csrftoken', browser.csrf).send(body as object);
  const del = (path: string, body?: unknown) => browser.agent.delete(`${BASE}${path}`).set('x-csrftoken', browser.csrf).send((body ?? {}) as object);
  const items = () => OrderProductRelation.findAll({ where: { orderId: order.id }, order: [['id', 'ASC']] });

  it('a desk day: sign in → configuration → scan → check in → statistics change → undo', async () => {
    // discovery: where to sign in and which CSRF cookie / header to use
    const rosa = await request(app).get('/.well-known/rosa').expect(200);
    expect(rosa.body).to.deep.include({ service: 'registration-desk', api_base: `http://shop.test${BASE}/` });
    expect(rosa.body.auth).to.include({ type: 'session', login: 'http://shop.test/authn/social/browser/v1/auth/login', csrf_cookie_name: testConfig.auth.csrfCookieName });

    // signed in, but no configuration today: reads work, writes and statistics are refused
    let res = await get('/session/').expect(200);
    expect(res.body).to.deep.include({ today: today(), configuration: null });
    expect(res.body.user).to.include({ email: 'desk@example.com', admin_role: 'manager' });
    res = await get('/statistics/').expect(403);
    expect(res.body.errors[0].detail).to.equal(DeskConfigMessages.NO_CONFIG_TODAY);

    // the operator configures today in the panel (same service)
    const saved = await saveDeskConfig(RegistrationDeskConfig.sequelize!, null, {
      name: '1일차',
      eventName: '파이콘 한국 2027',
      startDate: today(),
      endDate: day(1),
      categoryIds: [ticketCat.id],
    });
    expect(saved.ok).to.equal(true);
    S.DeskSession.parse((await get('/session/').expect(200)).body); // the OpenAPI document's (strict) schemas
    res = await get('/configuration/').expect(200);
    S.DeskConfiguration.parse(res.body);
    expect(res.body).to.deep.include({ name: '1일차', event: { name: '파이콘 한국 2027' }, start_date: today(), end_date: day(1) });
    expect(res.body.categories).to.deep.equal([{ id: ticketCat.id, name: '컨퍼런스 티켓', group: '티켓' }]);
    res = await get('/statistics/').expect(200);
    expect(res.body).to.deep.equal({ target: 2, registered: 0, waiting: 2 });

    // scan the first ticket's QR (the full opr token)
    const [first] = await items();
    const token = signScancodeToken('opr', first!.id, testConfig.scancodeSalts);
    res = await get(`/order-products/?scancode=${encodeURIComponent(token)}`).expect(200);
    z.object({ order: S.DeskRow, product: S.DeskRow.shape.products.element }).strict().parse(res.body);
    expect(res.body.product).to.include({ id: first!.id, status: 'paid', scancode_token: token, category_id: ticketCat.id });
    expect(res.body.order).to.include({ id: order.id });
    expect(res.body.order.customer_info).to.include({ name: '김참가' });

    // check in
    res = await patch(`/orders/${order.id}/`, { products: [{ id: first!.id, status: 'used' }] }).expect(200);
    S.DeskRow.extend({ notices: z.array(S.DeskNotice) }).parse(res.body);
    expect(res.body.products.find((p: { id: string }) => p.id === first!.id)).to.include({ status: 'used', used_by: 'desk@example.com' });
    res = await get('/statistics/').expect(200);
    expect(res.body).to.deep.equal({ target: 2, registered: 1, waiting: 1 });
    const audit = await AuditLog.findOne({ where: { action: 'desk.check_in', recordId: first!.id } });
    expect(audit!.actorLabel).to.equal(`user:${staff.id}`);

    // undo
    await patch(`/orders/${order.id}/`, { products: [{ id: first!.id, status: 'paid' }] }).expect(200);
    res = await get('/statistics/').expect(200);
    expect(res.body).to.deep.equal({ target: 2, registered: 0, waiting: 2 });
    expect((await OrderProductRelation.findByPk(first!.id))!.usedAt).to.equal(null);
  });

  it('writes only for today’s categories; search needs a filter; bad scan codes are 400', async () => {
    await RegistrationDeskConfig.create({ name: 'd', startDate: today(), endDate: today(), categoryIds: [ticketCat.id] });
    const [sprintItem] = await OrderProductRelation.findAll({ where: { orderId: sprintOrder.id } });
    let res = await patch(`/orders/${sprintOrder.id}/`, { products: [{ id: sprintItem!.id, status: 'used' }] }).expect(403);
    expect(res.body.errors[0].detail).to.equal(DeskConfigMessages.NOT_TODAYS_CATEGORY);
    expect((await OrderProductRelation.findByPk(sprintItem!.id))!.status).to.equal('paid');

    res = await get('/orders/').expect(400);
    res = await get(`/orders/?keywords=${encodeURIComponent('김참가')}`).expect(200);
    expect(res.body.map((o: { id: string }) => o.id)).to.deep.equal([order.id]);

    res = await get('/order-products/?scancode=opr:abc:def').expect(400);
    expect(res.body.errors[0]).to.include({ detail: '스캔코드 형식이 올바르지 않습니다.', attr: 'scancode' });
    const orderToken = signScancodeToken('order', order.id, testConfig.scancodeSalts); // not an item's token
    await get(`/order-products/?scancode=${encodeURIComponent(orderToken)}`).expect(400);
    await get('/order-products/').expect(400);
  });

  it('only a signed-in manager / superuser session; the API-key desk is a separate client of the same service', async () => {
    await request(app).get(`${BASE}/session/`).expect(401);
    const viewer = await makeUser({ isStaff: true, adminRole: 'viewer', email: 'viewer@example.com' }, PASSWORD);
    const v = await signIn(app, viewer.email, PASSWORD);
    await v.agent.get(`${BASE}/session/`).expect(403);
    const buyer = await makeUser({ email: 'someone@example.com' }, PASSWORD);
    const b = await signIn(app, buyer.email, PASSWORD);
    await b.agent.get(`${BASE}/session/`).expect(403);
    // a write without the CSRF header is refused (session auth)
    await RegistrationDeskConfig.create({ name: 'd', startDate: today(), endDate: today(), categoryIds: [ticketCat.id] });
    const [first] = await items();
    await browser.agent.patch(`${BASE}/orders/${order.id}/`).send({ products: [{ id: first!.id, status: 'used' }] }).expect(403);
    expect((await OrderProductRelation.findByPk(first!.id))!.status).to.equal('paid');
  });

  it('refunds need the authorizer’s TOTP (our decision) and today’s categories', async () => {
    await RegistrationDeskConfig.create({ name: 'd', startDate: today(), endDate: today(), categoryIds: [ticketCat.id] });
    const { secret } = await startEnrollment(staff.id, { secretKey: testConfig.secretKey, issuer: 'test' });
    const nowS = Math.floor(Date.now() / 1000);
    await confirmEnrollment(staff.id, await generate({ secret, epoch: nowS - 90 }), { secretKey: testConfig.secretKey, now: new Date((nowS - 90) * 1000) });
    const ph = (await PaymentHistory.findOne({ where: { orderId: order.id } }))!;
    await (await portoneClient()).preparePayment(`rd-${order.id}`, ph.price);
    await (await portoneSim()).pay({ merchant_uid: `rd-${order.id}`, imp_uid: ph.impId!, notify: false });
    const [first, second] = await items();

    let res = await del(`/order-products/${first!.id}/refund/`, { authorizer: staff.email }).expect(400);
    expect(res.body.errors[0]).to.include({ code: 'OTP_REQUIRED', attr: 'otp' });
    const [sprintItem] = await OrderProductRelation.findAll({ where: { orderId: sprintOrder.id } });
    res = await del(`/order-products/${sprintItem!.id}/refund/`, { authorizer: staff.email, otp: '123456' }).expect(403);
    expect(res.body.errors[0].detail).to.equal(DeskConfigMessages.NOT_TODAYS_CATEGORY);

    await del(`/order-products/${first!.id}/refund/`, { authorizer: staff.email, otp: await generate({ secret, epoch: nowS }) }).expect(204);
    expect((await OrderProductRelation.findByPk(first!.id))!.status).to.equal('refunded');
    expect((await OrderProductRelation.findByPk(second!.id))!.status).to.equal('paid');
    res = await get('/statistics/').expect(200);
    expect(res.body).to.deep.equal({ target: 1, registered: 0, waiting: 1 });
  });

  it('holder info: set / edit while paid or used (ticket products only), revived when deleted; searchable', async () => {
    await RegistrationDeskConfig.create({ name: 'd', startDate: today(), endDate: today(), categoryIds: [ticketCat.id, sprintCat.id] });
    const [first, second] = await items();
    const holder = { name: '새 참가자', phone: '010-2222-3333', email: 'new@example.com', organization: '', contribution_message: '무시됨' };
    let res = await patch(`/orders/${order.id}/`, { products: [{ id: first!.id, ticket_info: holder }] }).expect(200);
    S.DeskRow.extend({ notices: z.array(S.DeskNotice) }).parse(res.body);
    expect(res.body.products.find((p: { id: string }) => p.id === first!.id)).to.deep.include({
      is_ticket: true,
      ticket_info: { name: '새 참가자', phone: '010-2222-3333', email: 'new@example.com', organization: '' },
    });
    expect((await TicketInfo.findOne({ where: { orderProductRelationId: first!.id } }))!.contributionMessage).to.equal(null);
    // a partial edit of a live holder; a bad phone is a 400 naming the field
    await patch(`/orders/${order.id}/`, { products: [{ id: first!.id, ticket_info: { organization: 'PSF' } }] }).expect(200);
    res = await patch(`/orders/${order.id}/`, { products: [{ id: first!.id, ticket_info: { phone: '12345' } }] }).expect(400);
    expect(res.body.errors[0].attr).to.equal('products.0.ticket_info.phone');
    expect((await TicketInfo.findOne({ where: { orderProductRelationId: first!.id } }))!).to.include({ organization: 'PSF', phone: '010-2222-3333' });
    // the holder is found by the desk search
    res = await get(`/orders/?keywords=${encodeURIComponent('새 참가자')}`).expect(200);
    expect(res.body.map((o: { id: string }) => o.id)).to.deep.equal([order.id]);
    // a deleted holder is revived (never duplicated), with a full set of fields
    await TicketInfo.destroy({ where: { orderProductRelationId: first!.id } });
    await patch(`/orders/${order.id}/`, { products: [{ id: first!.id, ticket_info: holder }] }).expect(200);
    expect(await TicketInfo.count({ where: { orderProductRelationId: first!.id }, paranoid: false })).to.equal(1);
    // refunded item → refused; a non-ticket product → refused
    await second!.update({ status: 'refunded' });
    res = await patch(`/orders/${order.id}/`, { products: [{ id: second!.id, ticket_info: holder }] }).expect(400);
    expect(res.body.errors[0]).to.include({ code: 'TICKET_INFO_NOT_EDITABLE_STATUS', attr: 'products.0.ticket_info' });
    const [sprintItem] = await OrderProductRelation.findAll({ where: { orderId: sprintOrder.id } });
    res = await patch(`/orders/${sprintOrder.id}/`, { products: [{ id: sprintItem!.id, ticket_info: holder }] }).expect(400);
    expect(res.body.errors[0]).to.include({ code: 'TICKET_INFO_NOT_ALLOWED', attr: 'products.0.ticket_info' });
  });

  it('configurations: no overlapping periods, valid dates and categories (panel and database)', async () => {
    const s = RegistrationDeskConfig.sequelize!;
    expect((await saveDeskConfig(s, null, { name: 'a', startDate: '2027-08-10', endDate: '2027-08-11', categoryIds: [ticketCat.id] })).ok).to.equal(true);
    let r = await saveDeskConfig(s, null, { name: 'b', startDate: '2027-08-11', endDate: '2027-08-12', categoryIds: `${sprintCat.id}` });
    expect(r).to.deep.equal({ ok: false, errors: { startDate: DeskConfigMessages.OVERLAP } });
    r = await saveDeskConfig(s, null, { name: '', startDate: '2027-13-01', endDate: '2027-08-01', categoryIds: [] });
    expect(r.ok).to.equal(false);
    expect(Object.keys((r as { errors: object }).errors).sort()).to.deep.equal(['categoryIds', 'name', 'startDate']);
    r = await saveDeskConfig(s, null, { name: 'c', startDate: '2027-08-13', endDate: '2027-08-12', 'categoryIds.0': sprintCat.id });
    expect(r).to.deep.equal({ ok: false, errors: { endDate: DeskConfigMessages.END_BEFORE_START } });
    expect((await saveDeskConfig(s, null, { name: 'c', startDate: '2027-08-12', endDate: '2027-08-12', 'categoryIds.0': sprintCat.id })).ok).to.equal(true);
    // the database refuses an overlap even past the service
    const err = await RegistrationDeskConfig.create({ name: 'x', startDate: '2027-08-01', endDate: '2027-08-10', categoryIds: [] }).catch((e: unknown) => e);
    expect((err as { parent?: { code?: string } }).parent?.code).to.equal('23P01');
  });
});

/**
 * The AdminJS panel through its own HTTP API (the routes the panel's browser code calls):
 * sign-in (staff only), roles enforced on the server, catalogue writes with the domain's validation,
 * order search/filters, refunds with TOTP, CSV/XLSX export, CSV import, notifications, audit, dashboard,
 * staff flags and API keys.
 */
import { expect } from 'chai';
import request from 'supertest';
import ExcelJS from 'exceljs';
import { generate } from 'otplib';
import type { Express } from 'express';
import { resetDb, testConfig } from '../helpers/db.js';
import { portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { adminApp, adminLogin, makeStaff, type Agent } from '../helpers/admin.js';
import { makeCategory, makeGroup, makeOption, makeOrder, makeProduct, makeTag, makeUser } from '../helpers/fixtures.js';
import {
  AuditLog,
  CustomerInfo,
  NotificationRecipient,
  NotificationTemplate,
  Order,
  OrderProductRelation,
  PaymentHistory,
  Product,
  Tag,
  User,
  ApiKey,
  OptionGroup,
} from '../../src/models/index.js';
import { startEnrollment, confirmEnrollment } from '../../src/services/totp.js';
import { merchantUid } from '../../src/domain/checkout/snapshot.js';
import { encodeShortUuid } from '../../src/domain/scancode/shortuuid.js';
import { scancodeUrl, signScancodeToken } from '../../src/domain/scancode/token.js';
import { guardFormula, unguardFormula } from '../../src/services/csv/formula.js';
import { productWindowErrors, optionGroupRuleErrors, CatalogMessages } from '../../src/services/admin-catalog.js';
import { UNBOUNDED } from '../../src/models/index.js';
import { startFakeOAuth, type FakeOAuth } from '../helpers/fake-oauth.js';
import { createApp } from '../../src/http/app.js';
import { mountAdmin, adminSettings } from '../../admin/index.js';
import { parseConfig } from '../../src/config.js';
import { testDb, testEnv } from '../helpers/db.js';
import { portoneClient } from '../helpers/app.js';

const API = '/admin/api/resources';
const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '파이콘' };

describe('admin panel (AdminJS)', function () {
  this.timeout(60_000);
  let app: Express;
  let manager: User;
  let viewer: User;
  let m: Agent;
  let v: Agent;

  before(async () => {
    ({ app } = await adminApp());
  });

  beforeEach(async () => {
    await resetDb();
    manager = await makeStaff('manager', { email: 'manager@example.com' });
    viewer = await makeStaff('viewer', { email: 'viewer@example.com' });
    m = await adminLogin(app, manager.email);
    v = await adminLogin(app, viewer.email);
  });

  /** An order paid through the PortOne simulator and the webhook (so PortOne can refund it). */
  async function paidOrder(user: User, productIds: string[], info = INFO): Promise<string> {
    const sim = await portoneSim();
    const b = asBuyer(app, user);
    for (const id of productIds) await b.post('/v1/shop/orders/cart/products/', { product: id, options: [] }).expect(201);
    const co = (await b.post('/v1/shop/orders/', info).expect(201)).body;
    const { payment } = await sim.pay({ merchant_uid: co.merchant_uid, notify: false });
    await request(app).post('/v1/shop/payment-histories/').send({ imp_uid: payment.imp_uid, merchant_uid: co.merchant_uid, status: 'paid' }).expect(200);
    return co.id as string;
  }

  async function enroll(user: User): Promise<string> {
    const { secret } = await startEnrollment(user.id, { secretKey: testConfig.secretKey, issuer: 'test' });
    await confirmEnrollment(user.id, await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }), { secretKey: testConfig.secretKey });
    return secret;
  }

  describe('sign-in and roles', () => {
    it('staff sign in with e-mail + password; non-staff and wrong passwords are refused; the API needs a session', async () => {
      const buyer = await makeUser({}, 'buyer-pass-1234');
      const refused = await request(app).post('/admin/login').type('form').send({ email: buyer.email, password: 'buyer-pass-1234' });
      expect(refused.status).to.not.equal(302); // the login page again, with an error
      const wrong = await request(app).post('/admin/login').type('form').send({ email: manager.email, password: 'nope-nope-nope' });
      expect(wrong.status).to.not.equal(302);
      const anon = await request(app).get(`${API}/orders/actions/list`);
      expect(anon.status).to.equal(302);
      expect(anon.headers.location).to.equal('/admin/login');
      const login = await request(app).get('/admin/login').expect(200);
      expect(login.text).to.include('__APP_STATE__');
      // the panel's own cookie, scoped to /admin
      const res = await request(app).post('/admin/login').type('form').send({ email: manager.email, password: 'staff-pass-1234' });
      expect(String(res.headers['set-cookie'])).to.match(/adminsessionid=.*Path=\/admin/);
      const list = await m.get(`${API}/orders/actions/list`).expect(200);
      expect(list.body.meta.total).to.equal(0);
    });

    it('a revoked staff flag signs the person out at the next request', async () => {
      await viewer.update({ isStaff: false });
      const res = await v.get(`${API}/orders/actions/list`);
      expect(res.status).to.equal(302);
    });

    it('a viewer reads but every write / refund / import / send is refused on the server', async () => {
      const cat = await makeCategory();
      await v.get(`${API}/products/actions/list`).expect(200);
      const created = await v.post(`${API}/products/actions/new`).type('form').send({ nameKo: '몰래', categoryId: cat.id, price: '1000' });
      expect(created.body.notice).to.deep.include({ type: 'error', message: 'forbiddenError' });
      expect(await Product.count()).to.equal(0);
      const user = await makeUser();
      const p = await makeProduct({ price: 10000 });
      const orderId = await paidOrder(user, [p.id]);
      const refund = await v.post(`${API}/orders/records/${orderId}/refund`).type('form').send({ totp: '123456' });
      expect(refund.body.notice).to.deep.include({ type: 'error', message: 'forbiddenError' });
      const imp = await v.post(`${API}/orders/actions/import`).attach('file', Buffer.from('name\n'), 'a.csv');
      expect(imp.body.notice).to.deep.include({ type: 'error', message: 'forbiddenError' });
      const send = await v.post(`${API}/orders/actions/notify`).type('form').send({ step: 'send', templateId: '00000000-0000-0000-0000-000000000000' });
      expect(send.body.notice).to.deep.include({ type: 'error' });
      const flags = await v.post(`${API}/users/records/${viewer.id}/edit`).type('form').send({ adminRole: 'manager' });
      expect(flags.body.notice).to.deep.include({ type: 'error', message: 'forbiddenError' });
      expect((await User.findByPk(viewer.id))!.adminRole).to.equal('viewer');
      expect((await PaymentHistory.findAll({ where: { orderId } })).map((h) => h.status)).to.deep.equal(['completed']);
    });

    it('Google sign-in through Passport: existing staff of the allowed domain only; never creates accounts', async () => {
      const fake: FakeOAuth = await startFakeOAuth();
      try {
        const config = parseConfig({ ...testEnv, ...fake.env('google') });
        const deps = { config, sequelize: await testDb(), portone: await portoneClient() };
        const gapp = createApp(deps);
        await mountAdmin(gapp, deps, adminSettings({ ADMIN_GOOGLE_ALLOWED_DOMAIN: 'example.com' }));
        const login = await request(gapp).get('/admin/login').expect(200);
        expect(login.text).to.include('/admin/auth/google');
        const roundTrip = async (email: string, verified = true) => {
          const agent = request.agent(gapp);
          const start = await agent.get('/admin/auth/google').expect(302);
          const authorize = new URL(start.headers.location!);
          expect(authorize.searchParams.get('redirect_uri')).to.equal('http://shop.test/admin/auth/google/callback');
          fake.consent = { sub: `g-${email}`, email, email_verified: verified, name: 'G' };
          const atProvider = await fetch(authorize, { redirect: 'manual' });
          const back = new URL(atProvider.headers.get('location')!);
          const done = await agent.get(back.pathname + back.search);
          return { agent, done };
        };
        const ok = await roundTrip(manager.email);
        expect(ok.done.status).to.equal(302);
        expect(ok.done.headers.location).to.equal('/admin');
        await ok.agent.get(`${API}/orders/actions/list`).expect(200);
        const buyer = await makeUser({ email: 'buyer-g@example.com' });
        const notStaff = await roundTrip(buyer.email);
        expect(notStaff.done.headers.location).to.equal('/admin/login?error=not_staff');
        const stranger = await roundTrip('someone@elsewhere.example');
        expect(stranger.done.headers.location).to.equal('/admin/login?error=domain_not_allowed');
        expect(await User.count({ where: { email: 'someone@elsewhere.example' } })).to.equal(0);
        const denied = await notStaff.agent.get(`${API}/orders/actions/list`);
        expect(denied.status).to.equal(302);
      } finally {
        await fake.close();
      }
    });

    it('a cross-site POST to the panel is refused (no CSRF token in AdminJS: same-origin check)', async () => {
      const res = await m.post(`${API}/tags/actions/new`).set('Origin', 'https://evil.example').type('form').send({ nameKo: 'x' });
      expect(res.status).to.equal(403);
      expect(await Tag.count()).to.equal(0);
    });
  });

  describe('catalogue', () => {
    it('product windows: the Korean field errors of the API; a valid product is created with its tags and audited', async () => {
      const cat = await makeCategory();
      const tag = await makeTag();
      const bad = await m.post(`${API}/products/actions/new`).type('form').send({
        nameKo: '티켓',
        categoryId: cat.id,
        price: '30000',
        visibleStartsAt: '2027-01-10T00:00:00Z',
        visibleEndsAt: '2027-02-01T00:00:00Z',
        orderableStartsAt: '2027-01-01T00:00:00Z',
        orderableEndsAt: '2027-03-01T00:00:00Z',
      });
      expect(bad.body.record.errors.orderableStartsAt.message).to.equal('판매 시작은 노출 시작 이후여야 합니다.');
      expect(bad.body.record.errors.orderableEndsAt.message).to.equal('판매 종료는 노출 종료 이전이어야 합니다.');
      expect(await Product.count()).to.equal(0);

      const ok = await m.post(`${API}/products/actions/new`).type('form').send({ nameKo: '티켓', nameEn: 'Ticket', categoryId: cat.id, price: '30000', stock: '10', 'tagIds.0': tag.id });
      expect(ok.body.notice.type, JSON.stringify(ok.body)).to.equal('success');
      const p = await Product.findOne({ where: { nameKo: '티켓' } });
      expect(p!.price).to.equal(30000);
      const show = await m.get(`${API}/products/records/${p!.id}/show`).expect(200);
      expect(show.body.record.params['tagIds.0']).to.equal(tag.id);
      const audit = await AuditLog.findOne({ where: { tableName: 'products', recordId: p!.id, action: 'create' } });
      expect(audit!.actorUserId).to.equal(manager.id);
      expect(audit!.actorLabel).to.equal(`user:${manager.id}`);
      // the history action shows it per record
      const history = await m.get(`${API}/products/records/${p!.id}/history`).expect(200);
      expect(history.body.history.map((h: { action: string }) => h.action)).to.include('create');
      // shown as the operator's name / e-mail (not `user:1`) and at the Asia/Seoul wall-clock time
      const created = history.body.history.find((h: { action: string }) => h.action === 'create');
      expect(created.actor).to.include(manager.email);
      const seoul = new Date(audit!.createdAt.getTime() + 9 * 3600_000).toISOString();
      expect(created.at).to.equal(`${seoul.slice(0, 10)} ${seoul.slice(11, 16)} (KST)`);
      // negative price and non-integers are field errors too
      const neg = await m.post(`${API}/products/records/${p!.id}/edit`).type('form').send({ price: '-1', stock: 'abc' });
      expect(Object.keys(neg.body.record.errors)).to.have.members(['price', 'stock']);
    });

    it('product form: names → price → windows (start → end) → donation → stock / limits; only name, category, price required; empty windows are unbounded', async () => {
      const { admin } = await adminApp();
      type Decorated = { decorate(): { getProperties(o: { where: string }): Array<{ name(): string; isRequired(): boolean; toJSON(w: string): { description?: string } }> } };
      const props = (admin as { findResource(id: string): Decorated }).findResource('products').decorate().getProperties({ where: 'edit' });
      const order = props.map((p) => p.name());
      const at = (k: string) => order.indexOf(k);
      expect(at('nameKo')).to.be.below(at('price'));
      expect(at('price')).to.be.below(at('visibleStartsAt'));
      for (const [a, b] of [['visibleStartsAt', 'visibleEndsAt'], ['visibleEndsAt', 'orderableStartsAt'], ['orderableStartsAt', 'orderableEndsAt'], ['orderableEndsAt', 'refundableEndsAt'], ['refundableEndsAt', 'donationMinPrice'], ['donationMinPrice', 'donationMaxPrice'], ['donationMaxPrice', 'stock'], ['stock', 'maxQuantityPerUser']]) {
        expect(at(a!), `${a} before ${b}`).to.be.below(at(b!));
      }
      const required = props.filter((p) => p.isRequired()).map((p) => p.name());
      expect(required).to.include.members(['nameKo', 'categoryId', 'price']);
      expect(required).to.not.include.members(['nameEn']).and.not.include('stock').and.not.include('orderableStartsAt').and.not.include('descriptionKo');
      expect(props.find((p) => p.name() === 'stock')!.toJSON('edit').description).to.equal('0 = 무제한');
      const cat = await makeCategory();
      const blank = { visibleStartsAt: '', visibleEndsAt: '', orderableStartsAt: '', orderableEndsAt: '', refundableEndsAt: '', stock: '', maxQuantityPerUser: '' };
      const ok = await m.post(`${API}/products/actions/new`).type('form').send({ nameKo: '무제한 굿즈', categoryId: cat.id, price: '5000', ...blank });
      expect(ok.body.notice.type, JSON.stringify(ok.body)).to.equal('success');
      const p = (await Product.findOne({ where: { nameKo: '무제한 굿즈' } }))!;
      expect([p.visibleStartsAt, p.orderableEndsAt, p.refundableEndsAt].map((d) => d?.toISOString())).to.deep.equal([UNBOUNDED.start.toISOString(), UNBOUNDED.end.toISOString(), UNBOUNDED.end.toISOString()]);
      expect([p.stock, p.maxQuantityPerUser]).to.deep.equal([0, 0]);
    });

    it('deletes are soft (audited, who) and a deleted name can be created again', async () => {
      const first = await m.post(`${API}/tags/actions/new`).type('form').send({ nameKo: '파이콘 티켓', stock: '100', maxQuantityPerUser: '1' });
      expect(first.body.notice.type).to.equal('success');
      const tag = (await Tag.findOne({ where: { nameKo: '파이콘 티켓' } }))!;
      const dup = await m.post(`${API}/tags/actions/new`).type('form').send({ nameKo: '파이콘 티켓' });
      expect(dup.body.record.errors.nameKo.message).to.equal(CatalogMessages.NAME_TAKEN);
      await m.post(`${API}/tags/records/${tag.id}/delete`).expect(200);
      const gone = await Tag.findByPk(tag.id, { paranoid: false });
      expect(gone!.deletedAt).to.not.equal(null);
      expect(gone!.deletedById).to.equal(manager.id);
      const again = await m.post(`${API}/tags/actions/new`).type('form').send({ nameKo: '파이콘 티켓' });
      expect(again.body.notice.type).to.equal('success');
      expect(await Tag.count()).to.equal(1);
      expect(await AuditLog.count({ where: { tableName: 'tags', recordId: tag.id, action: 'delete' } })).to.equal(1);
    });

    it('option groups: a custom-response group needs a compiling pattern; min ≤ max; edited together from the product', async () => {
      const p = await makeProduct();
      const noPattern = await m.post(`${API}/option_groups/actions/new`).type('form').send({ productId: p.id, nameKo: '배지 이름', isCustomResponse: 'true' });
      expect(noPattern.body.record.errors.customResponsePattern.message).to.equal('is_custom_response=True 일 때 custom_response_pattern 은 필수입니다.');
      const badRe = await m.post(`${API}/option_groups/actions/new`).type('form').send({ productId: p.id, nameKo: '배지 이름', isCustomResponse: 'true', customResponsePattern: '(' });
      expect(badRe.body.record.errors.customResponsePattern.message).to.match(/^유효하지 않은 정규표현식입니다: /);
      const minMax = await m.post(`${API}/option_groups/actions/new`).type('form').send({ productId: p.id, nameKo: '사이즈', minQuantityPerProduct: '2', maxQuantityPerProduct: '1' });
      expect(minMax.body.record.errors.maxQuantityPerProduct.message).to.equal(CatalogMessages.MIN_GREATER_THAN_MAX);

      // nested sync from the product: create, then update one / drop the other
      const groups = [
        { nameKo: '사이즈', minQuantityPerProduct: 1, maxQuantityPerProduct: 1, options: [{ nameKo: 'M', stock: 10 }, { nameKo: 'L', stock: 5 }] },
        { nameKo: '배지 이름', isCustomResponse: true, customResponsePattern: '.+' },
      ];
      const saved = await m.post(`${API}/products/records/${p.id}/options`).type('form').send({ groups: JSON.stringify(groups) });
      expect(saved.body.notice.type, JSON.stringify(saved.body)).to.equal('success');
      const current = saved.body.groups as Array<{ id: string; nameKo: string; options: Array<{ id: string; nameKo: string }> }>;
      expect(current.map((g) => g.nameKo)).to.have.members(['사이즈', '배지 이름']);
      const size = current.find((g) => g.nameKo === '사이즈')!;
      const update = [{ id: size.id, nameKo: '사이즈', minQuantityPerProduct: 1, maxQuantityPerProduct: 1, options: [{ id: size.options[0]!.id, nameKo: 'M', stock: 20 }] }];
      const again = await m.post(`${API}/products/records/${p.id}/options`).type('form').send({ groups: JSON.stringify(update) });
      expect(again.body.groups).to.have.length(1);
      expect(again.body.groups[0].options).to.have.length(1);
      expect(await OptionGroup.count({ where: { productId: p.id } })).to.equal(1);
      const invalid = await m.post(`${API}/products/records/${p.id}/options`).type('form').send({ groups: JSON.stringify([{ nameKo: 'x', isCustomResponse: true }]) });
      expect(invalid.body.errors['groups.0.customResponsePattern']).to.be.a('string');
      expect(await OptionGroup.count({ where: { productId: p.id } })).to.equal(1); // all or nothing
    });

    it('window rules of option groups (pure)', () => {
      const product = { visibleStartsAt: new Date('2027-01-01'), visibleEndsAt: new Date('2027-12-31'), orderableStartsAt: new Date('2027-02-01'), orderableEndsAt: new Date('2027-11-30') };
      expect(productWindowErrors(product)).to.deep.equal({});
      const g = { minQuantityPerProduct: 0, maxQuantityPerProduct: 0, isCustomResponse: false, customResponsePattern: null, visibleStartsAt: null, visibleEndsAt: null, orderableStartsAt: null, orderableEndsAt: null };
      expect(optionGroupRuleErrors({ ...g, orderableStartsAt: new Date('2027-01-15') }, product)).to.have.key('orderableStartsAt');
      expect(optionGroupRuleErrors({ ...g, minQuantityPerProduct: 1, visibleEndsAt: new Date('2027-06-01') }, product).visibleEndsAt).to.equal(CatalogMessages.REQUIRED_GROUP_WINDOW);
      expect(optionGroupRuleErrors({ ...g, orderableStartsAt: new Date('2027-03-01'), orderableEndsAt: new Date('2027-04-01') }, product)).to.deep.equal({});
      expect(productWindowErrors({ ...product, visibleStartsAt: UNBOUNDED.start, visibleEndsAt: UNBOUNDED.end })).to.deep.equal({});
    });
  });

  describe('orders', () => {
    it('search by id, merchant_uid, imp_uid, buyer e-mail, customer name/phone/e-mail; filters by status, product, price', async () => {
      const user = await makeUser({ email: 'buyer-one@example.com' });
      const a = await makeProduct({ price: 10000 });
      const b = await makeProduct({ price: 20000 });
      const o1 = await paidOrder(user, [a.id], { ...INFO, name: '김철수', phone: '010-9999-0000', email: 'chulsoo@example.com' });
      const o2 = await paidOrder(await makeUser(), [b.id]);
      await makeOrder(user, [{ product: a }], null); // a cart: never listed
      const ids = async (query: string) => ((await m.get(`${API}/orders/actions/list?${query}`).expect(200)).body.records as Array<{ id: string }>).map((r) => r.id);
      expect(await ids('')).to.have.members([o1, o2]);
      const order1 = await Order.findByPk(o1);
      const imp = (await PaymentHistory.findOne({ where: { orderId: o1 } }))!.impId!;
      expect(await ids(`filters.q=${o1}`)).to.deep.equal([o1]);
      expect(await ids(`filters.q=${encodeURIComponent(merchantUid(o1, order1!.preparedCartHash!))}`)).to.deep.equal([o1]);
      expect(await ids(`filters.q=${imp}`)).to.deep.equal([o1]);
      expect(await ids('filters.q=buyer-one')).to.deep.equal([o1]);
      expect(await ids(`filters.q=${encodeURIComponent('김철수')}`)).to.deep.equal([o1]);
      expect(await ids('filters.q=010-9999')).to.deep.equal([o1]);
      expect(await ids('filters.q=chulsoo')).to.deep.equal([o1]);
      expect(await ids(`filters.productId=${b.id}`)).to.deep.equal([o2]);
      expect(await ids('filters.priceMin=15000')).to.deep.equal([o2]);
      expect(await ids('filters.currentStatus=refunded')).to.deep.equal([]);
      expect(await ids(`filters.categoryId=${a.categoryId}`)).to.have.members([o1, o2]);
      const future = new Date(Date.now() + 3600_000).toISOString();
      expect(await ids(`filters.createdAt~~from=${encodeURIComponent(future)}`)).to.deep.equal([]);
      const show = await m.get(`${API}/orders/records/${o1}/show`).expect(200);
      expect(show.body.record.params).to.include({ currentStatus: 'completed', currentPaidPrice: 10000, customerName: '김철수', latestImpId: imp });
      expect(JSON.parse(show.body.record.params.itemsJson)).to.have.length(1);
      // orders are read-only in the panel
      const edit = await m.post(`${API}/orders/records/${o1}/edit`).type('form').send({ nameKo: 'x' });
      expect(edit.body.notice).to.deep.include({ type: 'error', message: 'forbiddenError' });
    });

    it('the search box: short ids, QR codes or their URLs, user_unique_id, phone digits; several statuses; status-changed range', async () => {
      const user = await makeUser({ email: 'buyer-two@example.com' });
      const a = await makeProduct({ price: 10000 });
      const o1 = await paidOrder(user, [a.id], { ...INFO, name: '김철수', phone: '010-9999-0000', email: 'chulsoo@example.com' });
      const o2 = await paidOrder(await makeUser(), [a.id]);
      const ids = async (query: string) => ((await m.get(`${API}/orders/actions/list?${query}`).expect(200)).body.records as Array<{ id: string }>).map((r) => r.id);
      // the QR page's short id (order, item, buyer), a scanned QR code or its page URL, user_unique_id, phone digits
      const item1 = (await OrderProductRelation.findOne({ where: { orderId: o1 } }))!;
      const buyer = (await User.findByPk(user.id))!;
      expect(await ids(`filters.q=${encodeShortUuid(o1)}`)).to.deep.equal([o1]);
      expect(await ids(`filters.q=${encodeShortUuid(item1.id)}`)).to.deep.equal([o1]);
      expect(await ids(`filters.q=${buyer.uniqueId}`)).to.deep.equal([o1]);
      const qr = signScancodeToken('opr', item1.id, testConfig.scancodeSalts);
      expect(await ids(`filters.q=${encodeURIComponent(qr)}`)).to.deep.equal([o1]);
      expect(await ids(`filters.q=${encodeURIComponent(scancodeUrl(testConfig.backendDomain, signScancodeToken('user', buyer.uniqueId, testConfig.scancodeSalts)))}`)).to.deep.equal([o1]);
      expect(await ids('filters.q=01099990000')).to.deep.equal([o1]);
      expect(await ids('filters.q=9999%200000')).to.deep.equal([o1]);
      // several statuses at once; the status-changed range
      const later = new Date(Date.now() + 3600_000); // well after o1's payment, whatever the machine's speed
      await PaymentHistory.create({ orderId: o2, status: 'refunded', price: 0, impId: null, createdAt: later });
      expect(await ids('filters.currentStatus=completed,refunded')).to.have.members([o1, o2]);
      expect(await ids('filters.currentStatus=refunded')).to.deep.equal([o2]);
      const soon = new Date(later.getTime() - 60_000).toISOString();
      expect(await ids(`filters.statusChangedAt~~from=${encodeURIComponent(soon)}`)).to.deep.equal([o2]);
      expect(await ids(`filters.statusChangedAt~~to=${encodeURIComponent(soon)}`)).to.deep.equal([o1]);
    });

    it('refund (full): preview, then wrong / right / reused TOTP; without enrollment no refund', async () => {
      const user = await makeUser();
      const p = await makeProduct({ price: 30000 });
      const orderId = await paidOrder(user, [p.id]);
      const preview = await m.get(`${API}/orders/records/${orderId}/refund`).expect(200);
      expect(preview.body.preview).to.include({ amount: 30000, resultingStatus: 'refunded', refundable: true, kind: 'full' });
      expect(preview.body.totpEnrolled).to.equal(false);
      const notEnrolled = await m.post(`${API}/orders/records/${orderId}/refund`).type('form').send({ totp: '123456' });
      expect(notEnrolled.body.notice.type).to.equal('error');

      const secret = await enroll(manager);
      const missing = await m.post(`${API}/orders/records/${orderId}/refund`).type('form').send({ totp: '' });
      expect(missing.body.notice.message).to.equal('환불 승인자의 OTP 코드가 필요합니다.');
      const right = await generate({ secret });
      const wrong = right === '000000' ? '111111' : '000000';
      const bad = await m.post(`${API}/orders/records/${orderId}/refund`).type('form').send({ totp: wrong });
      expect(bad.body.notice.message).to.equal('OTP 코드가 올바르지 않습니다.');
      expect((await PaymentHistory.findAll({ where: { orderId } })).length).to.equal(1);

      const ok = await m.post(`${API}/orders/records/${orderId}/refund`).type('form').send({ totp: right, reason: '운영자 환불' });
      expect(ok.body.notice.type, JSON.stringify(ok.body.notice)).to.equal('success');
      expect(ok.body.outcome).to.include({ refunded: 30000, status: 'refunded' });
      const audit = await AuditLog.findOne({ where: { recordId: orderId, action: 'shop.order.refunded' } });
      expect(audit!.actorUserId).to.equal(manager.id);
      expect(audit!.after).to.deep.include({ authorizer_user_id: manager.id, channel: 'admin' });

      // the same code again, on another order: refused (a code is used once)
      const other = await paidOrder(user, [p.id]);
      const reused = await m.post(`${API}/orders/records/${other}/refund`).type('form').send({ totp: right });
      expect(reused.body.notice.message).to.equal('OTP 코드가 올바르지 않습니다.');
      expect((await PaymentHistory.findAll({ where: { orderId: other } })).map((h) => h.status)).to.deep.equal(['completed']);
    });

    it('refund (one item): partial refund from the item record', async () => {
      const user = await makeUser();
      const a = await makeProduct({ price: 10000 });
      const b = await makeProduct({ price: 25000 });
      const orderId = await paidOrder(user, [a.id, b.id]);
      const item = (await OrderProductRelation.findOne({ where: { orderId, productId: b.id } }))!;
      const secret = await enroll(manager);
      const preview = await m.get(`${API}/order_product_relations/records/${item.id}/refund`).expect(200);
      expect(preview.body.preview).to.include({ kind: 'item', amount: 25000, resultingStatus: 'partial_refunded' });
      const ok = await m.post(`${API}/order_product_relations/records/${item.id}/refund`).type('form').send({ totp: await generate({ secret }) });
      expect(ok.body.outcome, JSON.stringify(ok.body)).to.include({ refunded: 25000, status: 'partial_refunded', remaining: 10000 });
      expect((await item.reload()).status).to.equal('refunded');
    });

    it('customer info is the one editable part of an order (validated like checkout)', async () => {
      const user = await makeUser();
      const p = await makeProduct();
      const order = await makeOrder(user, [{ product: p }]);
      const info = await CustomerInfo.create({ orderId: order.id, ...INFO });
      const bad = await m.post(`${API}/customer_infos/records/${info.id}/edit`).type('form').send({ phone: '12345' });
      expect(bad.body.record.errors.phone).to.exist;
      await m.post(`${API}/customer_infos/records/${info.id}/edit`).type('form').send({ phone: '010-2222-3333' }).expect(200);
      expect((await info.reload()).phone).to.equal('010-2222-3333');
    });
  });

  describe('export', () => {
    async function seedOrders() {
      const cat = await makeCategory('티켓', '컨퍼런스 티켓');
      const ticket = await makeProduct({ nameKo: '파이콘 한국 2027 티켓', price: 50000 }, cat);
      const size = await makeGroup(ticket, { nameKo: '티셔츠 사이즈' });
      const m1 = await makeOption(size, { nameKo: 'M' });
      const badge = await makeGroup(ticket, { nameKo: '배지 이름', isCustomResponse: true, customResponsePattern: '.*' });
      const user = await makeUser({ email: 'attendee@example.com' });
      const order = await makeOrder(user, [{ product: ticket, options: [{ group: size, option: m1 }, { group: badge, customResponse: '=HYPERLINK("x")' }] }]);
      await CustomerInfo.create({ orderId: order.id, name: '김파이', phone: '+821012345678', email: 'kim@example.com', organization: '@org' });
      const other = await makeProduct({ nameKo: '머그컵', price: 12000 });
      const order2 = await makeOrder(await makeUser(), [{ product: other }], 'refunded');
      return { ticket, other, order, order2 };
    }

    it('CSV: UTF-8 BOM, Korean, one row per item, option-group columns, formula guard; filters and products select orders', async () => {
      const { ticket, order, order2 } = await seedOrders();
      const res = await m.get(`${API}/orders/actions/export?format=csv`).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/csv/);
      expect(res.headers['content-disposition']).to.match(/attachment; filename="order_export_.*\.csv"/);
      const body = res.body as Buffer;
      expect([...body.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      const text = body.toString('utf8').slice(1);
      const lines = text.trim().split('\r\n');
      expect(lines[0]).to.include('주문 번호').and.include('티셔츠 사이즈').and.include('배지 이름').and.include('고객명');
      expect(lines).to.have.length(3); // header + one item per order
      const row = lines.find((l) => l.startsWith(order.id))!;
      expect(row).to.include('파이콘 한국 2027 티켓').and.include('김파이').and.include(',M,');
      expect(row).to.include(`"'=HYPERLINK(""x"")"`); // guarded
      expect(row).to.include("'+821012345678").and.include("'@org");
      expect(text).to.include(order2.id);
      // by product (the original's request: completed / partial_refunded orders containing it)
      const byProduct = await m.get(`${API}/orders/actions/export?format=csv&productIds=${ticket.id}`);
      expect(byProduct.text).to.include(order.id).and.not.include(order2.id);
      // by the list filters
      const byFilter = await m.get(`${API}/orders/actions/export?format=csv&filters.currentStatus=refunded`);
      expect(byFilter.text).to.include(order2.id).and.not.include(order.id);
      expect(await AuditLog.count({ where: { action: 'shop.order.exported' } })).to.equal(3);
      // before downloading, the drawer asks what will be exported: the filters in words and the count
      const scope = (await m.get(`${API}/orders/actions/export?filters.currentStatus=refunded`).expect(200)).body.scope;
      expect(scope).to.deep.equal({ everyone: false, orders: 1, filters: [{ label: '상태', value: '환불 완료' }] });
      expect((await m.get(`${API}/orders/actions/export`).expect(200)).body.scope).to.deep.equal({ everyone: true, orders: 2, filters: [] });
      expect((await m.get(`${API}/orders/actions/export?productIds=${ticket.id}`).expect(200)).body.scope).to.include({ everyone: false, orders: 1 });
      expect(await AuditLog.count({ where: { action: 'shop.order.exported' } })).to.equal(3); // asking is not exporting
      expect(unguardFormula(guardFormula('=1+1'))).to.equal('=1+1');
    });

    it('XLSX: the original two sheets 주문 / 주문상품', async () => {
      const { order } = await seedOrders();
      const res = await m
        .get(`${API}/orders/actions/export?format=xlsx`)
        .buffer(true)
        .parse((r, cb) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => cb(null, Buffer.concat(chunks)));
        })
        .expect(200);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.body as never);
      expect(wb.worksheets.map((w) => w.name)).to.deep.equal(['주문', '주문상품']);
      const orders = wb.getWorksheet('주문')!;
      expect(orders.getRow(1).getCell(2).value).to.equal('주문 번호');
      expect(orders.rowCount).to.equal(3);
      const items = wb.getWorksheet('주문상품')!;
      const header = (items.getRow(1).values as unknown[]).map(String);
      expect(header).to.include('티셔츠 사이즈');
      const values = [2, 3].map((r) => (items.getRow(r).values as unknown[]).map(String));
      expect(values.find((v) => v.includes(order.id))).to.include('M').and.include('결제 완료'); // statuses in Korean, as the CSV
      expect((orders.getRow(2).values as unknown[]).map(String).concat((orders.getRow(3).values as unknown[]).map(String))).to.include.members(['결제 완료', '환불 완료']);
    });
  });

  describe('import', () => {
    async function catalogue() {
      const ticket = await makeProduct({ nameKo: '컨퍼런스 티켓', price: 50000, stock: 2 });
      const size = await makeGroup(ticket, { nameKo: '사이즈', minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
      await makeOption(size, { nameKo: 'M' });
      await makeOption(size, { nameKo: 'L', additionalPrice: 1000 });
      await makeGroup(ticket, { nameKo: '배지 이름', isCustomResponse: true, customResponsePattern: '.+' });
      return ticket;
    }

    it('template per product; dry run shows per-row results; apply creates paid orders; re-import creates nothing', async () => {
      const ticket = await catalogue();
      const a = await makeUser({ email: 'a@example.com' });
      await makeUser({ email: 'b@example.com' });
      const tpl = await m.get(`${API}/orders/actions/import?template=${ticket.id}`).expect(200);
      expect(tpl.text.charCodeAt(0)).to.equal(0xfeff);
      expect(tpl.text.slice(1).trim()).to.equal('name,phone,email,organization,product_id,donation_price,배지 이름,사이즈'); // catalogue order

      const csv =
        '\uFEFFname,phone,email,organization,product_id,donation_price,사이즈,배지 이름\r\n' +
        `김일번,010-1111-2222,A@example.com,,${ticket.id},0,M,일번\r\n` +
        `이이번,010-3333-4444,b@example.com,회사,${ticket.id},,L,이번\r\n`;
      const dry = await m.post(`${API}/orders/actions/import`).field('apply', 'false').attach('file', Buffer.from(csv), 'orders.csv');
      expect(dry.body.result, JSON.stringify(dry.body)).to.include({ applied: false, ok: true });
      expect(dry.body.result.rows.map((r: { status: string; price: number }) => [r.status, r.price])).to.deep.equal([['ok', 50000], ['ok', 51000]]);
      expect(await Order.count()).to.equal(0);

      const applied = await m.post(`${API}/orders/actions/import`).field('apply', 'true').attach('file', Buffer.from(csv), 'orders.csv');
      expect(applied.body.result).to.include({ applied: true, ok: true, created: 2 });
      const orders = await Order.findAll({ where: { userId: a.id } });
      expect(orders).to.have.length(1);
      const [item] = await OrderProductRelation.findAll({ where: { orderId: orders[0]!.id } });
      expect(item!.status).to.equal('paid');
      expect((await PaymentHistory.findOne({ where: { orderId: orders[0]!.id } }))!).to.include({ status: 'completed', impId: null, price: 50000 });
      expect((await CustomerInfo.findOne({ where: { orderId: orders[0]!.id } }))!.name).to.equal('김일번');
      const audit = await AuditLog.findOne({ where: { action: 'shop.order.imported' } });
      expect(audit!.actorUserId).to.equal(manager.id);

      // the same file again (even without the BOM, with \n line ends): nothing new
      const again = await m.post(`${API}/orders/actions/import`).field('apply', 'true').attach('file', Buffer.from(csv.slice(1).replace(/\r\n/g, '\n')), 'orders.csv');
      expect(again.body.result).to.include({ created: 0, duplicates: 2, ok: true });
      expect(await Order.count()).to.equal(2);
    });

    it('rows are validated together (stock across rows), errors per row, all or nothing; empty cells = not chosen', async () => {
      const ticket = await catalogue(); // stock 2
      await makeUser({ email: 'a@example.com' });
      const rows = [1, 2, 3].map((i) => `사람${i},010-1111-222${i},a@example.com,,${ticket.id},0,M,이름${i}`);
      const csv = `name,phone,email,organization,product_id,donation_price,사이즈,배지 이름\n${rows.join('\n')}\nx,010-0000-0000,nobody@example.com,,${ticket.id},0,XL,\n`;
      const res = await m.post(`${API}/orders/actions/import`).field('apply', 'true').attach('file', Buffer.from(csv), 'orders.csv');
      const result = res.body.result;
      expect(result, JSON.stringify(res.body)).to.include({ applied: false, ok: false });
      expect(result.rows.map((r: { status: string }) => r.status)).to.deep.equal(['ok', 'ok', 'error', 'error']);
      expect(result.rows[2].errors.product_id[0]).to.include('매진');
      expect(result.rows[3].errors.email).to.deep.equal(['User does not exists']);
      expect(result.rows[3].errors['사이즈']).to.deep.equal(["Invalid option: '사이즈' - XL"]);
      expect(await Order.count()).to.equal(0);
      // an empty required group cell = not chosen → the product's rule answers
      const noSize = `name,phone,email,organization,product_id,donation_price,사이즈,배지 이름\n사람,010-1111-2222,a@example.com,,${ticket.id},0,,이름\n`;
      const r2 = await m.post(`${API}/orders/actions/import`).field('apply', 'false').attach('file', Buffer.from(noSize), 'o.csv');
      expect(r2.body.result.rows[0].status).to.equal('error');
      expect(JSON.stringify(r2.body.result.rows[0].errors)).to.include('필수 구매 옵션');
    });
  });

  describe('notifications, dashboard, users, API keys', () => {
    it('preview and send to the filtered orders: one recipient per order, per-recipient rows, jobs after commit', async () => {
      const template = await NotificationTemplate.create({ code: 'notice', language: 'ko', name: '공지', subject: '{{ order_name }} 안내', body: '{{ customer_name }}님, {{ 배지 }}' });
      const user = await makeUser();
      const p = await makeProduct({ price: 10000 });
      await paidOrder(user, [p.id]);
      await paidOrder(await makeUser(), [p.id]); // same customer e-mail (INFO), another order: its own message
      const preview = await m.post(`${API}/orders/actions/notify`).type('form').send({ step: 'preview', templateId: template.id, filters: JSON.stringify({ productId: p.id }) });
      expect(preview.body.preview.template_variables).to.deep.equal(['customer_name', 'order_name', '배지']);
      expect(preview.body.preview.recipients).to.have.length(2);
      expect(preview.body.preview.recipients[0].missing_variables).to.deep.equal(['배지']);
      expect(preview.body.scope).to.deep.equal({ everyone: false, orders: 2, filters: [{ label: '상품', value: p.nameKo }] });
      const byProduct = JSON.stringify({ productId: p.id });
      const refused = await m.post(`${API}/orders/actions/notify`).type('form').send({ step: 'send', templateId: template.id, filters: byProduct });
      expect(refused.body.missing).to.have.length(2);
      expect(await NotificationRecipient.count()).to.equal(0);
      // the list's filters are what the drawer's query carries (`filters.*`), as the panel sends them
      const viaQuery = await m.post(`${API}/orders/actions/notify?filters.productId=${p.id}`).type('form').send({ step: 'preview', templateId: template.id });
      expect(viaQuery.body.scope.orders).to.equal(2);
      // no filter at all = every paid order: refused without the explicit confirmation
      const everyone = await m.post(`${API}/orders/actions/notify`).type('form').send({ step: 'send', templateId: template.id, contextOverride: JSON.stringify({ 배지: '참가자' }) });
      expect(everyone.body.notice.type).to.equal('error');
      expect(everyone.body.needsConfirmation).to.equal(true);
      expect(everyone.body.scope).to.include({ everyone: true, orders: 2 });
      // the number of orders changed since the preview: refused
      const stale = await m
        .post(`${API}/orders/actions/notify`)
        .type('form')
        .send({ step: 'send', templateId: template.id, filters: byProduct, expectedOrders: '1', contextOverride: JSON.stringify({ 배지: '참가자' }) });
      expect(stale.body.notice.message).to.include('1건 → 2건');
      expect(await NotificationRecipient.count()).to.equal(0);
      const sent = await m
        .post(`${API}/orders/actions/notify`)
        .type('form')
        .send({ step: 'send', templateId: template.id, filters: byProduct, expectedOrders: '2', contextOverride: JSON.stringify({ 배지: '참가자' }) });
      expect(sent.body.notice.type, JSON.stringify(sent.body)).to.equal('success');
      const rows = await NotificationRecipient.findAll();
      expect(rows.map((r) => [r.recipient, r.status, r.body])).to.deep.equal([
        ['gildong@example.com', 'CREATED', '홍길동님, 참가자'],
        ['gildong@example.com', 'CREATED', '홍길동님, 참가자'],
      ]);
      const list = await m.get(`${API}/notification_recipients/actions/list?filters.historyId=${sent.body.history.id}`).expect(200);
      expect(list.body.records[0].params.status).to.equal('CREATED');
    });

    it('templates are edited with validation (one active per code/language)', async () => {
      const ok = await m.post(`${API}/notification_templates/actions/new`).type('form').send({ code: 'reminder', language: 'ko', subject: '{{ order_name }}', body: '안녕하세요 {{ customer_name }}' });
      expect(ok.body.notice.type).to.equal('success');
      const dup = await m.post(`${API}/notification_templates/actions/new`).type('form').send({ code: 'reminder', language: 'ko', subject: 's', body: 'b' });
      expect(dup.body.record.errors.code).to.exist;
      const bad = await m.post(`${API}/notification_templates/actions/new`).type('form').send({ code: 'Bad Code', language: 'xx', subject: '', body: '{{ x' });
      expect(Object.keys(bad.body.record.errors)).to.include.members(['code', 'language', 'subject', 'body']);
    });

    it('dashboard: today and total sales, paid orders, refunds, stock left', async () => {
      const user = await makeUser();
      const p = await makeProduct({ price: 10000, stock: 5 });
      await paidOrder(user, [p.id]);
      const imported = await makeOrder(user, [{ product: p }], 'completed');
      // a refund is always later than its payment; created in the same millisecond the ledger's order would be a coin toss (flaked)
      await PaymentHistory.create({ orderId: imported.id, status: 'refunded', price: 0, impId: null, createdAt: new Date(Date.now() + 1000) });
      await OrderProductRelation.update({ status: 'refunded' }, { where: { orderId: imported.id } });
      const d = (await v.get('/admin/api/dashboard').expect(200)).body;
      expect(d.total).to.include({ sales: 20000, paidOrders: 2, refunds: 1, refundAmount: 10000, net: 10000 });
      expect(d.today).to.include({ sales: 20000, paidOrders: 2 });
      expect(d.stock.find((s: { productId: string }) => s.productId === p.id)).to.include({ stock: 5, sold: 1, left: 4 });
    });

    it('staff flags and roles: only superusers change them (audited)', async () => {
      const boss = await makeStaff('manager', { isSuperuser: true });
      const b = await adminLogin(app, boss.email);
      const denied = await m.post(`${API}/users/records/${viewer.id}/edit`).type('form').send({ adminRole: 'manager' });
      expect(denied.body.notice.message).to.equal('forbiddenError');
      await b.post(`${API}/users/records/${viewer.id}/edit`).type('form').send({ adminRole: 'manager', isStaff: 'true' }).expect(200);
      expect((await viewer.reload()).adminRole).to.equal('manager');
      // the promoted viewer can now write, in the same session
      const ok = await v.post(`${API}/tags/actions/new`).type('form').send({ nameKo: '새 태그' });
      expect(ok.body.notice.type).to.equal('success');
      const self = await b.post(`${API}/users/records/${boss.id}/edit`).type('form').send({ isSuperuser: 'false' });
      expect(self.body.record.errors.isSuperuser).to.exist;
      const audit = await AuditLog.findOne({ where: { tableName: 'users', recordId: String(viewer.id), action: 'update' }, order: [['id', 'DESC']] });
      expect(audit!.actorUserId).to.equal(boss.id);
      const users = await v.get(`${API}/users/actions/list`).expect(200);
      expect(JSON.stringify(users.body)).to.not.include('passwordHash').and.not.include('$2');
    });

    it('API keys: create shows the secret once (only its hash is stored); revoke', async () => {
      const created = await m.post(`${API}/api_keys/actions/new`).type('form').send({ name: 'registration_desk', scopes: 'registration_desk' });
      expect(created.body.secret).to.be.a('string').with.length.greaterThan(20);
      const key = (await ApiKey.findOne())!;
      expect(key.secretHash).to.not.include(created.body.secret);
      const show = await m.get(`${API}/api_keys/records/${key.id}/show`).expect(200);
      expect(JSON.stringify(show.body)).to.not.include(created.body.secret).and.not.include('secretHash');
      await m.post(`${API}/api_keys/records/${key.id}/revoke`).expect(200);
      expect((await key.reload()).revokedAt).to.not.equal(null);
    });
  });
});

/**
 * The panel's check-in page (POST /admin/api/pages/checkin): live counts per category and Seoul day; the
 * search box by name, e-mail, order id, the QR page's short id and a scanned QR code (code or page URL;
 * a forged code finds nothing); check-in and undo through the registration desk's service (row locked,
 * audited with the staff member, `used_by` = their e-mail; a second check-in only tells when it was done).
 */
import { expect } from 'chai';
import type { Express } from 'express';
import { resetDb, testConfig } from '../helpers/db.js';
import { adminApp, adminLogin, makeStaff, type Agent } from '../helpers/admin.js';
import { makeCategory, makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { AuditLog, CustomerInfo, OrderProductRelation, type Order, type Product } from '../../src/models/index.js';
import { signScancodeToken, scancodeUrl } from '../../src/domain/scancode/token.js';
import { encodeShortUuid } from '../../src/domain/scancode/shortuuid.js';
import { seoulDay } from '../../src/domain/admin/format.js';

const PAGE = '/admin/api/pages/checkin';

describe('admin check-in page', function () {
  this.timeout(60_000);
  let app: Express;
  let m: Agent;
  let v: Agent;
  let managerEmail: string;

  before(async () => {
    ({ app } = await adminApp());
  });

  beforeEach(async () => {
    await resetDb();
    const manager = await makeStaff('manager', { email: 'desk@example.com' });
    managerEmail = manager.email;
    const viewer = await makeStaff('viewer', { email: 'look@example.com' });
    m = await adminLogin(app, manager.email);
    v = await adminLogin(app, viewer.email);
  });

  async function seed(): Promise<{ ticket: Product; order: Order; other: Order; itemId: string; categoryId: string }> {
    const cat = await makeCategory('티켓', '1일차');
    const ticket = await makeProduct({ nameKo: '1일차 티켓', price: 30000 }, cat);
    const shirt = await makeProduct({ nameKo: '티셔츠', price: 20000 });
    const order = await makeOrder(await makeUser({ email: 'kim@example.com' }), [{ product: ticket }, { product: shirt }]);
    await CustomerInfo.create({ orderId: order.id, name: '김체크', phone: '010-1111-2222', email: 'kim.info@example.com', organization: '' });
    const other = await makeOrder(await makeUser({ email: 'lee@example.com' }), [{ product: ticket }]);
    await CustomerInfo.create({ orderId: other.id, name: '이대기', phone: '010-3333-4444', email: 'lee.info@example.com', organization: '' });
    await makeOrder(await makeUser(), [{ product: ticket }], 'refunded').then((o) => OrderProductRelation.update({ status: 'refunded' }, { where: { orderId: o.id } }));
    const item = (await OrderProductRelation.findOne({ where: { orderId: order.id, productId: ticket.id } }))!;
    return { ticket, order, other, itemId: item.id, categoryId: cat.id };
  }

  const post = (agent: Agent, fields: Record<string, string>) => agent.post(PAGE).type('form').send(fields).expect(200);

  it('finds orders by name, e-mail, order id, short id and scanned QR (code or URL); a forged code finds nothing', async () => {
    const { order, other, itemId, categoryId } = await seed();
    const found = async (q: string) => ((await post(m, { step: 'search', q, categoryId })).body.rows as Array<{ id: string }>).map((r) => r.id);
    expect(await found('김체크')).to.deep.equal([order.id]);
    expect(await found('lee.info@example.com')).to.deep.equal([other.id]);
    expect(await found(order.id)).to.deep.equal([order.id]);
    expect(await found(encodeShortUuid(order.id))).to.deep.equal([order.id]);
    expect(await found(itemId)).to.deep.equal([order.id]);
    const ticketQr = signScancodeToken('opr', itemId, testConfig.scancodeSalts);
    expect(await found(ticketQr)).to.deep.equal([order.id]);
    expect(await found(scancodeUrl(testConfig.backendDomain, signScancodeToken('order', other.id, testConfig.scancodeSalts)))).to.deep.equal([other.id]);
    expect(await found(`opr:${encodeShortUuid(itemId)}:forged-salt`)).to.deep.equal([]);
    expect(await found('nobody')).to.deep.equal([]);
    // each item says which category it is in (the page shows the chosen category's)
    const rows = (await post(m, { step: 'search', q: '김체크', categoryId })).body.rows;
    expect(rows[0].products.filter((p: { category_id: string }) => p.category_id === categoryId).map((p: { id: string }) => p.id)).to.deep.equal([itemId]);
    expect(await AuditLog.count({ where: { action: 'desk.search' } })).to.be.greaterThan(0); // the desk service audits searches
  });

  it('live counts; check-in and undo through the desk service, audited with the staff member; viewers may not', async () => {
    const { order, itemId, categoryId } = await seed();
    const today = seoulDay(new Date());
    const counts = async () => (await post(m, { step: 'counts', categoryId, day: today })).body.counts;
    expect(await counts()).to.deep.equal({ target: 2, checkedIn: 0, waiting: 2, checkedInOnDay: 0 });

    const refused = await post(v, { step: 'checkin', categoryId, day: today, orderId: order.id, itemId });
    expect(refused.body.notice).to.deep.equal({ message: '체크인은 매니저만 할 수 있습니다.', type: 'error' });
    expect((await OrderProductRelation.findByPk(itemId))!.status).to.equal('paid');

    const done = await post(m, { step: 'checkin', categoryId, day: today, orderId: order.id, itemId });
    expect(done.body.notice.type).to.equal('success');
    expect(done.body.counts).to.deep.equal({ target: 2, checkedIn: 1, waiting: 1, checkedInOnDay: 1 });
    const item = (await OrderProductRelation.findByPk(itemId))!;
    expect(item.status).to.equal('used');
    expect(item.usedBy).to.equal(managerEmail);
    const audit = await AuditLog.findOne({ where: { action: 'desk.check_in', recordId: itemId } });
    expect(audit!.actorLabel).to.match(/^user:\d+$/);
    // the day's count is per Seoul day
    expect((await post(m, { step: 'counts', categoryId, day: '2020-01-01' })).body.counts).to.include({ checkedIn: 1, checkedInOnDay: 0 });

    const again = await post(m, { step: 'checkin', categoryId, day: today, orderId: order.id, itemId });
    expect(again.body.notice.type).to.equal('info');
    expect(again.body.notice.message).to.include('이미 사용 처리된 상품입니다').and.include(managerEmail);

    const undone = await post(m, { step: 'undo', categoryId, day: today, orderId: order.id, itemId });
    expect(undone.body.notice.message).to.equal('체크인을 취소했습니다.');
    expect(undone.body.counts).to.deep.equal({ target: 2, checkedIn: 0, waiting: 2, checkedInOnDay: 0 });
    expect(await AuditLog.count({ where: { action: 'desk.check_in_undone', recordId: itemId } })).to.equal(1);

    // GET: the categories and today's date for the page
    const page = (await v.get(PAGE).expect(200)).body;
    expect(page.categories.map((c: { id: string }) => c.id)).to.include(categoryId);
    expect(page).to.include({ today, canWrite: false });
  });
});

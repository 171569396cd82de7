// Participation certificates: issue → download (PDF parsed) → verify → revoke, over real HTTP and PostgreSQL.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { Express } from 'express';
import request from 'supertest';
import type { Sequelize } from 'sequelize';
import { resetDb, testConfig } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { signedInBuyer, type SignedIn } from '../helpers/auth.js';
import { makeCategory, makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { CustomerInfo, DocumentTemplate, Event, IssuedDocument, OrderProductRelation, TicketInfo, type Order, type User } from '../../src/models/index.js';
import { issueCertificate, revokeDocument } from '../../src/services/certificates.js';
import { saveDocumentTemplate, saveEvent } from '../../src/services/admin-documents.js';
import { orderView } from '../../src/services/order-view.js';
import { signDocumentToken, DocumentMessages } from '../../src/domain/document/certificate.js';
import { encodeShortUuid } from '../../src/domain/scancode/shortuuid.js';
import { adminApp, adminLogin, makeStaff } from '../helpers/admin.js';

const TEMPLATE = readFileSync(new URL('../../assets/documents/confirmation-of-participation.html', import.meta.url), 'utf8');

/** All text of a PDF (pdfjs-dist), items joined per page. */
async function pdfText(pdf: Buffer): Promise<string> {
  // a dynamic import: mocha require()s test files first, and pdf.js's module only loads as real ESM
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false }).promise;
  const pages: string[] = [];
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    pages.push(content.items.map((it) => ('str' in it ? it.str : '')).join(''));
  }
  await doc.destroy();
  return pages.join('\n');
}

const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

function errorText(html: string): string {
  return /<section class="error"[^>]*>([^<]*)<\/section>/.exec(html)?.[1] ?? '';
}

interface Setup {
  buyer: SignedIn & { user: User };
  order: Order;
  oprId: string;
  issuePath: string;
}

describe('participation certificates', function () {
  // PDF rendering and the panel (AdminJS import + bundle) are slow on a busy two-core machine
  this.timeout(180_000);
  let app: Express;
  let sequelize: Sequelize;
  const deps = () => ({ sequelize, backendDomain: testConfig.backendDomain, documentSalts: testConfig.documentSalts });

  async function setup(opts: { status?: 'used' | 'paid'; event?: boolean; ticket?: boolean; template?: boolean } = {}): Promise<Setup> {
    const ev = await Event.create({ nameKo: '파이콘 한국 2027', nameEn: 'PyCon Korea 2027', startDate: '2027-08-14', endDate: '2027-08-15' });
    const category = await makeCategory('티켓', '컨퍼런스 티켓');
    await category.update({ isTicket: opts.ticket ?? true, eventId: opts.event === false ? null : ev.id });
    const product = await makeProduct({ nameKo: '얼리버드 티켓' }, category);
    const buyer = await signedInBuyer(app);
    const order = await makeOrder(buyer.user, [{ product, status: opts.status ?? 'used' }]);
    await CustomerInfo.create({ orderId: order.id, name: '구매자', phone: '010-1234-5678', email: 'buyer@example.com', organization: '구매자 회사' });
    const opr = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
    await TicketInfo.create({ orderProductRelationId: opr.id, name: '김참가', phone: '010-0000-0000', email: 'holder@example.com', organization: '파이썬사용자모임' });
    if (opts.template !== false) await DocumentTemplate.create({ documentType: 'confirmation_of_participation', name: '기본', body: TEMPLATE, isActive: true });
    return { buyer, order, oprId: opr.id, issuePath: `/v1/shop/orders/${order.id}/products/${opr.id}/certificate/` };
  }

  const issue = (s: Setup) => s.buyer.agent.post(s.issuePath).set('x-csrftoken', s.buyer.csrf).send({});
  const pathOf = (url: string) => new URL(url).pathname;

  beforeEach(async () => {
    sequelize = await resetDb();
    app = await makeApp();
  });

  it('issues once, downloads a PDF with the holder in Korean and the number, verifies it; revoked → 410 everywhere', async () => {
    const s = await setup();
    const res = await issue(s);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const doc = (await IssuedDocument.findOne({ where: { orderProductRelationId: s.oprId } }))!;
    expect(res.body).to.deep.equal({ download_url: `${testConfig.backendDomain}/v1/document/download/${doc.id}/` });
    expect(doc.documentNumber).to.equal(`COP-${new Date(Date.now() + 9 * 3600e3).getUTCFullYear()}-${encodeShortUuid(doc.id)}`);
    expect(doc.context).to.deep.equal({
      event_name: '파이콘 한국 2027',
      event_name_en: 'PyCon Korea 2027',
      event_date: '2027년 8월 14일(토) ~ 2027년 8월 15일(일)',
      participant_name: '김참가',
      organization: '파이썬사용자모임',
      email: 'holder@example.com',
    });
    // again: the same document
    expect((await issue(s)).body.download_url).to.equal(res.body.download_url);

    // a later edit of the holder does not change the issued certificate
    await TicketInfo.update({ name: '이름바뀜' }, { where: { orderProductRelationId: s.oprId } });

    const dl = await s.buyer.agent.get(pathOf(res.body.download_url)).buffer(true).parse(binary);
    expect(dl.status).to.equal(200);
    expect(dl.headers['content-type']).to.equal('application/pdf');
    const filename = `참가확인서_${doc.documentNumber}.pdf`;
    expect(dl.headers['content-disposition']).to.include(`filename*=UTF-8''${encodeURIComponent(filename)}`);
    expect(dl.headers['content-disposition']).to.match(/^attachment; filename="[\x20-\x7e]+"/);
    const text = await pdfText(dl.body as Buffer);
    expect(text).to.include('김참가');
    expect(text).to.not.include('이름바뀜');
    expect(text).to.include(doc.documentNumber);
    expect(text).to.include('파이콘 한국 2027');

    // the verify URL printed on the page (and in the QR) works without a session
    const token = signDocumentToken(doc.id, testConfig.documentSalts);
    const verifyPath = `/v1/document/verify/${token}/`;
    expect(text.replace(/\s+/g, '')).to.include(verifyPath);
    const v = await request(app).get(verifyPath);
    expect(v.status).to.equal(200);
    expect(v.headers['cache-control']).to.equal('no-store');
    expect(v.headers['referrer-policy']).to.equal('no-referrer');
    expect(v.headers['content-security-policy']).to.include("default-src 'none'");
    expect(v.headers['set-cookie']).to.equal(undefined);
    expect(v.text).to.include(doc.documentNumber).and.include('김참가').and.include('파이썬사용자모임').and.include('2027년 8월 14일(토)');

    // order DTO
    const staffView = await orderView(s.order.id, { lang: 'ko', now: new Date(), backendDomain: testConfig.backendDomain, scancodeSalts: testConfig.scancodeSalts });
    expect(staffView!.products[0]!.certificate_status).to.equal('issued');

    // revoke (what the panel's action calls): audited, idempotent
    const staff = await makeUser({ isStaff: true });
    await revokeDocument(sequelize, doc.id, { userId: staff.id, reason: '부정 발급' });
    await revokeDocument(sequelize, doc.id, { userId: staff.id });
    const revoked = (await IssuedDocument.findByPk(doc.id))!;
    expect(revoked.revokedAt).to.be.instanceOf(Date);
    expect(revoked.revokedById).to.equal(staff.id);
    expect(revoked.revokeReason).to.equal('부정 발급');
    const [audit] = await sequelize.query<{ action: string; after: Record<string, unknown> }>(
      `SELECT action, after FROM audit_logs WHERE table_name = 'issued_documents' AND record_id = :id AND action = 'update'`,
      { type: 'SELECT' as never, replacements: { id: doc.id } },
    );
    expect(audit?.after).to.have.property('revokedById', staff.id);

    const v2 = await request(app).get(verifyPath);
    expect(v2.status).to.equal(410);
    expect(errorText(v2.text)).to.equal(DocumentMessages.REVOKED);
    const dl2 = await s.buyer.agent.get(pathOf(res.body.download_url));
    expect(dl2.status).to.equal(410);
    expect(dl2.headers['content-type']).to.match(/^text\/html/);
    expect(errorText(dl2.text)).to.equal(DocumentMessages.REVOKED);
    const again = await issue(s);
    expect(again.status).to.equal(410);
    expect(again.body).to.deep.equal({ type: 'client_error', errors: [{ code: 'document_revoked', detail: '취소된 문서입니다.', attr: null }] });
    const view = await orderView(s.order.id, { lang: 'ko', now: new Date(), backendDomain: testConfig.backendDomain, scancodeSalts: testConfig.scancodeSalts });
    expect(view!.products[0]!.certificate_status).to.equal('revoked');
  });

  it('concurrent issue calls for one item create one document', async () => {
    const s = await setup();
    const results = await Promise.all(Array.from({ length: 8 }, () => issueCertificate(deps(), s.buyer.user.id, s.order.id, s.oprId)));
    expect(new Set(results.map((r) => r.download_url)).size).to.equal(1);
    expect(await IssuedDocument.count({ where: { orderProductRelationId: s.oprId } })).to.equal(1);
  });

  it('certificate_status: not_issuable → issuable → issued in the buyer\'s order', async () => {
    const s = await setup({ status: 'paid' });
    const get = async () => (await s.buyer.agent.get(`/v1/shop/orders/${s.order.id}/`)).body.products[0].certificate_status;
    expect(await get()).to.equal('not_issuable');
    await OrderProductRelation.update({ status: 'used' }, { where: { id: s.oprId } });
    expect(await get()).to.equal('issuable');
    expect((await issue(s)).status).to.equal(200);
    expect(await get()).to.equal('issued');
  });

  it('404 for an item that is not checked in, not a ticket, without an event, or not the buyer\'s; 503 without a template', async () => {
    const notUsed = await setup({ status: 'paid' });
    const r1 = await issue(notUsed);
    expect(r1.status).to.equal(404);
    expect(r1.body.type).to.equal('client_error');
    expect(r1.body.errors[0].code).to.equal('not_found');

    await resetDb();
    const noEvent = await setup({ event: false });
    expect((await issue(noEvent)).status).to.equal(404);

    await resetDb();
    const notTicket = await setup({ ticket: false });
    expect((await issue(notTicket)).status).to.equal(404);

    await resetDb();
    const s = await setup({ template: false });
    const other = await signedInBuyer(app);
    expect((await other.agent.post(s.issuePath).set('x-csrftoken', other.csrf).send({})).status).to.equal(404);
    const anonymous = await request(app).post(s.issuePath).send({});
    expect(anonymous.status).to.equal(401);
    const r503 = await issue(s);
    expect(r503.status).to.equal(503);
    expect(r503.body).to.deep.equal({ type: 'server_error', errors: [{ code: 'document_template_missing', detail: '문서 템플릿이 설정되지 않았습니다.', attr: null }] });
    expect(await IssuedDocument.count()).to.equal(0);
  });

  it('download only in the owner\'s session; an item no longer valid → 410 page, verify → 400', async () => {
    const s = await setup();
    const { download_url } = (await issue(s)).body as { download_url: string };
    const other = await signedInBuyer(app);
    const r1 = await other.agent.get(pathOf(download_url));
    expect(r1.status).to.equal(404);
    expect(errorText(r1.text)).to.equal(DocumentMessages.NOT_FOUND);
    expect((await request(app).get(pathOf(download_url))).status).to.equal(404);
    expect((await s.buyer.agent.get('/v1/document/download/not-a-uuid/')).status).to.equal(404);

    // check-in undone: the document is no longer valid
    await OrderProductRelation.update({ status: 'paid' }, { where: { id: s.oprId } });
    const r2 = await s.buyer.agent.get(pathOf(download_url));
    expect(r2.status).to.equal(410);
    expect(errorText(r2.text)).to.equal(DocumentMessages.NOT_VALID);
    const doc = (await IssuedDocument.findOne())!;
    const v = await request(app).get(`/v1/document/verify/${signDocumentToken(doc.id, testConfig.documentSalts)}/`);
    expect(v.status).to.equal(400);
    expect(errorText(v.text)).to.equal(DocumentMessages.NOT_VALID);
  });

  it('verify: unknown or tampered token → 404; keys rotate (the first signs, any verifies)', async () => {
    const s = await setup();
    await issue(s);
    const doc = (await IssuedDocument.findOne())!;
    const good = signDocumentToken(doc.id, ['old-key']);
    const rotated = await makeApp({ env: { DOCUMENT_VERIFY_SALT: 'new-key,old-key' } });
    expect((await request(rotated).get(`/v1/document/verify/${good}/`)).status).to.equal(200);
    const retired = await makeApp({ env: { DOCUMENT_VERIFY_SALT: 'new-key' } });
    const r = await request(retired).get(`/v1/document/verify/${good}/`);
    expect(r.status).to.equal(404);
    expect(errorText(r.text)).to.equal(DocumentMessages.NOT_FOUND);
    const tampered = good.slice(0, -2) + (good.endsWith('AA') ? 'BB' : 'AA');
    expect((await request(rotated).get(`/v1/document/verify/${tampered}/`)).status).to.equal(404);
    expect((await request(app).get('/v1/document/verify/garbage/')).status).to.equal(404);
    for (const bad of ['cert::', `cert:${'z'.repeat(300)}:x`, 'cert:zzzzzzzzzzzzzzzzzzzzzzzzzzzzz:x', '%00', '..%2F..%2Fetc%2Fpasswd', 'cert:2:%3Cscript%3E', "cert:1'--:x"]) {
      const r = await request(app).get(`/v1/document/verify/${bad}/`);
      expect(r.status, bad).to.equal(404);
      expect(r.text).to.not.include('<script>');
    }
    for (const bad of ['%00', 'x'.repeat(2000), '00000000-0000-0000-0000-00000000000g']) {
      expect((await s.buyer.agent.get(`/v1/document/download/${bad}/`)).status, bad).to.equal(404);
    }
    expect((await request(app).get(`/v1/document/verify/cert:${encodeShortUuid('00000000-0000-4000-8000-000000000001')}:x/`)).status).to.equal(404);
  });

  describe('panel rules', () => {
    it('events: dates are calendar days, end ≥ start', async () => {
      const ok = await saveEvent(sequelize, null, { nameKo: '행사', startDate: '2027-08-14', endDate: '2027-08-15' });
      expect(ok.ok).to.equal(true);
      const bad = await saveEvent(sequelize, null, { nameKo: '', startDate: '2027-02-30', endDate: '2027-01-01' });
      expect(bad.ok).to.equal(false);
      if (!bad.ok) expect(Object.keys(bad.errors).sort()).to.deep.equal(['nameKo', 'startDate']);
      const inverted = await saveEvent(sequelize, null, { nameKo: '행사', startDate: '2027-08-15', endDate: '2027-08-14' });
      expect(inverted.ok).to.equal(false);
    });

    it('templates: one active per type, known variables, data: images only, read-only once used', async () => {
      const a = await saveDocumentTemplate(sequelize, null, { name: 'A', body: TEMPLATE, isActive: true });
      expect(a.ok).to.equal(true);
      const b = await saveDocumentTemplate(sequelize, null, { name: 'B', body: TEMPLATE, isActive: true });
      expect(b.ok).to.equal(false);
      if (!b.ok) expect(b.errors.isActive).to.equal(DocumentMessages.TEMPLATE_ACTIVE_EXISTS);
      const unknown = await saveDocumentTemplate(sequelize, null, { name: 'C', body: '<p>{{ secret_key }}</p>' });
      expect(unknown.ok).to.equal(false);
      const remote = await saveDocumentTemplate(sequelize, null, { name: 'D', body: '<img src="http://169.254.169.254/x.png">' });
      expect(remote.ok).to.equal(false);
      const local = await saveDocumentTemplate(sequelize, null, { name: 'E', body: '<img src="/etc/passwd">' });
      expect(local.ok).to.equal(false);

      // used → the body is read-only, deactivating still works
      const s = await setup({ template: false });
      await DocumentTemplate.update({ isActive: true }, { where: { name: 'A' } });
      expect((await issue(s)).status).to.equal(200);
      const id = (a.ok && a.row.id) as string;
      const edit = await saveDocumentTemplate(sequelize, id, { body: '<p>{{ participant_name }}</p>' });
      expect(edit.ok).to.equal(false);
      if (!edit.ok) expect(edit.errors.body).to.equal(DocumentMessages.TEMPLATE_USED);
      const off = await saveDocumentTemplate(sequelize, id, { isActive: false });
      expect(off.ok, JSON.stringify(off)).to.equal(true);
    });
  });

  describe('panel (AdminJS, real HTTP)', () => {
    const API = '/admin/api/resources';
    it('events, templates with a PDF preview, issued documents filtered by revoked, revoke by managers only (audited)', async () => {
      const { app: panel } = await adminApp();
      app = panel; // the buyer side through the same app
      const s = await setup();
      expect((await issue(s)).status).to.equal(200);
      const doc = (await IssuedDocument.findOne())!;
      const manager = await makeStaff('manager');
      const viewer = await makeStaff('viewer');
      const m = await adminLogin(panel, manager.email);
      const v = await adminLogin(panel, viewer.email);

      const ev = await m.post(`${API}/events/actions/new`).type('form').send({ nameKo: '행사 2028', nameEn: 'Event 2028', startDate: '2028-01-02', endDate: '2028-01-01' });
      expect(JSON.stringify(ev.body)).to.include('시작 시각은 종료 시각 이전이어야 합니다.');
      const ev2 = await m.post(`${API}/events/actions/new`).type('form').send({ nameKo: '행사 2028', nameEn: 'Event 2028', startDate: '2028-01-01', endDate: '2028-01-02' });
      expect(ev2.status).to.equal(200);
      expect(await Event.count({ where: { nameKo: '행사 2028' } })).to.equal(1);

      const template = (await DocumentTemplate.findOne())!;
      const preview = await m.get(`${API}/document_templates/records/${template.id}/preview?format=pdf`).buffer(true).parse(binary);
      expect(preview.status).to.equal(200);
      expect(preview.headers['content-type']).to.equal('application/pdf');
      expect(await pdfText(preview.body as Buffer)).to.include('홍길동');

      const list = await m.get(`${API}/issued_documents/actions/list?filters.isRevoked=false`).expect(200);
      expect(list.body.records.map((r: { id: string }) => r.id)).to.deep.equal([doc.id]);

      const denied = await v.post(`${API}/issued_documents/records/${doc.id}/revoke`).type('form').send({});
      expect(denied.body.notice).to.deep.include({ type: 'error', message: 'forbiddenError' });
      expect((await IssuedDocument.findByPk(doc.id))!.revokedAt).to.equal(null);
      const done = await m.post(`${API}/issued_documents/records/${doc.id}/revoke`).type('form').send({});
      expect(done.status, JSON.stringify(done.body).slice(0, 300)).to.equal(200);
      expect((await IssuedDocument.findByPk(doc.id))!.revokedById).to.equal(manager.id);
      const [row] = await sequelize.query<{ actor_label: string }>(
        `SELECT actor_label FROM audit_logs WHERE table_name = 'issued_documents' AND record_id = :id AND action = 'update'`,
        { type: 'SELECT' as never, replacements: { id: doc.id } },
      );
      expect(row?.actor_label).to.equal(`user:${manager.id}`);
      const revokedList = await m.get(`${API}/issued_documents/actions/list?filters.isRevoked=true`).expect(200);
      expect(revokedList.body.records.map((r: { id: string }) => r.id)).to.deep.equal([doc.id]);
    });
  });
});

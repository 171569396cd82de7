// Spec §8.2: the registration-desk API (GET list + PATCH check-in / answers), API key with scope `desk`.
import { expect } from 'chai';
import type { Express } from 'express';
import request from 'supertest';
import { resetDb } from '../helpers/db.js';
import { makeApp, portoneClient, portoneSim } from '../helpers/app.js';
import { generate } from 'otplib';
import { testConfig } from '../helpers/db.js';
import { startEnrollment, confirmEnrollment } from '../../src/services/totp.js';
import { signedInBuyer } from '../helpers/auth.js';
import { makeCategory, makeGroup, makeOption, makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { createApiKey } from '../../src/services/auth.js';
import { AuditLog, PaymentHistory, CustomerInfo, OrderProductOptionRelation, OrderProductRelation, type Order, type User } from '../../src/models/index.js';
import { signScancodeToken } from '../../src/domain/scancode/token.js';
import { decodeShortUuid } from '../../src/domain/scancode/shortuuid.js';
import * as S from '../../src/http/contract/schemas.js';
import { z } from 'zod';

const DESK = '/v1/internal-api/desk-support/';

interface Fixture {
  buyer: User;
  order: Order;
  ticketItem: OrderProductRelation;
  mugItem: OrderProductRelation;
  badgeAnswer: OrderProductOptionRelation;
  sizeChoice: OrderProductOptionRelation;
  emptyPatternAnswer: OrderProductOptionRelation;
}

describe('desk-support API (§8.2)', () => {
  let app: Express;
  let key: { key: string; secret: string };
  let otherKey: { key: string; secret: string };
  let fx: Fixture;

  const desk = (k = key) => ({
    get: (q = '') => request(app).get(`${DESK}${q}`).set('x-api-key', k.key).set('x-api-secret', k.secret),
    patch: (orderId: string, body: unknown) => request(app).patch(`${DESK}${orderId}/`).set('x-api-key', k.key).set('x-api-secret', k.secret).send(body as object),
    del: (orderId: string, q = '', body?: object) => {
      const r = request(app).delete(`${DESK}${orderId}/${q}`).set('x-api-key', k.key).set('x-api-secret', k.secret);
      return body ? r.send(body) : r;
    },
  });

  async function fixture(): Promise<Fixture> {
    const buyer = await makeUser({ username: 'GildongHong', email: 'gildong.account@example.com' });
    const ticket = await makeProduct({ nameKo: '컨퍼런스 티켓', price: 30000 }, await makeCategory('티켓', '컨퍼런스 티켓'));
    const mug = await makeProduct({ nameKo: '머그', price: 10000 }, await makeCategory('굿즈', '머그컵'));
    const badge = await makeGroup(ticket, { nameKo: '배지 이름', isCustomResponse: true, customResponsePattern: '^[A-Za-z ]+$' });
    const size = await makeGroup(ticket, { nameKo: '사이즈' });
    const l = await makeOption(size, { nameKo: 'L' });
    const free = await makeGroup(ticket, { nameKo: '자유', isCustomResponse: true, customResponsePattern: '' });
    const order = await makeOrder(buyer, [
      { product: ticket, options: [{ group: badge, customResponse: 'Gildong' }, { group: size, option: l }, { group: free, customResponse: 'x' }] },
      { product: mug },
    ]);
    await CustomerInfo.create({ orderId: order.id, name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: 'PyCon' });
    const items = await OrderProductRelation.findAll({ where: { orderId: order.id } });
    const ticketItem = items.find((i) => i.productId === ticket.id)!;
    const opors = await OrderProductOptionRelation.findAll({ where: { orderProductRelationId: ticketItem.id } });
    return {
      buyer,
      order,
      ticketItem,
      mugItem: items.find((i) => i.productId === mug.id)!,
      badgeAnswer: opors.find((o) => o.productOptionGroupId === badge.id)!,
      sizeChoice: opors.find((o) => o.productOptionGroupId === size.id)!,
      emptyPatternAnswer: opors.find((o) => o.productOptionGroupId === free.id)!,
    };
  }

  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
    const a = await createApiKey({ name: 'registration_desk', scopes: ['desk'] });
    key = { key: a.apiKey.key, secret: a.secret };
    const b = await createApiKey({ name: 'reporting', scopes: ['reports'] });
    otherKey = { key: b.apiKey.key, secret: b.secret };
    fx = await fixture();
  });

  describe('authentication', () => {
    it('no key → 401, a key without the desk scope → 403, a signed-in buyer (session) → 401; the desk key → 200', async () => {
      let res = await request(app).get(DESK).expect(401);
      expect(res.body.errors[0].detail).to.equal('API Key가 올바르지 않습니다.');
      res = await desk(otherKey).get().expect(403);
      expect(res.body).to.deep.equal({ type: 'client_error', errors: [{ code: 'INVALID_API_KEY', detail: 'API Key가 올바르지 않습니다.', attr: null }] });
      await request(app).get(DESK).set('x-api-key', key.key).set('x-api-secret', 'wrong').expect(401);
      const { agent } = await signedInBuyer(app);
      await agent.get(DESK).expect(401);
      await desk(otherKey).patch(fx.order.id, { products: [{ id: fx.ticketItem.id, status: 'used' }] }).expect(403);
      expect((await fx.ticketItem.reload()).status).to.equal('paid');
      // the original desk clients send the key's name as x-api-key
      await desk({ key: 'registration_desk', secret: key.secret }).get().expect(200);
    });
  });

  describe('GET (list with filters)', () => {
    it('rows of the spec shape, orders with payment history only (newest first), every call audited with the key', async () => {
      const other = await makeOrder(await makeUser(), [{ product: await makeProduct() }]);
      await makeOrder(fx.buyer, [{ product: await makeProduct() }], null); // a cart: never listed
      const res = await desk().get().expect(200);
      expect(res.body.map((r: { id: string }) => r.id)).to.deep.equal([other.id, fx.order.id]);
      z.array(S.DeskRow).parse(res.body); // the OpenAPI document's (strict) schema
      const row = res.body[1];
      expect(Object.keys(row).sort()).to.deep.equal(
        ['current_paid_price', 'current_status', 'customer_info', 'first_paid_at', 'first_paid_price', 'id', 'name', 'payment_histories', 'products', 'user'].sort(),
      );
      expect(row.user).to.deep.equal({ id: fx.buyer.id, username: 'GildongHong', email: 'gildong.account@example.com', unique_id: fx.buyer.uniqueId });
      expect(row.customer_info).to.deep.equal({ name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: 'PyCon' });
      expect(row.payment_histories).to.have.length(1);
      expect(row.payment_histories[0]).to.include({ status: 'completed', price: 40000 });
      const ticket = row.products.find((p: { id: string }) => p.id === fx.ticketItem.id);
      expect(ticket).to.include({ status: 'paid', price: 30000, donation_price: 0, used_at: null, used_by: null });
      expect(ticket.product).to.deep.include({ name: '컨퍼런스 티켓', price: 30000 });
      const badge = ticket.options.find((o: { id: string }) => o.id === fx.badgeAnswer.id);
      expect(badge.product_option_group).to.deep.include({ name: '배지 이름', is_custom_response: true, custom_response_pattern: '^[A-Za-z ]+$' });
      expect(badge.custom_response).to.equal('Gildong');
      const audit = (await AuditLog.findOne({ where: { action: 'desk.search' } }))!;
      expect(audit.actorLabel).to.equal('api_key:registration_desk');
      expect(audit.after).to.deep.include({ count: 2 });
    });

    it('filters: user_unique_id (from a scanned user QR), order_id, order_product_relation_id, keywords, categories, groups', async () => {
      const other = await makeOrder(await makeUser({ username: 'someone' }), [{ product: await makeProduct() }]);
      const ids = async (q: string) => (await desk().get(q).expect(200)).body.map((r: { id: string }) => r.id);
      // the desk app decodes the scanned `user:<short_id>:<salt>` into the unique id
      const scanned = signScancodeToken('user', fx.buyer.uniqueId, ['local_order_scancode_salt']);
      const uniqueId = decodeShortUuid(scanned.split(':')[1]!)!;
      expect(await ids(`?user_unique_id=${uniqueId}`)).to.deep.equal([fx.order.id]);
      expect(await ids(`?order_id=${fx.order.id}`)).to.deep.equal([fx.order.id]);
      expect(await ids(`?order_product_relation_id=${fx.mugItem.id}`)).to.deep.equal([fx.order.id]);
      expect(await ids(`?keywords=${encodeURIComponent('홍길동')}`)).to.deep.equal([fx.order.id]); // customer name, exact
      expect(await ids(`?keywords=${encodeURIComponent('홍길')}`)).to.deep.equal([]);
      expect(await ids('?keywords=Gildong')).to.deep.equal([fx.order.id]); // an answer, exact
      expect(await ids('?keywords=010-1234-5678,nobody')).to.deep.equal([fx.order.id]);
      expect(await ids('?keywords=gildonghong')).to.deep.equal([fx.order.id]); // account username, contains, any case
      expect(await ids('?keywords=ACCOUNT@EXAMPLE')).to.deep.equal([fx.order.id]);
      expect(await ids('?keywords=%25')).to.deep.equal([]); // LIKE wildcards are literal
      expect(await ids(`?categories=${encodeURIComponent('머그컵')}`)).to.deep.equal([fx.order.id]);
      expect(await ids(`?category_groups=${encodeURIComponent('굿즈,없는그룹')}`)).to.deep.equal([fx.order.id]);
      expect(await ids(`?category_groups=${encodeURIComponent('티켓')}`)).to.deep.equal([other.id, fx.order.id]);
      expect(await ids(`?category_groups=${encodeURIComponent('티켓')}&keywords=someone`)).to.deep.equal([other.id]);
      const bad = await desk().get('?user_unique_id=not-a-uuid').expect(400);
      expect(bad.body.errors).to.deep.equal([{ code: 'invalid', detail: '유효한 UUID를 입력하십시오.', attr: 'user_unique_id' }]);
    });
  });

  describe('PATCH (check-in and answers)', () => {
    it('checks in (paid → used with when / which key); a second scan changes nothing and says when and by whom; used → paid undoes', async () => {
      let res = await desk().patch(fx.order.id, { products: [{ id: fx.ticketItem.id, status: 'used' }] }).expect(200);
      let item = res.body.products.find((p: { id: string }) => p.id === fx.ticketItem.id);
      expect(item).to.include({ status: 'used', used_by: 'registration_desk' });
      expect(Date.now() - new Date(item.used_at).getTime()).to.be.below(10_000);
      expect(res.body.notices).to.deep.equal([]);
      const usedAt = item.used_at;

      res = await desk().patch(fx.order.id, { products: [{ id: fx.ticketItem.id, status: 'used' }] }).expect(200);
      S.DeskRow.extend({ notices: z.array(S.DeskNotice) }).parse(res.body);
      item = res.body.products.find((p: { id: string }) => p.id === fx.ticketItem.id);
      expect(item).to.include({ status: 'used', used_at: usedAt, used_by: 'registration_desk' });
      expect(res.body.notices).to.have.length(1);
      expect(res.body.notices[0]).to.include({ product_id: fx.ticketItem.id, code: 'ALREADY_USED', used_at: usedAt, used_by: 'registration_desk' });
      expect(res.body.notices[0].detail).to.match(/^이미 사용 처리된 상품입니다\. \(사용 시각: \d{4}-\d\d-\d\d \d\d:\d\d \(KST\), 처리: registration_desk\)$/);

      res = await desk().patch(fx.order.id, { products: [{ id: fx.ticketItem.id, status: 'paid' }, { id: fx.mugItem.id, status: 'paid' }] }).expect(200);
      item = res.body.products.find((p: { id: string }) => p.id === fx.ticketItem.id);
      expect(item).to.include({ status: 'paid', used_at: null, used_by: null });

      const audits = await AuditLog.findAll({ where: { recordId: fx.ticketItem.id, tableName: 'order_product_relations' }, order: [['id', 'ASC']] });
      const explicit = audits.filter((a) => a.action.startsWith('desk.'));
      expect(explicit.map((a) => a.action)).to.deep.equal(['desk.check_in', 'desk.check_in_repeated', 'desk.check_in_undone']);
      const changes = audits.filter((a) => a.action !== 'create'); // the fixture's own rows were written by 'system'
      expect(changes.map((a) => a.action)).to.include('update');
      for (const a of changes) expect(a.actorLabel).to.equal('api_key:registration_desk');
      expect(explicit[0]!.before).to.deep.include({ status: 'paid' });
      expect(explicit[0]!.after).to.deep.include({ status: 'used', used_by: 'registration_desk' });
      expect(await AuditLog.count({ where: { action: 'desk.update', recordId: fx.order.id } })).to.equal(3);
    });

    it('status rules: only paid ↔ used; unknown items and values are 400 and nothing is written', async () => {
      const refunded = await makeOrder(fx.buyer, [{ product: await makeProduct(), status: 'refunded' }], 'refunded');
      const refundedItem = (await OrderProductRelation.findOne({ where: { orderId: refunded.id } }))!;
      let res = await desk().patch(refunded.id, { products: [{ id: refundedItem.id, status: 'paid' }] }).expect(400);
      expect(res.body.errors).to.deep.equal([{ code: 'invalid', detail: '해당 상태로 변경할 수 없습니다.', attr: 'products.0.status' }]);
      res = await desk().patch(fx.order.id, { products: [{ id: fx.ticketItem.id, status: 'refunded' }] }).expect(400);
      expect(res.body.errors[0].detail).to.equal('해당 상태로 변경할 수 없습니다.');
      res = await desk()
        .patch(fx.order.id, {
          products: [
            { id: fx.mugItem.id, status: 'used' },
            { id: refundedItem.id, status: 'used' },
            { status: 'used' },
            { id: fx.ticketItem.id, status: 'lost' },
          ],
        })
        .expect(400);
      expect(res.body.errors).to.deep.equal([
        { code: 'invalid', detail: '유효하지 않은 ID입니다.', attr: 'products.1.id' },
        { code: 'required', detail: '이 필드는 필수 항목입니다.', attr: 'products.2.id' },
        { code: 'invalid_choice', detail: '"lost"이 유효하지 않은 선택(choice)입니다.', attr: 'products.3.status' },
      ]);
      expect((await fx.mugItem.reload()).status).to.equal('paid'); // the valid part was not applied
      await desk().patch('3b1f8b40-8a5e-4c1f-9b36-2f1d5f8e7a10', { products: [] }).expect(404);
      const cart = await makeOrder(fx.buyer, [{ product: await makeProduct() }], null);
      await desk().patch(cart.id, {}).expect(404);
      res = await desk().patch(fx.order.id, { name: '바뀐 이름' }).expect(200); // name is read-only here: ignored
      expect(res.body.name).to.equal('주문');
    });

    it('answers: custom groups only, the pattern must be set and must match', async () => {
      const answer = (id: string, custom_response: unknown) => ({ products: [{ id: fx.ticketItem.id, options: [{ id, custom_response }] }] });
      let res = await desk().patch(fx.order.id, answer(fx.sizeChoice.id, 'XL')).expect(400);
      expect(res.body.errors).to.deep.equal([
        { code: 'invalid', detail: 'cannot set custom response to non-custom-response option group', attr: 'products.0.options.0.custom_response' },
      ]);
      res = await desk().patch(fx.order.id, answer(fx.emptyPatternAnswer.id, 'y')).expect(400);
      expect(res.body.errors[0].detail).to.equal('custom response pattern is not set, please contact the administrator');
      res = await desk().patch(fx.order.id, answer(fx.badgeAnswer.id, '홍길동')).expect(400);
      expect(res.body.errors[0].detail).to.equal('custom response does not match the pattern');
      res = await desk().patch(fx.order.id, { products: [{ id: fx.mugItem.id, options: [{ id: fx.badgeAnswer.id, custom_response: 'Hong' }] }] }).expect(400);
      expect(res.body.errors).to.deep.equal([{ code: 'invalid', detail: '유효하지 않은 ID입니다.', attr: 'products.0.options.0.id' }]);
      expect((await fx.badgeAnswer.reload()).customResponse).to.equal('Gildong');

      res = await desk().patch(fx.order.id, answer(fx.badgeAnswer.id, 'Gil Dong Hong')).expect(200);
      const badge = res.body.products.find((p: { id: string }) => p.id === fx.ticketItem.id).options.find((o: { id: string }) => o.id === fx.badgeAnswer.id);
      expect(badge.custom_response).to.equal('Gil Dong Hong');
      const audit = (await AuditLog.findOne({ where: { tableName: 'order_product_option_relations', recordId: fx.badgeAnswer.id, action: 'update' } }))!;
      expect(audit.actorLabel).to.equal('api_key:registration_desk');
      expect(audit.before).to.deep.equal({ customResponse: 'Gildong' });
    });
  });

  describe('DELETE (desk refund with a staff authorizer\'s TOTP)', () => {
    let staff: User;
    let secret: string;
    let nowS: number;

    /** Make the fixture's order a real payment at the PortOne simulator (same imp_uid and amount). */
    async function paidAtPortOne(): Promise<{ impUid: string; amount: number }> {
      const ph = (await PaymentHistory.findOne({ where: { orderId: fx.order.id } }))!;
      const merchantUid = `desk-${fx.order.id}`;
      await (await portoneClient()).preparePayment(merchantUid, ph.price);
      await (await portoneSim()).pay({ merchant_uid: merchantUid, imp_uid: ph.impId!, notify: false });
      return { impUid: ph.impId!, amount: ph.price };
    }

    beforeEach(async () => {
      staff = await makeUser({ isStaff: true, adminRole: 'manager', email: 'Desk.Lead@example.com' });
      ({ secret } = await startEnrollment(staff.id, { secretKey: testConfig.secretKey, issuer: 'test' }));
      nowS = Math.floor(Date.now() / 1000);
      await confirmEnrollment(staff.id, await generate({ secret, epoch: nowS - 90 }), { secretKey: testConfig.secretKey, now: new Date((nowS - 90) * 1000) });
    });

    const cancelsOf = async (impUid: string) => (await portoneSim()).state.cancels.filter((c) => c.body.imp_uid === impUid && c.ok);
    const status = async () => (await PaymentHistory.findAll({ where: { orderId: fx.order.id }, order: [['createdAt', 'DESC']] }))[0]!.status;

    it('without the desk scope → 403, without a key → 401; nothing is cancelled', async () => {
      const { impUid } = await paidAtPortOne();
      const code = await generate({ secret, epoch: nowS });
      await desk(otherKey).del(fx.order.id, `?otp=${code}&authorizer=${staff.email}`).expect(403);
      await request(app).delete(`${DESK}${fx.order.id}/?otp=${code}&authorizer=${staff.email}`).expect(401);
      expect(await cancelsOf(impUid)).to.have.length(0);
      expect(await status()).to.equal('completed');
    });

    it('missing otp, missing authorizer, wrong code, unknown or non-staff authorizer → 400 and nothing changes', async () => {
      const { impUid } = await paidAtPortOne();
      const code = await generate({ secret, epoch: nowS });
      const wrong = code === '000000' ? '111111' : '000000';
      let res = await desk().del(fx.order.id, `?authorizer=${staff.email}`).expect(400);
      expect(res.body.errors[0]).to.include({ code: 'OTP_REQUIRED', attr: 'otp' });
      res = await desk().del(fx.order.id, `?otp=${code}`).expect(400);
      expect(res.body.errors[0]).to.include({ code: 'AUTHORIZER_REQUIRED', attr: 'authorizer' });
      res = await desk().del(fx.order.id, `?otp=${wrong}&authorizer=${staff.email}`).expect(400);
      expect(res.body).to.deep.include({ type: 'validation_error' });
      expect(res.body.errors[0]).to.include({ code: 'INVALID_OTP_CODE', attr: 'otp' });
      res = await desk().del(fx.order.id, `?otp=${code}&authorizer=nobody@example.com`).expect(400);
      expect(res.body.errors[0].code).to.equal('INVALID_OTP_CODE');
      // the buyer is not staff: same answer as a wrong code
      res = await desk().del(fx.order.id, `?otp=${code}&authorizer=${fx.buyer.email}`).expect(400);
      expect(res.body.errors[0].code).to.equal('INVALID_OTP_CODE');
      await desk().del('not-a-uuid', `?otp=${code}&authorizer=${staff.email}`).expect(404); // like every malformed path id
      expect(await cancelsOf(impUid)).to.have.length(0);
      expect(await status()).to.equal('completed');
    });

    it('the right code refunds the whole order once (window ignored); the code cannot be reused; audited with key and authorizer', async () => {
      const { impUid, amount } = await paidAtPortOne();
      // the refund window is over: the buyer could not refund, the desk can
      await (await import('../../src/models/index.js')).Product.update({ refundableEndsAt: new Date(Date.now() - 86400000) }, { where: {} });
      const code = await generate({ secret, epoch: nowS });
      // e-mail is matched case-insensitively; the body works as well as the query string
      await desk().del(fx.order.id, '', { otp: code, authorizer: 'desk.lead@EXAMPLE.com', reason: '현장 환불' }).expect(204);
      const cancels = await cancelsOf(impUid);
      expect(cancels).to.have.length(1);
      expect(cancels[0]!.body).to.include({ imp_uid: impUid, amount, checksum: amount });
      expect(await status()).to.equal('refunded');
      const items = await OrderProductRelation.findAll({ where: { orderId: fx.order.id } });
      expect(items.map((i) => i.status)).to.deep.equal(['refunded', 'refunded']);
      const audit = (await AuditLog.findOne({ where: { recordId: fx.order.id, action: 'shop.order.refunded' } }))!;
      expect(audit.actorLabel).to.equal('api_key:registration_desk');
      expect(audit.after).to.deep.include({ channel: 'desk', authorizer_user_id: staff.id });
      // a second call: the order is refunded already (and the code was used) — PortOne is not called again
      const again = await desk().del(fx.order.id, `?otp=${code}&authorizer=${staff.uniqueId}`).expect(400);
      expect(again.body.errors[0].code).to.be.oneOf(['INVALID_OTP_CODE', 'ORDER_ALREADY_REFUNDED']);
      expect(await cancelsOf(impUid)).to.have.length(1);
    });

    it('authorizer by unique_id with the previous step\'s code works', async () => {
      const { impUid } = await paidAtPortOne();
      // computed right before the call (not from beforeEach's clock), so a step boundary cannot make it two steps old
      const previous = await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 });
      await desk().del(fx.order.id, `?otp=${previous}&authorizer=${staff.uniqueId}`).expect(204);
      expect(await cancelsOf(impUid)).to.have.length(1);
      expect(await status()).to.equal('refunded');
    });
  });
});

// Spec §7.3: the QR pages at GET /v1/shop/orders/scancode/?token= (HTML, no auth, no session).
import { expect } from 'chai';
import type { Express } from 'express';
import request from 'supertest';
import type { Sequelize } from 'sequelize';
import { resetDb, testConfig } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { signedInBuyer } from '../helpers/auth.js';
import { makeCategory, makeGroup, makeOption, makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { CustomerInfo, OrderProductRelation, PaymentHistory, type Order, type User } from '../../src/models/index.js';
import { signScancodeToken, scancodeSalt } from '../../src/domain/scancode/token.js';
import { encodeShortUuid } from '../../src/domain/scancode/shortuuid.js';
import { isWithinScancodeWindow, scancodeWindowStart, optionDisplayValue } from '../../src/domain/scancode/pages.js';
import { resolveScancode } from '../../src/services/scancode.js';
import { qrDataUrl, escapeHtml } from '../../src/http/shop/scancode.js';

const PAGE = '/v1/shop/orders/scancode/';
const salts = testConfig.scancodeSalts;
const page = (app: Express, token?: string) => request(app).get(token === undefined ? PAGE : `${PAGE}?token=${token}`);

function title(html: string): string {
  return /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '';
}
function errorText(html: string): string {
  return /<section class="error"[^>]*>([^<]*)<\/section>/.exec(html)?.[1] ?? '';
}
function qrSrc(html: string): string {
  return /<img src="([^"]+)" alt="QR 코드"/.exec(html)?.[1] ?? '';
}

async function setCreatedAt(sequelize: Sequelize, order: Order, at: Date): Promise<void> {
  await sequelize.query(`UPDATE orders SET created_at = :at WHERE id = :id`, { replacements: { at, id: order.id } });
}

describe('scancode pages (§7.3)', () => {
  let app: Express;
  let sequelize: Sequelize;
  beforeEach(async () => {
    sequelize = await resetDb();
    app = await makeApp();
  });

  describe('rules (domain)', () => {
    it('the 6-month rule is date-based in Asia/Seoul: from 00:00 KST of (today − 183 days)', () => {
      const now = new Date('2026-11-25T20:00:00Z'); // 2026-11-26 05:00 KST
      const start = scancodeWindowStart(now);
      expect(start.toISOString()).to.equal('2026-05-26T15:00:00.000Z'); // 2026-05-27 00:00 KST = 11-26 − 183 days
      expect(isWithinScancodeWindow(start, now)).to.equal(true);
      expect(isWithinScancodeWindow(new Date(start.getTime() - 1), now)).to.equal(false);
      // one second before KST midnight "today" still counts the previous day
      expect(scancodeWindowStart(new Date('2026-11-25T14:59:59Z')).toISOString()).to.equal('2026-05-25T15:00:00.000Z');
    });
    it('option values: answer or "-", option name (+N원), "-"', () => {
      expect(optionDisplayValue({ isCustomResponse: true, customResponse: '길동', optionName: null, additionalPrice: 0 })).to.equal('길동');
      expect(optionDisplayValue({ isCustomResponse: true, customResponse: '', optionName: null, additionalPrice: 0 })).to.equal('-');
      expect(optionDisplayValue({ isCustomResponse: false, customResponse: null, optionName: 'XL', additionalPrice: 3000 })).to.equal('XL (+3,000원)');
      expect(optionDisplayValue({ isCustomResponse: false, customResponse: null, optionName: 'M', additionalPrice: 0 })).to.equal('M');
      expect(optionDisplayValue({ isCustomResponse: false, customResponse: null, optionName: null, additionalPrice: 0 })).to.equal('-');
    });
  });

  describe('token errors', () => {
    it('no token → 404 "유효하지 않은 URL입니다."; malformed → 404 "유효하지 않은 토큰입니다."', async () => {
      for (const t of [undefined, '']) {
        const res = await page(app, t).expect(404).expect('Content-Type', /text\/html; charset=utf-8/);
        expect(errorText(res.text)).to.equal('유효하지 않은 URL입니다.');
      }
      for (const t of ['ticket:abc:def', 'user:abc', 'user:ab-c:def', 'order::x', 'order:abc:d%20e', 'order:abc:def:ghi']) {
        const res = await page(app, t).expect(404);
        expect(errorText(res.text), t).to.equal('유효하지 않은 토큰입니다.');
      }
      const both = await request(app).get(`${PAGE}?token=a&token=b`).expect(404);
      expect(errorText(both.text)).to.equal('유효하지 않은 토큰입니다.');
    });

    it('answers are private: no-store, no referrer, no index, strict CSP, no session cookie', async () => {
      const res = await page(app, 'order:abc:def').expect(404);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.headers['referrer-policy']).to.equal('no-referrer');
      expect(res.headers['x-robots-tag']).to.include('noindex');
      expect(res.headers['content-security-policy']).to.include("default-src 'none'");
      expect(res.headers['set-cookie']).to.equal(undefined);
    });
  });

  describe('user page (등록 입장 QR 코드)', () => {
    async function buyerWithOrders(): Promise<{ user: User; paid: Order; refunded: Order }> {
      const user = await makeUser();
      const ticket = await makeProduct({ nameKo: '컨퍼런스 티켓', price: 30000 });
      const size = await makeGroup(ticket, { nameKo: '사이즈' });
      const xl = await makeOption(size, { nameKo: 'XL', additionalPrice: 3000 });
      const badge = await makeGroup(ticket, { nameKo: '배지 이름', isCustomResponse: true, customResponsePattern: '.*' });
      const refunded = await makeOrder(user, [{ product: ticket, status: 'refunded' }], 'refunded');
      await refunded.update({ nameKo: '환불된 주문' });
      await CustomerInfo.create({ orderId: refunded.id, name: '옛이름', phone: '010-0000-0000', email: 'old@example.com' });
      const paid = await makeOrder(user, [{ product: ticket, options: [{ group: size, option: xl }, { group: badge, customResponse: '' }] }], 'completed');
      await paid.update({ nameKo: '결제된 주문' });
      await CustomerInfo.create({ orderId: paid.id, name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: 'PyCon' });
      await setCreatedAt(sequelize, refunded, new Date(Date.now() - 10 * 24 * 3600 * 1000));
      return { user, paid, refunded };
    }

    it('200: the holder, the recent orders newest first (refunded greyed), items with options, the QR of the full token', async () => {
      const { user, paid, refunded } = await buyerWithOrders();
      const token = signScancodeToken('user', user.uniqueId, salts);
      const res = await page(app, token).expect(200).expect('Content-Type', /text\/html/);
      const html = res.text;
      expect(title(html)).to.equal('등록 입장 QR 코드');
      expect(html).to.include('<p class="holder">홍길동 · gildong@example.com</p>'); // the most recent order's customer
      expect(html).to.include(encodeShortUuid(user.uniqueId));
      expect(html.indexOf(`data-order-id="${paid.id}"`)).to.be.greaterThan(0);
      expect(html.indexOf(`data-order-id="${paid.id}"`)).to.be.below(html.indexOf(`data-order-id="${refunded.id}"`));
      expect(html).to.include(`<section class="card order refunded" data-order-id="${refunded.id}">`);
      expect(html).to.include('사이즈: XL (+3,000원)');
      expect(html).to.include('배지 이름: -');
      expect(html).to.include('data-status="completed">결제 완료');
      expect(html).to.include('이 QR 코드는 본인 확인과 입장에 사용됩니다. 다른 사람에게 공유하지 마세요.');
      expect(html).to.include('양도할 수 없습니다');
      expect(html).to.include('pycon.kr');
      expect(qrSrc(html)).to.equal(await qrDataUrl(token)); // payload = the full token, salt included
      expect(qrSrc(html)).to.not.equal(await qrDataUrl(token.split(':').slice(0, 2).join(':')));
    });

    it('403 for an unknown user or a wrong salt; 403 when no order of the last 6 months is still valid', async () => {
      const { user, paid } = await buyerWithOrders();
      const wrong = `user:${encodeShortUuid(user.uniqueId)}:${scancodeSalt(user.uniqueId, 'another-salt')}`;
      expect(errorText((await page(app, wrong).expect(403)).text)).to.equal('인증 정보를 찾을 수 없습니다.');
      const stranger = signScancodeToken('user', '3b1f8b40-8a5e-4c1f-9b36-2f1d5f8e7a10', salts);
      expect(errorText((await page(app, stranger).expect(403)).text)).to.equal('인증 정보를 찾을 수 없습니다.');
      expect(errorText((await page(app, 'user:' + 'z'.repeat(30) + ':abc').expect(403)).text)).to.equal('인증 정보를 찾을 수 없습니다.'); // ≥ 2^128

      await PaymentHistory.create({ orderId: paid.id, status: 'refunded', price: 0, impId: 'imp_r' });
      const token = signScancodeToken('user', user.uniqueId, salts);
      expect(errorText((await page(app, token).expect(403)).text)).to.equal('최근 6개월 이내에 결제된 유효한 주문이 없습니다 (환불 완료 또는 주문 없음).');
      const nobody = await makeUser();
      await makeOrder(nobody, [{ product: await makeProduct() }], null); // a cart is no order
      expect((await page(app, signScancodeToken('user', nobody.uniqueId, salts)).expect(403)).text).to.include('최근 6개월');
    });

    it('the 183-day boundary (service with a fixed now, and over HTTP for an old order)', async () => {
      const { user, paid, refunded } = await buyerWithOrders();
      await PaymentHistory.create({ orderId: refunded.id, status: 'completed', price: 1, impId: 'imp_again' }); // both valid now
      const now = new Date('2026-11-25T20:00:00Z');
      const deps = { sequelize, backendDomain: testConfig.backendDomain, scancodeSalts: salts };
      const token = signScancodeToken('user', user.uniqueId, salts);
      await setCreatedAt(sequelize, paid, scancodeWindowStart(now)); // exactly 00:00 KST of today − 183 days: in
      await setCreatedAt(sequelize, refunded, new Date(scancodeWindowStart(now).getTime() - 1)); // 23:59:59.999 the day before: out
      const r = await resolveScancode(deps, token, { now });
      expect(r.kind).to.equal('user');
      expect(r.kind === 'user' && r.orders.map((o) => o.id)).to.deep.equal([paid.id]);
      await setCreatedAt(sequelize, paid, new Date(scancodeWindowStart(now).getTime() - 1));
      const none = await resolveScancode(deps, token, { now });
      expect(none).to.deep.equal({ kind: 'error', status: 403, message: '최근 6개월 이내에 결제된 유효한 주문이 없습니다 (환불 완료 또는 주문 없음).' });
      // over HTTP with the real clock: 200 days old → not shown
      await setCreatedAt(sequelize, paid, new Date(Date.now() - 200 * 24 * 3600 * 1000));
      await setCreatedAt(sequelize, refunded, new Date(Date.now() - 182 * 24 * 3600 * 1000));
      const html = (await page(app, token).expect(200)).text;
      expect(html).to.include(`data-order-id="${refunded.id}"`);
      expect(html).not.to.include(`data-order-id="${paid.id}"`);
    });
  });

  describe('order page (주문 조회) and ticket page (티켓 조회)', () => {
    it('order: 200 with the order; 404 for a wrong salt, an unknown order, a cart, or a fully refunded order', async () => {
      const user = await makeUser();
      const p = await makeProduct({ nameKo: '머그컵', price: 12000 });
      const order = await makeOrder(user, [{ product: p }, { product: p, status: 'refunded' }], 'partial_refunded');
      const token = signScancodeToken('order', order.id, salts);
      const html = (await page(app, token).expect(200)).text;
      expect(title(html)).to.equal('주문 조회');
      expect(html).to.include(`data-order-id="${order.id}"`);
      expect(html).to.include('data-status="partial_refunded">부분 환불');
      expect(html.match(/class="item /g)).to.have.length(2);
      expect(html).to.include('<li class="item refunded"');
      expect(qrSrc(html)).to.equal(await qrDataUrl(token));

      const wrong = `order:${encodeShortUuid(order.id)}:${scancodeSalt(order.id, 'nope')}`;
      expect(errorText((await page(app, wrong).expect(404)).text)).to.equal('주문을 찾을 수 없습니다.');
      expect(errorText((await page(app, signScancodeToken('order', '3b1f8b40-8a5e-4c1f-9b36-2f1d5f8e7a10', salts)).expect(404)).text)).to.equal('주문을 찾을 수 없습니다.');
      const cart = await makeOrder(user, [{ product: p }], null);
      expect(errorText((await page(app, signScancodeToken('order', cart.id, salts)).expect(404)).text)).to.equal('주문을 찾을 수 없습니다.');
      await PaymentHistory.create({ orderId: order.id, status: 'refunded', price: 0, impId: 'imp_x' });
      expect(errorText((await page(app, token).expect(404)).text)).to.equal('전체 환불된 주문은 사용하실 수 없습니다.');
    });

    it('ticket: 200 for any status with product, options, order; 403 for a wrong salt or an unknown / removed item', async () => {
      const user = await makeUser();
      const ticket = await makeProduct({ nameKo: '튜토리얼 티켓', price: 50000 }, await makeCategory('티켓', '튜토리얼 티켓'));
      const g = await makeGroup(ticket, { nameKo: '점심', isCustomResponse: false });
      const veg = await makeOption(g, { nameKo: '채식' });
      const order = await makeOrder(user, [{ product: ticket, options: [{ group: g, option: veg }], donation: 5000, status: 'used' }], 'completed');
      const opr = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
      const token = signScancodeToken('opr', opr.id, salts);
      const html = (await page(app, token).expect(200)).text;
      expect(title(html)).to.equal('티켓 조회');
      expect(html).to.include('튜토리얼 티켓');
      expect(html).to.include('data-status="used">사용 완료');
      expect(html).to.include('점심: 채식');
      expect(html).to.include('<dt>후원 금액</dt><dd>5,000원</dd>');
      expect(html).to.include(order.id);
      expect(html).to.include(encodeShortUuid(opr.id));
      expect(qrSrc(html)).to.equal(await qrDataUrl(token));

      const wrong = `opr:${encodeShortUuid(opr.id)}:${scancodeSalt(opr.id, 'nope')}`;
      expect(errorText((await page(app, wrong).expect(403)).text)).to.equal('티켓 정보를 찾을 수 없습니다.');
      expect(errorText((await page(app, signScancodeToken('opr', '3b1f8b40-8a5e-4c1f-9b36-2f1d5f8e7a10', salts)).expect(403)).text)).to.equal('티켓 정보를 찾을 수 없습니다.');
      await opr.destroy();
      expect(errorText((await page(app, token).expect(403)).text)).to.equal('티켓 정보를 찾을 수 없습니다.');
    });

    it('escapes HTML in every dynamic text', async () => {
      const user = await makeUser();
      const p = await makeProduct({ nameKo: '<script>alert(1)</script>' });
      const g = await makeGroup(p, { nameKo: '"이름"', isCustomResponse: true, customResponsePattern: '.*' });
      const order = await makeOrder(user, [{ product: p, options: [{ group: g, customResponse: "<img src=x onerror='x'>" }] }], 'completed');
      await CustomerInfo.create({ orderId: order.id, name: '<b>홍</b>', phone: '010-1234-5678', email: 'a&b@example.com' });
      const html = (await page(app, signScancodeToken('order', order.id, salts)).expect(200)).text;
      expect(html).not.to.include('<script>alert');
      expect(html).not.to.include('<img src=x');
      expect(html).not.to.include('<b>홍</b>');
      expect(html).to.include(escapeHtml('<script>alert(1)</script>'));
      expect(html).to.include('&quot;이름&quot;: &lt;img src=x onerror=&#39;x&#39;&gt;');
      expect(html).to.include('a&amp;b@example.com');
    });

    it('salt rotation: a token signed with an old salt still opens when the salt is still listed', async () => {
      const user = await makeUser();
      const order = await makeOrder(user, [{ product: await makeProduct() }], 'completed');
      const old = signScancodeToken('order', order.id, ['old-salt']);
      await page(app, old).expect(404);
      const rotated = await makeApp({ env: { ORDER_SCANCODE_SALT: 'new-salt,old-salt' } });
      await page(rotated, old).expect(200);
      await page(rotated, signScancodeToken('order', order.id, ['new-salt'])).expect(200);
    });

    it('scancode_url of the order API (order, and each ticket item) opens these pages', async () => {
      const { agent, user } = await signedInBuyer(app);
      const ticketCat = await makeCategory('티켓', '컨퍼런스 티켓', true);
      const goods = await makeCategory('굿즈', '머그');
      const ticket = await makeProduct({ nameKo: '티켓' }, ticketCat);
      const mug = await makeProduct({ nameKo: '머그' }, goods);
      const order = await makeOrder(user, [{ product: ticket }, { product: mug }], 'completed');
      const dto = (await agent.get(`/v1/shop/orders/${order.id}/`).expect(200)).body as {
        scancode_url: string;
        products: Array<{ product: { name: string }; scancode_url: string | null }>;
      };
      expect(dto.scancode_url).to.equal(`http://shop.test${PAGE}?token=${signScancodeToken('order', order.id, salts)}`);
      const path = (u: string) => u.replace('http://shop.test', '');
      expect(title((await request(app).get(path(dto.scancode_url)).expect(200)).text)).to.equal('주문 조회');
      const item = dto.products.find((p) => p.product.name === '티켓')!;
      expect(title((await request(app).get(path(item.scancode_url!)).expect(200)).text)).to.equal('티켓 조회');
      expect(dto.products.find((p) => p.product.name === '머그')!.scancode_url).to.equal(null);
    });
  });
});

import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { resetDb } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeCategory, makeProduct, makeGroup, makeOption, makeUser, makeOrder, HOLDER } from '../helpers/fixtures.js';
import { AuditLog, TicketInfo } from '../../src/models/index.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: 'PyCon' };

describe('ticket categories and ticket holders (ticket_info)', () => {
  let app: Express;
  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
    (await portoneSim()).reset();
  });

  async function catalogue() {
    const tickets = await makeCategory('티켓', '컨퍼런스 티켓', true);
    const goods = await makeCategory('굿즈', '굿즈', false);
    const ticket = await makeProduct({ nameKo: '일반 티켓', price: 50000 }, tickets);
    const patronTicket = await makeProduct({ nameKo: '후원 티켓', price: 100000, donationAllowed: true, donationMinPrice: 1000, donationMaxPrice: 50000 }, tickets);
    const mug = await makeProduct({ nameKo: '머그컵', price: 15000, refundableEndsAt: null }, goods);
    return { ticket, patronTicket, mug };
  }

  it('the catalogue shows is_ticket, placeholder_mode and a nullable refundable_ends_at', async () => {
    const { ticket, mug } = await catalogue();
    await makeGroup(ticket, { nameKo: '사이즈', placeholderMode: 'optional' });
    const res = await request(app).get('/v1/shop/products/').expect(200);
    const t = res.body.find((p: { id: string }) => p.id === ticket.id);
    const m = res.body.find((p: { id: string }) => p.id === mug.id);
    expect(t.is_ticket).to.equal(true);
    expect(t.option_groups[0].placeholder_mode).to.equal('optional');
    expect(t.refundable_ends_at).to.be.a('string');
    expect(m.is_ticket).to.equal(false);
    expect(m.refundable_ends_at).to.equal(null);
  });

  it('cart add: a ticket needs ticket_info; the cart shows it with is_ticket, certificate_status and a QR URL', async () => {
    const { ticket, mug } = await catalogue();
    const b = asBuyer(app, await makeUser());

    const missing = await b.post('/v1/shop/orders/cart/products/', { product: ticket.id, options: [] }).expect(400);
    expect(missing.body.errors).to.deep.equal([{ code: 'TICKET_INFO_REQUIRED', detail: '일반 티켓 상품(티켓)은 참가자 정보 입력이 필요합니다.', attr: 'ticket_info' }]);

    const added = await b.post('/v1/shop/orders/cart/products/', { product: ticket.id, options: [], ticket_info: { ...HOLDER, name: '  김참가 ' } }).expect(201);
    const item = added.body.products[0];
    expect(item.is_ticket).to.equal(true);
    expect(item.certificate_status).to.equal('not_issuable');
    expect(item.ticket_info).to.deep.equal({ ...HOLDER, contribution_message: null });
    expect(item.scancode_url).to.be.a('string');
    expect(item.product.donation_allowed).to.equal(false);

    const mugAdded = await b.post('/v1/shop/orders/cart/products/', { product: mug.id, options: [], ticket_info: null }).expect(201);
    const mugItem = mugAdded.body.products.find((p: { product: { id: string } }) => p.product.id === mug.id);
    expect(mugItem).to.include({ is_ticket: false, ticket_info: null, scancode_url: null });

    const cart = (await b.get('/v1/shop/orders/cart/').expect(200)).body;
    expect(cart.products.find((p: { id: string }) => p.id === item.id).ticket_info.name).to.equal('김참가');

    // stored once, with an audit row
    const row = await TicketInfo.findOne({ where: { orderProductRelationId: item.id } });
    expect(row).to.include({ name: '김참가', phone: HOLDER.phone, email: HOLDER.email, organization: HOLDER.organization, contributionMessage: null });
    expect(await AuditLog.count({ where: { tableName: 'ticket_infos', recordId: row!.id, action: 'create' } })).to.equal(1);
  });

  it('refuses ticket_info on a non-ticket, a contribution message on a non-donation product, and malformed fields', async () => {
    const { ticket, patronTicket, mug } = await catalogue();
    const b = asBuyer(app, await makeUser());

    const notTicket = await b.post('/v1/shop/orders/cart/products/', { product: mug.id, options: [], ticket_info: HOLDER }).expect(400);
    expect(notTicket.body.errors).to.deep.equal([{ code: 'TICKET_INFO_NOT_ALLOWED', detail: '머그컵 상품은 티켓이 아니므로 참가자 정보를 입력할 수 없습니다.', attr: 'ticket_info' }]);

    const message = await b.post('/v1/shop/orders/cart/products/', { product: ticket.id, options: [], ticket_info: { ...HOLDER, contribution_message: '화이팅' } }).expect(400);
    expect(message.body.errors).to.deep.equal([
      { code: 'CONTRIBUTION_MESSAGE_NOT_ALLOWED', detail: '일반 티켓 상품은 후원 가능 상품이 아니므로 후원자 한마디를 입력할 수 없습니다.', attr: 'ticket_info' },
    ]);
    // an empty message is no message
    await b.post('/v1/shop/orders/cart/products/', { product: ticket.id, options: [], ticket_info: { ...HOLDER, contribution_message: '' } }).expect(201);
    const patron = await b
      .post('/v1/shop/orders/cart/products/', { product: patronTicket.id, options: [], donation_price: 5000, ticket_info: { ...HOLDER, contribution_message: '화이팅' } })
      .expect(201);
    expect(patron.body.products.find((p: { product: { id: string } }) => p.product.id === patronTicket.id).ticket_info.contribution_message).to.equal('화이팅');

    const bad = await b
      .post('/v1/shop/orders/cart/products/', { product: ticket.id, options: [], ticket_info: { name: '', phone: '01012345678', email: 'nope', organization: null } })
      .expect(400);
    expect(bad.body.errors.map((e: { attr: string }) => e.attr).sort()).to.deep.equal([
      'ticket_info.email',
      'ticket_info.name',
      'ticket_info.organization',
      'ticket_info.phone',
    ]);
    const noOrg = await b.post('/v1/shop/orders/cart/products/', { product: ticket.id, options: [], ticket_info: { name: 'a', phone: HOLDER.phone, email: HOLDER.email } }).expect(400);
    expect(noOrg.body.errors).to.deep.equal([{ code: 'required', detail: '이 필드는 필수 항목입니다.', attr: 'ticket_info.organization' }]);
    // organization may be empty
    await b.post('/v1/shop/orders/cart/products/', { product: ticket.id, options: [], ticket_info: { ...HOLDER, organization: '' } }).expect(201);
  });

  it('buy-now: a ticket needs ticket_info (stored with the buy-now item)', async () => {
    const { ticket } = await catalogue();
    const b = asBuyer(app, await makeUser());
    const missing = await b.post('/v1/shop/orders/single/', { product: ticket.id, options: [], customer_info: INFO }).expect(400);
    expect(missing.body.errors[0]).to.include({ code: 'TICKET_INFO_REQUIRED', attr: 'ticket_info' });
    const ok = await b.post('/v1/shop/orders/single/', { product: ticket.id, options: [], customer_info: INFO, ticket_info: HOLDER }).expect(201);
    expect(ok.body.merchant_uid).to.be.a('string');
    expect(ok.body.products[0].ticket_info).to.deep.equal({ ...HOLDER, contribution_message: null });
    expect(await TicketInfo.count()).to.equal(1);
    // the same request again is a double click (same cart); another holder is another purchase
    const again = await b.post('/v1/shop/orders/single/', { product: ticket.id, options: [], customer_info: INFO, ticket_info: HOLDER }).expect(201);
    expect(again.body.id).to.equal(ok.body.id);
    const other = await b.post('/v1/shop/orders/single/', { product: ticket.id, options: [], customer_info: INFO, ticket_info: { ...HOLDER, name: '다른 참가자' } }).expect(201);
    expect(other.body.id).to.not.equal(ok.body.id);
    expect(other.body.products[0].ticket_info.name).to.equal('다른 참가자');
  });

  it('cart checkout refuses a cart whose ticket item has no holder (added before the rule)', async () => {
    const { ticket, mug } = await catalogue();
    const user = await makeUser();
    await makeOrder(user, [{ product: ticket }, { product: mug }], null);
    const b = asBuyer(app, user);
    const res = await b.post('/v1/shop/orders/', INFO).expect(400);
    expect(res.body.errors).to.deep.equal([
      { code: 'CART_TICKET_INFO_REQUIRED', detail: '참가자 정보가 입력되지 않은 티켓이 있습니다. 모든 티켓의 참가자 정보를 입력해주세요.', attr: 'non_field_errors' },
    ]);
  });

  it('cart checkout of ticket items with holders prepares the payment', async () => {
    const { ticket } = await catalogue();
    const g = await makeGroup(ticket, { nameKo: '사이즈', minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    const m = await makeOption(g, { nameKo: 'M' });
    const b = asBuyer(app, await makeUser());
    await b.post('/v1/shop/orders/cart/products/', { product: ticket.id, options: [{ product_option_group: g.id, product_option: m.id, custom_response: null }], ticket_info: HOLDER }).expect(201);
    const prepared = await b.post('/v1/shop/orders/', INFO).expect(201);
    expect(prepared.body.merchant_uid).to.be.a('string');
    expect(prepared.body.products[0].ticket_info.email).to.equal(HOLDER.email);
  });
});

describe('CSV import of ticket orders', () => {
  it("makes the row's customer the ticket's holder", async () => {
    const sequelize = await resetDb();
    const { importOrders } = await import('../../src/services/import.js');
    const ticket = await makeProduct({ nameKo: '초대 티켓', price: 0 }, await makeCategory('티켓', '초대권', true));
    const mug = await makeProduct({ nameKo: '머그', price: 0 }, await makeCategory('굿즈', '굿즈'));
    await makeUser({ email: 'guest@example.com' });
    const csv = `name,phone,email,organization,product_id,donation_price\r\n초대손님,010-5555-6666,guest@example.com,파이썬,${ticket.id},\r\n초대손님,010-5555-6666,guest@example.com,,${mug.id},\r\n`;
    const r = await importOrders(sequelize, csv, { apply: true });
    expect(r, JSON.stringify(r.rows)).to.include({ ok: true, created: 2 });
    const holders = await TicketInfo.findAll();
    expect(holders.map((h) => [h.name, h.phone, h.email, h.organization])).to.deep.equal([['초대손님', '010-5555-6666', 'guest@example.com', '파이썬']]);
  });
});

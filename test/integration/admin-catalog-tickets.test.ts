import { expect } from 'chai';
import type { Sequelize } from 'sequelize';
import { resetDb } from '../helpers/db.js';
import { makeCategory, makeProduct, makeGroup, makeOption, makeUser, makeOrder, HOLDER } from '../helpers/fixtures.js';
import { Category, OrderProductRelation, Product, TicketInfo } from '../../src/models/index.js';
import { CatalogService } from '../../src/services/admin-catalog.js';

/** The panel's catalogue rules of today's frontend (the panel's forms call this service). */
describe('admin catalogue: ticket flag, placeholder mode, option stock, non-refundable products', () => {
  let sequelize: Sequelize;
  let svc: CatalogService;
  beforeEach(async () => {
    sequelize = await resetDb();
    svc = new CatalogService(sequelize);
  });

  it('a category becomes a ticket category only when every purchased item has a holder, and stops only when none has', async () => {
    const category = await makeCategory('티켓', '워크숍', false);
    const p = await makeProduct({ nameKo: '워크숍' }, category);
    const order = await makeOrder(await makeUser(), [{ product: p }]);
    await makeOrder(await makeUser(), [{ product: p }], null); // a cart item does not count
    const on = await svc.saveCategory(category.id, { isTicket: true });
    expect(on).to.deep.equal({ ok: false, errors: { isTicket: '참가자 정보가 없는 구매 건이 있어 티켓으로 전환할 수 없습니다.' } });

    const opr = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
    await TicketInfo.create({ orderProductRelationId: opr.id, ...HOLDER });
    expect((await svc.saveCategory(category.id, { isTicket: true })).ok).to.equal(true);
    expect((await Category.findByPk(category.id))!.isTicket).to.equal(true);

    const off = await svc.saveCategory(category.id, { isTicket: 'false' });
    expect(off).to.deep.equal({ ok: false, errors: { isTicket: '참가자 정보가 수집된 티켓 구매 건이 있어 티켓 설정을 해제할 수 없습니다.' } });
    // other edits keep the flag and pass
    expect((await svc.saveCategory(category.id, { priority: 3 })).ok).to.equal(true);
    expect((await Category.findByPk(category.id))!.isTicket).to.equal(true);
  });

  it('placeholder_mode is saved through the options form and validated', async () => {
    const p = await makeProduct();
    const r = await svc.syncProductOptions(p.id, [{ nameKo: '색상', placeholderMode: 'optional', options: [{ nameKo: '빨강' }] }]);
    expect(r.ok).to.equal(true);
    expect((await svc.productOptions(p.id))[0]!.placeholderMode).to.equal('optional');
    const bad = await svc.syncProductOptions(p.id, [{ nameKo: '색상', placeholderMode: 'sometimes', options: [] }]);
    expect(bad).to.deep.equal({ ok: false, errors: { 'groups.0.placeholderMode': "'hidden', 'optional', 'required' 중 하나여야 합니다." } });
  });

  it("an option's stock cannot go below its sold count (0 = unlimited stays allowed)", async () => {
    const p = await makeProduct();
    const g = await makeGroup(p, { nameKo: '사이즈' });
    const m = await makeOption(g, { nameKo: 'M', stock: 10 });
    for (let i = 0; i < 3; i++) await makeOrder(await makeUser(), [{ product: p, options: [{ group: g, option: m }] }]);
    await makeOrder(await makeUser(), [{ product: p, status: 'refunded', options: [{ group: g, option: m }] }]);
    const low = await svc.saveOption(m.id, { stock: 2 });
    expect(low).to.deep.equal({ ok: false, errors: { stock: '이미 3개가 판매된 옵션입니다. 재고는 3 이상이거나 0(무제한)이어야 합니다.' } });
    expect((await svc.saveOption(m.id, { stock: 3 })).ok).to.equal(true);
    expect((await svc.saveOption(m.id, { stock: 0 })).ok).to.equal(true);
  });

  it('a product is made non-refundable with notRefundable; other edits keep it so', async () => {
    const p = await makeProduct({ nameKo: '환불 불가' });
    expect((await svc.saveProduct(p.id, { notRefundable: true })).ok).to.equal(true);
    expect((await Product.findByPk(p.id))!.refundableEndsAt).to.equal(null);
    expect((await svc.saveProduct(p.id, { price: 12000 })).ok).to.equal(true);
    expect((await Product.findByPk(p.id))!.refundableEndsAt).to.equal(null);
    expect((await svc.saveProduct(p.id, { notRefundable: false })).ok).to.equal(true);
    expect((await Product.findByPk(p.id))!.refundableEndsAt!.toISOString()).to.equal('9999-12-31T23:59:59.999Z');
  });
});

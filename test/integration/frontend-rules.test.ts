import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import { resetDb } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeCategory, makeProduct, makeGroup, makeOption, makeUser, makeOrder, HOLDER } from '../helpers/fixtures.js';
import { Order, OrderProductOptionRelation, OrderProductRelation, PaymentHistory, TicketInfo } from '../../src/models/index.js';
import { previewRefund } from '../../src/services/refund.js';

/** The smaller rules of today's frontend: placeholder mode, order list order, patron messages, non-refundable products. */
describe('today\'s frontend: placeholder mode, order list order, patrons, non-refundable products', () => {
  let app: Express;
  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
  });

  describe('placeholder_mode of a selectable group', () => {
    it('only `optional` accepts no choice: the answer is stored with no option and adds no price', async () => {
      const p = await makeProduct({ nameKo: '티셔츠', price: 20000 });
      const optional = await makeGroup(p, { nameKo: '색상', placeholderMode: 'optional', maxQuantityPerProduct: 1 });
      await makeOption(optional, { nameKo: '빨강', additionalPrice: 1000 });
      const b = asBuyer(app, await makeUser());
      const res = await b.post('/v1/shop/orders/cart/products/', { product: p.id, options: [{ product_option_group: optional.id, product_option: null, custom_response: null }] }).expect(201);
      const item = res.body.products[0];
      expect(item.price).to.equal(20000);
      expect(item.options).to.have.length(1);
      expect(item.options[0].product_option).to.equal(null);
      expect(item.options[0].product_option_group).to.include({ id: optional.id, placeholder_mode: 'optional', is_custom_response: false });
      const stored = await OrderProductOptionRelation.findAll({ where: { orderProductRelationId: item.id } });
      expect(stored.map((o) => [o.productOptionGroupId, o.productOptionId])).to.deep.equal([[optional.id, null]]);
    });

    for (const mode of ['hidden', 'required'] as const) {
      it(`\`${mode}\` refuses no choice with OPTION_NOT_SELECTED`, async () => {
        const p = await makeProduct({ nameKo: '티셔츠' });
        const g = await makeGroup(p, { nameKo: '색상', placeholderMode: mode });
        await makeOption(g, { nameKo: '빨강' });
        const res = await asBuyer(app, await makeUser())
          .post('/v1/shop/orders/cart/products/', { product: p.id, options: [{ product_option_group: g.id, product_option: null, custom_response: null }] })
          .expect(400);
        expect(res.body.errors).to.deep.equal([{ code: 'OPTION_GROUP_OPTION_NOT_SELECTED', detail: '옵션을 선택해주세요.', attr: 'options.0.product_option' }]);
      });
    }
  });

  it('GET v1/shop/orders/ is sorted by first payment time, newest first', async () => {
    const user = await makeUser();
    const p = await makeProduct();
    const a = await makeOrder(user, [{ product: p }]); // created first …
    const b = await makeOrder(user, [{ product: p }]);
    await Order.update({ createdAt: new Date(Date.now() - 3_600_000) }, { where: { id: a.id }, silent: true });
    await PaymentHistory.update({ createdAt: new Date(Date.now() - 60_000) }, { where: { orderId: b.id }, silent: true }); // … but paid last
    await PaymentHistory.update({ createdAt: new Date(Date.now() - 10_000) }, { where: { orderId: a.id }, silent: true });
    const ids = (await asBuyer(app, user).get('/v1/shop/orders/').expect(200)).body.map((o: { id: string }) => o.id);
    expect(ids).to.deep.equal([a.id, b.id]);
  });

  it('patron messages come from the holder\'s contribution_message (the old free-text answer otherwise)', async () => {
    const tickets = await makeCategory('티켓', '후원 티켓', true);
    const patronTicket = await makeProduct({ nameKo: '후원 티켓', price: 100000, donationAllowed: true, donationMaxPrice: 100000 }, tickets);
    const patron = await makeProduct({ nameKo: '개인 후원', price: 10000, donationAllowed: true, donationMaxPrice: 100000 });
    const message = await makeGroup(patron, { nameKo: '후원자 한마디', isCustomResponse: true, customResponsePattern: '.*' });
    const withHolder = await makeOrder(await makeUser(), [{ product: patronTicket }]);
    const opr = (await OrderProductRelation.findOne({ where: { orderId: withHolder.id } }))!;
    await TicketInfo.create({ orderProductRelationId: opr.id, ...HOLDER, contributionMessage: '파이썬 최고' });
    await makeOrder(await makeUser(), [{ product: patron, options: [{ group: message, customResponse: '응원합니다' }] }]);
    const res = await request(app).get(`/v1/shop/patron/?year=${new Date().getFullYear()}`).expect(200);
    expect(res.body.map((x: { contribution_message: string }) => x.contribution_message)).to.deep.equal(['파이썬 최고', '응원합니다']);
  });

  describe('non-refundable products (refundable_ends_at null)', () => {
    it('the buyer cannot refund the item nor the order; the reasons say so; operators and the desk may', async () => {
      const user = await makeUser();
      const free = await makeProduct({ nameKo: '환불 불가 상품', price: 10000, refundableEndsAt: null });
      const normal = await makeProduct({ nameKo: '일반 상품', price: 5000 });
      const order = await makeOrder(user, [{ product: free }, { product: normal }], 'completed', 'imp_nonrefundable');
      const b = asBuyer(app, user);
      const dto = (await b.get(`/v1/shop/orders/${order.id}/`).expect(200)).body;
      expect(dto.not_fully_refundable_reason).to.equal('주문 중 환불할 수 없는 상품이 존재합니다. 개별 환불을 진행해주세요.');
      const item = dto.products.find((x: { product: { id: string } }) => x.product.id === free.id);
      expect(item.not_refundable_reason).to.equal('해당 상품은 환불할 수 없습니다. PyCon 한국 준비 위원회에 문의해주세요.');
      expect(dto.products.find((x: { product: { id: string } }) => x.product.id === normal.id).not_refundable_reason).to.equal(null);

      const one = await b.delete(`/v1/shop/orders/${order.id}/products/${item.id}/`).expect(400);
      expect(one.body.errors[0]).to.include({ code: 'PRODUCT_IS_NOT_REFUNDABLE', detail: '해당 상품은 환불할 수 없습니다. PyCon 한국 준비 위원회에 문의해주세요.' });
      const all = await b.delete(`/v1/shop/orders/${order.id}/`).expect(400);
      expect(all.body.errors[0].code).to.equal('ONE_OF_PRODUCT_IS_NOT_REFUNDABLE');

      // operators and the desk ignore it (as they ignore the refund window)
      expect(await previewRefund({ orderId: order.id, channel: 'admin' })).to.include({ refundable: true, amount: 15000 });
      expect(await previewRefund({ orderId: order.id, itemId: item.id, channel: 'desk' })).to.include({ refundable: true, amount: 10000 });
    });
  });
});

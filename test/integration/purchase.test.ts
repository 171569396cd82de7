import { expect } from 'chai';
import type { Express } from 'express';
import { resetDb } from '../helpers/db.js';
import { makeApp, portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeCategory, makeProduct, makeTag, makeGroup, makeOption, makeUser, makeOrder, daysFromNow } from '../helpers/fixtures.js';
import { Order, OrderProductRelation, SingleProductCart, CustomerInfo } from '../../src/models/index.js';
import { parseMerchantUid } from '../../src/domain/checkout/snapshot.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: 'PyCon' };

describe('purchase flow (/v1/shop/orders)', () => {
  let app: Express;
  beforeEach(async () => {
    await resetDb();
    app = await makeApp();
    (await portoneSim()).reset();
  });

  describe('anonymous callers', () => {
    it('get an empty cart {} and an empty order list []; writes are 401 in the error shape', async () => {
      const anon = asBuyer(app, null);
      expect((await anon.get('/v1/shop/orders/cart/').expect(200)).body).to.deep.equal({});
      expect((await anon.get('/v1/shop/orders/').expect(200)).body).to.deep.equal([]);
      const p = await makeProduct();
      const res = await anon.post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(401);
      expect(res.body).to.deep.equal({ type: 'client_error', errors: [{ code: 'not_authenticated', detail: '로그인 후 이용해주세요.', attr: null }] });
      await anon.post('/v1/shop/orders/single/', {}).expect(401);
      await anon.post('/v1/shop/orders/', INFO).expect(401);
      expect(await OrderProductRelation.count()).to.equal(0);
    });
  });

  describe('cart', () => {
    it('adds items with server-computed prices, lists and removes them', async () => {
      const user = await makeUser();
      const b = asBuyer(app, user);
      const p = await makeProduct({ price: 20000, nameKo: '티셔츠' });
      const g = await makeGroup(p, { minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
      const xl = await makeOption(g, { nameKo: 'XL', additionalPrice: 3000 });
      const added = await b
        .post('/v1/shop/orders/cart/products/', { product: p.id, options: [{ product_option_group: g.id, product_option: xl.id, custom_response: null }], price: 1 })
        .expect(201);
      expect(added.body.current_status).to.equal('pending');
      expect(added.body.products).to.have.length(1);
      const item = added.body.products[0];
      expect(item).to.include({ status: 'pending', price: 23000, donation_price: 0 });
      expect(item.product).to.deep.equal({ id: p.id, name: '티셔츠', price: 20000, image: null, donation_allowed: false });
      expect(item.options[0].product_option).to.deep.equal({ id: xl.id, name: 'XL', additional_price: 3000 });
      expect(added.body.first_paid_price).to.equal(23000);
      expect(added.body.merchant_uid).to.equal(null);
      expect(added.body.payment_histories).to.deep.equal([]);

      await b.post('/v1/shop/orders/cart/products/', { product: p.id, options: [{ product_option_group: g.id, product_option: xl.id, custom_response: null }] }).expect(201);
      const cart = await b.get('/v1/shop/orders/cart/').expect(200);
      expect(cart.body.id).to.equal(added.body.id);
      expect(cart.body.products).to.have.length(2);
      expect(cart.body.first_paid_price).to.equal(46000);

      const removed = await b.delete(`/v1/shop/orders/cart/products/${item.id}/`).expect(200);
      expect(removed.body.products.map((x: { id: string }) => x.id)).not.to.include(item.id);
      expect(removed.body.first_paid_price).to.equal(23000);
      await b.delete(`/v1/shop/orders/cart/products/${item.id}/`).expect(404);
      // someone else's item
      const other = asBuyer(app, await makeUser());
      await other.delete(`/v1/shop/orders/cart/products/${removed.body.products[0].id}/`).expect(404);
      await other.delete('/v1/shop/orders/cart/products/not-a-uuid/').expect(404);
      // the orders list does not show carts
      expect((await b.get('/v1/shop/orders/').expect(200)).body).to.deep.equal([]);
    });

    it('answers rule violations with 400, the catalogue code, Korean detail and a dotted attr — and writes nothing', async () => {
      const user = await makeUser();
      const b = asBuyer(app, user);
      const later = await makeProduct({ nameKo: '나중', orderableStartsAt: daysFromNow(1) });
      let res = await b.post('/v1/shop/orders/cart/products/', { product: later.id, options: [] }).expect(400);
      expect(res.body.type).to.equal('validation_error');
      expect(res.body.errors).to.deep.equal([{ code: 'PRODUCT_NOT_ORDERABLE_TIME', detail: '나중 상품은 현재 구매하실 수 없습니다.', attr: 'product' }]);

      const badge = await makeProduct({ nameKo: '티켓' });
      const g = await makeGroup(badge, { isCustomResponse: true, customResponsePattern: '[A-Z]', minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
      res = await b.post('/v1/shop/orders/cart/products/', { product: badge.id, options: [{ product_option_group: g.id, product_option: null, custom_response: 'abc' }] }).expect(400);
      expect(res.body.errors[0]).to.include({ code: 'OPTION_GROUP_CUSTOM_RESPONSE_PATTERN_MISMATCH', attr: 'options.0.custom_response' });
      // re.match semantics: anchored at the start only
      await b.post('/v1/shop/orders/cart/products/', { product: badge.id, options: [{ product_option_group: g.id, product_option: null, custom_response: 'Abc' }] }).expect(201);

      res = await b.post('/v1/shop/orders/cart/products/', { product: badge.id, options: [] }).expect(400);
      expect(res.body.errors[0]).to.include({ code: 'OPTION_GROUP_NOT_ENOUGH_OPTION', attr: 'non_field_errors' });

      const patron = await makeProduct({ nameKo: '후원', price: 10000, donationAllowed: true, donationMinPrice: 1000, donationMaxPrice: 5000 });
      res = await b.post('/v1/shop/orders/cart/products/', { product: patron.id, options: [], donation_price: 5001 }).expect(400);
      expect(res.body.errors[0].code).to.equal('PRODUCT_DONATION_PRICE_OUT_OF_RANGE');
      expect(res.body.errors[0].detail).to.equal('후원 상품의 후원 금액이 범위를 벗어났습니다. 1000원 이상 5000원 이하로 입력해주세요.');
      await b.post('/v1/shop/orders/cart/products/', { product: patron.id, options: [], donation_price: 5000 }).expect(201);
      res = await b.post('/v1/shop/orders/cart/products/', { product: patron.id, options: [], donation_price: -1 }).expect(400);
      expect(res.body.errors[0].attr).to.equal('donation_price');

      const expensive = await makeProduct({ price: 1_000_000 });
      res = await b.post('/v1/shop/orders/cart/products/', { product: expensive.id, options: [] }).expect(400);
      expect(res.body.errors[0].code).to.equal('PRODUCT_PRICE_TOO_HIGH');
      const free = await makeProduct({ price: 0 });
      await b.post('/v1/shop/orders/cart/products/', { product: free.id, options: [] }).expect(201); // 0-won items are allowed

      res = await b.post('/v1/shop/orders/cart/products/', { product: '7d8c9b1e-0000-4000-8000-000000000000', options: [] }).expect(400);
      expect(res.body.errors[0]).to.include({ code: 'does_not_exist', attr: 'product' });
      res = await b.post('/v1/shop/orders/cart/products/', [1, 2]).expect(400);
      expect(res.body.type).to.equal('validation_error');
      res = await b.post('/v1/shop/orders/cart/products/', { options: [] }).expect(400);
      expect(res.body.errors[0]).to.include({ code: 'required', attr: 'product' });

      const cart = await b.get('/v1/shop/orders/cart/').expect(200);
      expect(cart.body.products).to.have.length(3); // only the three valid adds
    });

    it('counts differently per mode: per-user caps include the cart when adding, not for buy-now', async () => {
      const user = await makeUser();
      const b = asBuyer(app, user);
      const ticket = await makeProduct({ nameKo: '일반 티켓' }, await makeCategory('티켓', '컨퍼런스 티켓'));
      const student = await makeProduct({ nameKo: '학생 티켓' }, await makeCategory('티켓', '컨퍼런스 티켓'));
      await makeTag({ nameKo: '티켓류', maxQuantityPerUser: 1 }, [ticket, student]);
      await b.post('/v1/shop/orders/cart/products/', { product: ticket.id, options: [] }).expect(201);
      // ADD counts the cart: a second ticket of the family is refused
      const res = await b.post('/v1/shop/orders/cart/products/', { product: student.id, options: [] }).expect(400);
      expect(res.body.errors[0]).to.deep.equal({
        code: 'TAG_ALREADY_ORDERED_TOO_MUCH_RELATED_PRODUCTS',
        detail: '티켓류 상품군의 인당 최대 구매 수량 초과로 구매하실 수 없습니다.',
        attr: 'product',
      });
      // SINGLE counts purchases only: buy-now of the student ticket is allowed while the cart holds one
      await b.post('/v1/shop/orders/single/', { product: student.id, options: [], customer_info: INFO }).expect(201);
      // once a ticket is purchased, even buy-now is refused
      await makeOrder(user, [{ product: ticket }]);
      // (a different request: the identical one would be answered as a double click with the held cart)
      const again = await b.post('/v1/shop/orders/single/', { product: student.id, options: [], customer_info: { ...INFO, organization: '' } }).expect(400);
      expect(again.body.errors[0].code).to.equal('TAG_ALREADY_ORDERED_TOO_MUCH_RELATED_PRODUCTS');
      // and the cart checkout (CART mode counts cart + purchased) is refused too
      const co = await b.post('/v1/shop/orders/', INFO).expect(400);
      expect(co.body.errors[0]).to.include({ code: 'TAG_ALREADY_ORDERED_TOO_MUCH_RELATED_PRODUCTS', attr: '0.product' });
    });
  });

  describe('buy now (POST /v1/shop/orders/single/)', () => {
    it('creates a prepared single-product cart and registers the amount with PortOne', async () => {
      const user = await makeUser();
      const b = asBuyer(app, user);
      const p = await makeProduct({ price: 15000, donationAllowed: true, donationMinPrice: 1000, donationMaxPrice: 100000 });
      const res = await b.post('/v1/shop/orders/single/', { product: p.id, options: [], donation_price: 5000, customer_info: INFO }).expect(201);
      expect(res.body).to.include({ current_status: 'pending', first_paid_price: 20000, current_paid_price: 0 });
      expect(res.body.customer_info).to.deep.equal(INFO);
      expect(res.body.products[0]).to.include({ price: 15000, donation_price: 5000, status: 'pending' });
      const parsed = parseMerchantUid(res.body.merchant_uid);
      expect(parsed?.id).to.equal(res.body.id);
      const sim = await portoneSim();
      expect(sim.state.prepared[res.body.merchant_uid]).to.deep.equal({ merchant_uid: res.body.merchant_uid, amount: 20000 });
      // the buyer's cart is untouched
      expect((await b.get('/v1/shop/orders/cart/').expect(200)).body).to.deep.equal({});
      const spc = await SingleProductCart.findByPk(res.body.id);
      expect(spc?.stockHeldUntil?.getTime()).to.be.greaterThan(Date.now());
    });

    it('validates customer_info with nested attrs together with the item, writing nothing', async () => {
      const b = asBuyer(app, await makeUser());
      const p = await makeProduct({ orderableEndsAt: daysFromNow(-1), nameKo: '지난' });
      const res = await b
        .post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: { ...INFO, phone: '01012345678', email: 'nope' } })
        .expect(400);
      const attrs = res.body.errors.map((e: { attr: string }) => e.attr);
      expect(attrs).to.include.members(['product', 'customer_info.phone', 'customer_info.email']);
      const missing = await b.post('/v1/shop/orders/single/', { product: p.id, options: [] }).expect(400);
      expect(missing.body.errors.map((e: { attr: string }) => e.attr)).to.include('customer_info');
      expect(await SingleProductCart.count()).to.equal(0);
      expect(await OrderProductRelation.count()).to.equal(0);
    });

    it('a double-clicked buy creates one pending cart with one merchant_uid', async () => {
      const b = asBuyer(app, await makeUser());
      const p = await makeProduct({ stock: 5 });
      const body = { product: p.id, options: [], customer_info: INFO };
      const [r1, r2] = await Promise.all([b.post('/v1/shop/orders/single/', body), b.post('/v1/shop/orders/single/', body)]);
      expect(r1.status).to.equal(201);
      expect(r2.status).to.equal(201);
      expect(r2.body.id).to.equal(r1.body.id);
      expect(r2.body.merchant_uid).to.equal(r1.body.merchant_uid);
      expect(await SingleProductCart.count()).to.equal(1);
    });

    it('PortOne failing at prepare → 502 in the error shape; the retry prepares the same merchant_uid', async () => {
      const b = asBuyer(app, await makeUser());
      const p = await makeProduct();
      const sim = await portoneSim();
      sim.failNext('prepare', 'http500', 2); // POST and the PUT fallback
      const body = { product: p.id, options: [], customer_info: INFO };
      const failed = await b.post('/v1/shop/orders/single/', body).expect(502);
      expect(failed.body).to.deep.equal({ type: 'server_error', errors: [{ code: 'portone_error', detail: '결제 준비에 실패했습니다. 잠시 후 다시 시도해주세요.', attr: null }] });
      const ok = await b.post('/v1/shop/orders/single/', body).expect(201);
      expect(sim.state.prepared[ok.body.merchant_uid]?.amount).to.equal(10000);
      expect(await SingleProductCart.count()).to.equal(1);
    });
  });

  describe('cart checkout (POST /v1/shop/orders/)', () => {
    it('prepares the whole cart: name, customer info, snapshot, PortOne amount', async () => {
      const user = await makeUser();
      const b = asBuyer(app, user);
      const a = await makeProduct({ nameKo: '머그컵', nameEn: 'Mug', price: 15000 });
      const c = await makeProduct({ nameKo: '티셔츠', nameEn: 'T-shirt', price: 25000 });
      await b.post('/v1/shop/orders/cart/products/', { product: a.id, options: [] }).expect(201);
      await b.post('/v1/shop/orders/cart/products/', { product: c.id, options: [] }).expect(201);
      await b.post('/v1/shop/orders/cart/products/', { product: a.id, options: [] }).expect(201);
      const res = await b.post('/v1/shop/orders/', { ...INFO, organization: null }).expect(201);
      expect(res.body.name).to.equal('티셔츠 외 2개');
      expect(res.body.first_paid_price).to.equal(55000);
      expect(res.body.customer_info).to.deep.equal({ ...INFO, organization: '' });
      const order = await Order.findByPk(res.body.id);
      expect(order!.nameEn).to.equal('T-shirt and 2 more');
      const sim = await portoneSim();
      expect(sim.state.prepared[res.body.merchant_uid]?.amount).to.equal(55000);
      // a double click answers the same preparation
      const again = await b.post('/v1/shop/orders/', { ...INFO, organization: null }).expect(201);
      expect(again.body.merchant_uid).to.equal(res.body.merchant_uid);
      // any change to the prepared cart clears its preparation (and hold)
      const changed = await b.post('/v1/shop/orders/cart/products/', { product: a.id, options: [] }).expect(201);
      expect(changed.body.merchant_uid).to.equal(null);
      expect((await Order.findByPk(res.body.id))!.stockHeldUntil).to.equal(null);
      const second = await b.post('/v1/shop/orders/', INFO).expect(201);
      expect(second.body.merchant_uid).to.not.equal(res.body.merchant_uid);
      expect(second.body.first_paid_price).to.equal(70000);
      expect(await CustomerInfo.count()).to.equal(1);
    });

    it('empty cart → 400 CART_EMPTY; bad customer info → field errors; cart total ≥ 1,000,000 refused', async () => {
      const b = asBuyer(app, await makeUser());
      let res = await b.post('/v1/shop/orders/', INFO).expect(400);
      expect(res.body.errors).to.deep.equal([{ code: 'CART_EMPTY', detail: '장바구니가 비어있습니다, 먼저 상품을 담아주세요.', attr: null }]);
      const p = await makeProduct({ price: 600000 });
      await b.post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);
      res = await b.post('/v1/shop/orders/', { ...INFO, phone: '+82' }).expect(400);
      expect(res.body.errors.map((e: { attr: string }) => e.attr)).to.deep.equal(['phone']);
      await b.post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);
      res = await b.post('/v1/shop/orders/', INFO).expect(400);
      expect(res.body.errors[0]).to.include({ code: 'CART_PRICE_TOO_HIGH', attr: 'non_field_errors' });
      expect(await CustomerInfo.count()).to.equal(0);
    });

    it('charges the current price: a product repriced after adding to the cart is re-priced at checkout', async () => {
      const b = asBuyer(app, await makeUser());
      const p = await makeProduct({ price: 10000 });
      await b.post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);
      await p.update({ price: 12000 });
      const res = await b.post('/v1/shop/orders/', INFO).expect(201);
      expect(res.body.first_paid_price).to.equal(12000);
      expect((await portoneSim()).state.prepared[res.body.merchant_uid]?.amount).to.equal(12000);
    });
  });

  describe('concurrency: stock is claimed at checkout', () => {
    it('50 concurrent checkouts for the last unit: exactly one wins, 49 are told it is sold out', async () => {
      const p = await makeProduct({ stock: 1, nameKo: '마지막 한 장' });
      const users = await Promise.all(Array.from({ length: 50 }, () => makeUser()));
      // half buy now, half check out a cart holding the product
      for (const u of users.slice(25)) await asBuyer(app, u).post('/v1/shop/orders/cart/products/', { product: p.id, options: [] }).expect(201);
      const results = await Promise.all(
        users.map((u, i) =>
          i < 25
            ? asBuyer(app, u).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO })
            : asBuyer(app, u).post('/v1/shop/orders/', INFO),
        ),
      );
      const won = results.filter((r) => r.status === 201);
      const lost = results.filter((r) => r.status === 400);
      expect(won).to.have.length(1);
      expect(lost).to.have.length(49);
      for (const r of lost) expect(r.body.errors[0].code).to.be.oneOf(['PRODUCT_SOLDOUT']);
      // the catalogue shows it gone while held
      const list = await asBuyer(app, null).get('/v1/shop/products/').expect(200);
      expect(list.body[0].leftover_stock).to.equal(0);
    });

    it('an expired hold gives the unit back', async () => {
      const p = await makeProduct({ stock: 1 });
      const first = await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO }).expect(201);
      await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO }).expect(400);
      await SingleProductCart.update({ stockHeldUntil: new Date(Date.now() - 1000) }, { where: { id: first.body.id } });
      await asBuyer(app, await makeUser()).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO }).expect(201);
    });
  });

  describe('orders (GET /v1/shop/orders/, GET …/{id}/)', () => {
    it('lists purchased orders newest first with ledger, items, reasons and QR links; never carts or others\' orders', async () => {
      const user = await makeUser();
      const b = asBuyer(app, user);
      const ticket = await makeProduct({ nameKo: '티켓', price: 30000 }, await makeCategory('티켓', '컨퍼런스 티켓', true));
      const mug = await makeProduct({ nameKo: '머그', price: 10000 }, await makeCategory('굿즈', '머그'));
      const older = await makeOrder(user, [{ product: mug }]);
      await Order.update({ createdAt: new Date(Date.now() - 60_000) }, { where: { id: older.id }, silent: true });
      const newer = await makeOrder(user, [{ product: ticket }, { product: mug, status: 'used' }], 'completed', 'imp_777');
      await makeOrder(user, [{ product: mug }], null); // cart
      await makeOrder(await makeUser(), [{ product: mug }]); // someone else's
      const res = await b.get('/v1/shop/orders/').expect(200);
      expect(res.body.map((o: { id: string }) => o.id)).to.deep.equal([newer.id, older.id]);
      const o = res.body[0];
      expect(o).to.include({ current_status: 'completed', current_paid_price: 40000, first_paid_price: 40000 });
      expect(o.payment_histories).to.deep.equal([{ price: 40000, status: 'completed' }]);
      expect(o.scancode_url).to.match(/^http:\/\/shop\.test\/v1\/shop\/orders\/scancode\/\?token=order:[A-Za-z0-9]{22}:[A-Za-z0-9_-]+$/);
      expect(o.not_fully_refundable_reason).to.equal('주문 중 사용한 상품이 존재합니다. 상태를 변경한 후 다시 시도해주세요.');
      const [t, m] = o.products;
      expect(t.scancode_url).to.match(/token=opr:/); // ticket category (is_ticket) → per-item QR
      expect(m.scancode_url).to.equal(null);
      expect(t.not_refundable_reason).to.equal(null);
      expect(m.not_refundable_reason).to.equal('결제하지 않았거나, 이미 사용했거나 환불한 상품입니다. PyCon 한국 준비 위원회에 문의해주세요.');
      expect(o.first_paid_at).to.be.a('string');
      expect((await b.get(`/v1/shop/orders/${newer.id}/`).expect(200)).body).to.deep.equal(o);
      const cart = await Order.findOne({ where: { userId: user.id, nameKo: '' } });
      await b.get(`/v1/shop/orders/${cart!.id}/`).expect(404);
    });
  });

  describe('answer edits (PATCH …/products/{opr}/options/)', () => {
    it('edits a custom response until the group deadline, with the pattern enforced', async () => {
      const user = await makeUser();
      const b = asBuyer(app, user);
      const p = await makeProduct();
      const open = await makeGroup(p, { isCustomResponse: true, customResponsePattern: '[가-힣A-Za-z]', responseModifiableEndsAt: daysFromNow(1) });
      const closed = await makeGroup(p, { isCustomResponse: true, customResponsePattern: '.*', responseModifiableEndsAt: daysFromNow(-1) });
      const never = await makeGroup(p, { isCustomResponse: true, customResponsePattern: '.*' });
      const order = await makeOrder(user, [
        { product: p, options: [{ group: open, customResponse: '홍길동' }, { group: closed, customResponse: 'x' }, { group: never, customResponse: 'y' }] },
      ]);
      const opr = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
      const dto = (await b.get(`/v1/shop/orders/${order.id}/`).expect(200)).body;
      const [oOpen, oClosed, oNever] = dto.products[0].options;
      const url = `/v1/shop/orders/${order.id}/products/${opr.id}/options/`;
      const ok = await b.patch(url, [{ order_product_option_relation: oOpen.id, custom_response: 'Gildong' }]).expect(200);
      expect(ok.body.products[0].options[0].custom_response).to.equal('Gildong');
      let res = await b.patch(url, [{ order_product_option_relation: oOpen.id, custom_response: '123' }]).expect(400);
      expect(res.body.errors[0]).to.deep.include({ code: 'CUSTOM_RESPONSE_PATTERN_MISMATCH', attr: null });
      res = await b.patch(url, [{ order_product_option_relation: oClosed.id, custom_response: 'z' }]).expect(400);
      expect(res.body.errors[0].code).to.equal('RESPONSE_MODIFIABLE_ENDS_AT');
      res = await b.patch(url, [{ order_product_option_relation: oNever.id, custom_response: 'z' }]).expect(400);
      expect(res.body.errors[0].code).to.equal('RESPONSE_NOT_MODIFIABLE');
      res = await b.patch(url, [{ order_product_option_relation: oOpen.id, custom_response: '  ' }]).expect(400);
      expect(res.body.errors[0]).to.include({ code: 'blank', attr: '0.custom_response' });
      res = await b.patch(url, { order_product_option_relation: oOpen.id }).expect(400);
      expect(res.body.type).to.equal('validation_error');
      // an answer of another item of the same buyer
      const order2 = await makeOrder(user, [{ product: p, options: [{ group: open, customResponse: 'Kim' }] }]);
      const other = (await b.get(`/v1/shop/orders/${order2.id}/`).expect(200)).body.products[0].options[0];
      res = await b.patch(url, [{ order_product_option_relation: other.id, custom_response: 'Lee' }]).expect(400);
      expect(res.body.errors[0].code).to.equal('ORDER_PRODUCT_OPTION_RELATION_MISMATCH');
      // nothing half-written: the first edit of a failing batch is rolled back
      await b.patch(url, [{ order_product_option_relation: oOpen.id, custom_response: 'Park' }, { order_product_option_relation: oNever.id, custom_response: 'z' }]).expect(400);
      expect((await b.get(`/v1/shop/orders/${order.id}/`).expect(200)).body.products[0].options[0].custom_response).to.equal('Gildong');
      // another buyer cannot touch it
      await asBuyer(app, await makeUser()).patch(url, [{ order_product_option_relation: oOpen.id, custom_response: 'X' }]).expect(404);
    });
  });

  describe('patrons (GET /v1/shop/patron/)', () => {
    it('lists donors of the year by amount paid, with their message', async () => {
      const patron = await makeProduct({ nameKo: '개인 후원', price: 10000, donationAllowed: true, donationMaxPrice: 100000 });
      const msg = await makeGroup(patron, { nameKo: '후원자 한마디', isCustomResponse: true, customResponsePattern: '.*' });
      const mug = await makeProduct({ price: 10000 });
      const u1 = await makeUser();
      const u2 = await makeUser();
      const small = await makeOrder(u1, [{ product: patron, donation: 1000, options: [{ group: msg, customResponse: '화이팅' }] }]);
      const big = await makeOrder(u2, [{ product: patron, donation: 50000 }]);
      await makeOrder(u1, [{ product: mug }]); // not a donation
      await makeOrder(u2, [{ product: patron, status: 'refunded' }], 'refunded'); // refunded
      await CustomerInfo.create({ orderId: small.id, name: '김후원', phone: '010-1111-2222', email: 'a@example.com', organization: '' });
      await CustomerInfo.create({ orderId: big.id, name: '이후원', phone: '010-1111-3333', email: 'b@example.com', organization: '' });
      const year = new Date().getFullYear();
      const res = await asBuyer(app, null).get(`/v1/shop/patron/?year=${year}`).expect(200);
      expect(res.body).to.deep.equal([
        { name: '이후원', contribution_message: '' },
        { name: '김후원', contribution_message: '화이팅' },
      ]);
      expect((await asBuyer(app, null).get(`/v1/shop/patron/?year=2001`).expect(200)).body).to.deep.equal([]);
      await asBuyer(app, null).get('/v1/shop/patron/?year=abc').expect(400);
    });
  });
});

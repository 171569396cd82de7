import { expect } from 'chai';
import request from 'supertest';
import type { Express } from 'express';
import type { Sequelize } from 'sequelize';
import { resetDb, countQueries } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { makeCategory, makeProduct, makeTag, makeGroup, makeOption, makeUser, makeOrder, makeSingleProductCart, daysFromNow } from '../helpers/fixtures.js';
import { listProducts } from '../../src/services/catalog.js';
import { CategoryGroup, OrderProductRelation, ProductTagRelation } from '../../src/models/index.js';
import { soldCounts } from '../../src/services/stock.js';

describe('catalog API GET /v1/shop/products/', () => {
  let app: Express;
  let sequelize: Sequelize;
  beforeEach(async () => {
    sequelize = await resetDb();
    app = await makeApp();
  });

  it('returns the contract Product / OptionGroup / Option shape field by field', async () => {
    const category = await makeCategory('티켓', '컨퍼런스 티켓');
    const product = await makeProduct(
      {
        nameKo: '일반 티켓',
        nameEn: 'General ticket',
        descriptionKo: '설명',
        descriptionEn: 'Description',
        image: 'https://cdn.example.com/t.png',
        price: 50000,
        stock: 10,
        maxQuantityPerUser: 2,
        donationAllowed: true,
        donationMinPrice: 1000,
        donationMaxPrice: 5000,
      },
      category,
    );
    await makeTag({ nameKo: '티켓류', nameEn: 'Tickets' }, [product]);
    const shirt = await makeGroup(product, { nameKo: '티셔츠', nameEn: 'T-shirt', minQuantityPerProduct: 1, maxQuantityPerProduct: 1, maxQuantityPerUser: 3 });
    await makeOption(shirt, { nameKo: '대', nameEn: 'L', additionalPrice: 2000, stock: 5, maxQuantityPerUser: 1 });
    await makeGroup(product, { nameKo: '배지 이름', nameEn: 'Badge', isCustomResponse: true, customResponsePattern: '.+', priority: 1 });

    const res = await request(app).get('/v1/shop/products/').expect(200).expect('content-type', /json/);
    expect(res.body).to.have.length(1);
    const p = res.body[0];
    expect(Object.keys(p).sort()).to.deep.equal(
      [
        'id', 'name', 'description', 'image', 'price', 'orderable_starts_at', 'orderable_ends_at', 'refundable_ends_at',
        'category_group', 'category', 'donation_allowed', 'donation_min_price', 'donation_max_price', 'option_groups',
        'leftover_stock', 'tag_names', 'is_ticket',
      ].sort(),
    );
    expect(p).to.include({
      id: product.id, name: '일반 티켓', description: '설명', image: 'https://cdn.example.com/t.png', price: 50000,
      category_group: '티켓', category: '컨퍼런스 티켓', donation_allowed: true, donation_min_price: 1000, donation_max_price: 5000,
      leftover_stock: 10,
    });
    expect(p.tag_names).to.deep.equal(['티켓류']);
    expect(p.orderable_starts_at).to.equal('0001-01-01T00:00:00.000Z');
    expect(p.refundable_ends_at).to.equal('9999-12-31T23:59:59.999Z');
    expect(p.option_groups).to.have.length(2);
    const [g, badge] = p.option_groups;
    expect(Object.keys(g).sort()).to.deep.equal(
      [
        'id', 'name', 'min_quantity_per_product', 'max_quantity_per_product', 'max_quantity_per_user', 'is_custom_response',
        'custom_response_pattern', 'visible_starts_at', 'visible_ends_at', 'orderable_starts_at', 'orderable_ends_at',
        'leftover_stock_per_user', 'leftover_stock_info', 'options', 'placeholder_mode',
      ].sort(),
    );
    expect(g).to.include({
      name: '티셔츠', min_quantity_per_product: 1, max_quantity_per_product: 1, max_quantity_per_user: 3,
      is_custom_response: false, custom_response_pattern: null, visible_starts_at: null, orderable_ends_at: null,
      leftover_stock_per_user: 3, // the product's cap (2) is shown in the info, not applied to the group
    });
    expect(g.leftover_stock_info).to.deep.equal({ product_max_quantity_per_user: 2, product_leftover_stock: 10, option_group_max_quantity_per_user: 3 });
    const o = g.options[0];
    expect(Object.keys(o).sort()).to.deep.equal(
      ['id', 'name', 'additional_price', 'max_quantity_per_user', 'leftover_stock', 'leftover_stock_per_user', 'leftover_stock_info'].sort(),
    );
    expect(o).to.include({ name: '대', additional_price: 2000, max_quantity_per_user: 1, leftover_stock: 5, leftover_stock_per_user: 1 });
    expect(o.leftover_stock_info).to.deep.equal({
      product_max_quantity_per_user: 2, product_leftover_stock: 10, option_group_max_quantity_per_user: 3,
      option_max_quantity_per_user: 1, option_leftover_stock: 5,
    });
    expect(badge).to.include({ name: '배지 이름', is_custom_response: true, custom_response_pattern: '.+' });
    expect(badge.options).to.deep.equal([]);

    const one = await request(app).get(`/v1/shop/products/${product.id}/`).expect(200);
    expect(one.body).to.deep.equal(p);
  });

  it('resolves names by Accept-Language (ko default, en, fallback to ko when no translation)', async () => {
    const p = await makeProduct({ nameKo: '머그컵', nameEn: 'Mug' });
    await makeProduct({ nameKo: '번역 없음', nameEn: '' });
    const g = await makeGroup(p, { nameKo: '색상', nameEn: 'Colour' });
    await makeOption(g, { nameKo: '빨강', nameEn: 'Red' });
    const ko = await request(app).get('/v1/shop/products/').expect(200);
    expect(ko.body.map((x: { name: string }) => x.name).sort()).to.deep.equal(['머그컵', '번역 없음']);
    const en = await request(app).get('/v1/shop/products/').set('Accept-Language', 'en-US,en;q=0.9,ko;q=0.8').expect(200);
    const mug = en.body.find((x: { id: string }) => x.id === p.id);
    expect(mug.name).to.equal('Mug');
    expect(mug.option_groups[0].name).to.equal('Colour');
    expect(mug.option_groups[0].options[0].name).to.equal('Red');
    expect(en.body.map((x: { name: string }) => x.name)).to.include('번역 없음');
    const koFirst = await request(app).get('/v1/shop/products/').set('Accept-Language', 'ko-KR,en;q=0.5').expect(200);
    expect(koFirst.body.map((x: { name: string }) => x.name)).to.include('머그컵');
  });

  it('shows only products inside the visible window, bounds inclusive, and never deleted ones', async () => {
    const now = new Date('2027-03-01T00:00:00Z');
    const atStart = await makeProduct({ visibleStartsAt: now, visibleEndsAt: new Date('2027-04-01T00:00:00Z') });
    const atEnd = await makeProduct({ visibleStartsAt: new Date('2027-01-01T00:00:00Z'), visibleEndsAt: now });
    await makeProduct({ visibleStartsAt: new Date(now.getTime() + 1) });
    await makeProduct({ visibleEndsAt: new Date(now.getTime() - 1) });
    const deleted = await makeProduct();
    await deleted.destroy();
    const list = await listProducts(sequelize, { lang: 'ko', now });
    expect(list.map((p) => p.id).sort()).to.deep.equal([atStart.id, atEnd.id].sort());

    // over HTTP, with the real clock
    const future = await makeProduct({ visibleStartsAt: daysFromNow(1) });
    const ended = await makeProduct({ visibleEndsAt: daysFromNow(-1) });
    const res = await request(app).get('/v1/shop/products/').expect(200);
    const ids = res.body.map((p: { id: string }) => p.id);
    expect(ids).not.to.include(future.id);
    expect(ids).not.to.include(ended.id);
    expect(ids).not.to.include(deleted.id);
    await request(app).get(`/v1/shop/products/${future.id}/`).expect(404);
    await request(app).get(`/v1/shop/products/${deleted.id}/`).expect(404);
  });

  it('option groups inherit the product window when theirs is null and are omitted outside their own', async () => {
    const p = await makeProduct({ visibleStartsAt: daysFromNow(-10), visibleEndsAt: daysFromNow(10) });
    const inherit = await makeGroup(p, { nameKo: '상속', priority: 0 });
    const own = await makeGroup(p, { nameKo: '자체 창', priority: 1, visibleStartsAt: daysFromNow(-1), visibleEndsAt: daysFromNow(1) });
    const notYet = await makeGroup(p, { nameKo: '아직', priority: 2, visibleStartsAt: daysFromNow(1) });
    await makeGroup(p, { nameKo: '끝남', priority: 3, visibleEndsAt: daysFromNow(-1) });
    const deletedGroup = await makeGroup(p, { nameKo: '삭제됨', priority: 4 });
    await deletedGroup.destroy();
    const res = await request(app).get(`/v1/shop/products/${p.id}/`).expect(200);
    expect(res.body.option_groups.map((g: { id: string }) => g.id)).to.deep.equal([inherit.id, own.id]);
    expect(res.body.option_groups[0].visible_starts_at).to.equal(null);
    expect(res.body.option_groups[1].visible_starts_at).to.equal(own.visibleStartsAt!.toISOString());
    // service level: at the product's end (inclusive) the inheriting groups are visible, the closed ones not
    const list = await listProducts(sequelize, { lang: 'ko', now: p.visibleEndsAt });
    expect(list[0].option_groups.map((g) => g.id)).to.deep.equal([inherit.id, notYet.id]);
  });

  it('counts stock: paid and used consume it; carts, buy-now carts, refunded and deleted rows do not', async () => {
    const buyer = await makeUser();
    const other = await makeUser();
    const p = await makeProduct({ stock: 10 });
    const q = await makeProduct({ stock: 4 });
    const tag = await makeTag({ stock: 20 }, [p, q]);
    const g = await makeGroup(p, { maxQuantityPerUser: 5 });
    const opt = await makeOption(g, { stock: 7, maxQuantityPerUser: 4 });
    const withOpt = (status?: 'paid' | 'used' | 'refunded' | 'pending') => ({ product: p, status, options: [{ group: g, option: opt }] });

    await makeOrder(other, [withOpt('paid')]); // counts
    await makeOrder(other, [withOpt('used'), { product: q, status: 'used' }]); // counts, q too
    await makeOrder(other, [withOpt('refunded')], 'partial_refunded'); // refunded unit: no
    await makeOrder(other, [withOpt()], null); // cart: no
    await makeSingleProductCart(other, p); // buy-now cart: no
    await makeOrder(other, [{ ...withOpt('paid'), deleted: true }]); // soft-deleted item: no
    const deletedOrder = await makeOrder(other, [withOpt('paid')]);
    await deletedOrder.destroy(); // soft-deleted order: no

    // a removed tag relation no longer links q's sales to the tag
    const list1 = await listProducts(sequelize, { lang: 'ko', now: new Date() });
    const pDto = list1.find((x) => x.id === p.id)!;
    expect(pDto.leftover_stock).to.equal(8);
    expect(list1.find((x) => x.id === q.id)!.leftover_stock).to.equal(3);
    expect(pDto.option_groups[0].options[0].leftover_stock).to.equal(5);
    expect(pDto.option_groups[0].leftover_stock_info.product_leftover_stock).to.equal(8);

    // the tag's sold count (3 = two p units + one q unit) is what the orderability check uses
    const sold = await soldCounts(sequelize, { productIds: [p.id, q.id], tagIds: [tag.id], optionIds: [opt.id] });
    expect(sold.tag.get(tag.id)).to.equal(3);
    expect(sold.option.get(opt.id)).to.equal(2);
    await ProductTagRelation.destroy({ where: { productId: q.id }, individualHooks: true });
    const sold2 = await soldCounts(sequelize, { productIds: [], tagIds: [tag.id], optionIds: [] });
    expect(sold2.tag.get(tag.id)).to.equal(2);

    // per-user: the buyer has one paid unit and one cart unit of p with the option
    await makeOrder(buyer, [withOpt('paid')]);
    await makeOrder(buyer, [withOpt()], null);
    const mine = await listProducts(sequelize, { lang: 'ko', now: new Date(), userId: buyer.id });
    const mp = mine.find((x) => x.id === p.id)!;
    expect(mp.leftover_stock).to.equal(7); // buyer's paid unit consumed stock too
    expect(mp.option_groups[0].leftover_stock_info).to.deep.equal({
      product_max_quantity_per_user: null,
      product_leftover_stock: 7,
      option_group_max_quantity_per_user: 3, // 5 − (1 paid + 1 cart)
    });
    expect(mp.option_groups[0].options[0].leftover_stock_info.option_max_quantity_per_user).to.equal(2); // 4 − 2
    expect(mp.option_groups[0].options[0].leftover_stock_per_user).to.equal(2); // min(7, 3, 2, 4)
    // anonymous: raw limits
    const anon = (await listProducts(sequelize, { lang: 'ko', now: new Date() })).find((x) => x.id === p.id)!;
    expect(anon.option_groups[0].leftover_stock_info.option_group_max_quantity_per_user).to.equal(5);
  });

  it('treats stock 0 as unlimited (null) and negative stock as sold out', async () => {
    const unlimited = await makeProduct({ stock: 0 });
    const negative = await makeProduct({ stock: -1 });
    const list = await listProducts(sequelize, { lang: 'ko', now: new Date() });
    expect(list.find((x) => x.id === unlimited.id)!.leftover_stock).to.equal(null);
    expect(list.find((x) => x.id === negative.id)!.leftover_stock).to.equal(-1);
  });

  it('per-user leftovers never go below zero', async () => {
    const buyer = await makeUser();
    const p = await makeProduct({ maxQuantityPerUser: 1 });
    const g = await makeGroup(p);
    await makeOrder(buyer, [{ product: p }, { product: p }]);
    const [dto] = await listProducts(sequelize, { lang: 'ko', now: new Date(), userId: buyer.id });
    expect(dto.option_groups.find((x) => x.id === g.id)!.leftover_stock_info.product_max_quantity_per_user).to.equal(0);
  });

  it('filters by category_group and category (exact names)', async () => {
    const ticket = await makeProduct({}, await makeCategory('티켓', '컨퍼런스 티켓'));
    const goods = await makeProduct({}, await makeCategory('굿즈', '머그'));
    const goods2 = await makeProduct({}, await makeCategory('굿즈', '티셔츠'));
    const byGroup = await request(app).get('/v1/shop/products/').query({ category_group: '굿즈' }).expect(200);
    expect(byGroup.body.map((p: { id: string }) => p.id).sort()).to.deep.equal([goods.id, goods2.id].sort());
    const byCat = await request(app).get('/v1/shop/products/').query({ category: '머그' }).expect(200);
    expect(byCat.body.map((p: { id: string }) => p.id)).to.deep.equal([goods.id]);
    const both = await request(app).get('/v1/shop/products/').query({ category_group: '티켓', category: '컨퍼런스 티켓' }).expect(200);
    expect(both.body.map((p: { id: string }) => p.id)).to.deep.equal([ticket.id]);
    const none = await request(app).get('/v1/shop/products/').query({ category_group: '굿' }).expect(200);
    expect(none.body).to.deep.equal([]);
  });

  it('orders by group priority, category priority, product priority, newest first', async () => {
    const c1 = await makeCategory('A그룹', 'a');
    const c2 = await makeCategory('B그룹', 'b');
    await CategoryGroup.update({ priority: 5 }, { where: { name: 'A그룹' } });
    const b1 = await makeProduct({ priority: 1 }, c2);
    const b0 = await makeProduct({ priority: 0 }, c2);
    const a0 = await makeProduct({ priority: 0 }, c1);
    const b0newer = await makeProduct({ priority: 0 }, c2);
    const res = await request(app).get('/v1/shop/products/').expect(200);
    expect(res.body.map((p: { id: string }) => p.id)).to.deep.equal([b0newer.id, b0.id, b1.id, a0.id]);
  });

  it('costs the same number of SQL queries for 50 products as for 1 (no N+1)', async () => {
    const buyer = await makeUser();
    const tag = await makeTag({ stock: 100 });
    const first = await makeProduct({ stock: 10 });
    await ProductTagRelation.create({ productId: first.id, tagId: tag.id });
    const g = await makeGroup(first);
    await makeOption(g, { stock: 3 });
    const one = await countQueries(() => listProducts(sequelize, { lang: 'ko', now: new Date(), userId: buyer.id }));
    for (let i = 0; i < 49; i++) {
      const p = await makeProduct({ stock: 10 });
      await ProductTagRelation.create({ productId: p.id, tagId: tag.id });
      const gg = await makeGroup(p);
      await makeOption(gg, { stock: 3 });
      await makeOption(gg, { stock: 0 });
      await makeOrder(buyer, [{ product: p }]);
    }
    const fifty = await countQueries(() => listProducts(sequelize, { lang: 'ko', now: new Date(), userId: buyer.id }));
    expect(one).to.be.greaterThan(0);
    expect(fifty).to.equal(one);
    const anonymous = await countQueries(() => listProducts(sequelize, { lang: 'ko', now: new Date() }));
    expect(anonymous).to.equal(one - 1);
    expect(await OrderProductRelation.count()).to.equal(49);
  });
});

/**
 * The admin order list pages first and derives after, and the CSV export streams flat SQL rows:
 * both checked against references computed in JavaScript from the same rows (the domain's
 * `deriveOrderPayment`, the order view), on a data set with the awkward cases — several ledger rows, a
 * soft-deleted newest ledger row, two ledger rows at the same instant, soft-deleted items / answers /
 * orders, carts, orders without live items. And the statements per list page do not grow with the table.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { Sequelize } from 'sequelize';
import { countQueries, resetDb, testConfig } from '../helpers/db.js';
import { adminApp, adminLogin, makeStaff } from '../helpers/admin.js';
import { makeCategory, makeGroup, makeOption, makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { CustomerInfo, Order, OrderProductOptionRelation, OrderProductRelation, PaymentHistory, TicketInfo, User } from '../../src/models/index.js';
import { deriveOrderPayment, type PaymentStatus } from '../../src/domain/payment/status.js';
import { merchantUid, pythonIsoformat } from '../../src/domain/checkout/snapshot.js';
import { countOrders, findOrderIds, orderRows, type OrderFilter, type OrderSortKey } from '../../src/services/admin-orders.js';
import {
  CSV_FIXED_HEADER,
  CSV_HOLDER_HEADER,
  CSV_TRAILING_HEADER,
  ITEM_STATUS_LABEL,
  ORDER_STATUS_LABEL,
  exportOrderIds,
  writeOrdersCsv,
} from '../../src/services/export.js';
import { orderViews } from '../../src/services/order-view.js';
import { cell, UTF8_BOM } from '../../src/services/csv/formula.js';

const DAY = 24 * 3600 * 1000;
const T0 = Date.parse('2026-10-01T00:00:00Z');

/** Set a row's created_at exactly (SQL: the models stamp "now"). */
async function stamp(sequelize: Sequelize, table: string, id: string, at: number): Promise<void> {
  await sequelize.query(`UPDATE ${table} SET created_at = :at WHERE id = :id`, { replacements: { at: new Date(at), id } });
}

async function ledger(sequelize: Sequelize, orderId: string, status: PaymentStatus, price: number, impId: string, at: number, deleted = false) {
  const h = await PaymentHistory.create({ orderId, status, price, impId });
  await stamp(sequelize, 'payment_histories', h.id, at);
  if (deleted) await h.destroy();
  return h;
}

interface Expected {
  id: string;
  userId: number;
  userEmail: string;
  nicknames: string[];
  nameKo: string;
  currentStatus: PaymentStatus;
  currentPaidPrice: number;
  firstPaidPrice: number;
  firstPaidAt: Date | null;
  statusChangedAt: Date | null;
  latestImpId: string | null;
  merchantUid: string | null;
  customer: { name: string; phone: string; email: string } | null;
  itemCount: number;
  productIds: string[];
  createdAt: Date;
}

/** Every listed order's values, derived in JavaScript from the live rows (the reference). */
async function reference(sequelize: Sequelize): Promise<Expected[]> {
  const [orders] = (await sequelize.query(`SELECT id, created_at FROM orders WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC`)) as [Array<{ id: string; created_at: Date }>, unknown];
  const out: Expected[] = [];
  for (const { id, created_at } of orders) {
    const order = (await Order.findByPk(id))!;
    const histories = await PaymentHistory.findAll({ where: { orderId: id }, order: [['createdAt', 'DESC'], ['id', 'DESC']] });
    const items = await OrderProductRelation.findAll({ where: { orderId: id } });
    if (!histories.length || !items.length) continue;
    const d = deriveOrderPayment(histories.map((h) => ({ status: h.status, price: h.price, impId: h.impId, createdAt: h.createdAt })));
    const user = (await User.findByPk(order.userId))!;
    const ci = await CustomerInfo.findOne({ where: { orderId: id } });
    out.push({
      id,
      userId: user.id,
      userEmail: user.email,
      nicknames: [user.nicknameKo, user.nicknameEn, user.username],
      nameKo: order.nameKo,
      currentStatus: d.currentStatus,
      currentPaidPrice: d.currentPaidPrice,
      firstPaidPrice: items.reduce((s, i) => s + i.price + i.donationPrice, 0),
      firstPaidAt: d.firstPaidAt,
      statusChangedAt: d.current?.createdAt ?? null,
      latestImpId: d.latestImpId,
      merchantUid: order.preparedCartHash ? merchantUid(id, order.preparedCartHash) : null,
      customer: ci ? { name: ci.name, phone: ci.phone, email: ci.email } : null,
      itemCount: items.length,
      productIds: items.map((i) => i.productId),
      createdAt: created_at,
    });
  }
  return out;
}

describe('admin order list: page first, derive after; CSV export from flat rows', function () {
  this.timeout(60_000);
  let sequelize: Sequelize;
  let ticket: Awaited<ReturnType<typeof makeProduct>>;
  let mug: Awaited<ReturnType<typeof makeProduct>>;
  let orderIds: Record<string, string>;

  beforeEach(async () => {
    sequelize = await resetDb();
    const tickets = await makeCategory('티켓', '컨퍼런스 티켓');
    const goods = await makeCategory('굿즈', '머그컵');
    ticket = await makeProduct({ nameKo: '티켓', price: 10000 }, tickets);
    mug = await makeProduct({ nameKo: '=머그컵', price: 20000 }, goods);
    const size = await makeGroup(ticket, { nameKo: '사이즈' });
    const [s, m] = [await makeOption(size, { nameKo: 'S' }), await makeOption(size, { nameKo: 'M' })];
    const badge = await makeGroup(ticket, { nameKo: '배지 이름', isCustomResponse: true, customResponsePattern: '.*' });
    const alice = await makeUser({ email: 'alice@example.com', nicknameKo: '앨리스' });
    const bob = await makeUser({ email: 'bob@example.com', username: 'bobby' });

    // a: paid, then one item refunded (two ledger rows, two imp ids), two answers in one group, customer info
    const a = await makeOrder(alice, [{ product: ticket, options: [{ group: size, option: s }, { group: size, option: m }, { group: badge, customResponse: '@앨리스' }] }, { product: mug, status: 'refunded' }], null);
    await ledger(sequelize, a.id, 'completed', 30000, 'imp_a1', T0 + 1 * DAY);
    await ledger(sequelize, a.id, 'partial_refunded', 10000, 'imp_a2', T0 + 2 * DAY);
    await CustomerInfo.create({ orderId: a.id, name: '김철수', phone: '010-9999-0000', email: 'chulsoo@example.com', organization: '+org' });
    const aTicket = (await OrderProductRelation.findOne({ where: { orderId: a.id, productId: ticket.id } }))!;
    await TicketInfo.create({ orderProductRelationId: aTicket.id, name: '=홀더', phone: '010-1111-2222', email: 'holder@example.com', organization: null, contributionMessage: '화이팅' });
    // b: paid; its newest ledger row is soft-deleted (ignored)
    const b = await makeOrder(bob, [{ product: mug }], null);
    await ledger(sequelize, b.id, 'completed', 20000, 'imp_b1', T0 + 3 * DAY);
    await ledger(sequelize, b.id, 'refunded', 0, 'imp_b2', T0 + 4 * DAY, true);
    // c: two ledger rows at the same instant (the larger id wins, like the order view); a soft-deleted item and answer
    const c = await makeOrder(alice, [{ product: ticket, options: [{ group: size, option: s }] }, { product: mug, deleted: true }], null);
    await ledger(sequelize, c.id, 'completed', 30000, 'imp_c1', T0 + 5 * DAY);
    await ledger(sequelize, c.id, 'partial_refunded', 5000, 'imp_c2', T0 + 5 * DAY);
    await OrderProductOptionRelation.update({ deletedAt: new Date() }, { where: { orderProductRelationId: (await OrderProductRelation.findOne({ where: { orderId: c.id } }))!.id } });
    // not listed: a cart, an order whose items are all deleted, a deleted order
    const cart = await makeOrder(bob, [{ product: ticket }], null);
    const empty = await makeOrder(bob, [{ product: ticket, deleted: true }], 'completed', 'imp_empty');
    const gone = await makeOrder(bob, [{ product: ticket }], 'completed', 'imp_gone');
    await gone.destroy();
    // plain orders in every status
    const statuses: PaymentStatus[] = ['completed', 'refunded', 'partial_refunded', 'completed', 'completed', 'refunded'];
    const plain: string[] = [];
    for (const [i, st] of statuses.entries()) {
      const o = await makeOrder(i % 2 ? alice : bob, [{ product: i % 3 ? ticket : mug, donation: i * 1000 }], st, `imp_p${i}`);
      plain.push(o.id);
      await stamp(sequelize, 'payment_histories', (await PaymentHistory.findOne({ where: { orderId: o.id } }))!.id, T0 + (10 + i) * DAY);
    }
    for (const [i, id] of [a.id, b.id, c.id, cart.id, empty.id, ...plain].entries()) await stamp(sequelize, 'orders', id, T0 - i * 3600_000);
    orderIds = { a: a.id, b: b.id, c: c.id, cart: cart.id, empty: empty.id, gone: gone.id };
  });

  it('the rows of a page carry the ledger-derived values of the reference, and every filter / sort selects what the reference does', async () => {
    const ref = await reference(sequelize);
    expect(ref.map((r) => r.id)).to.include.members([orderIds.a, orderIds.b, orderIds.c]).and.not.include.members([orderIds.cart, orderIds.empty, orderIds.gone]);
    expect(ref).to.have.length(9);

    // derived values of a page
    const rows = await orderRows(sequelize, await findOrderIds(sequelize, {}, { limit: 20 }));
    expect(rows.map((r) => r.id)).to.deep.equal(ref.map((r) => r.id)); // newest first
    for (const r of rows) {
      const e = ref.find((x) => x.id === r.id)!;
      expect({
        userEmail: r.userEmail,
        currentStatus: r.currentStatus,
        currentPaidPrice: r.currentPaidPrice,
        firstPaidPrice: r.firstPaidPrice,
        firstPaidAt: r.firstPaidAt?.toISOString(),
        statusChangedAt: r.statusChangedAt?.toISOString(),
        latestImpId: r.latestImpId,
        merchantUid: r.merchantUid,
        customerName: r.customerName,
        itemCount: r.itemCount,
      }).to.deep.equal({
        userEmail: e.userEmail,
        currentStatus: e.currentStatus,
        currentPaidPrice: e.currentPaidPrice,
        firstPaidPrice: e.firstPaidPrice,
        firstPaidAt: e.firstPaidAt?.toISOString(),
        statusChangedAt: e.statusChangedAt?.toISOString(),
        latestImpId: e.latestImpId,
        merchantUid: e.merchantUid,
        customerName: e.customer?.name ?? null,
        itemCount: e.itemCount,
      });
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(orderIds.a)).to.include({ currentStatus: 'partial_refunded', currentPaidPrice: 10000, latestImpId: 'imp_a2', firstPaidPrice: 30000, itemCount: 2 });
    expect(byId.get(orderIds.a)!.firstPaidAt!.getTime()).to.equal(T0 + DAY);
    expect(byId.get(orderIds.b)).to.include({ currentStatus: 'completed', currentPaidPrice: 20000, latestImpId: 'imp_b1' });
    expect(byId.get(orderIds.c)).to.include({ itemCount: 1, firstPaidPrice: 10000 });
    expect(await orderRows(sequelize, [orderIds.cart, orderIds.empty, orderIds.gone, 'not-a-uuid'])).to.deep.equal([]);

    // every filter of spec §6.1 and every sort, against the reference
    const ilike = (v: string | null | undefined, q: string) => !!v && v.toLowerCase().includes(q.toLowerCase());
    const idOfA = orderIds.a;
    const cases: Array<[OrderFilter, (e: Expected) => boolean]> = [
      [{}, () => true],
      [{ status: ['completed'] }, (e) => e.currentStatus === 'completed'],
      [{ status: ['partial_refunded', 'refunded'] }, (e) => ['partial_refunded', 'refunded'].includes(e.currentStatus)],
      [{ priceMin: 10000, priceMax: 20000 }, (e) => e.currentPaidPrice >= 10000 && e.currentPaidPrice <= 20000],
      [{ priceMax: 0 }, (e) => e.currentPaidPrice <= 0],
      [{ paidFrom: new Date(T0 + 2 * DAY), paidTo: new Date(T0 + 11 * DAY) }, (e) => !!e.firstPaidAt && e.firstPaidAt.getTime() >= T0 + 2 * DAY && e.firstPaidAt.getTime() <= T0 + 11 * DAY],
      [{ paidFrom: new Date(T0 + 1.5 * DAY) }, (e) => !!e.firstPaidAt && e.firstPaidAt.getTime() >= T0 + 1.5 * DAY], // a: first payment before, latest after
      [{ createdFrom: new Date(T0 - 4.5 * 3600_000) }, (e) => e.createdAt.getTime() >= T0 - 4.5 * 3600_000],
      [{ impId: 'imp_a' }, (e) => ilike(e.latestImpId, 'imp_a')],
      [{ impId: 'imp_b2' }, () => false], // only on a deleted ledger row
      [{ impId: 'imp_c' }, (e) => ilike(e.latestImpId, 'imp_c')], // c: two rows at one instant, the larger id is the newest
      [{ productId: [mug.id] }, (e) => e.productIds.includes(mug.id)],
      [{ categoryId: [mug.categoryId] }, (e) => e.productIds.includes(mug.id)],
      [{ categoryGroupId: [(await makeCategory('티켓', '컨퍼런스 티켓')).groupId] }, (e) => e.productIds.includes(ticket.id)],
      [{ email: 'chulsoo' }, (e) => ilike(e.customer?.email, 'chulsoo')],
      [{ email: 'ALICE' }, (e) => ilike(e.userEmail, 'alice')],
      [{ name: '앨리스' }, (e) => e.nicknames.some((n) => ilike(n, '앨리스'))],
      [{ name: 'bobby' }, (e) => e.nicknames.some((n) => ilike(n, 'bobby'))],
      [{ name: '김철' }, (e) => ilike(e.customer?.name, '김철')],
      [{ q: 'imp_p3' }, (e) => e.latestImpId === 'imp_p3'],
      [{ q: 'imp_a1' }, () => false], // not the newest ledger row any more
      [{ q: 'bob@' }, (e) => e.userEmail === 'bob@example.com'],
      [{ q: '9999-00' }, (e) => ilike(e.customer?.phone, '9999-00')],
      [{ q: 'CHULSOO' }, (e) => ilike(e.customer?.email, 'chulsoo')],
      [{ q: idOfA }, (e) => e.id === idOfA],
      [{ q: idOfA.toUpperCase() }, (e) => e.id === idOfA],
      [{ q: '100%_' }, () => false],
      [{ status: ['completed'], productId: [ticket.id], email: 'example' }, (e) => e.currentStatus === 'completed' && e.productIds.includes(ticket.id)],
    ];
    for (const [filter, pick] of cases) {
      const expected = ref.filter(pick).map((e) => e.id);
      const label = JSON.stringify(filter);
      expect(await findOrderIds(sequelize, filter), label).to.deep.equal(expected);
      expect(await countOrders(sequelize, filter), label).to.equal(expected.length);
      expect(await findOrderIds(sequelize, filter, { limit: 2, offset: 1 }), label).to.deep.equal(expected.slice(1, 3));
    }
    const sortKey: Record<OrderSortKey, (e: Expected) => number | string> = {
      createdAt: (e) => e.createdAt.getTime(),
      firstPaidAt: (e) => e.firstPaidAt!.getTime(),
      currentPaidPrice: (e) => e.currentPaidPrice,
      currentStatus: (e) => e.currentStatus,
    };
    for (const [key, of] of Object.entries(sortKey) as Array<[OrderSortKey, (e: Expected) => number | string]>) {
      for (const direction of ['asc', 'desc'] as const) {
        const sign = direction === 'asc' ? 1 : -1;
        const expected = [...ref].sort((x, y) => sign * (of(x) < of(y) ? -1 : of(x) > of(y) ? 1 : x.id < y.id ? -1 : 1)).map((e) => e.id);
        expect(await findOrderIds(sequelize, {}, { sortBy: key, direction }), `${key} ${direction}`).to.deep.equal(expected);
        expect(await findOrderIds(sequelize, { status: ['completed'] }, { sortBy: key, direction, limit: 2 }), `${key} ${direction}`).to.deep.equal(
          expected.filter((id) => ref.find((e) => e.id === id)!.currentStatus === 'completed').slice(0, 2),
        );
      }
    }
  });

  it('a page costs the same statements at 9 and at 49 orders (service and panel)', async () => {
    const { app } = await adminApp();
    const staff = await makeStaff('viewer', { email: 'viewer@example.com' });
    const agent = await adminLogin(app, staff.email);
    const page = () => countQueries(async () => {
      const [ids] = await Promise.all([findOrderIds(sequelize, {}, { limit: 20 }), countOrders(sequelize, {})]);
      expect(await orderRows(sequelize, ids)).to.have.length(ids.length);
    });
    const panel = () => countQueries(async () => {
      const res = await agent.get('/admin/api/resources/orders/actions/list?page=1').expect(200);
      expect(res.body.records.length).to.be.within(1, 20);
    });
    const small = { service: await page(), panel: await panel() };
    const user = await makeUser();
    for (let i = 0; i < 40; i++) await makeOrder(user, [{ product: i % 2 ? ticket : mug }], i % 4 ? 'completed' : 'refunded');
    expect(await countOrders(sequelize, {})).to.equal(49);
    const large = { service: await page(), panel: await panel() };
    expect(small.service).to.equal(3);
    expect(large).to.deep.equal(small);
  });

  it('CSV rows from one flat statement per batch equal those built from the order view (soft deletes, answers, guards, refund times)', async () => {
    const ids = await exportOrderIds(sequelize, {});
    expect(ids).to.have.length(9);
    const chunks: Buffer[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(Buffer.from(c)), cb()) });
    const ctx = { backendDomain: testConfig.backendDomain, scancodeSalts: testConfig.scancodeSalts };
    const statements = await countQueries(() => writeOrdersCsv(sequelize, ids, sink, ctx));
    expect(statements).to.equal(2); // option-group columns + one batch
    const text = Buffer.concat(chunks).toString('utf8');

    // the reference: the order view of every order, as the export wrote it before it streamed flat rows
    const ref = await reference(sequelize);
    const views = await orderViews(ids, { lang: 'ko', now: new Date(), ...ctx });
    const groups = ['배지 이름', '사이즈']; // the header's order: priority, then newest group first
    const records: Array<Array<string | number>> = [[...CSV_FIXED_HEADER, ...CSV_HOLDER_HEADER, ...groups, ...CSV_TRAILING_HEADER].map(cell) as string[]];
    for (const view of views) {
      const e = ref.find((x) => x.id === view.id)!;
      for (const item of view.products) {
        const values = new Map<string, string[]>();
        for (const o of item.options) {
          const v = o.product_option_group.is_custom_response ? (o.custom_response ?? '') : (o.product_option?.name ?? '');
          values.set(o.product_option_group.name, [...(values.get(o.product_option_group.name) ?? []), v]);
        }
        const refundedAt = item.status === 'refunded' ? (await OrderProductRelation.findByPk(item.id))!.updatedAt : null;
        records.push(
          [
            view.id,
            view.name,
            ORDER_STATUS_LABEL[view.current_status],
            e.userEmail,
            view.customer_info?.name ?? '',
            view.customer_info?.phone ?? '',
            view.customer_info?.email ?? '',
            view.customer_info?.organization ?? '',
            item.product.id,
            item.product.name,
            item.ticket_info?.name ?? '',
            item.ticket_info?.phone ?? '',
            item.ticket_info?.email ?? '',
            item.ticket_info?.organization ?? '',
            item.ticket_info?.contribution_message ?? '',
            ...groups.map((g) => (values.get(g) ?? []).filter((x) => x !== '').join(', ')),
            item.price,
            item.donation_price,
            ITEM_STATUS_LABEL[item.status]!,
            view.first_paid_price,
            view.current_paid_price,
            view.first_paid_at ? pythonIsoformat(new Date(view.first_paid_at)) : '',
            refundedAt ? pythonIsoformat(refundedAt) : '',
            e.latestImpId ?? '',
            '', // not a comp order (comp orders: test/integration/comp-orders.test.ts)
            '',
            item.price, // 정가 = the item's price when it is not comped
            '', // no tags in this data set (tags: test/integration/order-item-tags.test.ts)
          ].map(cell),
        );
      }
    }
    expect(text).to.equal(UTF8_BOM + stringify(records, { record_delimiter: '\r\n' }));
    const rowA = text.split('\r\n').find((l) => l.startsWith(orderIds.a) && l.includes('티켓'))!;
    expect(rowA).to.include('"S, M"').and.include("'@앨리스").and.include("'+org");
    expect(text).to.include("'=머그컵");
    expect(text).to.include("'=홀더,010-1111-2222,holder@example.com,,화이팅"); // the holder columns, guarded too
  });
});

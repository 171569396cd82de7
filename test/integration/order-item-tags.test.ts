// Order-item tags: code / name / priority rules, assign and unassign by filter, shown at the desk and in exports.
import { expect } from 'chai';
import { Writable } from 'node:stream';
import type { Sequelize } from 'sequelize';
import { resetDb, testConfig } from '../helpers/db.js';
import { portoneClient } from '../helpers/app.js';
import { makeCategory, makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { OrderProductRelation, type Order } from '../../src/models/index.js';
import { assignOrderItemTag, saveOrderItemTag, unassignOrderItemTag, TagMessages } from '../../src/services/order-item-tags.js';
import { parseItemFilter } from '../../src/services/order-items.js';
import { deskSearch, parseDeskFilters, type DeskDeps } from '../../src/services/desk.js';
import { writeOrdersCsv } from '../../src/services/export.js';
import { ServiceError } from '../../src/services/errors.js';

describe('order-item tags', () => {
  let sequelize: Sequelize;
  let order: Order;
  let ticketId: string;
  let mugId: string;

  beforeEach(async () => {
    sequelize = await resetDb();
    const ticket = await makeProduct({ nameKo: '티켓', price: 10000 }, await makeCategory('티켓', '컨퍼런스'));
    const mug = await makeProduct({ nameKo: '머그', price: 5000 }, await makeCategory('굿즈', '머그'));
    order = await makeOrder(await makeUser(), [{ product: ticket }, { product: mug }], 'completed');
    const items = await OrderProductRelation.findAll({ where: { orderId: order.id } });
    ticketId = items.find((i) => i.productId === ticket.id)!.id;
    mugId = items.find((i) => i.productId === mug.id)!.id;
  });

  it('code ≤ 50 and unique among live tags, name required, integer priority', async () => {
    expect((await saveOrderItemTag(sequelize, null, { code: 'vip', name: 'VIP', priority: 1 })).ok).to.equal(true);
    expect(await saveOrderItemTag(sequelize, null, { code: 'vip', name: '또 VIP' })).to.deep.equal({ ok: false, errors: { code: TagMessages.DUPLICATE_CODE } });
    const bad = await saveOrderItemTag(sequelize, null, { code: 'x'.repeat(51), name: '', priority: 'abc' });
    expect(Object.keys((bad as { errors: object }).errors).sort()).to.deep.equal(['code', 'name', 'priority']);
  });

  it('assign / unassign by filter (at least one), shown at the desk (by priority) and in the CSV export', async () => {
    const vip = (await saveOrderItemTag(sequelize, null, { code: 'vip', name: 'VIP', priority: 2 })) as { ok: true; row: { id: string } };
    const speaker = (await saveOrderItemTag(sequelize, null, { code: 'speaker', name: '연사', priority: 1 })) as { ok: true; row: { id: string } };
    const none = await assignOrderItemTag(sequelize, vip.row.id, parseItemFilter({})).catch((e: unknown) => e);
    expect(none).to.be.instanceOf(ServiceError);
    expect((none as ServiceError).status).to.equal(400);

    const category = (await OrderProductRelation.findByPk(ticketId, { include: ['product'] }))!;
    const byCategory = parseItemFilter({ category_id: (category as unknown as { product: { categoryId: string } }).product.categoryId, status: 'paid' });
    expect(await assignOrderItemTag(sequelize, vip.row.id, byCategory)).to.deep.equal({ affected: 1 });
    expect(await assignOrderItemTag(sequelize, vip.row.id, byCategory)).to.deep.equal({ affected: 0 }); // already there
    expect(await assignOrderItemTag(sequelize, speaker.row.id, parseItemFilter({ order_id: order.id }))).to.deep.equal({ affected: 2 });

    const deps: DeskDeps = {
      sequelize,
      backendDomain: testConfig.backendDomain,
      scancodeSalts: testConfig.scancodeSalts,
      refund: { sequelize, portone: await portoneClient(), secretKey: testConfig.secretKey },
    };
    const [row] = await deskSearch(deps, { keyName: 'k', lang: 'ko', now: new Date() }, parseDeskFilters({ order_id: order.id }));
    const tagsOf = (id: string) => row!.products.find((p) => p.id === id)!.tags.map((t) => t.code);
    expect(tagsOf(ticketId)).to.deep.equal(['speaker', 'vip']); // priority 1 before 2
    expect(tagsOf(mugId)).to.deep.equal(['speaker']);

    const chunks: Buffer[] = [];
    await writeOrdersCsv(sequelize, [order.id], new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(Buffer.from(c)), cb()) }), { backendDomain: '', scancodeSalts: [] });
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\r\n');
    expect(lines[0]!.endsWith(',태그')).to.equal(true);
    expect(lines.find((l) => l.includes(',티켓,'))!.endsWith(',"연사, VIP"')).to.equal(true);
    expect(lines.find((l) => l.includes(',머그,'))!.endsWith(',연사')).to.equal(true);

    expect(await unassignOrderItemTag(sequelize, speaker.row.id, parseItemFilter({ id: mugId }))).to.deep.equal({ affected: 1 });
    const [after] = await deskSearch(deps, { keyName: 'k', lang: 'ko', now: new Date() }, parseDeskFilters({ order_id: order.id }));
    expect(after!.products.find((p) => p.id === mugId)!.tags).to.deep.equal([]);
  });
});

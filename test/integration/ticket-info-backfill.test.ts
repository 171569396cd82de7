import { expect } from 'chai';
import { createRequire } from 'node:module';
import type { Sequelize } from 'sequelize';
import { resetDb } from '../helpers/db.js';
import { makeCategory, makeProduct, makeGroup, makeUser, makeOrder, HOLDER } from '../helpers/fixtures.js';
import { AuditLog, OrderProductOptionRelation, OrderProductRelation, TicketInfo, type Product } from '../../src/models/index.js';

const require = createRequire(import.meta.url);
const migration = require('../../migrations/20261206130001-backfill-ticket-info.cjs') as {
  up(qi: unknown): Promise<void>;
  down(qi: unknown): Promise<void>;
};

describe('migration: backfill ticket holders from free-text answers (idempotent)', () => {
  let sequelize: Sequelize;
  beforeEach(async () => {
    sequelize = await resetDb();
  });

  async function ticketWithAnswers(product: Product, answers: Record<string, string>) {
    const groups = [];
    for (const [name, answer] of Object.entries(answers)) {
      groups.push({ group: await makeGroup(product, { nameKo: name, isCustomResponse: true, customResponsePattern: '.*' }), customResponse: answer });
    }
    const order = await makeOrder(await makeUser(), [{ product, options: groups }]);
    return (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
  }

  it('maps the answers by group name, soft-deletes the moved answers, skips items without a name, and runs twice to the same result', async () => {
    const tickets = await makeCategory('티켓', '컨퍼런스 티켓', true);
    const a = await makeProduct({ nameKo: 'A' }, tickets);
    const b = await makeProduct({ nameKo: 'B' }, tickets);
    const c = await makeProduct({ nameKo: 'C' }, tickets);
    const goods = await makeProduct({ nameKo: '굿즈' }, await makeCategory('굿즈', '굿즈'));
    const full = await ticketWithAnswers(a, { '성함 (실명)': ' 홍길동 ', 소속: '파이썬', 이메일: 'gd@example.com', '연락처(휴대폰)': '010-1111-2222', '후원자 한마디': '화이팅', 티셔츠: 'L' });
    const nameless = await ticketWithAnswers(b, { 소속: '무명', 이메일: 'x@example.com' });
    const had = await ticketWithAnswers(c, { 성함: '다른이름' });
    await TicketInfo.create({ orderProductRelationId: had.id, ...HOLDER });
    const notTicket = await ticketWithAnswers(goods, { 성함: '굿즈구매자' });

    const qi = sequelize.getQueryInterface();
    await migration.up(qi);
    await migration.up(qi); // idempotent

    const rows = await TicketInfo.findAll({ order: [['createdAt', 'ASC']] });
    expect(rows).to.have.length(2);
    const created = rows.find((r) => r.orderProductRelationId === full.id)!;
    expect(created).to.include({ name: '홍길동', organization: '파이썬', email: 'gd@example.com', phone: '010-1111-2222', contributionMessage: '화이팅' });
    expect(rows.find((r) => r.orderProductRelationId === had.id)!.name).to.equal(HOLDER.name);
    // the moved answers are soft-deleted; others (티셔츠) and those of skipped items stay
    const left = await OrderProductOptionRelation.findAll({ where: { orderProductRelationId: full.id } });
    expect(left.map((o) => o.customResponse)).to.deep.equal(['L']);
    expect(await OrderProductOptionRelation.count({ where: { orderProductRelationId: nameless.id } })).to.equal(2);
    expect(await OrderProductOptionRelation.count({ where: { orderProductRelationId: had.id } })).to.equal(1);
    expect(await OrderProductOptionRelation.count({ where: { orderProductRelationId: notTicket.id } })).to.equal(1);
    expect(await AuditLog.count({ where: { actorLabel: 'migration:backfill-ticket-info', tableName: 'ticket_infos' } })).to.equal(1);
    expect(await AuditLog.count({ where: { actorLabel: 'migration:backfill-ticket-info', tableName: 'order_product_option_relations' } })).to.equal(5);

    await migration.down(qi);
    expect(await TicketInfo.count()).to.equal(1); // only the holder that was there before
    expect(await OrderProductOptionRelation.count({ where: { orderProductRelationId: full.id } })).to.equal(6);
  });
});

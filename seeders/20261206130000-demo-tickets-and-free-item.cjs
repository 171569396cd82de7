'use strict';
/**
 * Demo data for today's frontend: the demo ticket category is a ticket category (`is_ticket`: buyers enter
 * the holder of each ticket — name, phone, e-mail, organization), and a free (0-won) ticket completes at
 * once without a payment window. The free meetup is not refundable by the buyer (`refundable_ends_at` null)
 * and its "참석 세션" group shows the "선택해주세요" placeholder and may be left unselected
 * (`placeholder_mode` optional). Fixed ids, ON CONFLICT DO NOTHING: running it again changes nothing.
 */
const ID = {
  catTicket: '6f1d8a8e-0002-4000-8000-000000000001',
  grpTicket: '6f1d8a8e-0001-4000-8000-000000000001',
  catMeetup: '6f1d8a8e-0002-4000-8000-000000000004',
  prodMeetup: '6f1d8a8e-0004-4000-8000-000000000005',
  ogMeetupSession: '6f1d8a8e-0006-4000-8000-000000000006',
  optMorning: '6f1d8a8e-0007-4000-8000-000000000101',
  optAfternoon: '6f1d8a8e-0007-4000-8000-000000000102',
};

module.exports = {
  async up(queryInterface) {
    const sql = queryInterface.sequelize;
    const now = new Date();
    const yearLater = new Date(now.getTime() + 365 * 24 * 3600 * 1000);
    const ins = async (table, row) => {
      const cols = Object.keys(row);
      await sql.query(
        `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `:${c}`).join(', ')}) ON CONFLICT DO NOTHING`,
        { replacements: row },
      );
    };
    await sql.query(`UPDATE categories SET is_ticket = true WHERE id = :id`, { replacements: { id: ID.catTicket } });
    const [[group]] = await sql.query(`SELECT id FROM category_groups WHERE id = :id`, { replacements: { id: ID.grpTicket } });
    if (!group) return; // the demo catalogue was not seeded
    await ins('categories', { id: ID.catMeetup, group_id: ID.grpTicket, name: '무료 밋업 티켓', priority: 1, is_ticket: true });
    await ins('products', {
      id: ID.prodMeetup, category_id: ID.catMeetup, name_ko: '파이썬 커뮤니티 밋업 (무료)', name_en: 'Python community meetup (free)',
      description_ko: '무료 참가 신청입니다. 결제 없이 바로 신청이 완료됩니다.', description_en: 'Free registration: completes at once, no payment.',
      price: 0, stock: 100, max_quantity_per_user: 1, priority: 0,
      visible_starts_at: now, visible_ends_at: yearLater, orderable_starts_at: now, orderable_ends_at: yearLater, refundable_ends_at: null,
    });
    await ins('option_groups', {
      id: ID.ogMeetupSession, product_id: ID.prodMeetup, priority: 0, name_ko: '참석 세션', name_en: 'Session',
      min_quantity_per_product: 0, max_quantity_per_product: 1, placeholder_mode: 'optional',
    });
    await ins('options', { id: ID.optMorning, group_id: ID.ogMeetupSession, priority: 0, name_ko: '오전', name_en: 'Morning', stock: 50 });
    await ins('options', { id: ID.optAfternoon, group_id: ID.ogMeetupSession, priority: 1, name_ko: '오후', name_en: 'Afternoon', stock: 50 });
  },

  async down(queryInterface) {
    const sql = queryInterface.sequelize;
    await sql.query(`DELETE FROM options WHERE group_id = :g`, { replacements: { g: ID.ogMeetupSession } });
    await sql.query(`DELETE FROM option_groups WHERE id = :g`, { replacements: { g: ID.ogMeetupSession } });
    await sql.query(`DELETE FROM products WHERE id = :p`, { replacements: { p: ID.prodMeetup } });
    await sql.query(`DELETE FROM categories WHERE id = :c`, { replacements: { c: ID.catMeetup } });
    await sql.query(`UPDATE categories SET is_ticket = false WHERE id = :id`, { replacements: { id: ID.catTicket } });
  },
};

'use strict';
/**
 * Demo of participation certificates (skipped when SEED_DEMO=false): the event "파이콘 한국 2027" linked to the
 * demo ticket category, and one checked-in ticket of the demo buyer with its holder: an invitation (its own
 * ticket category and a product not on sale, so the buyer's "1 ticket per person" stays free for trying the
 * shop; 0 won and no PortOne payment, so reconciliation has nothing to compare). Sign in as buyer@example.com: the
 * order's item shows `certificate_status: "issuable"`; POST …/certificate/ issues it and the download_url
 * gives the PDF. Fixed ids + ON CONFLICT DO NOTHING: running it again changes nothing.
 */
const ID = {
  event: '6f1d8a8e-0015-4000-8000-000000000010',
  catTicket: '6f1d8a8e-0002-4000-8000-000000000001', // the demo catalogue's ticket category
  grpTicket: '6f1d8a8e-0001-4000-8000-000000000001',
  catInvite: '6f1d8a8e-0015-4000-8000-000000000030',
  prodInvite: '6f1d8a8e-0015-4000-8000-000000000031',
  order: '6f1d8a8e-0015-4000-8000-000000000020',
  opr: '6f1d8a8e-0015-4000-8000-000000000021',
  ledger: '6f1d8a8e-0015-4000-8000-000000000022',
  customer: '6f1d8a8e-0015-4000-8000-000000000023',
  holder: '6f1d8a8e-0015-4000-8000-000000000024',
};

module.exports = {
  async up(queryInterface) {
    const sql = queryInterface.sequelize;
    const ins = async (table, row) => {
      const cols = Object.keys(row);
      await sql.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `:${c}`).join(', ')}) ON CONFLICT DO NOTHING`, { replacements: row });
    };
    const [[buyer]] = await sql.query(`SELECT id FROM users WHERE email = 'buyer@example.com'`);
    const [[group]] = await sql.query(`SELECT id FROM category_groups WHERE id = :id`, { replacements: { id: ID.grpTicket } });
    await ins('events', { id: ID.event, name_ko: '파이콘 한국 2027', name_en: 'PyCon Korea 2027', start_date: '2027-08-14', end_date: '2027-08-15' });
    await sql.query(`UPDATE categories SET event_id = :event WHERE id = :cat AND event_id IS NULL`, { replacements: { event: ID.event, cat: ID.catTicket } });
    if (!buyer || !group) return; // the demo catalogue was not seeded
    const now = new Date();
    const past = new Date(now.getTime() - 24 * 3600 * 1000);
    await ins('categories', { id: ID.catInvite, group_id: ID.grpTicket, name: '초청 티켓', priority: 9, is_ticket: true, event_id: ID.event });
    await ins('products', {
      id: ID.prodInvite, category_id: ID.catInvite, name_ko: '파이콘 한국 2027 초청 티켓', name_en: 'PyCon Korea 2027 invitation',
      price: 0, visible_starts_at: past, visible_ends_at: past, orderable_starts_at: past, orderable_ends_at: past,
    });
    await ins('orders', { id: ID.order, user_id: buyer.id, name_ko: '파이콘 한국 2027 초청 티켓', name_en: 'PyCon Korea 2027 invitation' });
    await ins('order_product_relations', { id: ID.opr, order_id: ID.order, product_id: ID.prodInvite, status: 'used', price: 0, donation_price: 0, used_at: now, used_by: 'demo' });
    await ins('payment_histories', { id: ID.ledger, order_id: ID.order, status: 'completed', price: 0 });
    await ins('customer_infos', { id: ID.customer, order_id: ID.order, name: '데모 구매자', phone: '010-0000-0000', email: 'buyer@example.com', organization: '' });
    await ins('ticket_infos', { id: ID.holder, order_product_relation_id: ID.opr, name: '김파이', phone: '010-0000-0000', email: 'buyer@example.com', organization: '파이썬사용자모임' });
  },
  async down(queryInterface) {
    const sql = queryInterface.sequelize;
    const r = { replacements: ID };
    await sql.query(`DELETE FROM issued_documents WHERE order_product_relation_id = :opr`, r);
    await sql.query(`DELETE FROM ticket_infos WHERE id = :holder`, r);
    await sql.query(`DELETE FROM customer_infos WHERE id = :customer`, r);
    await sql.query(`DELETE FROM payment_histories WHERE id = :ledger`, r);
    await sql.query(`DELETE FROM order_product_relations WHERE id = :opr`, r);
    await sql.query(`DELETE FROM orders WHERE id = :order`, r);
    await sql.query(`DELETE FROM products WHERE id = :prodInvite`, r);
    await sql.query(`DELETE FROM categories WHERE id = :catInvite`, r);
    await sql.query(`UPDATE categories SET event_id = NULL WHERE event_id = :event`, r);
    await sql.query(`DELETE FROM events WHERE id = :event`, r);
  },
};

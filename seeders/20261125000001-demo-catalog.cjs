'use strict';
/**
 * Demo catalogue and demo accounts, so a person can try the shop at once (skipped when SEED_DEMO=false).
 * Every row has a fixed id and is inserted with ON CONFLICT DO NOTHING: running it again changes nothing.
 * Sales windows are relative to the seeding time (open now, for a year), so the demo works whenever it runs.
 * The passwords are demo data only — never use these accounts on a real deployment.
 */
const bcrypt = require('bcryptjs');

const ID = {
  grpTicket: '6f1d8a8e-0001-4000-8000-000000000001',
  grpGoods: '6f1d8a8e-0001-4000-8000-000000000002',
  grpPatron: '6f1d8a8e-0001-4000-8000-000000000003',
  catTicket: '6f1d8a8e-0002-4000-8000-000000000001',
  catGoods: '6f1d8a8e-0002-4000-8000-000000000002',
  catPatron: '6f1d8a8e-0002-4000-8000-000000000003',
  tagTicket: '6f1d8a8e-0003-4000-8000-000000000001',
  prodGeneral: '6f1d8a8e-0004-4000-8000-000000000001',
  prodStudent: '6f1d8a8e-0004-4000-8000-000000000002',
  prodMug: '6f1d8a8e-0004-4000-8000-000000000003',
  prodPatron: '6f1d8a8e-0004-4000-8000-000000000004',
  relGeneral: '6f1d8a8e-0005-4000-8000-000000000001',
  relStudent: '6f1d8a8e-0005-4000-8000-000000000002',
  ogGeneralShirt: '6f1d8a8e-0006-4000-8000-000000000001',
  ogGeneralBadge: '6f1d8a8e-0006-4000-8000-000000000002',
  ogStudentShirt: '6f1d8a8e-0006-4000-8000-000000000003',
  ogStudentBadge: '6f1d8a8e-0006-4000-8000-000000000004',
  ogPatronMessage: '6f1d8a8e-0006-4000-8000-000000000005',
};
const SIZES = ['S', 'M', 'L', 'XL', '2XL'];
const optionId = (group, i) => `6f1d8a8e-0007-4000-8${group}-00000000000${i}`;

module.exports = {
  async up(queryInterface) {
    const sql = queryInterface.sequelize;
    const now = new Date();
    const yearLater = new Date(now.getTime() + 365 * 24 * 3600 * 1000);
    const refundEnd = new Date(now.getTime() + 300 * 24 * 3600 * 1000);
    const answerEditEnd = new Date(now.getTime() + 280 * 24 * 3600 * 1000);
    const ins = async (table, row) => {
      const cols = Object.keys(row);
      await sql.query(
        `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `:${c}`).join(', ')}) ON CONFLICT DO NOTHING`,
        { replacements: row },
      );
    };

    // The demo accounts have public passwords (listed in src/db/demo-accounts.ts): never in production,
    // whoever runs this seeder (start-up refuses to run next to them there).
    if (process.env.NODE_ENV !== 'production') await ins('users', {
      email: 'admin@example.com', username: 'admin', nickname_ko: '데모 운영자', nickname_en: 'Demo operator',
      password_hash: bcrypt.hashSync('admin-demo-pass', 10), is_staff: true, is_superuser: true, admin_role: 'manager',
    });
    if (process.env.NODE_ENV !== 'production') await ins('users', {
      email: 'buyer@example.com', username: 'buyer', nickname_ko: '데모 구매자', nickname_en: 'Demo buyer',
      password_hash: bcrypt.hashSync('buyer-demo-pass', 10),
    });

    await ins('category_groups', { id: ID.grpTicket, name: '티켓', priority: 0 });
    await ins('category_groups', { id: ID.grpGoods, name: '굿즈', priority: 1 });
    await ins('category_groups', { id: ID.grpPatron, name: '후원', priority: 2 });
    await ins('categories', { id: ID.catTicket, group_id: ID.grpTicket, name: '컨퍼런스 티켓', priority: 0 });
    await ins('categories', { id: ID.catGoods, group_id: ID.grpGoods, name: '굿즈', priority: 0 });
    await ins('categories', { id: ID.catPatron, group_id: ID.grpPatron, name: '개인 후원', priority: 0 });
    await ins('tags', { id: ID.tagTicket, name_ko: '파이콘 한국 2027 티켓', name_en: 'PyCon Korea 2027 tickets', stock: 0, max_quantity_per_user: 1 });

    const window = { visible_starts_at: now, visible_ends_at: yearLater, orderable_starts_at: now, orderable_ends_at: yearLater, refundable_ends_at: refundEnd };
    await ins('products', {
      id: ID.prodGeneral, category_id: ID.catTicket, name_ko: '파이콘 한국 2027 일반 티켓', name_en: 'PyCon Korea 2027 general ticket',
      description_ko: '컨퍼런스 이틀 입장권입니다. 티셔츠가 포함됩니다.', description_en: 'Two-day conference admission, T-shirt included.',
      price: 60000, stock: 300, priority: 0, ...window,
    });
    await ins('products', {
      id: ID.prodStudent, category_id: ID.catTicket, name_ko: '파이콘 한국 2027 학생 티켓', name_en: 'PyCon Korea 2027 student ticket',
      description_ko: '학생 할인 입장권입니다. 현장에서 학생증을 확인합니다.', description_en: 'Student admission; student ID checked at the desk.',
      price: 30000, stock: 100, priority: 1, ...window,
    });
    await ins('products', {
      id: ID.prodMug, category_id: ID.catGoods, name_ko: '파이콘 한국 머그컵', name_en: 'PyCon Korea mug',
      description_ko: '한정 수량 머그컵입니다.', description_en: 'Limited-edition mug.',
      price: 15000, stock: 50, max_quantity_per_user: 2, priority: 0, ...window,
    });
    await ins('products', {
      id: ID.prodPatron, category_id: ID.catPatron, name_ko: '개인 후원', name_en: 'Individual patron',
      description_ko: '파이콘 한국을 후원해주세요. 기본 금액에 원하는 만큼 더할 수 있습니다.', description_en: 'Support PyCon Korea: add any amount to the base price.',
      price: 10000, stock: 0, priority: 0, donation_allowed: true, donation_min_price: 1000, donation_max_price: 500000, ...window,
    });
    await ins('product_tag_relations', { id: ID.relGeneral, product_id: ID.prodGeneral, tag_id: ID.tagTicket });
    await ins('product_tag_relations', { id: ID.relStudent, product_id: ID.prodStudent, tag_id: ID.tagTicket });

    const shirt = async (id, productId, g) => {
      await ins('option_groups', { id, product_id: productId, priority: 0, name_ko: '티셔츠 사이즈', name_en: 'T-shirt size', min_quantity_per_product: 1, max_quantity_per_product: 1 });
      for (let i = 0; i < SIZES.length; i++) {
        await ins('options', { id: optionId(g, i), group_id: id, priority: i, name_ko: SIZES[i], name_en: SIZES[i], stock: 80, additional_price: SIZES[i] === '2XL' ? 2000 : 0 });
      }
    };
    const badge = (id, productId) =>
      ins('option_groups', {
        id, product_id: productId, priority: 1, name_ko: '배지 이름', name_en: 'Name on badge', min_quantity_per_product: 1, max_quantity_per_product: 1,
        is_custom_response: true, custom_response_pattern: '[^\\s].{0,19}$', response_modifiable_ends_at: answerEditEnd,
      });
    await shirt(ID.ogGeneralShirt, ID.prodGeneral, '001');
    await badge(ID.ogGeneralBadge, ID.prodGeneral);
    await shirt(ID.ogStudentShirt, ID.prodStudent, '002');
    await badge(ID.ogStudentBadge, ID.prodStudent);
    await ins('option_groups', {
      id: ID.ogPatronMessage, product_id: ID.prodPatron, priority: 0, name_ko: '후원자 한마디', name_en: 'Patron message',
      min_quantity_per_product: 0, max_quantity_per_product: 1, is_custom_response: true, custom_response_pattern: '.{0,200}$', response_modifiable_ends_at: answerEditEnd,
    });
  },

  async down(queryInterface) {
    const sql = queryInterface.sequelize;
    const products = [ID.prodGeneral, ID.prodStudent, ID.prodMug, ID.prodPatron];
    await sql.query(`DELETE FROM options WHERE group_id IN (SELECT id FROM option_groups WHERE product_id = ANY(CAST(:p AS uuid[])))`, { replacements: { p: `{${products}}` } });
    await sql.query(`DELETE FROM option_groups WHERE product_id = ANY(CAST(:p AS uuid[]))`, { replacements: { p: `{${products}}` } });
    await sql.query(`DELETE FROM product_tag_relations WHERE product_id = ANY(CAST(:p AS uuid[]))`, { replacements: { p: `{${products}}` } });
    await sql.query(`DELETE FROM products WHERE id = ANY(CAST(:p AS uuid[]))`, { replacements: { p: `{${products}}` } });
    await sql.query(`DELETE FROM tags WHERE id = :id`, { replacements: { id: ID.tagTicket } });
    await sql.query(`DELETE FROM categories WHERE id IN (:a, :b, :c)`, { replacements: { a: ID.catTicket, b: ID.catGoods, c: ID.catPatron } });
    await sql.query(`DELETE FROM category_groups WHERE id IN (:a, :b, :c)`, { replacements: { a: ID.grpTicket, b: ID.grpGoods, c: ID.grpPatron } });
    await sql.query(`DELETE FROM users WHERE email IN ('admin@example.com', 'buyer@example.com') AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = users.id)`);
  },
};

'use strict';
/**
 * Issue #9 (benchmarks): stock counting reads only indexes.
 *
 * - `opr_purchased_cover_idx` replaces `opr_product_purchased_idx` (same key and predicate) and also carries
 *   `order_id` and `id`, so counting a product's sold units is an index-only scan (the option counts join on
 *   `id`, the live-order check needs `order_id`).
 * - `orders_deleted_idx`: the few soft-deleted orders, for the "not in a deleted order" anti-join that
 *   replaced a join against every order (src/services/stock.ts).
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE INDEX opr_purchased_cover_idx ON order_product_relations (product_id) INCLUDE (order_id, id)
        WHERE status IN ('paid', 'used') AND deleted_at IS NULL;
      DROP INDEX IF EXISTS opr_product_purchased_idx;
      CREATE INDEX orders_deleted_idx ON orders (id) WHERE deleted_at IS NOT NULL;
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      DROP INDEX IF EXISTS orders_deleted_idx;
      CREATE INDEX IF NOT EXISTS opr_product_purchased_idx ON order_product_relations (product_id) WHERE status IN ('paid', 'used') AND deleted_at IS NULL;
      DROP INDEX IF EXISTS opr_purchased_cover_idx;
    `);
  },
};

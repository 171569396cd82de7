'use strict';
/**
 * Issue #9 (benchmarks): the admin order list pages first, derives after (src/services/admin-orders.ts).
 *
 * - `orders_live_created_idx`: live orders newest first, the list's default order; a page is the first
 *   rows of this index that have a ledger row and an item (two index probes each), not a sort of every order.
 * - `payment_histories_live_order_idx`: an order's live ledger rows newest first, carrying the derived
 *   values (status, price, imp_id). The newest row of one order (a page's rows) is one index-only probe; the
 *   newest row of every order (a status / price / imp_id filter, a sort on them, the CSV export) is one
 *   index-only scan in order, without the sort the old `DISTINCT ON` needed; the oldest row (first payment)
 *   is the same index read backwards.
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE INDEX orders_live_created_idx ON orders (created_at DESC, id DESC) WHERE deleted_at IS NULL;
      CREATE INDEX payment_histories_live_order_idx ON payment_histories (order_id, created_at DESC, id DESC)
        INCLUDE (status, price, imp_id) WHERE deleted_at IS NULL;
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      DROP INDEX IF EXISTS payment_histories_live_order_idx;
      DROP INDEX IF EXISTS orders_live_created_idx;
    `);
  },
};

'use strict';
/**
 * An index for the foreign key customer_infos.single_product_cart_id. Deleting a buy-now cart (its promotion
 * to an order when its payment arrives: src/services/payment-sql.ts lockOrPromote) makes PostgreSQL check
 * that no customer info still points at it, with `WHERE single_product_cart_id = $1` and no other condition:
 * the existing unique index is partial (live rows only), so that check read the whole table — 4.2 ms of the
 * webhook's 7.8 at 50,000 orders (EXPLAIN ANALYZE: "Trigger for constraint
 * customer_infos_single_product_cart_id_fkey"). Partial on NOT NULL (most rows belong to an order), which the
 * check's equality implies.
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE INDEX IF NOT EXISTS customer_infos_spc_fk_idx ON customer_infos (single_product_cart_id) WHERE single_product_cart_id IS NOT NULL;
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`DROP INDEX IF EXISTS customer_infos_spc_fk_idx;`);
  },
};

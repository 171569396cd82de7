'use strict';
/**
 * Checkout holds: a prepared cart / buy-now cart holds its units until `stock_held_until`, so two buyers
 * racing for the last unit cannot both reach the payment widget (the loser gets "sold out" before paying).
 * The webhook re-validates under locks as the second line of defence (expired hold + unit gone → cancel).
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      ALTER TABLE orders ADD COLUMN stock_held_until timestamptz NULL;
      ALTER TABLE single_product_carts ADD COLUMN stock_held_until timestamptz NULL;
      ALTER TABLE single_product_carts ADD COLUMN request_fingerprint varchar(64) NULL;
      CREATE INDEX orders_stock_held_idx ON orders (stock_held_until) WHERE stock_held_until IS NOT NULL;
      CREATE INDEX spc_stock_held_idx ON single_product_carts (stock_held_until) WHERE stock_held_until IS NOT NULL;
      CREATE INDEX opr_pending_idx ON order_product_relations (product_id) WHERE status = 'pending' AND deleted_at IS NULL;
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      DROP INDEX IF EXISTS opr_pending_idx;
      ALTER TABLE single_product_carts DROP COLUMN request_fingerprint;
      ALTER TABLE single_product_carts DROP COLUMN stock_held_until;
      ALTER TABLE orders DROP COLUMN stock_held_until;
    `);
  },
};

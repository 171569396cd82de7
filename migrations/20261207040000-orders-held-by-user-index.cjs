'use strict';
/**
 * Every checkout first releases the buyer's other live holds (src/services/checkout-sql.ts `releaseHoldsCtes`:
 * `UPDATE orders … WHERE user_id = $1 AND stock_held_until IS NOT NULL`), under the stock locks. Its generic
 * plan read the partial index of every held order (`orders_stock_held_idx`) and filtered by buyer: 200 rows
 * at the bench's 200 prepared carts, and in a rush one per buyer holding units — linear in the crowd, inside
 * the hot product's lock. This index finds the buyer's held orders directly.
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE INDEX IF NOT EXISTS orders_held_by_user_idx ON orders (user_id) WHERE stock_held_until IS NOT NULL;
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`DROP INDEX IF EXISTS orders_held_by_user_idx;`);
  },
};

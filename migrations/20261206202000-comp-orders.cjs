'use strict';
/**
 * Comp (complimentary) orders: paid 0-won orders an operator creates for a speaker or a volunteer.
 * - `orders.comp_reason`: set (non-blank) on a comp order, null on every other order — the mark that keeps
 *   it out of refunds and shows it as comp in the panel and the exports. Who created it is the order's
 *   `created_by_id` and the actor of its audit rows.
 * - `order_product_relations.list_price`: the item's price before the comp (product price + the chosen
 *   options' additional prices), kept for reports; the item itself is recorded at 0 (the database refuses a
 *   list price on an item that cost anything).
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      ALTER TABLE orders ADD COLUMN comp_reason text NULL
        CONSTRAINT orders_comp_reason_not_blank CHECK (comp_reason IS NULL OR btrim(comp_reason) <> '');
      ALTER TABLE order_product_relations ADD COLUMN list_price integer NULL
        CONSTRAINT opr_list_price_comp_only CHECK (list_price IS NULL OR (list_price >= 0 AND price = 0 AND donation_price = 0));
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      ALTER TABLE order_product_relations DROP COLUMN IF EXISTS list_price;
      ALTER TABLE orders DROP COLUMN IF EXISTS comp_reason;
    `);
  },
};

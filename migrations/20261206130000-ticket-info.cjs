'use strict';
/**
 * Today's frontend (the original after PR #43): ticket categories and ticket holders, placeholder mode of
 * option groups, non-refundable products.
 *
 * - `categories.is_ticket`: the explicit ticket flag. Until now "ticket" was derived from a category name
 *   containing "티켓"; existing categories keep that meaning (the original's own backfill rule).
 * - `ticket_infos`: the holder of one order item (one row per OPR, unique even when soft-deleted, as the
 *   original: a removed holder is revived, never duplicated). `organization` and `contribution_message` may be
 *   null. Indexed on the searched fields (desk keyword search).
 * - `option_groups.placeholder_mode`: hidden (default) | optional | required.
 * - `products.refundable_ends_at` nullable: null = never refundable by the buyer (the default stays the
 *   "unbounded" sentinel).
 */
const common = `
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz NULL,
  created_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  updated_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  deleted_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT`;

module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      ALTER TABLE categories ADD COLUMN is_ticket boolean NOT NULL DEFAULT false;
      UPDATE categories SET is_ticket = true WHERE name LIKE '%티켓%';

      ALTER TABLE option_groups ADD COLUMN placeholder_mode varchar(10) NOT NULL DEFAULT 'hidden'
        CONSTRAINT option_groups_placeholder_mode_ck CHECK (placeholder_mode IN ('hidden', 'optional', 'required'));

      ALTER TABLE products ALTER COLUMN refundable_ends_at DROP NOT NULL;

      CREATE TABLE ticket_infos (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_product_relation_id uuid NOT NULL REFERENCES order_product_relations(id) ON DELETE RESTRICT,
        name text NOT NULL,
        phone text NOT NULL,
        email text NOT NULL,
        organization text NULL,
        contribution_message text NULL,
        ${common}
      );
      CREATE UNIQUE INDEX ticket_infos_opr_uq ON ticket_infos (order_product_relation_id);
      CREATE INDEX ticket_infos_name_idx ON ticket_infos (name);
      CREATE INDEX ticket_infos_phone_idx ON ticket_infos (phone);
      CREATE INDEX ticket_infos_email_idx ON ticket_infos (email);
      CREATE INDEX ticket_infos_organization_idx ON ticket_infos (organization);
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      DROP TABLE IF EXISTS ticket_infos;
      UPDATE products SET refundable_ends_at = '9999-12-31T23:59:59.999Z' WHERE refundable_ends_at IS NULL;
      ALTER TABLE products ALTER COLUMN refundable_ends_at SET NOT NULL;
      ALTER TABLE option_groups DROP COLUMN IF EXISTS placeholder_mode;
      ALTER TABLE categories DROP COLUMN IF EXISTS is_ticket;
    `);
  },
};

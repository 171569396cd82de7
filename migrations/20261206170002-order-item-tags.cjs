'use strict';
/**
 * Order-item tags (after-pr43 §6 "OPR tags"): operators label tickets ("VIP", "스태프", "연사") with a code,
 * a name and a priority; the registration desk shows them, exports list them. `code` is unique among live
 * tags (a deleted code can be used again). Assignments are plain link rows (tag, item), written in bulk by
 * assign / unassign over the item filter.
 */
const up = `
CREATE TABLE order_item_tags (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code varchar(50) NOT NULL CHECK (code <> ''),
  name varchar(100) NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz NULL,
  created_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  updated_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  deleted_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX order_item_tags_code_uq ON order_item_tags (code) WHERE deleted_at IS NULL;

CREATE TABLE order_item_tag_assignments (
  tag_id uuid NOT NULL REFERENCES order_item_tags(id) ON DELETE CASCADE,
  order_product_relation_id uuid NOT NULL REFERENCES order_product_relations(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by_id integer NULL REFERENCES users(id) ON DELETE RESTRICT,
  PRIMARY KEY (tag_id, order_product_relation_id)
);
CREATE INDEX order_item_tag_assignments_item_idx ON order_item_tag_assignments (order_product_relation_id);
`;

module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(up);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query('DROP TABLE IF EXISTS order_item_tag_assignments; DROP TABLE IF EXISTS order_item_tags;');
  },
};

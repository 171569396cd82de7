'use strict';
/**
 * Admin panel: orders created by the CSV import carry `import_key` = sha256(normalised file
 * content, row index), unique among live orders, so importing the same file twice creates nothing the
 * second time (the apply skips rows whose key exists; the unique index is the backstop under concurrency).
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      ALTER TABLE orders ADD COLUMN import_key varchar(64) NULL;
      CREATE UNIQUE INDEX orders_import_key_uq ON orders (import_key) WHERE import_key IS NOT NULL AND deleted_at IS NULL;
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      DROP INDEX IF EXISTS orders_import_key_uq;
      ALTER TABLE orders DROP COLUMN IF EXISTS import_key;
    `);
  },
};

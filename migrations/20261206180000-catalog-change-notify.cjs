'use strict';
/**
 * Catalogue caches of several processes (WEB_CONCURRENCY web workers, the job worker, CLIs): every statement
 * that writes a table the public catalogue is built from (or the per-buyer counts it shows) sends
 * `NOTIFY catalog_changed` (src/services/catalog-changes.ts LISTENs and drops the process's cache).
 *
 * A statement-level trigger, so no code path (Sequelize, hand-written SQL, the panel, psql) can forget it
 * and no request pays an extra round trip; PostgreSQL delivers the notification only when the writing
 * transaction commits (a rolled-back write notifies nobody) and folds the repeats of one transaction into
 * one. Same table list as the in-process write hook (WATCHED_TABLES in src/services/catalog-cache.ts).
 */
const TABLES = [
  'products',
  'categories',
  'category_groups',
  'tags',
  'product_tag_relations',
  'option_groups',
  'options',
  'orders',
  'order_product_relations',
  'order_product_option_relations',
  'single_product_carts',
  'payment_histories',
];

module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE OR REPLACE FUNCTION notify_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('catalog_changed', '');
        RETURN NULL;
      END $$;
      ${TABLES.map(
        (t) => `CREATE TRIGGER ${t}_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${t}
                  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();`,
      ).join('\n')}
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      ${TABLES.map((t) => `DROP TRIGGER IF EXISTS ${t}_catalog_changed ON ${t};`).join('\n')}
      DROP FUNCTION IF EXISTS notify_catalog_changed();
    `);
  },
};

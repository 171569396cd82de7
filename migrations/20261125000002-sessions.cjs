'use strict';
/**
 * The session store table of connect-pg-simple (express-session): sessions live in PostgreSQL, so they
 * survive a restart and are shared by every app process. Same columns as connect-pg-simple's table.sql,
 * except `expire` is timestamptz (the store compares it with to_timestamp(), a timestamptz).
 * Expired rows are pruned by the store itself.
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE TABLE "session" (
        sid varchar NOT NULL PRIMARY KEY,
        sess json NOT NULL,
        expire timestamptz NOT NULL
      );
      CREATE INDEX session_expire_idx ON "session" (expire);
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`DROP TABLE IF EXISTS "session";`);
  },
};

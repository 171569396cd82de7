'use strict';
/**
 * Wrong TOTP codes per authorizer and per caller (API key / panel session), counted in a fixed window
 * (src/services/totp-throttle.ts). In PostgreSQL rather than in memory so every app process (and every
 * worker of a cluster) shares one count, and so a refund transaction rolling back does not erase it.
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE TABLE totp_attempts (
        key text PRIMARY KEY,
        failures integer NOT NULL,
        window_ends_at timestamptz NOT NULL
      );
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`DROP TABLE IF EXISTS totp_attempts;`);
  },
};

'use strict';
/**
 * The wrong-code counters of the TOTP throttle become the counters of every authentication throttle:
 * wrong TOTP codes and failed password sign-ins (per e-mail, per client IP). Sign-ins were counted in
 * memory per process, so N web processes (WEB_CONCURRENCY=N) allowed N times the limit and a restart
 * forgave; in PostgreSQL every process shares one count. Keys are namespaced (`authorizer:`, `caller:`,
 * `login-email:`, `login-ip:`). The index serves the pruning of ended windows.
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      ALTER TABLE totp_attempts RENAME TO auth_attempts;
      ALTER INDEX IF EXISTS totp_attempts_pkey RENAME TO auth_attempts_pkey;
      CREATE INDEX auth_attempts_window_ends_at_idx ON auth_attempts (window_ends_at);
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      DROP INDEX IF EXISTS auth_attempts_window_ends_at_idx;
      ALTER INDEX IF EXISTS auth_attempts_pkey RENAME TO totp_attempts_pkey;
      ALTER TABLE auth_attempts RENAME TO totp_attempts;
    `);
  },
};

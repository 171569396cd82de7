'use strict';
/**
 * `npm run import:django` (cut-over from the Django backend):
 * - `django_user_map`: which of our accounts each Django user became, and how (so re-runs map the same way
 *   and only new Django users are mapped);
 * - `django_import_runs`: every committed (or failed) run with its verification report;
 * - `audit_logs.import_key`: `django:<historical table>:<history_id>` of an audit row made from a
 *   simple-history row, unique, so a re-run never adds it twice.
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE TABLE django_user_map (
        django_user_id bigint PRIMARY KEY,
        user_id integer NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
        mode varchar(16) NOT NULL CHECK (mode IN ('auto_email', 'auto_username', 'manual', 'shifted')),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX django_user_map_user_idx ON django_user_map (user_id);

      CREATE TABLE django_import_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        source text NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('committed', 'failed')),
        id_offset integer NULL,
        counts jsonb NOT NULL DEFAULT '[]',
        differences jsonb NOT NULL DEFAULT '[]',
        review jsonb NOT NULL DEFAULT '[]',
        summary jsonb NOT NULL DEFAULT '{}',
        error text NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL DEFAULT now()
      );

      ALTER TABLE audit_logs ADD COLUMN import_key varchar(100) NULL;
      CREATE UNIQUE INDEX audit_logs_import_key_uq ON audit_logs (import_key) WHERE import_key IS NOT NULL;
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      DROP INDEX IF EXISTS audit_logs_import_key_uq;
      ALTER TABLE audit_logs DROP COLUMN IF EXISTS import_key;
      DROP TABLE IF EXISTS django_import_runs;
      DROP TABLE IF EXISTS django_user_map;
    `);
  },
};

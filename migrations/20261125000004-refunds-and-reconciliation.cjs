'use strict';
/**
 * refund_attempts: every PortOne cancel we ask for, written outside the refund transaction before the call
 * and updated after it, so a cancel that PortOne performed but whose local commit failed is never lost
 * (reconciliation lists attempts stuck in `cancelled_at_portone`).
 * reconciliation_reports: the output of `npm run reconcile` / the daily job, for operators.
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      CREATE TABLE refund_attempts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- no foreign keys on purpose: rows are written on their own connection while the refund transaction
        -- holds FOR UPDATE locks on the order and the authorizer; an FK check would wait on those locks.
        order_id uuid NOT NULL,
        order_product_relation_id uuid NULL,
        imp_uid varchar(256) NULL,
        amount integer NOT NULL CHECK (amount >= 0),
        checksum integer NOT NULL CHECK (checksum >= 0),
        channel varchar(16) NOT NULL CHECK (channel IN ('buyer', 'admin', 'desk', 'webhook')),
        status varchar(32) NOT NULL CHECK (status IN ('requested', 'cancelled_at_portone', 'completed', 'failed')),
        actor_label varchar(200) NULL,
        authorizer_user_id integer NULL,
        reason text NULL,
        error text NULL,
        portone_response jsonb NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX refund_attempts_order_idx ON refund_attempts (order_id);
      CREATE INDEX refund_attempts_status_idx ON refund_attempts (status);

      CREATE TABLE reconciliation_reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        since timestamptz NOT NULL,
        checked integer NOT NULL DEFAULT 0,
        drift_count integer NOT NULL DEFAULT 0,
        drifts jsonb NOT NULL DEFAULT '[]',
        error text NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX reconciliation_reports_created_idx ON reconciliation_reports (created_at);
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`DROP TABLE IF EXISTS reconciliation_reports; DROP TABLE IF EXISTS refund_attempts;`);
  },
};

'use strict';
/**
 * Refund attempts become the per-order refund lease and the record of what PortOne did:
 *   requested             committed before PortOne is asked; the refund is in flight (its owner holds the lease)
 *   pending               the owner could not learn PortOne's answer (timeout / lost answer, lookup failed too):
 *                         the next refund of the order, the settle job or reconciliation looks the payment up
 *   cancelled_at_portone  PortOne cancelled, the local commit failed: recorded by the next settlement
 *   completed / failed    settled (the ledger rows of a completed attempt are written in the same transaction)
 *   unresolved            PortOne's balance matches neither "cancelled" nor "not cancelled" (someone else
 *                         cancelled in between): reconciliation lists it for an operator
 * `plan` holds what the ledger must record once PortOne's cancel is known (items, next status, balance after),
 * so a settlement by another process needs nothing from the request that started the refund.
 */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      ALTER TABLE refund_attempts DROP CONSTRAINT IF EXISTS refund_attempts_status_check;
      ALTER TABLE refund_attempts ADD CONSTRAINT refund_attempts_status_check
        CHECK (status IN ('requested', 'pending', 'cancelled_at_portone', 'completed', 'failed', 'unresolved'));
      ALTER TABLE refund_attempts ADD COLUMN plan jsonb NULL;
      CREATE INDEX refund_attempts_open_idx ON refund_attempts (order_id)
        WHERE status IN ('requested', 'pending', 'cancelled_at_portone');
    `);
  },
  async down(queryInterface) {
    await queryInterface.sequelize.query(`
      DROP INDEX IF EXISTS refund_attempts_open_idx;
      ALTER TABLE refund_attempts DROP COLUMN IF EXISTS plan;
      UPDATE refund_attempts SET status = 'requested' WHERE status = 'pending';
      UPDATE refund_attempts SET status = 'failed' WHERE status = 'unresolved';
      ALTER TABLE refund_attempts DROP CONSTRAINT IF EXISTS refund_attempts_status_check;
      ALTER TABLE refund_attempts ADD CONSTRAINT refund_attempts_status_check
        CHECK (status IN ('requested', 'cancelled_at_portone', 'completed', 'failed'));
    `);
  },
};

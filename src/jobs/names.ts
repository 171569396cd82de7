/**
 * Job names (the `name` column of agenda_jobs). Job data holds ids only — never request data — and no job
 * uses Agenda's `unique()`: handlers are idempotent instead (Agenda delivers at least once).
 */
export const JOB = {
  /** `{recipientId}`: deliver one notification e-mail (CREATED → SENDING → SENT/FAILED). */
  NOTIFICATION_SEND: 'notification-send',
  /** Recurring: re-enqueue notifications whose job was lost, mark ones stuck in SENDING as FAILED. */
  NOTIFICATION_SWEEP: 'notification-sweep',
  /** Recurring (daily): soft-delete abandoned carts and buy-now carts (never anything with a payment). */
  CART_CLEANUP: 'cart-cleanup',
  /** Recurring (daily): PortOne reconciliation (`reconcile({since})` of src/services/reconcile.ts). */
  PORTONE_RECONCILE: 'portone-reconcile',
  /**
   * `{orderId}`: settle the order's refund attempt whose PortOne outcome is not in the ledger yet (look the
   * payment up, record what PortOne did). Enqueued after a lost answer.
   */
  REFUND_SETTLE: 'refund-settle',
  /** Recurring (every minute): the same for every open attempt no live request owns (the safety net). */
  REFUND_SWEEP: 'refund-sweep',
} as const;

export type JobName = (typeof JOB)[keyof typeof JOB];

export interface NotificationSendData {
  recipientId: string;
}

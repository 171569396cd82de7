/**
 * What PortOne did with one cancel request whose answer we did not get (a timeout, a dropped connection, an
 * error), read from the payment as PortOne holds it now. Pure.
 *
 * A refund attempt asks PortOne to cancel `amount` with `checksum` = the cancellable balance before the
 * cancel. While an attempt is open no other refund of the order is sent (the attempt is the order's refund
 * lease), so PortOne's balance is either still `checksum` (not cancelled) or `checksum − amount` (cancelled).
 * Anything else means a cancel we did not send (e.g. in PortOne's console): an operator must look.
 */
export interface AttemptFacts {
  amount: number;
  checksum: number;
}

export interface PaymentBalanceFacts {
  amount: number;
  cancel_amount?: number | null;
}

export type CancelVerdict = 'cancelled' | 'not_cancelled' | 'unresolved';

export function cancelVerdict(attempt: AttemptFacts, payment: PaymentBalanceFacts): CancelVerdict {
  const balance = Math.round(payment.amount - (payment.cancel_amount ?? 0));
  if (attempt.amount > 0 && balance === attempt.checksum - attempt.amount) return 'cancelled';
  if (balance === attempt.checksum) return 'not_cancelled';
  return 'unresolved';
}

export interface LedgerRowFacts {
  status: string;
  price: number;
  impId: string | null;
  createdAt: Date;
  deletedAt?: Date | null;
}

/**
 * Is this attempt's refund already in the ledger? Its ledger row is the refund row of the same payment, made
 * after the attempt, whose balance is `checksum − amount` (each refund of an order has its own balance after,
 * so several partial refunds never match each other's row).
 */
export function refundRecorded(attempt: AttemptFacts & { impUid: string | null; createdAt: Date }, ledger: readonly LedgerRowFacts[]): boolean {
  return ledger.some(
    (h) =>
      !h.deletedAt &&
      (h.status === 'partial_refunded' || h.status === 'refunded') &&
      h.impId === attempt.impUid &&
      h.price === attempt.checksum - attempt.amount &&
      h.createdAt.getTime() >= attempt.createdAt.getTime() - 1000,
  );
}

/**
 * Refund rules (spec §3.6, contract era): why an item / a whole order cannot be refunded, and the refund
 * arithmetic (PortOne `amount` / `checksum`, the next PaymentHistory). Pure.
 *
 * The caller re-evaluates the reason AFTER locking the order row and passes the reloaded facts; the math
 * functions assume the reason was null.
 */
import { Messages, type MessageDef } from '../messages.js';
import { isRefundWindowOpen } from '../catalog/windows.js';
import { REFUNDABLE_STATUSES, type OprStatus, type PaymentStatus } from '../payment/status.js';

export interface RefundItemFacts {
  /** OPR id */
  id: string;
  status: OprStatus;
  price: number;
  donationPrice: number;
  /** the product's refundable_ends_at; null = the product is never refundable by the buyer */
  refundableEndsAt: Date | null;
}

export interface RefundOrderFacts {
  /** newest active payment history's imp_id (null for CSV-imported orders) */
  latestImpId: string | null;
  currentStatus: PaymentStatus;
  currentPaidPrice: number;
  /** ACTIVE OPRs of the order */
  items: readonly RefundItemFacts[];
  /** a comp order (an operator's free issue): never refunded, whoever asks (default false) */
  isComp?: boolean;
}

export interface RefundReasonOptions {
  /** admin / desk refunds skip the refund window and the "not refundable" product flag */
  ignoreWindow?: boolean;
}

/**
 * `OPR.not_refundable_reason` (first hit; null = refundable):
 * comp order → COMP_ORDER_NOT_REFUNDABLE (nothing was paid; operators cancel its items instead);
 * 0 no latest imp_id and a free item → PRODUCT_PRICE_IS_ZERO; 1 no order / no latest imp_id → ORDER_NOT_REFUNDABLE; 2 status not refundable → ORDER_NOT_REFUNDABLE_STATUS;
 * 3 item not paid → PRODUCT_STATUS_IS_NOT_PAID; 4 product not refundable (refundable_ends_at null) →
 * PRODUCT_IS_NOT_REFUNDABLE, 5 window passed → PRODUCT_REFUND_TIME_EXPIRED (4 and 5 unless ignoreWindow);
 * 6 price + donation == 0 → PRODUCT_PRICE_IS_ZERO.
 */
export function notRefundableReason(
  opr: RefundItemFacts,
  order: RefundOrderFacts | null,
  now: Date,
  { ignoreWindow = false }: RefundReasonOptions = {},
): MessageDef | null {
  if (order?.isComp) return Messages.NotRefundable.COMP_ORDER_NOT_REFUNDABLE;
  // a free item (a 0-won order, an imported invitation) has nothing to refund: say so rather than "no payment"
  if (order && !order.latestImpId && opr.price + opr.donationPrice === 0) return Messages.NotRefundable.PRODUCT_PRICE_IS_ZERO;
  if (!order || !order.latestImpId) return Messages.NotRefundable.ORDER_NOT_REFUNDABLE;
  if (!REFUNDABLE_STATUSES.has(order.currentStatus)) return Messages.NotRefundable.ORDER_NOT_REFUNDABLE_STATUS;
  if (opr.status !== 'paid') return Messages.NotRefundable.PRODUCT_STATUS_IS_NOT_PAID;
  if (!ignoreWindow && opr.refundableEndsAt === null) return Messages.NotRefundable.PRODUCT_IS_NOT_REFUNDABLE;
  if (!ignoreWindow && !isRefundWindowOpen(opr.refundableEndsAt!, now)) {
    return Messages.NotRefundable.PRODUCT_REFUND_TIME_EXPIRED;
  }
  if (opr.price + opr.donationPrice === 0) return Messages.NotRefundable.PRODUCT_PRICE_IS_ZERO;
  return null;
}

/** Σ (price + donation) of the paid items = the amount a full refund returns. */
export function expectedFullRefund(order: Pick<RefundOrderFacts, 'items'>): number {
  return order.items.filter((i) => i.status === 'paid').reduce((s, i) => s + i.price + i.donationPrice, 0);
}

/**
 * `Order.not_fully_refundable_reason` (first hit; null = fully refundable):
 * comp order → COMP_ORDER_NOT_REFUNDABLE; 1 no imp_id → ORDER_IMP_ID_NOT_EXIST; 2 status → ORDER_NOT_REFUNDABLE_STATUS; 3 an item pending|used →
 * ONE_OF_PRODUCT_IS_USED_TRY_AFTER_CHANGING_STATUS; 4 no paid item → ORDER_REFUNDABLE_PRODUCT_NOT_FOUND;
 * 5 expected == 0 → ORDER_REFUNDABLE_PRICE_NOT_FOUND; 6 current_paid_price ≠ expected →
 * ORDER_REFUND_TARGET_PRICE_IS_MISMATCH; 7 a paid item of a non-refundable product →
 * ONE_OF_PRODUCT_IS_NOT_REFUNDABLE; 8 a paid item past its window → ONE_OF_PRODUCT_REFUND_TIME_EXPIRED (7 and 8
 * unless ignoreWindow).
 */
export function notFullyRefundableReason(
  order: RefundOrderFacts,
  now: Date,
  { ignoreWindow = false }: RefundReasonOptions = {},
): MessageDef | null {
  if (order.isComp) return Messages.NotRefundable.COMP_ORDER_NOT_REFUNDABLE;
  if (!order.latestImpId) return Messages.NotRefundable.ORDER_IMP_ID_NOT_EXIST;
  if (!REFUNDABLE_STATUSES.has(order.currentStatus)) return Messages.NotRefundable.ORDER_NOT_REFUNDABLE_STATUS;
  if (order.items.some((i) => i.status === 'pending' || i.status === 'used')) {
    return Messages.NotRefundable.ONE_OF_PRODUCT_IS_USED_TRY_AFTER_CHANGING_STATUS;
  }
  const paid = order.items.filter((i) => i.status === 'paid');
  if (paid.length === 0) return Messages.NotRefundable.ORDER_REFUNDABLE_PRODUCT_NOT_FOUND;
  const expected = expectedFullRefund(order);
  if (expected === 0) return Messages.NotRefundable.ORDER_REFUNDABLE_PRICE_NOT_FOUND;
  if (order.currentPaidPrice !== expected) return Messages.NotRefundable.ORDER_REFUND_TARGET_PRICE_IS_MISMATCH;
  if (!ignoreWindow && paid.some((i) => i.refundableEndsAt === null)) return Messages.NotRefundable.ONE_OF_PRODUCT_IS_NOT_REFUNDABLE;
  if (!ignoreWindow && paid.some((i) => !isRefundWindowOpen(i.refundableEndsAt!, now))) {
    return Messages.NotRefundable.ONE_OF_PRODUCT_REFUND_TIME_EXPIRED;
  }
  return null;
}

export interface ItemRefundPlan {
  /** PortOne cancel `amount` = price + donation of the item */
  refund: number;
  /** PortOne cancel `checksum` = the balance before this cancel (order.current_paid_price) */
  checksum: number;
  /** the new PaymentHistory price = checksum − refund */
  after: number;
  /** partial_refunded while any OTHER active item is still paid|used, else refunded */
  nextStatus: 'partial_refunded' | 'refunded';
  /** the new PaymentHistory's imp_id */
  impId: string | null;
}

/** The per-item refund: the OPR goes to refunded, a PaymentHistory {nextStatus, price: after} is appended. */
export function planItemRefund(opr: RefundItemFacts, order: RefundOrderFacts): ItemRefundPlan {
  const refund = opr.price + opr.donationPrice;
  const checksum = order.currentPaidPrice;
  const stillHeld = order.items.some((i) => i.id !== opr.id && (i.status === 'paid' || i.status === 'used'));
  return {
    refund,
    checksum,
    after: checksum - refund,
    nextStatus: stillHeld ? 'partial_refunded' : 'refunded',
    impId: order.latestImpId,
  };
}

export interface FullRefundPlan {
  /** PortOne cancel `amount` = expected = Σ paid items' price + donation */
  amount: number;
  /** PortOne cancel `checksum` = the same value (must equal current_paid_price, guaranteed by the reason) */
  checksum: number;
  nextStatus: 'refunded';
  /** the new PaymentHistory price */
  price: 0;
  impId: string | null;
  /** the OPRs to set to refunded (all paid items) */
  itemIds: string[];
}

export function planFullRefund(order: RefundOrderFacts): FullRefundPlan {
  const expected = expectedFullRefund(order);
  return {
    amount: expected,
    checksum: expected,
    nextStatus: 'refunded',
    price: 0,
    impId: order.latestImpId,
    itemIds: order.items.filter((i) => i.status === 'paid').map((i) => i.id),
  };
}

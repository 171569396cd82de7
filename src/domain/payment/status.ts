/**
 * Order / PaymentHistory status machine (spec §2.1), values derived from the payment-history ledger
 * (§1.8), and the OPR status transitions (§2.2). Pure.
 */

export type PaymentStatus = 'pending' | 'completed' | 'partial_refunded' | 'refunded';
export const PAYMENT_STATUSES: readonly PaymentStatus[] = ['pending', 'completed', 'partial_refunded', 'refunded'];

/** Statuses from which a refund may start. */
export const REFUNDABLE_STATUSES: ReadonlySet<PaymentStatus> = new Set<PaymentStatus>(['completed', 'partial_refunded']);
/** Statuses of a real (paid at least once) order. */
export const PURCHASED_STATUSES: ReadonlySet<PaymentStatus> = new Set<PaymentStatus>([
  'completed',
  'partial_refunded',
  'refunded',
]);

/**
 * Allowed next statuses: pending → completed (webhook / CSV import); completed → partial_refunded | refunded;
 * partial_refunded → partial_refunded | refunded; refunded is terminal.
 */
export const ORDER_STATUS_TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  pending: ['completed'],
  completed: ['partial_refunded', 'refunded'],
  partial_refunded: ['partial_refunded', 'refunded'],
  refunded: [],
};

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return ORDER_STATUS_TRANSITIONS[from].includes(to);
}

export function isRefundableStatus(status: PaymentStatus): boolean {
  return REFUNDABLE_STATUSES.has(status);
}

/** One PaymentHistory row (append-only ledger; `price` = money still held after this event). */
export interface PaymentHistoryFacts {
  status: PaymentStatus;
  price: number;
  impId: string | null;
  createdAt: Date;
  /** soft-deleted rows are ignored */
  deletedAt?: Date | null;
}

export interface DerivedOrderPayment {
  /** newest active history's status, or pending when there is none */
  currentStatus: PaymentStatus;
  /** newest active history's price, or 0 */
  currentPaidPrice: number;
  /** newest active history's imp_id, or null */
  latestImpId: string | null;
  /** oldest active history's created_at, or null */
  firstPaidAt: Date | null;
  /** currentStatus == pending */
  isCart: boolean;
  hasPaymentHistory: boolean;
  current: PaymentHistoryFacts | null;
  first: PaymentHistoryFacts | null;
}

/** Derive the order's payment values from its payment histories (any order; soft-deleted rows skipped). */
export function deriveOrderPayment(histories: readonly PaymentHistoryFacts[]): DerivedOrderPayment {
  let current: PaymentHistoryFacts | null = null;
  let first: PaymentHistoryFacts | null = null;
  for (const h of histories) {
    if (h.deletedAt) continue;
    const t = h.createdAt.getTime();
    // first max / first min on ties, like Python's max()/min()
    if (current === null || t > current.createdAt.getTime()) current = h;
    if (first === null || t < first.createdAt.getTime()) first = h;
  }
  const currentStatus: PaymentStatus = current ? current.status : 'pending';
  return {
    currentStatus,
    currentPaidPrice: current ? current.price : 0,
    latestImpId: current ? current.impId : null,
    firstPaidAt: first ? first.createdAt : null,
    isCart: currentStatus === 'pending',
    hasPaymentHistory: current !== null,
    current,
    first,
  };
}

/** `first_paid_price` = Σ over active OPRs of price + donation_price (the amount to charge). */
export function firstPaidPrice(items: readonly { price: number; donationPrice: number; deletedAt?: Date | null }[]): number {
  return items.reduce((sum, i) => (i.deletedAt ? sum : sum + i.price + i.donationPrice), 0);
}

// ---------------------------------------------------------------------------------------------------------
// OPR status (§2.2)
// ---------------------------------------------------------------------------------------------------------

export type OprStatus = 'pending' | 'paid' | 'used' | 'refunded';
export const OPR_STATUSES: readonly OprStatus[] = ['pending', 'paid', 'used', 'refunded'];

/** What consumes stock. */
export const PURCHASED_STOCK_STATUSES: ReadonlySet<OprStatus> = new Set<OprStatus>(['paid', 'used']);

export type OprTransitionActor = 'webhook' | 'desk' | 'refund';

/**
 * Real OPR status changes: pending → paid (webhook success), paid ↔ used (registration desk),
 * paid → refunded (per-item or full refund). refunded is terminal. (Creation: pending by add-to-cart /
 * buy-now, paid by CSV import.)
 */
export const OPR_TRANSITIONS: ReadonlyArray<{ from: OprStatus; to: OprStatus; by: OprTransitionActor }> = [
  { from: 'pending', to: 'paid', by: 'webhook' },
  { from: 'paid', to: 'used', by: 'desk' },
  { from: 'used', to: 'paid', by: 'desk' },
  { from: 'paid', to: 'refunded', by: 'refund' },
];

export function canTransitionOpr(from: OprStatus, to: OprStatus, by?: OprTransitionActor): boolean {
  return OPR_TRANSITIONS.some((t) => t.from === from && t.to === to && (by === undefined || t.by === by));
}

/**
 * The registration desk may only move an item between paid and used; a same-status "change" (paid → paid,
 * used → used) is accepted as a no-op. pending and refunded items cannot be changed at the desk.
 */
export function canDeskChangeOprStatus(from: OprStatus, to: OprStatus): boolean {
  const deskStatuses: readonly OprStatus[] = ['paid', 'used'];
  return deskStatuses.includes(from) && deskStatuses.includes(to);
}

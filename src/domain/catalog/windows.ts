/**
 * Time windows of the catalogue (spec §3.2). Pure: "now" is always a parameter.
 *
 * Every window is inclusive at both ends (`startsAt ≤ now ≤ endsAt`); a `null` bound means "unbounded"
 * (the original's datetime.min / datetime.max sentinels behave the same way).
 */
import { Messages, type MessageDef } from '../messages.js';

export interface TimeWindow {
  startsAt: Date | null;
  endsAt: Date | null;
}

/** `startsAt ≤ now ≤ endsAt`, null bounds unbounded. */
export function isWithinWindow(now: Date, startsAt: Date | null, endsAt: Date | null): boolean {
  const t = now.getTime();
  if (startsAt !== null && t < startsAt.getTime()) return false;
  if (endsAt !== null && t > endsAt.getTime()) return false;
  return true;
}

export function windowContains(window: TimeWindow, now: Date): boolean {
  return isWithinWindow(now, window.startsAt, window.endsAt);
}

/** The product columns that define its windows. */
export interface ProductWindowFacts {
  visibleStartsAt: Date | null;
  visibleEndsAt: Date | null;
  orderableStartsAt: Date | null;
  orderableEndsAt: Date | null;
}

/** The option-group columns that define its windows; null = inherit the product's value. */
export interface OptionGroupWindowFacts {
  visibleStartsAt: Date | null;
  visibleEndsAt: Date | null;
  orderableStartsAt: Date | null;
  orderableEndsAt: Date | null;
}

/** Catalogue visibility of a product (soft deletion is the caller's filter). */
export function isProductVisible(product: ProductWindowFacts, now: Date): boolean {
  return isWithinWindow(now, product.visibleStartsAt, product.visibleEndsAt);
}

/** Sales window of a product: checked on add-to-cart, buy-now, cart checkout and CSV import. */
export function isProductOrderable(product: ProductWindowFacts, now: Date): boolean {
  return isWithinWindow(now, product.orderableStartsAt, product.orderableEndsAt);
}

export type ProductCurrentStatus = 'out_of_visible_period' | 'out_of_orderable_period' | 'active';

/** `Product.current_status` (§1.4, without the removed `hidden` flag): first that applies. */
export function productCurrentStatus(product: ProductWindowFacts, now: Date): ProductCurrentStatus {
  if (!isProductVisible(product, now)) return 'out_of_visible_period';
  if (!isProductOrderable(product, now)) return 'out_of_orderable_period';
  return 'active';
}

/** [Δ c15d377] effective windows of an option group: each bound is `group value ?? product value`. */
export function effectiveGroupWindows(
  group: OptionGroupWindowFacts,
  product: ProductWindowFacts,
): { visible: TimeWindow; orderable: TimeWindow } {
  return {
    visible: {
      startsAt: group.visibleStartsAt ?? product.visibleStartsAt,
      endsAt: group.visibleEndsAt ?? product.visibleEndsAt,
    },
    orderable: {
      startsAt: group.orderableStartsAt ?? product.orderableStartsAt,
      endsAt: group.orderableEndsAt ?? product.orderableEndsAt,
    },
  };
}

/** Option groups outside their effective visible window are omitted from the product DTO. */
export function isGroupVisible(group: OptionGroupWindowFacts, product: ProductWindowFacts, now: Date): boolean {
  return windowContains(effectiveGroupWindows(group, product).visible, now);
}

export function isGroupOrderable(group: OptionGroupWindowFacts, product: ProductWindowFacts, now: Date): boolean {
  return windowContains(effectiveGroupWindows(group, product).orderable, now);
}

/**
 * A selected group may be ordered only while now is inside both its effective visible and orderable
 * windows (else `OptionGroup.NOT_ORDERABLE_TIME`).
 */
export function isGroupOpenForOrder(group: OptionGroupWindowFacts, product: ProductWindowFacts, now: Date): boolean {
  return isGroupVisible(group, product, now) && isGroupOrderable(group, product, now);
}

/**
 * The option group's own windows only (its null bounds unbounded, the product's not inherited): an operator's
 * change of an already paid choice honours a cutoff set on the choice, not the product's closed sale.
 */
export function isGroupOwnWindowOpen(group: OptionGroupWindowFacts, now: Date): boolean {
  return isWithinWindow(now, group.visibleStartsAt, group.visibleEndsAt) && isWithinWindow(now, group.orderableStartsAt, group.orderableEndsAt);
}

/**
 * User refunds are refused once `refundable_ends_at < now` (the instant itself is still refundable).
 * Contract era: the column is NOT NULL (default = far future); admin and desk refunds skip this check.
 */
export function isRefundWindowOpen(refundableEndsAt: Date, now: Date): boolean {
  return refundableEndsAt.getTime() >= now.getTime();
}

export type AnswerEditability = 'editable' | 'never' | 'expired';

/** `response_modifiable_ends_at`: null → never editable; `< now` → expired; else editable (inclusive). */
export function answerEditability(responseModifiableEndsAt: Date | null, now: Date): AnswerEditability {
  if (responseModifiableEndsAt === null) return 'never';
  if (responseModifiableEndsAt.getTime() < now.getTime()) return 'expired';
  return 'editable';
}

export function isAnswerEditable(responseModifiableEndsAt: Date | null, now: Date): boolean {
  return answerEditability(responseModifiableEndsAt, now) === 'editable';
}

/** The §5.10 message for a non-editable answer, or null when editable. */
export function answerNotEditableReason(responseModifiableEndsAt: Date | null, now: Date): MessageDef | null {
  switch (answerEditability(responseModifiableEndsAt, now)) {
    case 'never':
      return Messages.NotModifiable.RESPONSE_NOT_MODIFIABLE;
    case 'expired':
      return Messages.NotModifiable.RESPONSE_MODIFIABLE_ENDS_AT;
    default:
      return null;
  }
}

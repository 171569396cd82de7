/**
 * The payment-time re-check (webhook, under row locks): may these paid units become the buyer's? Unlike
 * the checkout check, sales windows no longer matter (the buyer started paying inside them); only what
 * could have changed meanwhile does — stock left for others and the buyer's own per-person caps.
 * `sold` in the facts must exclude this order's own hold; `taken.purchased` must not contain its items.
 */
import { Messages, fieldError, type FieldError } from '../messages.js';
import { leftover } from '../catalog/stock.js';
import type { ProductFacts, UserTakenCounts, CountLookup, TakenCount } from './orderability.js';

export interface RecheckItem {
  productId: string;
  options: ReadonlyArray<{ groupId: string; optionId: string | null }>;
}

const ZERO: TakenCount = { cart: 0, purchased: 0 };
function purchased(c: CountLookup | undefined, id: string): number {
  if (!c) return 0;
  const v = c instanceof Map ? c.get(id) : (c as Record<string, TakenCount>)[id];
  return (v ?? ZERO).purchased;
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** The first reason these units cannot be sold to this buyer now, or null. */
export function purchaseRecheckError(
  items: readonly RecheckItem[],
  products: ReadonlyMap<string, ProductFacts>,
  taken: UserTakenCounts,
): FieldError | null {
  const perProduct = new Map<string, number>();
  const perTag = new Map<string, number>();
  const perGroup = new Map<string, number>();
  const perOption = new Map<string, number>();
  for (const item of items) {
    bump(perProduct, item.productId);
    for (const tag of products.get(item.productId)?.tags ?? []) bump(perTag, tag.id);
    for (const o of item.options) {
      bump(perGroup, o.groupId);
      if (o.optionId) bump(perOption, o.optionId);
    }
  }
  const NF = null;
  for (const [pid, n] of perProduct) {
    const p = products.get(pid);
    if (!p) return fieldError(Messages.Critical.INVALID_LOGIC, NF, `product ${pid} is gone`);
    const left = leftover(p.stock, p.sold);
    if (left !== null && n > left) return fieldError(Messages.Product.SOLDOUT, NF, p.name);
    if (p.maxQuantityPerUser > 0 && purchased(taken.product, pid) + n > p.maxQuantityPerUser) {
      return fieldError(Messages.Product.ALREADY_ORDERED_TOO_MUCH, NF, p.name);
    }
    for (const tag of p.tags) {
      const tn = perTag.get(tag.id) ?? 0;
      const tl = leftover(tag.stock, tag.sold);
      if (tl !== null && tn > tl) return fieldError(Messages.Tag.SOLDOUT, NF, tag.name);
      if (tag.maxQuantityPerUser > 0 && purchased(taken.tag, tag.id) + tn > tag.maxQuantityPerUser) {
        return fieldError(Messages.Tag.ALREADY_ORDERED_TOO_MUCH_RELATED_PRODUCTS, NF, tag.name);
      }
    }
    for (const g of p.optionGroups) {
      const gn = perGroup.get(g.id) ?? 0;
      if (gn > 0 && g.maxQuantityPerUser > 0 && purchased(taken.group, g.id) + gn > g.maxQuantityPerUser) {
        return fieldError(Messages.OptionGroup.ALREADY_ORDERED_TOO_MUCH, NF, p.name, g.name);
      }
      for (const o of g.options) {
        const on = perOption.get(o.id) ?? 0;
        if (on === 0) continue;
        const ol = leftover(o.stock, o.sold);
        if (ol !== null && on > ol) return fieldError(Messages.Option.SOLDOUT, NF, p.name, o.name);
        if (o.maxQuantityPerUser > 0 && purchased(taken.option, o.id) + on > o.maxQuantityPerUser) {
          return fieldError(Messages.Option.ALREADY_ORDERED_TOO_MUCH, NF, p.name, o.name);
        }
      }
    }
  }
  return null;
}

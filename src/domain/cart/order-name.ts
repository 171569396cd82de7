/**
 * The order name set at cart checkout (spec §5.6 step 4): the product name of the most expensive item
 * (highest OPR price, donation excluded; the first such item in cart order on ties), plus " 외 N개" (ko) /
 * " and N more" (en) when N = item count − 1 > 0. A missing English product name falls back to Korean.
 */

export interface OrderNameItem {
  /** OPR.price (product + options, donation excluded) */
  price: number;
  productNameKo: string;
  productNameEn?: string | null;
}

export interface OrderName {
  ko: string;
  en: string;
}

/** Returns `{ko, en}`; throws on an empty list (an empty cart is rejected earlier with Cart.EMPTY). */
export function orderName(items: readonly OrderNameItem[]): OrderName {
  if (items.length === 0) throw new Error('orderName: the cart has no items');
  let top = items[0]!;
  for (const item of items) if (item.price > top.price) top = item;
  const ko = top.productNameKo;
  const en = top.productNameEn || ko;
  const more = items.length - 1;
  if (more <= 0) return { ko, en };
  return { ko: `${ko} 외 ${more}개`, en: `${en} and ${more} more` };
}

/** The name of a buy-now cart promoted to an order: the product name alone (both languages). */
export function singleOrderName(productNameKo: string, productNameEn?: string | null): OrderName {
  return { ko: productNameKo, en: productNameEn || productNameKo };
}

/**
 * Stock arithmetic and per-user leftovers (spec §3.1). Pure: sold / taken counts come from the caller.
 *
 * Conventions: `stock == 0` ⇒ unlimited ⇒ leftover `null`. A negative stock is *limited* (already sold out).
 * `sold` = paid|used units (buy-now carts and soft-deleted rows never count; pending cart items do not
 * reserve stock). `limit == 0` ⇒ no per-user limit.
 */

/** `leftover_stock`: `null` when unlimited (`stock == 0`), else `stock − sold` (may be ≤ 0). */
export function leftover(stock: number, sold: number): number | null {
  return stock === 0 ? null : stock - sold;
}

/** True when the stock is limited and nothing is left (`leftover ≤ 0`). */
export function isSoldOut(stock: number, sold: number): boolean {
  const left = leftover(stock, sold);
  return left !== null && left <= 0;
}

/** `limitLeft(limit, taken) = limit > 0 ? max(0, limit − taken) : null`. */
export function limitLeft(limit: number, taken: number): number | null {
  return limit > 0 ? Math.max(0, limit - taken) : null;
}

/** Anything with a stock column and a sold count. */
export interface StockFacts {
  stock: number;
  sold: number;
}

/** What `is_group_stock_available` needs: the group and its ACTIVE options with their sold counts. */
export interface GroupStockFacts {
  isCustomResponse: boolean;
  minQuantityPerProduct: number;
  options: readonly StockFacts[];
}

/**
 * `OptionGroup.is_group_stock_available`: true for custom-response groups, optional groups (min 0), or when
 * any active option is unlimited; otherwise `min ≤ Σ options' leftover` (raw leftovers, negatives included;
 * a required group with no active option is therefore unavailable).
 */
export function isGroupStockAvailable(group: GroupStockFacts): boolean {
  if (group.isCustomResponse || !group.minQuantityPerProduct) return true;
  const lefts = group.options.map((o) => leftover(o.stock, o.sold));
  if (lefts.some((l) => l === null)) return true;
  const total = lefts.reduce<number>((sum, l) => sum + (l as number), 0);
  return group.minQuantityPerProduct <= total;
}

/** [Δ c15d377] `leftover_stock_info` of an option group in the product DTO (snake_case = wire shape). */
export interface OptionGroupLeftoverStockInfo {
  product_max_quantity_per_user: number | null;
  product_leftover_stock: number | null;
  option_group_max_quantity_per_user: number | null;
}

/** [Δ c15d377] `leftover_stock_info` of an option: the group info plus the option's own two values. */
export interface OptionLeftoverStockInfo extends OptionGroupLeftoverStockInfo {
  option_max_quantity_per_user: number | null;
  option_leftover_stock: number | null;
}

export interface ProductStockFacts extends StockFacts {
  maxQuantityPerUser: number;
}
export interface OptionGroupLimitFacts {
  maxQuantityPerUser: number;
}
export interface OptionStockFacts extends StockFacts {
  maxQuantityPerUser: number;
}

/**
 * Per-user `taken` for the DTO: the caller's pending + paid + used OPRs of the product / OPORs of the group /
 * OPORs of the option (0 for an anonymous caller).
 */
export interface DtoTaken {
  product: number;
  group: number;
  option?: number;
}

export function optionGroupLeftoverStockInfo(
  product: ProductStockFacts,
  group: OptionGroupLimitFacts,
  taken: DtoTaken,
): OptionGroupLeftoverStockInfo {
  return {
    product_max_quantity_per_user: limitLeft(product.maxQuantityPerUser, taken.product),
    product_leftover_stock: leftover(product.stock, product.sold),
    option_group_max_quantity_per_user: limitLeft(group.maxQuantityPerUser, taken.group),
  };
}

export function optionLeftoverStockInfo(
  product: ProductStockFacts,
  group: OptionGroupLimitFacts,
  option: OptionStockFacts,
  taken: DtoTaken,
): OptionLeftoverStockInfo {
  return {
    ...optionGroupLeftoverStockInfo(product, group, taken),
    option_max_quantity_per_user: limitLeft(option.maxQuantityPerUser, taken.option ?? 0),
    option_leftover_stock: leftover(option.stock, option.sold),
  };
}

/**
 * `leftover_stock_per_user` of a group / an option = min of the non-null values of its info object, except
 * `product_max_quantity_per_user` (the product's own cap is the product's business: it is still shown in the
 * info, but it no longer caps what one may choose of an option), or null when all are null.
 */
export function leftoverStockPerUser(info: OptionGroupLeftoverStockInfo | OptionLeftoverStockInfo): number | null {
  let min: number | null = null;
  for (const [k, v] of Object.entries(info) as Array<[string, number | null]>) {
    if (k === 'product_max_quantity_per_user') continue;
    if (v !== null && (min === null || v < min)) min = v;
  }
  return min;
}

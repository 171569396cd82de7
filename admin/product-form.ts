/**
 * The product form as operators read it: names, category and tags, descriptions, price, the windows in
 * time order (shown → orderable → refundable, each start before its end), donation min → max, then stock
 * and limits. Only name (Korean), category and price are required; an empty window bound is unbounded
 * (stored as 0001-01-01 / 9999-12-31 and shown as "제한 없음"); 0 stock / limit / donation maximum is
 * unlimited. Fields are ordered by `position`, so a column added later still shows (after these).
 */
const ORDER = [
  'nameKo', 'nameEn', 'categoryId', 'tagIds', 'descriptionKo', 'descriptionEn', 'image', 'price',
  'visibleStartsAt', 'visibleEndsAt', 'orderableStartsAt', 'orderableEndsAt', 'refundableEndsAt',
  'donationAllowed', 'donationMinPrice', 'donationMaxPrice', 'stock', 'maxQuantityPerUser', 'priority',
] as const;

const HINTS: Partial<Record<(typeof ORDER)[number], string>> = {
  visibleStartsAt: '비우면 제한 없음 (처음부터)',
  visibleEndsAt: '비우면 제한 없음',
  orderableStartsAt: '비우면 제한 없음 (노출 시작 이후여야 합니다)',
  orderableEndsAt: '비우면 제한 없음 (노출 종료 이전이어야 합니다)',
  refundableEndsAt: '비우면 제한 없음',
  donationMaxPrice: '0 = 상한 없음',
  stock: '0 = 무제한',
  maxQuantityPerUser: '0 = 무제한',
  priority: '작을수록 먼저 보입니다',
};

export function productFormProperties(): Record<string, { position: number; description?: string; isRequired?: boolean }> {
  return Object.fromEntries(
    ORDER.map((name, i) => [name, { position: i + 1, ...(HINTS[name] ? { description: HINTS[name] } : {}), ...(['nameKo', 'categoryId', 'price'].includes(name) ? { isRequired: true } : { isRequired: false }) }]),
  );
}

/** The products resource's own property options with the form's order, hints and required flags merged in. */
export function withProductForm<T extends Record<string, object>>(props: T): Record<string, object> {
  const form = productFormProperties();
  const out: Record<string, object> = { ...props };
  for (const [k, v] of Object.entries(form)) out[k] = { ...(out[k] ?? {}), ...v };
  return out;
}

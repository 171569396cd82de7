/**
 * The orderability check of one item (spec §3.3, contract era [Δ c15d377]) shared by add-to-cart (`ADD`),
 * buy-now (`SINGLE`), cart checkout (`CART`, every cart item re-checked) and the CSV import; plus the
 * cart-level check of `CART` mode.
 *
 * Pure: the caller loads the facts (active rows only, sold counts, the buyer's taken counts) and passes
 * `now`. Error semantics follow the original serializer: field-level errors of every field are collected
 * (at most one per field, except one per failing tag on `product`); the object-level checks run only when
 * no field failed and stop at the first failure (`non_field_errors`).
 */
import { Messages, fieldError, type FieldError, type MessageDef } from '../messages.js';
import { isGroupStockAvailable, leftover } from '../catalog/stock.js';
import { isGroupOpenForOrder, isProductOrderable } from '../catalog/windows.js';
import { FieldMessages } from './customer-info.js';
import { answerPatternProblem, matchesAnswerPattern } from './answer-pattern.js';
import { parseTicketInfo, ticketInfoRuleErrors, type TicketInfoValue } from './ticket-info.js';

export type OrderabilityMode = 'ADD' | 'SINGLE' | 'CART';

/** Item totals must be ≥ 1 and < 1,000,000 KRW (also the cart total). */
export const MAX_PRICE_EXCLUSIVE = 1_000_000;

// ---------------------------------------------------------------------------------------------------------
// Custom-response patterns (§3.5): Python `re.match` = anchored at the start only.
// ---------------------------------------------------------------------------------------------------------

/**
 * Admin-side validation of `custom_response_pattern` [Δ c15d377]: null when the pattern is usable (empty /
 * null patterns are fine: no check), else the Korean message `유효하지 않은 정규표현식입니다: <reason>`.
 * (Usable = compiles in JS for the frontend and in RE2 within the size limits: see answer-pattern.ts.)
 */
export function compileCustomResponsePattern(pattern: string | null | undefined): string | null {
  const problem = answerPatternProblem(pattern);
  return problem === null ? null : `유효하지 않은 정규표현식입니다: ${problem}`;
}

/**
 * `re.match(pattern, answer or "")` on a linear-time engine: true when the pattern is empty/absent (no check)
 * or matches at the start of the answer (not necessarily the whole answer). An unusable pattern, or an answer
 * over MAX_ANSWER_LENGTH characters, never matches.
 */
export function matchesCustomResponse(pattern: string | null | undefined, answer: string | null | undefined): boolean {
  return matchesAnswerPattern(pattern, answer);
}

// ---------------------------------------------------------------------------------------------------------
// Facts (loaded by the caller) and inputs
// ---------------------------------------------------------------------------------------------------------

export interface TagFacts {
  id: string;
  name: string;
  /** 0 = unlimited */
  stock: number;
  /** 0 = unlimited */
  maxQuantityPerUser: number;
  /** paid|used OPRs of any product carrying this tag */
  sold: number;
}

export interface OptionFacts {
  id: string;
  /** the option group this option belongs to */
  groupId: string;
  name: string;
  additionalPrice: number;
  /** 0 = unlimited */
  stock: number;
  /** 0 = unlimited */
  maxQuantityPerUser: number;
  /** OPORs of this option whose OPR is paid|used */
  sold: number;
}

export interface OptionGroupFacts {
  id: string;
  name: string;
  minQuantityPerProduct: number;
  maxQuantityPerProduct: number;
  /** [Δ] 0 = unlimited */
  maxQuantityPerUser: number;
  isCustomResponse: boolean;
  customResponsePattern: string | null;
  responseModifiableEndsAt: Date | null;
  /** [Δ] null = the product's value */
  visibleStartsAt: Date | null;
  visibleEndsAt: Date | null;
  orderableStartsAt: Date | null;
  orderableEndsAt: Date | null;
  /** ACTIVE options only, with their sold counts */
  options: readonly OptionFacts[];
  /** selectable groups: only `optional` accepts no choice (default `hidden`) */
  placeholderMode?: 'hidden' | 'optional' | 'required';
}

export interface ProductFacts {
  id: string;
  /** name in the request language (used in messages) */
  name: string;
  price: number;
  /** 0 = unlimited */
  stock: number;
  /** paid|used OPRs of this product */
  sold: number;
  /** 0 = unlimited */
  maxQuantityPerUser: number;
  orderableStartsAt: Date;
  orderableEndsAt: Date;
  visibleStartsAt: Date;
  visibleEndsAt: Date;
  refundableEndsAt: Date | null;
  donationAllowed: boolean;
  donationMinPrice: number;
  donationMaxPrice: number;
  /** the category's ticket flag: ticket items need a holder (ticket_info); default false */
  isTicket?: boolean;
  /** ACTIVE tags (through non-deleted tag relations) */
  tags: readonly TagFacts[];
  /** ACTIVE option groups with their ACTIVE options, in catalogue order (priority, created_at desc) */
  optionGroups: readonly OptionGroupFacts[];
}

/** An active option group referenced by the request that belongs to ANOTHER product. */
export interface ForeignOptionGroupFacts extends OptionGroupFacts {
  productId: string;
  productName: string;
}

export interface OrderabilityFacts {
  /** the requested product (active), or null when the id is unknown / soft-deleted */
  product: ProductFacts | null;
  /** active groups referenced by the request that belong to other products (→ OPTION_NOT_MATCH_PRODUCT) */
  foreignOptionGroups?: readonly ForeignOptionGroupFacts[];
  /**
   * ids of active options referenced by the request that exist but are not in `product.optionGroups` /
   * `foreignOptionGroups` (so they give OPTION_NOT_SELECTED instead of does_not_exist)
   */
  existingOptionIds?: Iterable<string>;
}

/** The buyer's own counts: `cart` = pending items in their carts, `purchased` = paid|used items. */
export interface TakenCount {
  cart: number;
  purchased: number;
}

export type CountLookup = ReadonlyMap<string, TakenCount> | Readonly<Record<string, TakenCount>>;

/**
 * Per-user counts keyed by id (missing = 0). Same shape as the services' `TakenCounts` (Maps), records
 * are accepted too. OPRs owned by a buy-now cart and soft-deleted rows must not be counted.
 */
export interface UserTakenCounts {
  /** OPRs of the product */
  product?: CountLookup;
  /** OPRs of any product of the tag */
  tag?: CountLookup;
  /** OPORs of the option group */
  group?: CountLookup;
  /** OPORs of the option */
  option?: CountLookup;
}

export interface OptionEntryRequest {
  /** required key; group uuid */
  product_option_group?: string | null;
  /** required key; option uuid or null */
  product_option?: string | null;
  /** required key; free text or null (blank allowed) */
  custom_response?: string | null;
}

export interface ItemRequest {
  product?: string | null;
  options?: readonly OptionEntryRequest[] | null;
  /** optional, default 0; integer ≥ 0 */
  donation_price?: number | string | null;
  /** the ticket holder (ticket products only); null = not given */
  ticket_info?: unknown;
}

export interface NormalizedOptionEntry {
  product_option_group: string;
  product_option: string | null;
  custom_response: string | null;
}

export interface OrderabilityInput {
  mode: OrderabilityMode;
  request: ItemRequest;
  facts: OrderabilityFacts;
  taken: UserTakenCounts;
  now: Date;
  /** false → the single error `product: 로그인 후 이용해주세요.` (default true) */
  signedIn?: boolean;
}

export interface OrderabilityResult {
  ok: boolean;
  /** attrs relative to the item: `product`, `options.0.product_option`, `donation_price`, `non_field_errors` … */
  errors: FieldError[];
  /** OPR.price = product.price + Σ additional_price of the chosen options (donation excluded) */
  price: number;
  donationPrice: number;
  /** price + donationPrice (the amount charged for this item) */
  total: number;
  /** custom-response groups force product_option null; other groups force custom_response null */
  options: NormalizedOptionEntry[];
  /** the validated holder when one was given */
  ticketInfo: TicketInfoValue | null;
}

// ---------------------------------------------------------------------------------------------------------
// Counting per mode
// ---------------------------------------------------------------------------------------------------------

const ZERO: TakenCount = { cart: 0, purchased: 0 };

function lookup(counts: CountLookup | undefined, id: string): TakenCount {
  if (!counts) return ZERO;
  if (counts instanceof Map) return counts.get(id) ?? ZERO;
  const rec = counts as Readonly<Record<string, TakenCount>>;
  return Object.prototype.hasOwnProperty.call(rec, id) ? rec[id]! : ZERO;
}

/**
 * Per-user cap count: `ADD: cart+purchased+n`, `SINGLE: purchased+n`, `CART: cart+purchased` (in CART mode
 * the item is already part of the cart counts). Compared with `> max`.
 */
export function perUserCount(mode: OrderabilityMode, taken: TakenCount, n: number): number {
  switch (mode) {
    case 'ADD':
      return taken.cart + taken.purchased + n;
    case 'SINGLE':
      return taken.purchased + n;
    case 'CART':
      return taken.cart + taken.purchased;
  }
}

/** Product "cart vs leftover" count (step 2): `ADD: cart+1`, `SINGLE: skipped (0)`, `CART: cart`. */
export function productCartStockCount(mode: OrderabilityMode, taken: TakenCount): number {
  switch (mode) {
    case 'ADD':
      return taken.cart + 1;
    case 'SINGLE':
      return 0;
    case 'CART':
      return taken.cart;
  }
}

/** Option aggregated stock count (step 6d) for N units of it in this item: `ADD: cart+N`, `SINGLE: N`, `CART: cart`. */
export function optionCartStockCount(mode: OrderabilityMode, taken: TakenCount, n: number): number {
  switch (mode) {
    case 'ADD':
      return taken.cart + n;
    case 'SINGLE':
      return n;
    case 'CART':
      return taken.cart;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------------------------------------

interface KnownGroup {
  group: OptionGroupFacts;
  productId: string;
  productName: string;
}

const idKey = (id: string): string => id.toLowerCase();

function err(msg: MessageDef, attr: string | null, ...args: Array<string | number>): FieldError {
  return fieldError(msg, attr, ...args);
}

/** Steps 1–4: the `product` field (first failing product check, else one error per failing tag). */
function productFieldErrors(mode: OrderabilityMode, p: ProductFacts, taken: UserTakenCounts, now: Date): FieldError[] {
  if (!isProductOrderable(p, now)) return [err(Messages.Product.NOT_ORDERABLE_TIME, 'product', p.name)];

  const mine = lookup(taken.product, p.id);
  const left = leftover(p.stock, p.sold);
  if (left !== null) {
    if (left <= 0) return [err(Messages.Product.SOLDOUT, 'product', p.name)];
    if (productCartStockCount(mode, mine) > left) {
      return [err(Messages.Product.TOO_MUCH_CART_PRODUCT, 'product', p.name)];
    }
  }
  if (p.maxQuantityPerUser > 0 && perUserCount(mode, mine, 1) > p.maxQuantityPerUser) {
    return [err(Messages.Product.ALREADY_ORDERED_TOO_MUCH, 'product', p.name)];
  }

  const out: FieldError[] = [];
  for (const tag of p.tags) {
    const tagLeft = leftover(tag.stock, tag.sold);
    if (tagLeft !== null && tagLeft <= 0) {
      out.push(err(Messages.Tag.SOLDOUT, 'product', tag.name));
    } else if (tag.maxQuantityPerUser > 0 && perUserCount(mode, lookup(taken.tag, tag.id), 1) > tag.maxQuantityPerUser) {
      out.push(err(Messages.Tag.ALREADY_ORDERED_TOO_MUCH_RELATED_PRODUCTS, 'product', tag.name));
    }
  }
  return out;
}

type IdField = { kind: 'missing' } | { kind: 'null' } | { kind: 'id'; id: string };

function readId(entry: object, key: string): IdField {
  if (!Object.prototype.hasOwnProperty.call(entry, key)) return { kind: 'missing' };
  const v = (entry as Record<string, unknown>)[key];
  if (v === undefined) return { kind: 'missing' };
  if (v === null || v === '') return { kind: 'null' };
  return { kind: 'id', id: String(v) };
}

function readDonation(raw: unknown, present: boolean): { value: number } | { error: FieldError } {
  if (!present || raw === undefined) return { value: 0 };
  if (raw === null) return { error: err(FieldMessages.NULL, 'donation_price') };
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^\s*[-+]?\d+(?:\.0*)?\s*$/.test(raw)) n = Number(raw.trim());
  else return { error: err(FieldMessages.INVALID_INTEGER, 'donation_price') };
  if (!Number.isInteger(n)) return { error: err(FieldMessages.INVALID_INTEGER, 'donation_price') };
  if (n < 0) return { error: err(FieldMessages.MIN_VALUE, 'donation_price', 0) };
  return { value: n };
}

/**
 * Check one item in the given mode. See `OrderabilityInput` / `OrderabilityResult`.
 *
 * Field level: `product` (required / null / does_not_exist / steps 1–4), `options` (required / null) and per
 * entry `options.<i>.product_option_group` (required / null / does_not_exist / OptionGroup.SOLDOUT),
 * `options.<i>.product_option` (required / does_not_exist / OPTION_NOT_SELECTED / Option.SOLDOUT),
 * `options.<i>.custom_response` (required / CUSTOM_RESPONSE_PATTERN_MISMATCH), `donation_price`
 * (null / invalid / min_value). Object level (first hit, `non_field_errors`): OPTION_NOT_MATCH_PRODUCT, per
 * group NOT_ORDERABLE_TIME / NOT_ENOUGH_OPTION / TOO_MUCH_OPTION / OptionGroup.ALREADY_ORDERED_TOO_MUCH, per
 * chosen option TOO_MUCH_CART_OPTION / Option.ALREADY_ORDERED_TOO_MUCH, DONATION_NOT_ALLOWED /
 * DONATION_PRICE_OUT_OF_RANGE, PRICE_TOO_LOW (total < 0) / PRICE_TOO_HIGH (total ≥ 1,000,000).
 */
export function checkOrderability(input: OrderabilityInput): OrderabilityResult {
  const { mode, request, facts, taken, now } = input;
  const errors: FieldError[] = [];
  const product = facts.product;
  const req: Record<string, unknown> = (request ?? {}) as Record<string, unknown>;
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(req, k) && req[k] !== undefined;

  let ticketInfo: TicketInfoValue | null = null;
  const result = (normalized: NormalizedOptionEntry[], donationPrice: number): OrderabilityResult => {
    const price = product ? computeItemPrice(product, normalized) : 0;
    return { ok: errors.length === 0, errors, price, donationPrice, total: price + donationPrice, options: normalized, ticketInfo };
  };

  if (input.signedIn === false) {
    errors.push(err(Messages.SignIn.USER_NOT_SIGNED_IN, 'product'));
    return result([], 0);
  }

  // --- group / option lookups ---
  // (ids are compared case-insensitively, like PostgreSQL uuids; outputs use the facts' ids)
  const groups = new Map<string, KnownGroup>();
  const optionsById = new Map<string, OptionFacts>();
  const existingOptions = new Set<string>([...(facts.existingOptionIds ?? [])].map(idKey));
  if (product) {
    for (const g of product.optionGroups) groups.set(idKey(g.id), { group: g, productId: product.id, productName: product.name });
  }
  for (const g of facts.foreignOptionGroups ?? []) {
    if (!groups.has(idKey(g.id))) groups.set(idKey(g.id), { group: g, productId: g.productId, productName: g.productName });
  }
  for (const { group } of groups.values()) {
    for (const o of group.options) {
      optionsById.set(idKey(o.id), o);
      existingOptions.add(idKey(o.id));
    }
  }

  // --- field: product ---
  const productId = readId(req, 'product');
  if (productId.kind === 'missing') errors.push(err(FieldMessages.REQUIRED, 'product'));
  else if (productId.kind === 'null') errors.push(err(FieldMessages.NULL, 'product'));
  else if (!product || idKey(product.id) !== idKey(productId.id)) errors.push(err(FieldMessages.DOES_NOT_EXIST, 'product', productId.id));
  else {
    errors.push(...productFieldErrors(mode, product, taken, now));
  }

  // --- field: options ---
  const normalized: NormalizedOptionEntry[] = [];
  const rawOptions = req['options'];
  if (!has('options')) errors.push(err(FieldMessages.REQUIRED, 'options'));
  else if (rawOptions === null) errors.push(err(FieldMessages.NULL, 'options'));
  else if (!Array.isArray(rawOptions)) {
    errors.push(err(FieldMessages.NOT_A_LIST, 'options', typeof rawOptions === 'string' ? 'str' : typeof rawOptions));
  } else {
    rawOptions.forEach((rawEntry: unknown, i: number) => {
      const entry: object = rawEntry !== null && typeof rawEntry === 'object' ? rawEntry : {};
      const at = (f: string): string => `options.${i}.${f}`;

      // product_option_group
      const gid = readId(entry, 'product_option_group');
      const known = gid.kind === 'id' ? groups.get(idKey(gid.id)) : undefined;
      if (gid.kind === 'missing') errors.push(err(FieldMessages.REQUIRED, at('product_option_group')));
      else if (gid.kind === 'null') errors.push(err(FieldMessages.NULL, at('product_option_group')));
      else if (!known) errors.push(err(FieldMessages.DOES_NOT_EXIST, at('product_option_group'), gid.id));
      else if (!isGroupStockAvailable(known.group)) {
        errors.push(err(Messages.OptionGroup.SOLDOUT, at('product_option_group'), known.productName, known.group.name));
      }

      // product_option
      const oid = readId(entry, 'product_option');
      let option: OptionFacts | null = null;
      let normalizedOption: string | null = null;
      if (oid.kind === 'missing') errors.push(err(FieldMessages.REQUIRED, at('product_option')));
      else if (oid.kind === 'id' && !existingOptions.has(idKey(oid.id))) {
        errors.push(err(FieldMessages.DOES_NOT_EXIST, at('product_option'), oid.id));
      } else if (known && !known.group.isCustomResponse) {
        option = oid.kind === 'id' ? (optionsById.get(idKey(oid.id)) ?? null) : null;
        if (!option || option.groupId !== known.group.id) {
          // no choice (or another group's option): accepted only where the placeholder is `optional` — the
          // answer is then stored with no option and adds no price
          if (known.group.placeholderMode !== 'optional') errors.push(err(Messages.OptionGroup.OPTION_NOT_SELECTED, at('product_option')));
        } else {
          const left = leftover(option.stock, option.sold);
          if (left !== null && left <= 0) {
            errors.push(err(Messages.Option.SOLDOUT, at('product_option'), known.productName, option.name));
          } else {
            normalizedOption = option.id;
          }
        }
      }

      // custom_response (CharField: trimmed, null and blank allowed)
      let normalizedResponse: string | null = null;
      const hasResponse =
        Object.prototype.hasOwnProperty.call(entry, 'custom_response') &&
        (entry as Record<string, unknown>)['custom_response'] !== undefined;
      const rawResponse = (entry as Record<string, unknown>)['custom_response'];
      if (!hasResponse) errors.push(err(FieldMessages.REQUIRED, at('custom_response')));
      else if (rawResponse !== null && typeof rawResponse !== 'string' && typeof rawResponse !== 'number') {
        errors.push(err(FieldMessages.INVALID_STRING, at('custom_response')));
      } else if (known && known.group.isCustomResponse) {
        const answer = rawResponse === null ? null : String(rawResponse).trim();
        if (!matchesCustomResponse(known.group.customResponsePattern, answer)) {
          errors.push(err(Messages.OptionGroup.CUSTOM_RESPONSE_PATTERN_MISMATCH, at('custom_response')));
        } else {
          normalizedResponse = answer;
        }
      }

      if (gid.kind === 'id') {
        normalized.push({
          product_option_group: known ? known.group.id : gid.id,
          product_option: known?.group.isCustomResponse ? null : normalizedOption,
          custom_response: known?.group.isCustomResponse ? normalizedResponse : null,
        });
      }
    });
  }

  // --- field: donation_price ---
  const donation = readDonation(req['donation_price'], has('donation_price'));
  const donationPrice = 'value' in donation ? donation.value : 0;
  if ('error' in donation) errors.push(donation.error);

  // --- field: ticket_info (null = not given) ---
  const rawTicketInfo = has('ticket_info') ? req['ticket_info'] : null;
  const parsedTicketInfo = rawTicketInfo === null ? null : parseTicketInfo(rawTicketInfo);
  if (parsedTicketInfo) errors.push(...parsedTicketInfo.errors);
  if (parsedTicketInfo?.value) ticketInfo = parsedTicketInfo.value as TicketInfoValue;
  if (product && !parsedTicketInfo?.errors.length) {
    // where the item is created the holder is required; a cart checkout reports missing holders itself
    errors.push(
      ...ticketInfoRuleErrors({ name: product.name, isTicket: !!product.isTicket, donationAllowed: product.donationAllowed }, ticketInfo, {
        required: mode !== 'CART',
      }),
    );
  }

  if (errors.length > 0 || !product) return result(normalized, donationPrice);

  // --- object level (first hit) ---
  const objectError = objectLevelError(mode, product, normalized, groups, taken, now, donationPrice);
  if (objectError) errors.push(objectError);
  return result(normalized, donationPrice);
}

function objectLevelError(
  mode: OrderabilityMode,
  product: ProductFacts,
  entries: readonly NormalizedOptionEntry[],
  groups: ReadonlyMap<string, KnownGroup>,
  taken: UserTakenCounts,
  now: Date,
  donationPrice: number,
): FieldError | null {
  const NF = 'non_field_errors';

  // 6a. a chosen group of another product
  if (entries.some((e) => groups.get(idKey(e.product_option_group))?.productId !== product.id)) {
    return err(Messages.OptionGroup.OPTION_NOT_MATCH_PRODUCT, NF, product.name);
  }

  // 6b. per active group of the product
  for (const group of product.optionGroups) {
    const k = entries.filter((e) => e.product_option_group === group.id).length;
    if (k > 0 && !isGroupOpenForOrder(group, product, now)) {
      return err(Messages.OptionGroup.NOT_ORDERABLE_TIME, NF, product.name, group.name);
    }
    if (group.minQuantityPerProduct > 0 && k < group.minQuantityPerProduct) {
      return err(Messages.OptionGroup.NOT_ENOUGH_OPTION, NF, product.name, group.name);
    }
    if (group.maxQuantityPerProduct > 0 && k > group.maxQuantityPerProduct) {
      return err(Messages.OptionGroup.TOO_MUCH_OPTION, NF, product.name, group.name);
    }
    if (group.maxQuantityPerUser > 0 && k > 0) {
      if (perUserCount(mode, lookup(taken.group, group.id), k) > group.maxQuantityPerUser) {
        return err(Messages.OptionGroup.ALREADY_ORDERED_TOO_MUCH, NF, product.name, group.name);
      }
    }
  }

  // 6c/6d. duplicates allowed; aggregated per option (first-seen order)
  const counter = new Map<string, number>();
  for (const e of entries) {
    if (e.product_option !== null) counter.set(e.product_option, (counter.get(e.product_option) ?? 0) + 1);
  }
  const optionFacts = new Map<string, OptionFacts>();
  for (const g of product.optionGroups) for (const o of g.options) optionFacts.set(o.id, o);
  for (const [optionId, n] of counter) {
    const option = optionFacts.get(optionId);
    if (!option) continue; // unreachable once 6a passed
    const mine = lookup(taken.option, option.id);
    const left = leftover(option.stock, option.sold);
    if (left !== null && optionCartStockCount(mode, mine, n) > left) {
      return err(Messages.Option.TOO_MUCH_CART_OPTION, NF, product.name, option.name);
    }
    if (option.maxQuantityPerUser > 0 && perUserCount(mode, mine, n) > option.maxQuantityPerUser) {
      return err(Messages.Option.ALREADY_ORDERED_TOO_MUCH, NF, product.name, option.name);
    }
  }

  // 6e. donation (inclusive range)
  if (donationPrice !== 0) {
    if (!product.donationAllowed) return err(Messages.Product.DONATION_NOT_ALLOWED, NF, product.name);
    if (donationPrice < product.donationMinPrice || donationPrice > product.donationMaxPrice) {
      return err(
        Messages.Product.DONATION_PRICE_OUT_OF_RANGE,
        NF,
        product.name,
        product.donationMinPrice,
        product.donationMaxPrice,
      );
    }
  }

  // 6f. price bounds: 0 ≤ total < 1,000,000 (0-won items complete without a payment)
  const total = computeItemPrice(product, entries) + donationPrice;
  if (total < 0) return err(Messages.Product.PRICE_TOO_LOW, NF);
  if (total >= MAX_PRICE_EXCLUSIVE) return err(Messages.Product.PRICE_TOO_HIGH, NF);
  return null;
}

/** OPR.price = product.price + Σ additional_price of the chosen (normalized, non-null) options. */
export function computeItemPrice(product: ProductFacts, entries: readonly NormalizedOptionEntry[]): number {
  const byId = new Map<string, OptionFacts>();
  for (const g of product.optionGroups) for (const o of g.options) byId.set(o.id, o);
  let price = product.price;
  for (const e of entries) {
    if (e.product_option !== null) price += byId.get(e.product_option)?.additionalPrice ?? 0;
  }
  return price;
}

// ---------------------------------------------------------------------------------------------------------
// Cart level (CART mode, after the per-item checks)
// ---------------------------------------------------------------------------------------------------------

export interface CartItemFacts {
  status: 'pending' | 'paid' | 'used' | 'refunded';
  price: number;
  donationPrice: number;
}

export interface CartLevelFacts {
  id: string;
  /** derived from the active payment histories (pending when none) */
  currentStatus: 'pending' | 'completed' | 'partial_refunded' | 'refunded';
  hasPaymentHistory: boolean;
  /** ACTIVE OPRs of the cart */
  items: readonly CartItemFacts[];
}

/**
 * The cart-level check of `CART` mode. `cart` = the caller's newest order without payment history, or null
 * (→ `cart` does_not_exist with `cartId` as the pk). Then the first of (attr `non_field_errors`):
 * ALREADY_ORDERED (status ≠ pending or has history), CONTAINS_PAID_PRODUCT (an active item not pending),
 * CART_PRICE_TOO_LOW (Σ price+donation < 0), CART_PRICE_TOO_HIGH (≥ 1,000,000).
 */
export function checkCartOrderable(cart: CartLevelFacts | null, cartId = ''): FieldError[] {
  if (!cart) return [err(FieldMessages.DOES_NOT_EXIST, 'cart', cartId)];
  const NF = 'non_field_errors';
  if (cart.currentStatus !== 'pending' || cart.hasPaymentHistory) return [err(Messages.Cart.ALREADY_ORDERED, NF)];
  if (cart.items.some((i) => i.status !== 'pending')) return [err(Messages.Cart.CONTAINS_PAID_PRODUCT, NF)];
  const total = cart.items.reduce((s, i) => s + i.price + i.donationPrice, 0);
  if (total < 0) return [err(Messages.Cart.CART_PRICE_TOO_LOW, NF)];
  if (total >= MAX_PRICE_EXCLUSIVE) return [err(Messages.Cart.CART_PRICE_TOO_HIGH, NF)];
  return [];
}

/**
 * The order in which `CART` mode re-checks the cart items: descending OPR price, stable for equal prices.
 * Errors of the i-th item of this order are reported with the attr prefix `${i}.`.
 */
export function sortForCartCheck<T extends { price: number }>(items: readonly T[]): T[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => b.item.price - a.item.price || a.index - b.index)
    .map((x) => x.item);
}

/** Prefix the attrs of field errors (`prefixErrors(errs, '0.')`, `'customer_info.'`); null attrs stay null. */
export function prefixErrors(errors: readonly FieldError[], prefix: string): FieldError[] {
  return errors.map((e) => ({ ...e, attr: e.attr === null ? null : prefix + e.attr }));
}

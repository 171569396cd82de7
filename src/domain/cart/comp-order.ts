/**
 * Comp (complimentary) orders: a paid 0-won order an operator creates for an existing user (a speaker, a
 * volunteer). Pure rules; the service (src/services/comp-orders.ts) loads the facts under the checkout's
 * locks and writes the order.
 *
 * Validation is the checkout's item check (`checkOrderability`) with two decisions of its own:
 *
 * - **Windows are the operator's to override**: a product (or option group) whose sales window has closed or
 *   not opened, or that is hidden from the catalogue, may still be comped — the reason operators comp is
 *   often exactly that sales are over. `withWindowsOpen` opens every window of the facts, nothing else.
 * - **Stock and per-user caps are not**: the units come out of the same stock as sold ones (product, tag,
 *   option) and count against the user's caps (product, tag, option group, option), so comping cannot
 *   oversell a room or give someone a second ticket the shop would refuse them.
 *
 * Each unit (a line's quantity is N units: one item each, as everywhere) is checked as a buy-now by that
 * user (`SINGLE` mode: their cart does not count), in order, and each valid unit counts against stock and caps
 * for the units after it — the CSV import's rule for rows of one file.
 */
import { checkOrderability, type ItemRequest, type OrderabilityFacts, type OrderabilityResult, type OptionGroupFacts, type ProductFacts, type TakenCount, type UserTakenCounts, type CountLookup } from './orderability.js';
import { Messages, fieldError, type FieldError } from '../messages.js';
import type { TicketInfoValue } from './ticket-info.js';

/** At most this many units in one comp order (a slip of the quantity field must not take a whole stock). */
export const COMP_MAX_UNITS = 20;
export const COMP_REASON_MAX_LENGTH = 500;

/** Far past / far future: a window that is always open. */
const ALWAYS_FROM = new Date(-8.64e15);
const ALWAYS_TO = new Date(8.64e15);

/** The facts with every sales and visibility window open (product and its option groups); stock, caps and option rules unchanged. */
export function withWindowsOpen(facts: OrderabilityFacts): OrderabilityFacts {
  const openGroup = <G extends OptionGroupFacts>(g: G): G => ({ ...g, visibleStartsAt: null, visibleEndsAt: null, orderableStartsAt: null, orderableEndsAt: null });
  const product: ProductFacts | null = facts.product
    ? {
        ...facts.product,
        visibleStartsAt: ALWAYS_FROM,
        visibleEndsAt: ALWAYS_TO,
        orderableStartsAt: ALWAYS_FROM,
        orderableEndsAt: ALWAYS_TO,
        optionGroups: facts.product.optionGroups.map(openGroup),
      }
    : null;
  return { ...facts, product, foreignOptionGroups: facts.foreignOptionGroups?.map(openGroup) };
}

/** The reason is required: trimmed, non-blank, at most COMP_REASON_MAX_LENGTH characters. */
export function compReasonErrors(reason: unknown): FieldError[] {
  if (typeof reason !== 'string' || reason.trim() === '') return [fieldError(Messages.Comp.REASON_REQUIRED, 'reason')];
  if (reason.trim().length > COMP_REASON_MAX_LENGTH) {
    return [{ code: 'max_length', detail: `사유는 ${COMP_REASON_MAX_LENGTH}자 이하로 입력해주세요.`, attr: 'reason' }];
  }
  return [];
}

export interface CompLine {
  /** the item request as the checkout takes it (product, options, ticket_info); no donation */
  request: ItemRequest;
  /** units of this line, ≥ 1 */
  quantity: number;
}

export interface CompUnit {
  /** index of the line it came from */
  line: number;
  productId: string;
  /** the checkout's result: `price` is the list price (product + options) the comp waives */
  result: OrderabilityResult;
}

export interface CompCheck {
  /** attrs prefixed `items.<line>.`; at most the first failing unit of each line reports */
  errors: FieldError[];
  /** every unit in order (only meaningful when there is no error) */
  units: CompUnit[];
}

type Counter = Map<string, number>;
const bump = (m: Counter, id: string, n = 1) => m.set(id, (m.get(id) ?? 0) + n);

function lookup(counts: CountLookup | undefined, id: string): TakenCount {
  if (!counts) return { cart: 0, purchased: 0 };
  if (counts instanceof Map) return counts.get(id) ?? { cart: 0, purchased: 0 };
  const rec = counts as Readonly<Record<string, TakenCount>>;
  return Object.prototype.hasOwnProperty.call(rec, id) ? rec[id]! : { cart: 0, purchased: 0 };
}

/** `taken` plus the units already accepted in this order (they are the user's purchases once it commits). */
function takenWith(taken: UserTakenCounts, extra: Record<'product' | 'tag' | 'group' | 'option', Counter>): UserTakenCounts {
  const merge = (base: CountLookup | undefined, add: Counter): Map<string, TakenCount> => {
    const out = new Map<string, TakenCount>();
    if (base instanceof Map) for (const [k, v] of base) out.set(k, v);
    else if (base) for (const [k, v] of Object.entries(base)) out.set(k, v);
    for (const [k, n] of add) {
      const cur = lookup(base, k);
      out.set(k, { cart: cur.cart, purchased: cur.purchased + n });
    }
    return out;
  };
  return { product: merge(taken.product, extra.product), tag: merge(taken.tag, extra.tag), group: merge(taken.group, extra.group), option: merge(taken.option, extra.option) };
}

/** The facts plus the units already accepted in this order as sold (product, its tags, the chosen options). */
function factsWith(facts: OrderabilityFacts, sold: Record<'product' | 'tag' | 'option', Counter>): OrderabilityFacts {
  const p = facts.product;
  if (!p) return facts;
  return {
    ...facts,
    product: {
      ...p,
      sold: p.sold + (sold.product.get(p.id) ?? 0),
      tags: p.tags.map((t) => ({ ...t, sold: t.sold + (sold.tag.get(t.id) ?? 0) })),
      optionGroups: p.optionGroups.map((g) => ({ ...g, options: g.options.map((o) => ({ ...o, sold: o.sold + (sold.option.get(o.id) ?? 0) })) })),
    },
  };
}

/**
 * Check a comp order's lines for that user. `factsFor` gives the loaded facts of a request (its windows are
 * opened here); `taken` are the user's own counts; `defaultHolder` becomes the holder of a ticket unit whose
 * line gives none (the order's customer, as the CSV import does).
 */
export function checkCompOrder(input: {
  lines: readonly CompLine[];
  factsFor: (request: ItemRequest) => OrderabilityFacts;
  taken: UserTakenCounts;
  now: Date;
  defaultHolder: TicketInfoValue | null;
}): CompCheck {
  const errors: FieldError[] = [];
  const units: CompUnit[] = [];
  const sold = { product: new Map(), tag: new Map(), option: new Map() } as Record<'product' | 'tag' | 'option', Counter>;
  const mine = { product: new Map(), tag: new Map(), group: new Map(), option: new Map() } as Record<'product' | 'tag' | 'group' | 'option', Counter>;
  const total = input.lines.reduce((s, l) => s + l.quantity, 0);
  if (total > COMP_MAX_UNITS) {
    errors.push({ code: 'max_value', detail: `한 번에 ${COMP_MAX_UNITS}개까지 발급할 수 있습니다.`, attr: 'items' });
    return { errors, units };
  }
  input.lines.forEach((line, index) => {
    const loaded = withWindowsOpen(input.factsFor(line.request));
    const product = loaded.product;
    const holder = line.request.ticket_info ?? (product?.isTicket && input.defaultHolder ? ticketInfoRequest(input.defaultHolder) : null);
    const request: ItemRequest = { ...line.request, donation_price: 0, ticket_info: holder };
    for (let u = 0; u < line.quantity; u++) {
      const result = checkOrderability({ mode: 'SINGLE', request, facts: factsWith(loaded, sold), taken: takenWith(input.taken, mine), now: input.now });
      if (!result.ok || !product) {
        errors.push(...result.errors.map((e) => ({ ...e, attr: e.attr === null ? `items.${index}` : `items.${index}.${e.attr}` })));
        return; // one report per line: the next units would only repeat it
      }
      units.push({ line: index, productId: product.id, result });
      bump(sold.product, product.id);
      bump(mine.product, product.id);
      for (const t of product.tags) (bump(sold.tag, t.id), bump(mine.tag, t.id));
      const perGroup = new Map<string, number>();
      for (const o of result.options) {
        bump(perGroup, o.product_option_group);
        if (o.product_option) (bump(sold.option, o.product_option), bump(mine.option, o.product_option));
      }
      for (const [g, k] of perGroup) bump(mine.group, g, k);
    }
  });
  return { errors, units };
}

/** A holder value in the request shape `checkOrderability` parses. */
function ticketInfoRequest(v: TicketInfoValue): Record<string, unknown> {
  return { name: v.name, phone: v.phone, email: v.email, organization: v.organization ?? '', contribution_message: v.contributionMessage };
}

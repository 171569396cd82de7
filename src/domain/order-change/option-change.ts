/**
 * "Change an order" for operators: swap the chosen option of answers of ONE purchased item (a T-shirt size,
 * a session choice) — pretix's most used support action. Pure: the service loads the facts on locked rows and
 * passes `now`.
 *
 * What may change: the option of a live answer of a choice group, to another live option of the same group
 * (or to no option where the group's placeholder is `optional`). Answers are replaced one for one, so the
 * number of answers per group never changes (a group's min / max per item and its per-buyer cap — which
 * count answers, whatever option they hold — stay as they were). Free-text answers are not changed here (the
 * buyer edits them within their deadline, the desk at the venue). The product, the price and the ledger
 * never change: the sum of the options' additional prices must stay the same.
 *
 * The new options are checked with the checkout's rules and messages, on the facts as they are now: the group's
 * OWN sales window (`OptionGroup.NOT_ORDERABLE_TIME`) — a cutoff set on the choice itself (sizes sent to the
 * printer, session seats planned) — but not the product's: a buyer who paid asks for a swap after the sale has
 * closed, at the venue desk most of all, and the product's window is about selling, not about this choice —, the option's stock (`Option.SOLDOUT`) and its
 * per-buyer cap (`Option.ALREADY_ORDERED_TOO_MUCH`), counted like buy-now and the payment re-check do (the
 * buyer's purchased units; their cart is not theirs yet). The item's own units never count against it: its
 * current answers are taken out of the sold and purchased counts before the new ones are added. Only options
 * whose count in the item grows are checked — an option the item already held, or gives up, cannot become
 * oversold by this change.
 */
import { Messages, fieldError, type FieldError, type MessageDef } from '../messages.js';
import { leftover } from '../catalog/stock.js';
import { isGroupOwnWindowOpen } from '../catalog/windows.js';
import type { OptionFacts, OptionGroupFacts, ProductFacts, UserTakenCounts, CountLookup } from '../cart/orderability.js';
import type { OprStatus, PaymentStatus } from '../payment/status.js';

const m = (code: string, text: string): MessageDef => ({ code, text });

export const OptionChangeMessages = {
  ORDER_NOT_PAID: m('order_not_paid', '결제 완료(또는 부분 환불) 상태의 주문만 옵션을 변경할 수 있습니다.'),
  ITEM_NOT_CHANGEABLE: m('item_not_changeable', '결제 완료 또는 사용 완료 상태의 상품만 옵션을 변경할 수 있습니다. (현재: {})'),
  PRODUCT_NOT_AVAILABLE: m('product_not_available', '삭제된 상품의 옵션은 변경할 수 없습니다.'),
  NO_CHANGES: m('no_change', '변경할 옵션을 하나 이상 선택해주세요.'),
  DUPLICATE_ANSWER: m('duplicate_answer', '같은 옵션 항목을 두 번 변경할 수 없습니다.'),
  ANSWER_NOT_FOUND: m('answer_not_found', '이 주문 상품의 옵션 항목이 아닙니다.'),
  GROUP_NOT_AVAILABLE: m('option_group_not_available', "'{}' 옵션 그룹이 삭제되어 변경할 수 없습니다."),
  CUSTOM_RESPONSE_NOT_CHANGEABLE: m('custom_response_not_changeable', "'{}' 옵션은 직접 입력하는 항목이라 여기서 바꿀 수 없습니다. (구매자 수정 또는 데스크에서 수정)"),
  OPTION_NOT_IN_GROUP: m('option_not_in_group', "'{}' 옵션 그룹의 (삭제되지 않은) 옵션이 아닙니다."),
  OPTION_PRICE_DIFFERS: m('option_price_differs', '추가 금액이 달라 변경할 수 없습니다: 기존 옵션 {}원, 새 옵션 {}원. 추가 금액이 같은 옵션으로만 바꿀 수 있습니다.'),
} as const;

/** One live answer (OPOR) of the item. */
export interface AnswerFacts {
  id: string;
  groupId: string;
  optionId: string | null;
  customResponse: string | null;
}

/** An option an answer holds now, live or soft-deleted (its name and additional price as the catalogue has them). */
export interface HeldOptionFacts {
  id: string;
  name: string;
  additionalPrice: number;
}

export interface RequestedChange {
  /** the answer (OPOR) id */
  answer: string;
  /** the new option id, or null for "no option" (only in `optional` placeholder groups) */
  option: string | null;
}

export interface OptionChangeInput {
  orderStatus: PaymentStatus;
  itemStatus: OprStatus;
  /** the item's product, live, with its live groups and options and their sold counts (this item included) — null when deleted */
  product: ProductFacts | null;
  /** the item's live answers */
  answers: readonly AnswerFacts[];
  /** the options the answers hold now, by id (soft-deleted ones too) */
  heldOptions: ReadonlyMap<string, HeldOptionFacts>;
  /** names of the answers' groups by id (soft-deleted ones too), for messages */
  groupNames?: ReadonlyMap<string, string>;
  /** the buyer's own counts (`purchased` includes this item) */
  taken: UserTakenCounts;
  changes: readonly RequestedChange[];
  now: Date;
}

export interface PlannedChange {
  answerId: string;
  groupId: string;
  groupName: string;
  from: HeldOptionFacts | null;
  to: HeldOptionFacts | null;
}

/** 404 is the service's (the item is not there at all). */
export type RefusalStatus = 400 | 409;

export type OptionChangeResult =
  | { ok: true; changes: PlannedChange[] }
  | { ok: false; status: RefusalStatus; errors: FieldError[] };

const CHANGEABLE_ORDER: ReadonlySet<PaymentStatus> = new Set<PaymentStatus>(['completed', 'partial_refunded']);
const CHANGEABLE_ITEM: ReadonlySet<OprStatus> = new Set<OprStatus>(['paid', 'used']);
const ITEM_STATUS_KO: Record<OprStatus, string> = { pending: '결제 대기', paid: '결제 완료', used: '사용 완료', refunded: '환불 완료' };

/**
 * Why this item's options cannot be changed at all (the order is not paid, the item is refunded / not paid,
 * the product is deleted), or null.
 */
export function itemChangeRefusal(orderStatus: PaymentStatus, itemStatus: OprStatus, productLive: boolean): FieldError | null {
  if (!CHANGEABLE_ORDER.has(orderStatus)) return fieldError(OptionChangeMessages.ORDER_NOT_PAID, null);
  if (!CHANGEABLE_ITEM.has(itemStatus)) return fieldError(OptionChangeMessages.ITEM_NOT_CHANGEABLE, null, ITEM_STATUS_KO[itemStatus] ?? itemStatus);
  if (!productLive) return fieldError(OptionChangeMessages.PRODUCT_NOT_AVAILABLE, null);
  return null;
}

/** Why an answer cannot be changed here (its group is deleted or free-text), or null. */
export function answerChangeRefusal(answer: AnswerFacts, product: ProductFacts, groupName: string): FieldError | null {
  const group = product.optionGroups.find((g) => g.id === answer.groupId);
  if (!group) return fieldError(OptionChangeMessages.GROUP_NOT_AVAILABLE, null, groupName);
  if (group.isCustomResponse) return fieldError(OptionChangeMessages.CUSTOM_RESPONSE_NOT_CHANGEABLE, null, group.name);
  return null;
}

function purchased(c: CountLookup | undefined, id: string): number {
  if (!c) return 0;
  const v = c instanceof Map ? c.get(id) : (c as Record<string, { purchased: number }>)[id];
  return v?.purchased ?? 0;
}

const held = (o: OptionFacts): HeldOptionFacts => ({ id: o.id, name: o.name, additionalPrice: o.additionalPrice });

/** Count of each option among answers (null options are not counted). */
function optionCounts(optionIds: ReadonlyArray<string | null>): Map<string, number> {
  const out = new Map<string, number>();
  for (const id of optionIds) if (id !== null) out.set(id, (out.get(id) ?? 0) + 1);
  return out;
}

/** Check a requested change of one item's answers; the plan (only the answers whose option really changes) or the refusal. */
export function checkOptionChange(input: OptionChangeInput): OptionChangeResult {
  const { product, answers, changes } = input;
  const refusal = itemChangeRefusal(input.orderStatus, input.itemStatus, product !== null);
  if (refusal || !product) return { ok: false, status: 409, errors: [refusal!] };

  const groupName = (id: string) => product.optionGroups.find((g) => g.id === id)?.name ?? input.groupNames?.get(id) ?? id;
  if (changes.length === 0) return { ok: false, status: 400, errors: [fieldError(OptionChangeMessages.NO_CHANGES, 'changes')] };

  // field level: every entry checked, all errors collected
  const errors: FieldError[] = [];
  const planned: PlannedChange[] = [];
  const seen = new Set<string>();
  const answerById = new Map(answers.map((a) => [a.id.toLowerCase(), a]));
  changes.forEach((change, i) => {
    const at = (f: string) => `changes.${i}.${f}`;
    const key = change.answer.toLowerCase();
    if (seen.has(key)) return errors.push(fieldError(OptionChangeMessages.DUPLICATE_ANSWER, at('answer')));
    seen.add(key);
    const answer = answerById.get(key);
    if (!answer) return errors.push(fieldError(OptionChangeMessages.ANSWER_NOT_FOUND, at('answer')));
    const notChangeable = answerChangeRefusal(answer, product, groupName(answer.groupId));
    if (notChangeable) return errors.push({ ...notChangeable, attr: at('answer') });
    const group = product.optionGroups.find((g) => g.id === answer.groupId)!;
    let to: OptionFacts | null = null;
    if (change.option === null) {
      if (group.placeholderMode !== 'optional') return errors.push(fieldError(Messages.OptionGroup.OPTION_NOT_SELECTED, at('option')));
    } else {
      to = group.options.find((o) => o.id.toLowerCase() === change.option!.toLowerCase()) ?? null;
      if (!to) return errors.push(fieldError(OptionChangeMessages.OPTION_NOT_IN_GROUP, at('option'), group.name));
    }
    if ((to?.id ?? null) === answer.optionId) return; // unchanged: nothing to do for this answer
    const from = answer.optionId === null ? null : (input.heldOptions.get(answer.optionId) ?? { id: answer.optionId, name: answer.optionId, additionalPrice: 0 });
    planned.push({ answerId: answer.id, groupId: group.id, groupName: group.name, from, to: to ? held(to) : null });
  });
  if (errors.length) return { ok: false, status: 400, errors };
  if (planned.length === 0) return { ok: false, status: 400, errors: [fieldError(OptionChangeMessages.NO_CHANGES, 'changes')] };

  // the price: the item's price and the ledger never change, so the options' additional prices must add up the same
  const before = planned.reduce((s, c) => s + (c.from?.additionalPrice ?? 0), 0);
  const after = planned.reduce((s, c) => s + (c.to?.additionalPrice ?? 0), 0);
  if (before !== after) {
    return { ok: false, status: 400, errors: [fieldError(OptionChangeMessages.OPTION_PRICE_DIFFERS, 'changes', before.toLocaleString('ko-KR'), after.toLocaleString('ko-KR'))] };
  }

  const NF = 'non_field_errors';
  // the checkout's rules, in its order: the chosen groups' own windows, then the options' stock and per-buyer caps
  for (const c of planned) {
    const group = product.optionGroups.find((g) => g.id === c.groupId)!;
    if (c.to && !isGroupOwnWindowOpen(group, input.now)) {
      return { ok: false, status: 400, errors: [fieldError(Messages.OptionGroup.NOT_ORDERABLE_TIME, NF, product.name, group.name)] };
    }
  }
  const plannedByAnswer = new Map(planned.map((c) => [c.answerId, c]));
  const oldCounts = optionCounts(answers.map((a) => a.optionId));
  const newCounts = optionCounts(answers.map((a) => (plannedByAnswer.has(a.id) ? (plannedByAnswer.get(a.id)!.to?.id ?? null) : a.optionId)));
  const options = new Map<string, OptionFacts>();
  for (const g of product.optionGroups as readonly OptionGroupFacts[]) for (const o of g.options) options.set(o.id, o);
  for (const [optionId, n] of newCounts) {
    const own = oldCounts.get(optionId) ?? 0;
    if (n <= own) continue;
    const option = options.get(optionId)!;
    const left = leftover(option.stock, option.sold - own);
    if (left !== null && n > left) return { ok: false, status: 400, errors: [fieldError(Messages.Option.SOLDOUT, NF, product.name, option.name)] };
    if (option.maxQuantityPerUser > 0 && purchased(input.taken.option, option.id) - own + n > option.maxQuantityPerUser) {
      return { ok: false, status: 400, errors: [fieldError(Messages.Option.ALREADY_ORDERED_TOO_MUCH, NF, product.name, option.name)] };
    }
  }
  return { ok: true, changes: planned };
}

/**
 * Operators change a purchased item's options (a T-shirt size): the admin panel's *옵션 변경* action on an
 * order item. Rules in src/domain/order-change/option-change.ts; here the rows, the locks and the audit.
 *
 * One transaction, rows locked in the order every stock-claiming path uses — the buyer's row (checkout takes
 * it first), the order, the item, then the product's row and its tags' rows (id order, `stockLockCtes`), then
 * as the payment webhook continues: the product's option groups, their options, the item's answers. Two
 * operators (or an operator and a checkout / a payment) claiming the last unit of an option therefore
 * serialize on the product's row, and whoever comes second counts the stock after the first one's commit.
 *
 * What is written: the changed answers' `product_option_id` (each with its own audit row from the model
 * hooks: before / after, the acting operator) and one `shop.order.item_options_changed` audit row on the
 * order (item, each answer's old and new option, the reason). The item's price, the order and its ledger are
 * never touched: the rules refuse any change of the additional prices' sum.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { AuditLog, Option, OptionGroup, OrderProductOptionRelation, OrderProductRelation, PaymentHistory } from '../models/index.js';
import { currentActor } from '../context.js';
import { deriveOrderPayment, type OprStatus, type PaymentStatus } from '../domain/payment/status.js';
import type { ProductFacts, UserTakenCounts } from '../domain/cart/orderability.js';
import {
  answerChangeRefusal,
  checkOptionChange,
  itemChangeRefusal,
  type AnswerFacts,
  type HeldOptionFacts,
  type PlannedChange,
  type RequestedChange,
} from '../domain/order-change/option-change.js';
import { leftover } from '../domain/catalog/stock.js';
import { loadOrderabilityFacts, stockLockCtes } from './orderability.js';
import { ServiceError } from './errors.js';

export interface OptionChangeRequest {
  itemId: string;
  changes: readonly RequestedChange[];
  /** why (shown in the history); at most 200 characters are kept */
  reason?: string | null;
}

export interface OptionChangeOutcome {
  orderId: string;
  itemId: string;
  changes: Array<{ answer: string; group: string; from: HeldOptionFacts | null; to: HeldOptionFacts | null }>;
}

export interface OptionChoice {
  id: string;
  name: string;
  additionalPrice: number;
  /** the option's stock left, as the catalogue shows it (null = unlimited); the check itself never counts the item's own units */
  leftover: number | null;
  current: boolean;
  /** null = this answer may be changed to this option now; else why not (the same check as the change itself) */
  refusal: string | null;
}

export interface OptionChangePreview {
  orderId: string;
  itemId: string;
  productName: string;
  itemStatus: OprStatus;
  orderStatus: PaymentStatus;
  price: number;
  /** null = some answer may be changed; else why nothing can be */
  refusal: string | null;
  answers: Array<{
    id: string;
    groupId: string;
    groupName: string;
    isCustomResponse: boolean;
    /** the group accepts "no option" (placeholder `optional`) */
    allowsNone: boolean;
    current: HeldOptionFacts | null;
    customResponse: string | null;
    /** null = changeable here; else why not (free text, deleted group) */
    refusal: string | null;
    choices: OptionChoice[];
  }>;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = () => ServiceError.notFound('주문 상품을 찾을 수 없습니다.');

/** The live item of a live order: where it is (an order's user and the item's product never change). */
async function locate(sequelize: Sequelize, itemId: string, t?: Transaction): Promise<{ orderId: string; userId: number; productId: string } | null> {
  if (!UUID_RE.test(itemId)) return null;
  const [row] = await sequelize.query<{ order_id: string; user_id: number; product_id: string }>(
    `SELECT opr.order_id, o.user_id, opr.product_id
       FROM order_product_relations opr JOIN orders o ON o.id = opr.order_id AND o.deleted_at IS NULL
      WHERE opr.id = $1 AND opr.deleted_at IS NULL`,
    { bind: [itemId], type: QueryTypes.SELECT, transaction: t },
  );
  return row ? { orderId: row.order_id, userId: Number(row.user_id), productId: row.product_id } : null;
}

/** Lock user → order → item → product → tags → option groups → options → the item's answers (see the header). */
async function lockRows(sequelize: Sequelize, where: { orderId: string; userId: number; productId: string }, itemId: string, t: Transaction): Promise<void> {
  await sequelize.query(`SELECT id FROM users WHERE id = $1 FOR UPDATE`, { bind: [where.userId], type: QueryTypes.SELECT, transaction: t });
  await sequelize.query(`SELECT id FROM orders WHERE id = $1 FOR UPDATE`, { bind: [where.orderId], type: QueryTypes.SELECT, transaction: t });
  await sequelize.query(`SELECT id FROM order_product_relations WHERE id = $1 FOR UPDATE`, { bind: [itemId], type: QueryTypes.SELECT, transaction: t });
  await sequelize.query(
    `WITH ${stockLockCtes('$1::uuid[]', 'true')} SELECT (SELECT count(*) FROM locked_products) AS products, (SELECT count(*) FROM locked_tags) AS tags`,
    { bind: [[where.productId]], type: QueryTypes.SELECT, transaction: t },
  );
  await sequelize.query(`SELECT id FROM option_groups WHERE product_id = $1 AND deleted_at IS NULL ORDER BY id FOR UPDATE`, {
    bind: [where.productId],
    type: QueryTypes.SELECT,
    transaction: t,
  });
  await sequelize.query(
    `SELECT o.id FROM options o JOIN option_groups g ON g.id = o.group_id
      WHERE g.product_id = $1 AND g.deleted_at IS NULL AND o.deleted_at IS NULL ORDER BY o.id FOR UPDATE OF o`,
    { bind: [where.productId], type: QueryTypes.SELECT, transaction: t },
  );
  await sequelize.query(`SELECT id FROM order_product_option_relations WHERE order_product_relation_id = $1 AND deleted_at IS NULL ORDER BY id FOR UPDATE`, {
    bind: [itemId],
    type: QueryTypes.SELECT,
    transaction: t,
  });
}

interface Loaded {
  orderId: string;
  item: OrderProductRelation;
  orderStatus: PaymentStatus;
  product: ProductFacts | null;
  productName: string;
  answers: OrderProductOptionRelation[];
  heldOptions: Map<string, HeldOptionFacts>;
  groupNames: Map<string, string>;
  groupKinds: Map<string, boolean>;
  taken: UserTakenCounts;
}

/** Everything the rules need, read after the locks (a new statement sees what the previous lock holder committed). */
async function load(sequelize: Sequelize, itemId: string, now: Date, t?: Transaction): Promise<Loaded> {
  const where = await locate(sequelize, itemId, t);
  if (!where) throw notFound();
  if (t) await lockRows(sequelize, where, itemId, t);
  const item = await OrderProductRelation.findByPk(itemId, { transaction: t });
  if (!item || item.orderId !== where.orderId) throw notFound();
  // (one statement at a time: a transaction has one connection)
  const histories = await PaymentHistory.findAll({ where: { orderId: where.orderId }, transaction: t });
  const answers = await OrderProductOptionRelation.findAll({ where: { orderProductRelationId: itemId }, order: [['createdAt', 'ASC'], ['id', 'ASC']], transaction: t });
  const request = {
    product: where.productId,
    options: answers.map((a) => ({ product_option_group: a.productOptionGroupId, product_option: a.productOptionId, custom_response: a.customResponse })),
  };
  // (no transaction for the preview: a plain read)
  const facts = await loadOrderabilityFacts(sequelize, where.userId, [request], { transaction: t as Transaction, lang: 'ko', now });
  const heldIds = [...new Set(answers.map((a) => a.productOptionId).filter((id): id is string => id !== null))];
  const held = heldIds.length ? await Option.findAll({ where: { id: heldIds }, paranoid: false, transaction: t }) : [];
  const groups = await OptionGroup.findAll({ where: { id: [...new Set(answers.map((a) => a.productOptionGroupId))] }, paranoid: false, transaction: t });
  const productName = await sequelize.query<{ name_ko: string }>(`SELECT name_ko FROM products WHERE id = $1`, { bind: [where.productId], type: QueryTypes.SELECT, transaction: t });
  return {
    orderId: where.orderId,
    item,
    orderStatus: deriveOrderPayment(histories).currentStatus,
    product: facts.products.get(where.productId) ?? null,
    productName: productName[0]?.name_ko ?? '',
    answers,
    heldOptions: new Map(held.map((o) => [o.id, { id: o.id, name: o.nameKo, additionalPrice: o.additionalPrice }])),
    groupNames: new Map(groups.map((g) => [g.id, g.nameKo])),
    groupKinds: new Map(groups.map((g) => [g.id, g.isCustomResponse])),
    taken: facts.taken,
  };
}

const answerFacts = (answers: readonly OrderProductOptionRelation[]): AnswerFacts[] =>
  answers.map((a) => ({ id: a.id, groupId: a.productOptionGroupId, optionId: a.productOptionId, customResponse: a.customResponse }));

function input(l: Loaded, changes: readonly RequestedChange[], now: Date) {
  return {
    orderStatus: l.orderStatus,
    itemStatus: l.item.status,
    product: l.product,
    answers: answerFacts(l.answers),
    heldOptions: l.heldOptions,
    groupNames: l.groupNames,
    taken: l.taken,
    changes,
    now,
  };
}

/** What the change form shows: the item's answers, and per choice group the other options with their stock and whether each may be chosen now. */
export async function previewOptionChange(sequelize: Sequelize, itemId: string, now = new Date()): Promise<OptionChangePreview> {
  const l = await load(sequelize, itemId, now);
  const itemRefusal = itemChangeRefusal(l.orderStatus, l.item.status, l.product !== null);
  const facts = answerFacts(l.answers);
  const answers = facts.map((a) => {
    const group = l.product?.optionGroups.find((g) => g.id === a.groupId) ?? null;
    const refusal = itemRefusal ?? (l.product ? answerChangeRefusal(a, l.product, l.groupNames.get(a.groupId) ?? '') : null);
    const choices: OptionChoice[] =
      group && !group.isCustomResponse
        ? group.options.map((o) => {
            const current = o.id === a.optionId;
            const check = current || refusal ? null : checkOptionChange(input(l, [{ answer: a.id, option: o.id }], now));
            return {
              id: o.id,
              name: o.name,
              additionalPrice: o.additionalPrice,
              leftover: leftover(o.stock, o.sold),
              current,
              refusal: current ? '현재 옵션' : refusal ? refusal.detail : check && !check.ok ? check.errors[0]!.detail : null,
            };
          })
        : [];
    return {
      id: a.id,
      groupId: a.groupId,
      groupName: group?.name ?? l.groupNames.get(a.groupId) ?? '',
      isCustomResponse: group?.isCustomResponse ?? l.groupKinds.get(a.groupId) ?? false,
      allowsNone: group?.placeholderMode === 'optional',
      current: a.optionId ? (l.heldOptions.get(a.optionId) ?? null) : null,
      customResponse: a.customResponse,
      refusal: refusal?.detail ?? null,
      choices,
    };
  });
  const anyChangeable = answers.some((a) => a.refusal === null);
  return {
    orderId: l.orderId,
    itemId: l.item.id,
    productName: l.productName,
    itemStatus: l.item.status,
    orderStatus: l.orderStatus,
    price: l.item.price,
    refusal: itemRefusal?.detail ?? (anyChangeable ? null : answers.length ? '변경할 수 있는 옵션이 없습니다. (직접 입력 항목만 있습니다)' : '옵션이 없는 상품입니다.'),
    answers,
  };
}

/** Change the options of answers of one purchased item (see the header): all or nothing, audited. */
export async function changeItemOptions(sequelize: Sequelize, req: OptionChangeRequest, now = new Date()): Promise<OptionChangeOutcome> {
  const actor = currentActor();
  return sequelize.transaction(async (t) => {
    const l = await load(sequelize, req.itemId, now, t);
    const result = checkOptionChange(input(l, req.changes, now));
    if (!result.ok) throw new ServiceError(result.status, result.status === 400 ? 'validation_error' : 'client_error', result.errors);

    const byId = new Map(l.answers.map((a) => [a.id, a]));
    for (const c of result.changes) await byId.get(c.answerId)!.update({ productOptionId: c.to?.id ?? null }, { transaction: t });
    const describe = (c: PlannedChange, side: 'from' | 'to') => ({ answer: c.answerId, group: c.groupName, option_id: c[side]?.id ?? null, option: c[side]?.name ?? null });
    await AuditLog.create(
      {
        tableName: 'orders',
        recordId: l.orderId,
        action: 'shop.order.item_options_changed',
        actorUserId: actor.userId,
        actorLabel: actor.label,
        reason: req.reason ? req.reason.slice(0, 200) : null,
        before: { item: l.item.id, product: l.productName, options: result.changes.map((c) => describe(c, 'from')) },
        after: { item: l.item.id, product: l.productName, options: result.changes.map((c) => describe(c, 'to')), price: l.item.price },
      },
      { transaction: t },
    );
    return {
      orderId: l.orderId,
      itemId: l.item.id,
      changes: result.changes.map((c) => ({ answer: c.answerId, group: c.groupName, from: c.from, to: c.to })),
    };
  });
}

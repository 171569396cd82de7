/**
 * The registration desk (spec §8.2, after-pr43 §6): find orders (by scanned user, order, item, names,
 * e-mails, answers…), check items in (paid → used) or undo it (used → paid), fix free-text answers, refund.
 * ONE service for both desk clients:
 *   - the API-key desk `/v1/internal-api/desk-support/` (older clients; key with the `desk` scope, actor
 *     `api_key:<name>`), unrestricted in categories;
 *   - the session desk `/v1/internal-api/registration-desk/` (today's client, a signed-in staff member,
 *     actor `user:<id>`), whose writes and refunds are limited to the categories of today's desk
 *     configuration (`DeskCall.scope`), plus the lookup of one item by its full QR token.
 *
 * A check-in is idempotent: scanning a used item again changes nothing and answers when and by which key it
 * was checked in (`notices`). Status and answer edits lock the order row (as refunds do), so a check-in and
 * a refund of the same order never interleave.
 *
 * Decision: `name` is not writable here (the original accepts it [quirk]); it is ignored, as DRF ignores
 * read-only fields. The refund (`DELETE /{order_id}/`) is not part of this module.
 */
import { Op, QueryTypes, literal, type Sequelize, type Transaction } from 'sequelize';
import { AuditLog, Order, OrderProductOptionRelation, OrderProductRelation, OptionGroup, PaymentHistory, User, type OprStatus } from '../models/index.js';
import { currentActor } from '../context.js';
import type { Lang } from '../domain/i18n.js';
import type { FieldError } from '../domain/messages.js';
import { canDeskChangeOprStatus, OPR_STATUSES } from '../domain/payment/status.js';
import { matchesCustomResponse } from '../domain/cart/orderability.js';
import { FieldMessages } from '../domain/cart/customer-info.js';
import { formatSeoul } from '../domain/scancode/pages.js';
import { orderViews, type CustomerInfoDto, type OrderDto } from './order-view.js';
import { ServiceError } from './errors.js';
import { refund, type RefundDeps, type RefundOutcome } from './refund.js';
import { findUserByEmail } from './auth.js';
import { Messages, fieldError } from '../domain/messages.js';
import { Category, Product, TicketInfo } from '../models/index.js';
import { parseTicketInfo, ticketInfoRuleErrors, type TicketInfoValue, type TicketProductFacts } from '../domain/cart/ticket-info.js';
import { signScancodeToken, verifyScancodeToken } from '../domain/scancode/token.js';
import { DeskConfigMessages } from './desk-config.js';
import { tagsOfItems, type ItemTagDto } from './order-item-tags.js';

export const DeskMessages = {
  INVALID_ID: '유효하지 않은 ID입니다.',
  STATUS_NOT_CHANGEABLE: '해당 상태로 변경할 수 없습니다.',
  NOT_CUSTOM_RESPONSE_GROUP: 'cannot set custom response to non-custom-response option group',
  PATTERN_NOT_SET: 'custom response pattern is not set, please contact the administrator',
  PATTERN_MISMATCH: 'custom response does not match the pattern',
  ORDER_NOT_FOUND: '주문을 찾을 수 없습니다.',
  INVALID_UUID: '유효한 UUID를 입력하십시오.',
  ALREADY_USED: '이미 사용 처리된 상품입니다. (사용 시각: {at}, 처리: {by})',
  INVALID_SCANCODE: '스캔코드 형식이 올바르지 않습니다.',
  ONE_OF_ID_OR_SCANCODE: 'order_product_relation_id 또는 scancode 중 하나만 지정하세요.',
  ITEM_NOT_FOUND: '주문 상품을 찾을 수 없습니다.',
  RESPONSE_REQUIRED: '응답이 필수인 옵션입니다.',
} as const;

export interface DeskDeps {
  sequelize: Sequelize;
  backendDomain: string;
  scancodeSalts: readonly string[];
  /** what the desk refund needs (the one refund service: PortOne client, TOTP secret key) */
  refund: RefundDeps;
}

export interface DeskCall {
  /** Who checks in (what `used_by` records): the API key's name, or the staff member's e-mail. */
  keyName: string;
  lang: Lang;
  now: Date;
  /** Session desk: writes and refunds only for items of these categories (today's configuration). */
  scope?: { categoryIds: readonly string[] };
}

export interface DeskOptionDto {
  id: string;
  product_option_group: { id: string; name: string; is_custom_response: boolean; custom_response_pattern: string | null };
  product_option: { id: string; name: string; additional_price: number } | null;
  custom_response: string | null;
}

export interface DeskItemDto {
  id: string;
  /** the item's full QR token (`opr:…`) */
  scancode_token: string;
  category_id: string | null;
  /** order-item tags, by priority then code */
  tags: ItemTagDto[];
  is_ticket: boolean;
  /** the ticket holder (soft-deleted → null); the contribution message is not shown at the desk */
  ticket_info: { name: string; phone: string; email: string; organization: string | null } | null;
  price: number;
  donation_price: number;
  status: OprStatus;
  /** when / by which API key the item was checked in (null unless used) */
  used_at: string | null;
  used_by: string | null;
  product: { id: string; name: string; price: number };
  options: DeskOptionDto[];
}

export interface DeskRow {
  id: string;
  name: string;
  first_paid_price: number;
  first_paid_at: string | null;
  current_paid_price: number;
  current_status: OrderDto['current_status'];
  payment_histories: Array<{ status: string; price: number; created_at: string }>;
  products: DeskItemDto[];
  user: { id: number; username: string; email: string; unique_id: string } | null;
  customer_info: CustomerInfoDto | null;
}

export interface DeskNotice {
  product_id: string;
  code: 'ALREADY_USED';
  detail: string;
  used_at: string | null;
  used_by: string | null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HAS_HISTORY = literal(`EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = "Order"."id" AND ph.deleted_at IS NULL)`);

async function audit(action: string, recordId: string, tableName: string, data: { before?: unknown; after?: unknown; reason?: string }, t?: Transaction): Promise<void> {
  const actor = currentActor();
  await AuditLog.create(
    {
      tableName,
      recordId,
      action,
      actorUserId: actor.userId,
      actorLabel: actor.label,
      reason: data.reason ?? null,
      before: (data.before as object) ?? null,
      after: (data.after as object) ?? null,
    },
    { transaction: t },
  );
}

// ---------------------------------------------------------------------------------------------------------
// rows

/** product id → category id (soft-deleted products included: old orders keep their items). */
async function productCategories(productIds: string[], t?: Transaction): Promise<Map<string, string>> {
  if (productIds.length === 0) return new Map();
  const products = await Product.findAll({ where: { id: [...new Set(productIds)] }, attributes: ['id', 'categoryId'], paranoid: false, transaction: t });
  return new Map(products.map((p) => [p.id, p.categoryId]));
}

/** Session desk: every item must be of today's categories, else 403 (nothing written). */
async function assertInScope(call: DeskCall, oprs: OrderProductRelation[], t?: Transaction): Promise<void> {
  if (!call.scope || oprs.length === 0) return;
  const categoryOf = await productCategories(oprs.map((o) => o.productId), t);
  const allowed = new Set(call.scope.categoryIds);
  if (oprs.some((o) => !allowed.has(categoryOf.get(o.productId) ?? ''))) {
    throw ServiceError.client(403, 'permission_denied', DeskConfigMessages.NOT_TODAYS_CATEGORY);
  }
}

async function deskRows(deps: DeskDeps, orderIds: string[], call: DeskCall, t?: Transaction): Promise<DeskRow[]> {
  if (orderIds.length === 0) return [];
  const views = await orderViews(orderIds, { lang: call.lang, now: call.now, backendDomain: deps.backendDomain, scancodeSalts: deps.scancodeSalts, transaction: t });
  // one after another: inside a transaction there is one connection
  const histories = await PaymentHistory.findAll({ where: { orderId: orderIds }, order: [['createdAt', 'DESC'], ['id', 'DESC']], transaction: t });
  const oprs = await OrderProductRelation.findAll({ where: { orderId: orderIds }, attributes: ['id', 'productId', 'usedAt', 'usedBy'], transaction: t });
  const categoryOf = await productCategories(oprs.map((o) => o.productId), t);
  const tagsOf = await tagsOfItems(deps.sequelize, oprs.map((o) => o.id), t);
  const orders = await Order.findAll({ where: { id: orderIds }, attributes: ['id', 'userId'], transaction: t });
  const users = await User.findAll({ where: { id: [...new Set(orders.map((o) => o.userId))] }, paranoid: false, attributes: ['id', 'username', 'email', 'uniqueId'], transaction: t });
  const userOf = new Map(orders.map((o) => [o.id, users.find((u) => u.id === o.userId) ?? null]));
  const used = new Map(oprs.map((o) => [o.id, o]));
  return views.map((v) => {
    const u = userOf.get(v.id);
    return {
      id: v.id,
      name: v.name,
      first_paid_price: v.first_paid_price,
      first_paid_at: v.first_paid_at,
      current_paid_price: v.current_paid_price,
      current_status: v.current_status,
      payment_histories: histories.filter((h) => h.orderId === v.id).map((h) => ({ status: h.status, price: h.price, created_at: h.createdAt.toISOString() })),
      products: v.products.map((p) => ({
        id: p.id,
        scancode_token: signScancodeToken('opr', p.id, deps.scancodeSalts),
        category_id: categoryOf.get(p.product.id) ?? null,
        tags: tagsOf.get(p.id) ?? [],
        is_ticket: p.is_ticket,
        ticket_info: p.ticket_info ? { name: p.ticket_info.name, phone: p.ticket_info.phone, email: p.ticket_info.email, organization: p.ticket_info.organization } : null,
        price: p.price,
        donation_price: p.donation_price,
        status: p.status,
        used_at: used.get(p.id)?.usedAt?.toISOString() ?? null,
        used_by: used.get(p.id)?.usedBy ?? null,
        product: { id: p.product.id, name: p.product.name, price: p.product.price },
        options: p.options.map((o) => ({
          id: o.id,
          product_option_group: {
            id: o.product_option_group.id,
            name: o.product_option_group.name,
            is_custom_response: o.product_option_group.is_custom_response,
            custom_response_pattern: o.product_option_group.custom_response_pattern,
          },
          product_option: o.product_option,
          custom_response: o.custom_response,
        })),
      })),
      user: u ? { id: u.id, username: u.username, email: u.email, unique_id: u.uniqueId } : null,
      customer_info: v.customer_info,
    };
  });
}

/** Each item's product facts (ticket?, donations?) and holder row, soft-deleted ones included. */
async function itemFacts(oprs: OrderProductRelation[], t: Transaction): Promise<Map<string, ItemFacts>> {
  if (oprs.length === 0) return new Map();
  const products = await Product.findAll({ where: { id: [...new Set(oprs.map((o) => o.productId))] }, paranoid: false, include: [{ model: Category, as: 'category', paranoid: false }], transaction: t });
  const holders = await TicketInfo.findAll({ where: { orderProductRelationId: oprs.map((o) => o.id) }, paranoid: false, transaction: t });
  const productOf = new Map(products.map((p) => [p.id, p as Product & { category?: Category }]));
  const holderOf = new Map(holders.map((h) => [h.orderProductRelationId, h]));
  return new Map(
    oprs.map((o) => {
      const p = productOf.get(o.productId);
      return [o.id, { product: { name: p?.nameKo ?? '', isTicket: !!p?.category?.isTicket, donationAllowed: !!p?.donationAllowed }, holder: holderOf.get(o.id) ?? null }];
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// GET list

export interface DeskFilters {
  category_groups: string[];
  categories: string[];
  keywords: string[];
  user_unique_id: string | null;
  order_product_relation_id: string | null;
  order_id: string | null;
}

function csv(v: unknown): string[] {
  const parts = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return parts
    .flatMap((p) => String(p).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Query string → filters; a malformed UUID filter is a 400 (as django-filter's UUIDFilter). */
export function parseDeskFilters(query: Record<string, unknown>): DeskFilters {
  const errors: FieldError[] = [];
  const uuid = (name: string): string | null => {
    const raw = query[name];
    if (raw === undefined || raw === '') return null;
    const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (typeof v !== 'string' || !UUID_RE.test(v.trim())) {
      errors.push({ code: 'invalid', detail: DeskMessages.INVALID_UUID, attr: name });
      return null;
    }
    return v.trim().toLowerCase();
  };
  const filters: DeskFilters = {
    category_groups: csv(query.category_groups),
    categories: csv(query.categories),
    keywords: csv(query.keywords),
    user_unique_id: uuid('user_unique_id'),
    order_product_relation_id: uuid('order_product_relation_id'),
    order_id: uuid('order_id'),
  };
  if (errors.length) throw ServiceError.validation(errors);
  return filters;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Orders with payment history (any status), newest first, narrowed by the filters (all ANDed). */
export async function deskSearch(deps: DeskDeps, call: DeskCall, filters: DeskFilters): Promise<DeskRow[]> {
  const where: string[] = [
    'o.deleted_at IS NULL',
    'EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = o.id AND ph.deleted_at IS NULL)',
  ];
  const r: Record<string, unknown> = {};
  if (filters.order_id) {
    where.push('o.id = :orderId');
    r.orderId = filters.order_id;
  }
  if (filters.order_product_relation_id) {
    where.push('o.id IN (SELECT i.order_id FROM order_product_relations i WHERE i.id = :oprId AND i.deleted_at IS NULL)');
    r.oprId = filters.order_product_relation_id;
  }
  if (filters.user_unique_id) {
    where.push('o.user_id IN (SELECT u.id FROM users u WHERE u.unique_id = :userUniqueId)');
    r.userUniqueId = filters.user_unique_id;
  }
  const itemIn = (cond: string) =>
    `EXISTS (SELECT 1 FROM order_product_relations i JOIN products p ON p.id = i.product_id JOIN categories c ON c.id = p.category_id
              JOIN category_groups g ON g.id = c.group_id WHERE i.order_id = o.id AND i.deleted_at IS NULL AND ${cond})`;
  if (filters.category_groups.length) {
    where.push(itemIn('g.name IN (:groupNames)'));
    r.groupNames = filters.category_groups;
  }
  if (filters.categories.length) {
    where.push(itemIn('c.name IN (:categoryNames)'));
    r.categoryNames = filters.categories;
  }
  if (filters.keywords.length) {
    where.push(`(
      EXISTS (SELECT 1 FROM order_product_relations i
                JOIN order_product_option_relations x ON x.order_product_relation_id = i.id AND x.deleted_at IS NULL
               WHERE i.order_id = o.id AND i.deleted_at IS NULL AND x.custom_response IN (:keywords))
      OR EXISTS (SELECT 1 FROM customer_infos ci WHERE ci.order_id = o.id AND ci.deleted_at IS NULL
                   AND (ci.name IN (:keywords) OR ci.email IN (:keywords) OR ci.phone IN (:keywords) OR ci.organization IN (:keywords)))
      OR EXISTS (SELECT 1 FROM users u WHERE u.id = o.user_id
                   AND (u.username ILIKE ANY (ARRAY[:keywordsLike]) OR u.email ILIKE ANY (ARRAY[:keywordsLike])))
      OR EXISTS (SELECT 1 FROM order_product_relations i
                   JOIN ticket_infos ti ON ti.order_product_relation_id = i.id AND ti.deleted_at IS NULL
                  WHERE i.order_id = o.id AND i.deleted_at IS NULL
                    AND (ti.name IN (:keywords) OR ti.email IN (:keywords) OR ti.phone IN (:keywords) OR ti.organization IN (:keywords))))`);
    r.keywords = filters.keywords;
    r.keywordsLike = filters.keywords.map((k) => `%${likeEscape(k)}%`);
  }
  const rows = await deps.sequelize.query<{ id: string }>(`SELECT o.id FROM orders o WHERE ${where.join(' AND ')} ORDER BY o.created_at DESC, o.id DESC`, {
    type: QueryTypes.SELECT,
    replacements: r,
  });
  const result = await deskRows(deps, rows.map((x) => x.id), call);
  await audit('desk.search', filters.order_id ?? '*', 'orders', { after: { filters, count: result.length } });
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// PATCH

interface StatusChange {
  opr: OrderProductRelation;
  to: OprStatus;
}
interface AnswerChange {
  opor: OrderProductOptionRelation;
  value: string | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

interface HolderChange {
  opr: OrderProductRelation;
  existing: TicketInfo | null;
  value: Partial<TicketInfoValue>;
}

/** What the holder rules need of each item: its product (ticket?, donations?) and its holder row (also a deleted one). */
interface ItemFacts {
  product: TicketProductFacts;
  holder: TicketInfo | null;
}

/**
 * `ticket_info` of one item at the desk: only while paid or used; name / phone / email / organization (the
 * contribution message is the buyer's and is ignored here); a partial edit of a live holder, a full one
 * otherwise (a deleted holder is revived with the new values).
 */
function validateHolder(raw: unknown, opr: OrderProductRelation, facts: ItemFacts | undefined, attr: string, errors: FieldError[]): HolderChange | null {
  if (opr.status !== 'paid' && opr.status !== 'used') {
    errors.push(fieldError(Messages.TicketInfo.DESK_NOT_EDITABLE_STATUS, attr));
    return null;
  }
  const input = isObject(raw) ? Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'contribution_message')) : raw;
  const live = facts?.holder && !facts.holder.deletedAt ? facts.holder : null;
  const parsed = parseTicketInfo(input, { attrPrefix: `${attr}.`, partial: !!live });
  if (parsed.errors.length || !parsed.value) {
    errors.push(...parsed.errors);
    return null;
  }
  const value = { ...parsed.value };
  delete value.contributionMessage;
  const rule = facts ? ticketInfoRuleErrors(facts.product, value, { required: false }) : [];
  if (rule.length) {
    errors.push(...rule.map((e) => ({ ...e, attr })));
    return null;
  }
  return { opr, existing: facts?.holder ?? null, value };
}

function validatePatch(
  body: unknown,
  oprs: Map<string, OrderProductRelation>,
  opors: Map<string, OrderProductOptionRelation>,
  groups: Map<string, OptionGroup>,
  items: Map<string, ItemFacts> = new Map(),
): { errors: FieldError[]; statuses: StatusChange[]; answers: AnswerChange[]; holders: HolderChange[] } {
  const errors: FieldError[] = [];
  const statuses: StatusChange[] = [];
  const answers: AnswerChange[] = [];
  const holders: HolderChange[] = [];
  if (!isObject(body)) {
    errors.push({ code: 'invalid', detail: '잘못된 요청 형식입니다. JSON 객체가 필요합니다.', attr: 'non_field_errors' });
    return { errors, statuses, answers, holders };
  }
  if (body.products === undefined) return { errors, statuses, answers, holders };
  if (!Array.isArray(body.products)) {
    errors.push({ code: 'not_a_list', detail: FieldMessages.NOT_A_LIST.text.replace('{}', typeof body.products), attr: 'products' });
    return { errors, statuses, answers, holders };
  }
  body.products.forEach((raw: unknown, i: number) => {
    const at = (f: string) => `products.${i}.${f}`;
    if (!isObject(raw)) return errors.push({ code: 'invalid', detail: '잘못된 형식입니다.', attr: at('non_field_errors') });
    if (raw.id === undefined || raw.id === null) return errors.push({ code: 'required', detail: FieldMessages.REQUIRED.text, attr: at('id') });
    const opr = typeof raw.id === 'string' ? oprs.get(raw.id.toLowerCase()) : undefined;
    if (!opr) return errors.push({ code: 'invalid', detail: DeskMessages.INVALID_ID, attr: at('id') });
    if (raw.status !== undefined) {
      if (typeof raw.status !== 'string' || !(OPR_STATUSES as readonly string[]).includes(raw.status)) {
        errors.push({ code: 'invalid_choice', detail: `"${String(raw.status)}"이 유효하지 않은 선택(choice)입니다.`, attr: at('status') });
      } else if (!canDeskChangeOprStatus(opr.status, raw.status as OprStatus)) {
        errors.push({ code: 'invalid', detail: DeskMessages.STATUS_NOT_CHANGEABLE, attr: at('status') });
      } else {
        statuses.push({ opr, to: raw.status as OprStatus });
      }
    }
    if (raw.ticket_info !== undefined) {
      const change = validateHolder(raw.ticket_info, opr, items.get(opr.id), at('ticket_info'), errors);
      if (change) holders.push(change);
    }
    if (raw.options === undefined) return;
    if (!Array.isArray(raw.options)) return errors.push({ code: 'not_a_list', detail: FieldMessages.NOT_A_LIST.text.replace('{}', typeof raw.options), attr: at('options') });
    raw.options.forEach((o: unknown, j: number) => {
      const oat = (f: string) => `products.${i}.options.${j}.${f}`;
      if (!isObject(o)) return errors.push({ code: 'invalid', detail: '잘못된 형식입니다.', attr: oat('non_field_errors') });
      if (o.id === undefined || o.id === null) return errors.push({ code: 'required', detail: FieldMessages.REQUIRED.text, attr: oat('id') });
      const opor = typeof o.id === 'string' ? opors.get(o.id.toLowerCase()) : undefined;
      if (!opor || opor.orderProductRelationId !== opr.id) return errors.push({ code: 'invalid', detail: DeskMessages.INVALID_ID, attr: oat('id') });
      if (!('custom_response' in o)) return;
      const value = o.custom_response;
      if (value !== null && typeof value !== 'string') return errors.push({ code: 'invalid', detail: FieldMessages.INVALID_STRING.text, attr: oat('custom_response') });
      const group = groups.get(opor.productOptionGroupId);
      if (!group?.isCustomResponse) return errors.push({ code: 'invalid', detail: DeskMessages.NOT_CUSTOM_RESPONSE_GROUP, attr: oat('custom_response') });
      if (group.placeholderMode === 'required' && (value ?? '').trim() === '') {
        return errors.push({ code: 'required', detail: DeskMessages.RESPONSE_REQUIRED, attr: oat('custom_response') });
      }
      if (!group.customResponsePattern) return errors.push({ code: 'invalid', detail: DeskMessages.PATTERN_NOT_SET, attr: oat('custom_response') });
      if (!matchesCustomResponse(group.customResponsePattern, value ?? '')) {
        return errors.push({ code: 'invalid', detail: DeskMessages.PATTERN_MISMATCH, attr: oat('custom_response') });
      }
      answers.push({ opor, value });
    });
  });
  return { errors, statuses, answers, holders };
}

function alreadyUsed(opr: OrderProductRelation): DeskNotice {
  return {
    product_id: opr.id,
    code: 'ALREADY_USED',
    detail: DeskMessages.ALREADY_USED.replace('{at}', opr.usedAt ? formatSeoul(opr.usedAt) : '-').replace('{by}', opr.usedBy ?? '-'),
    used_at: opr.usedAt?.toISOString() ?? null,
    used_by: opr.usedBy,
  };
}

/**
 * PATCH /{order_id}/: item status paid ↔ used (check-in / undo; the same value is a no-op, and for a used
 * item a notice says when and by whom) and free-text answers (custom groups with a pattern, which the value
 * must match). All checks first, then all writes, in one transaction with the order row locked.
 */
export async function deskUpdateOrder(deps: DeskDeps, call: DeskCall, orderId: string, body: unknown): Promise<DeskRow & { notices: DeskNotice[] }> {
  const notices: DeskNotice[] = [];
  const row = await deps.sequelize.transaction(async (t) => {
    const order = await Order.findOne({ where: { id: orderId, [Op.and]: [HAS_HISTORY] }, transaction: t, lock: t.LOCK.UPDATE });
    if (!order) throw ServiceError.notFound(DeskMessages.ORDER_NOT_FOUND);
    const oprList = await OrderProductRelation.findAll({ where: { orderId: order.id }, transaction: t });
    const oporList = oprList.length ? await OrderProductOptionRelation.findAll({ where: { orderProductRelationId: oprList.map((o) => o.id) }, transaction: t }) : [];
    const groupList = oporList.length
      ? await OptionGroup.findAll({ where: { id: [...new Set(oporList.map((o) => o.productOptionGroupId))] }, paranoid: false, transaction: t })
      : [];
    const { errors, statuses, answers, holders } = validatePatch(
      body,
      new Map(oprList.map((o) => [o.id, o])),
      new Map(oporList.map((o) => [o.id, o])),
      new Map(groupList.map((g) => [g.id, g])),
      await itemFacts(oprList, t),
    );
    if (errors.length) throw ServiceError.validation(errors);
    const touched = new Set([...statuses.map((x) => x.opr.id), ...answers.map((a) => a.opor.orderProductRelationId), ...holders.map((h) => h.opr.id)]);
    await assertInScope(call, oprList.filter((o) => touched.has(o.id)), t);

    const changes: Array<Record<string, unknown>> = [];
    for (const { opr, to } of statuses) {
      const before = { status: opr.status, used_at: opr.usedAt?.toISOString() ?? null, used_by: opr.usedBy };
      if (opr.status === to) {
        if (to === 'used') {
          notices.push(alreadyUsed(opr));
          await audit('desk.check_in_repeated', opr.id, 'order_product_relations', { before, after: before }, t);
          changes.push({ product_id: opr.id, status: to, changed: false });
        }
        continue;
      }
      if (to === 'used') await opr.update({ status: 'used', usedAt: call.now, usedBy: call.keyName }, { transaction: t });
      else await opr.update({ status: 'paid', usedAt: null, usedBy: null }, { transaction: t });
      const after = { status: opr.status, used_at: opr.usedAt?.toISOString() ?? null, used_by: opr.usedBy };
      await audit(to === 'used' ? 'desk.check_in' : 'desk.check_in_undone', opr.id, 'order_product_relations', { before, after }, t);
      changes.push({ product_id: opr.id, from: before.status, status: to, changed: true });
    }
    for (const { opr, existing, value } of holders) {
      if (existing) {
        if (existing.deletedAt) await existing.restore({ transaction: t }); // a removed holder is revived, never duplicated
        await existing.update(value, { transaction: t });
      } else {
        await TicketInfo.create({ orderProductRelationId: opr.id, ...value, contributionMessage: null }, { transaction: t });
      }
      changes.push({ product_id: opr.id, ticket_info_changed: true });
    }
    for (const { opor, value } of answers) {
      if (opor.customResponse === value) continue;
      await opor.update({ customResponse: value }, { transaction: t });
      changes.push({ option_id: opor.id, custom_response_changed: true });
    }
    await audit('desk.update', order.id, 'orders', { after: { changes, ignored: isObject(body) && 'name' in body ? ['name'] : [] } }, t);
    return (await deskRows(deps, [order.id], call, t))[0]!;
  });
  return { ...row, notices };
}

// ---------------------------------------------------------------------------------------------------------
// DELETE /{order_id}/ — full refund authorized by a named staff member's TOTP code

/**
 * The desk refund (spec §8.2 `DELETE /{order_id}/?otp=…`): a full refund through the one refund service,
 * refund window ignored, TOTP required. The spec's desk had one shared refund secret; here every staff
 * member has their own, so the desk names the authorizer (`authorizer`: their e-mail or `unique_id`) next
 * to their current code (`otp`). Both may come in the query string (the spec's shape) or the JSON body.
 * An unknown, inactive, not-enrolled authorizer or one not allowed to refund (a viewer) gets the same answer as a wrong code, so the
 * endpoint does not tell which staff accounts exist. The refund's audit row records the key
 * (`api_key:<name>`) as the actor and the authorizer's user id.
 */
export async function deskRefund(
  deps: DeskDeps,
  orderId: string,
  input: { otp?: unknown; authorizer?: unknown; reason?: unknown },
  opts: { itemId?: string; call?: DeskCall } = {},
): Promise<RefundOutcome> {
  const otp = typeof input.otp === 'string' ? input.otp.trim() : null;
  if (!otp) throw ServiceError.validation([fieldError(Messages.Permission.OTP_REQUIRED, 'otp')]);
  const who = typeof input.authorizer === 'string' ? input.authorizer.trim() : '';
  if (!who) throw ServiceError.validation([fieldError(Messages.Permission.AUTHORIZER_REQUIRED, 'authorizer')]);
  if (opts.call?.scope) {
    // the session desk refunds only items of today's categories (the whole order: every live paid/used item)
    const items = await OrderProductRelation.findAll({ where: { orderId, ...(opts.itemId ? { id: opts.itemId } : { status: ['paid', 'used'] }) } });
    if (opts.itemId && items.length === 0) throw ServiceError.notFound(DeskMessages.ITEM_NOT_FOUND);
    await assertInScope(opts.call, items);
  }
  const authorizer = UUID_RE.test(who) ? await User.findOne({ where: { uniqueId: who.toLowerCase() }, attributes: ['id'] }) : await findUserByEmail(who);
  const reason = typeof input.reason === 'string' && input.reason.trim() ? input.reason.trim().slice(0, 200) : null;
  try {
    // no authorizer found → id 0: verifyAuthorizer answers "invalid code" exactly as for a wrong code
    return await refund(deps.refund, { orderId, itemId: opts.itemId ?? null, channel: 'desk', authorizerUserId: authorizer?.id ?? 0, totp: otp, reason });
  } catch (e) {
    // the refund service names the field `totp` (the admin form's); the desk's parameter is `otp`
    if (e instanceof ServiceError) for (const err of e.errors) if (err.attr === 'totp') err.attr = 'otp';
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// one item, by id or by its full QR token (session desk)

/**
 * `GET order-products/`: exactly one of `order_product_relation_id` (UUID) or `scancode` (the full `opr:`
 * token of the item's QR code; malformed, another prefix or a wrong salt → 400 "스캔코드 형식이 올바르지
 * 않습니다."). Answers the item's order row (as the search does) and the item itself; 404 when the item is
 * not in a paid order.
 */
export async function deskOrderProduct(deps: DeskDeps, call: DeskCall, query: Record<string, unknown>): Promise<{ order: DeskRow; product: DeskItemDto }> {
  const one = (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v);
  const rawId = one(query.order_product_relation_id);
  const rawCode = one(query.scancode);
  const hasId = typeof rawId === 'string' && rawId !== '';
  const hasCode = typeof rawCode === 'string' && rawCode !== '';
  if (hasId === hasCode) {
    throw ServiceError.validation([{ code: 'invalid', detail: DeskMessages.ONE_OF_ID_OR_SCANCODE, attr: 'non_field_errors' }]);
  }
  let oprId: string;
  if (hasCode) {
    const token = verifyScancodeToken((rawCode as string).trim(), deps.scancodeSalts, 'opr');
    if (!token) throw ServiceError.validation([{ code: 'invalid', detail: DeskMessages.INVALID_SCANCODE, attr: 'scancode' }]);
    oprId = token.id;
  } else {
    if (!UUID_RE.test((rawId as string).trim())) throw ServiceError.validation([{ code: 'invalid', detail: DeskMessages.INVALID_UUID, attr: 'order_product_relation_id' }]);
    oprId = (rawId as string).trim().toLowerCase();
  }
  const opr = await OrderProductRelation.findOne({ where: { id: oprId }, attributes: ['id', 'orderId'] });
  const [row] = opr?.orderId ? await deskRows(deps, [opr.orderId], call) : [];
  const product = row?.products.find((p) => p.id === oprId);
  if (!row || !product || !(await Order.count({ where: { id: row.id, [Op.and]: [HAS_HISTORY] } }))) throw ServiceError.notFound(DeskMessages.ITEM_NOT_FOUND);
  await audit('desk.lookup', oprId, 'order_product_relations', { after: { by: hasCode ? 'scancode' : 'id' } });
  return { order: row, product };
}

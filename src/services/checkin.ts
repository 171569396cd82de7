/**
 * The panel's check-in desk: live counts per category (and per Seoul day), a search box that takes what
 * staff have at hand — a name, an e-mail, an order number (UUID, the QR page's short id, merchant_uid),
 * or a scanned QR code (the code itself or the QR page URL) — and check-in / undo. Search, check-in and
 * undo go through the registration desk's service (`deskSearch`, `deskUpdateOrder`: same rules, same row
 * locks, same audit rows); the panel only adds the translation of the search box and the counts.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { Category, CategoryGroup, Product } from '../models/index.js';
import { decodeShortUuid } from '../domain/scancode/shortuuid.js';
import { verifyScancodeToken } from '../domain/scancode/token.js';
import { parseMerchantUid } from '../domain/checkout/snapshot.js';
import { seoulDayBounds } from '../domain/admin/format.js';
import { deskSearch, deskUpdateOrder, type DeskCall, type DeskDeps, type DeskFilters, type DeskRow } from './desk.js';
import { ServiceError } from './errors.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

export interface CheckinCategory {
  id: string;
  name: string;
  group: string;
}

export interface CheckinCounts {
  /** paid or checked-in items of the category (the people expected) */
  target: number;
  checkedIn: number;
  /** paid, not yet checked in */
  waiting: number;
  /** checked in on the chosen Seoul day */
  checkedInOnDay: number;
}

export async function checkinCategories(): Promise<CheckinCategory[]> {
  const cats = await Category.findAll({ include: [{ model: CategoryGroup, as: 'group', attributes: ['name', 'priority'] }], order: [['priority', 'ASC'], ['name', 'ASC']] });
  return cats.map((c) => ({ id: c.id, name: c.name, group: (c.get('group') as CategoryGroup | null)?.name ?? '' }));
}

export async function checkinCounts(sequelize: Sequelize, categoryId: string, day: string): Promise<CheckinCounts> {
  if (!UUID_RE.test(categoryId)) throw ServiceError.validation([{ code: 'invalid', detail: '카테고리를 골라주세요.', attr: 'categoryId' }]);
  if (!DAY_RE.test(day)) throw ServiceError.validation([{ code: 'invalid', detail: '날짜 형식이 올바르지 않습니다 (YYYY-MM-DD).', attr: 'day' }]);
  const { from, to } = seoulDayBounds(day);
  const [row] = await sequelize.query<{ target: string; checked_in: string; waiting: string; on_day: string }>(
    `SELECT count(*) FILTER (WHERE i.status IN ('paid', 'used')) AS target,
            count(*) FILTER (WHERE i.status = 'used') AS checked_in,
            count(*) FILTER (WHERE i.status = 'paid') AS waiting,
            count(*) FILTER (WHERE i.status = 'used' AND i.used_at >= :from AND i.used_at < :to) AS on_day
       FROM order_product_relations i
       JOIN products p ON p.id = i.product_id
       JOIN orders o ON o.id = i.order_id AND o.deleted_at IS NULL
      WHERE i.deleted_at IS NULL AND p.category_id = :categoryId`,
    { type: QueryTypes.SELECT, replacements: { categoryId, from, to } },
  );
  return { target: Number(row?.target ?? 0), checkedIn: Number(row?.checked_in ?? 0), waiting: Number(row?.waiting ?? 0), checkedInOnDay: Number(row?.on_day ?? 0) };
}

/**
 * What the search box means, as desk filters. A QR code must carry a valid signature (else nothing is
 * found); a UUID or short id may be an order or an item (both are tried); anything else is a keyword
 * (customer name / e-mail / phone / organization, free-text answers, account e-mail / username).
 */
export function checkinQuery(raw: string, salts: readonly string[]): Array<Partial<DeskFilters>> {
  let q = raw.trim();
  const fromUrl = /[?&]token=([^&#\s]+)/.exec(q);
  if (fromUrl) q = decodeURIComponent(fromUrl[1]!);
  if (!q) return [];
  if (/^(user|order|opr):/.test(q)) {
    const t = verifyScancodeToken(q, salts);
    if (!t) return [{ order_id: '00000000-0000-0000-0000-000000000000' }]; // a forged or foreign code finds nothing
    if (t.prefix === 'user') return [{ user_unique_id: t.id }];
    if (t.prefix === 'order') return [{ order_id: t.id }];
    return [{ order_product_relation_id: t.id }];
  }
  const merchant = parseMerchantUid(q);
  const id = UUID_RE.test(q) ? q.toLowerCase() : merchant?.id ?? (/^[0-9A-Za-z]{22}$/.test(q) ? decodeShortUuid(q) : null);
  if (id) return [{ order_id: id }, { order_product_relation_id: id }, { user_unique_id: id }];
  return [{ keywords: [q] }];
}

const EMPTY: DeskFilters = { category_groups: [], categories: [], keywords: [], user_unique_id: null, order_product_relation_id: null, order_id: null };

export type CheckinRow = DeskRow & { products: Array<DeskRow['products'][number] & { category_id: string | null }> };

/** Each item with its product's category (the page shows the chosen category's items first). */
export async function withCategories(rows: DeskRow[]): Promise<CheckinRow[]> {
  const ids = [...new Set(rows.flatMap((r) => r.products.map((p) => p.product.id)))];
  const products = ids.length ? await Product.findAll({ where: { id: ids }, attributes: ['id', 'categoryId'], paranoid: false }) : [];
  const cat = new Map(products.map((p) => [p.id, p.categoryId]));
  return rows.map((r) => ({ ...r, products: r.products.map((p) => ({ ...p, category_id: cat.get(p.product.id) ?? null })) }));
}

export async function checkinSearch(deps: DeskDeps, call: DeskCall, raw: string): Promise<CheckinRow[]> {
  const seen = new Set<string>();
  const out: DeskRow[] = [];
  for (const f of checkinQuery(raw, deps.scancodeSalts)) {
    for (const row of await deskSearch(deps, call, { ...EMPTY, ...f })) {
      if (!seen.has(row.id)) (seen.add(row.id), out.push(row));
    }
    if (out.length) break;
  }
  return withCategories(out.slice(0, 50));
}

/** Check one item in (`used`) or undo it (`paid`), through the desk service (order row locked, audited). */
export async function checkinSet(deps: DeskDeps, call: DeskCall, orderId: string, itemId: string, checkedIn: boolean) {
  if (!UUID_RE.test(orderId)) throw ServiceError.notFound('주문을 찾을 수 없습니다.');
  const row = await deskUpdateOrder(deps, call, orderId, { products: [{ id: itemId, status: checkedIn ? 'used' : 'paid' }] });
  const [withCat] = await withCategories([row]);
  return { ...withCat!, notices: row.notices };
}

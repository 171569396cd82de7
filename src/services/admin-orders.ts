/**
 * The operators' order list (spec §6.1): which orders a filter selects, and one flat row per order with its
 * derived values (status, money, first payment, PortOne id, customer). The admin panel's list/search, the
 * export and the notification targets all resolve their filters here, so "the orders I see" is "the
 * orders I export / notify".
 *
 * Queryset: live orders with at least one payment-history row and at least one live item. Derived values
 * come from the ledger in SQL (newest active row = current status/price/imp_id; oldest = first payment),
 * computed for the rows of a page only (see "SQL" below).
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { parseMerchantUid, merchantUid } from '../domain/checkout/snapshot.js';
import { decodeShortUuid } from '../domain/scancode/shortuuid.js';
import { parseScancodeToken } from '../domain/scancode/token.js';
import { PAYMENT_STATUSES, type PaymentStatus } from '../domain/payment/status.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface OrderFilter {
  /**
   * free search: order id, the QR page's short id (of the order, an item or the buyer), a scanned QR code
   * (code or page URL, salt not checked: it only selects what an operator may read anyway), merchant_uid,
   * PortOne imp_uid, the buyer's user_unique_id, account e-mail, customer name / phone (digits match
   * whatever the dashes) / e-mail
   */
  q?: string;
  id?: string[];
  userId?: number[];
  status?: PaymentStatus[];
  productId?: string[];
  categoryId?: string[];
  categoryGroupId?: string[];
  /** icontains on the account e-mail or the customer e-mail */
  email?: string;
  /** icontains on the account nickname / username or the customer name */
  name?: string;
  impId?: string;
  createdFrom?: Date;
  createdTo?: Date;
  paidFrom?: Date;
  paidTo?: Date;
  /** when the current status was reached (the newest live ledger row) */
  statusChangedFrom?: Date;
  statusChangedTo?: Date;
  /** on the current (latest ledger) price */
  priceMin?: number;
  priceMax?: number;
  /** true: comp orders only (무료 발급); false: every other order */
  comp?: boolean;
}

export type OrderSortKey = 'createdAt' | 'firstPaidAt' | 'currentPaidPrice' | 'currentStatus';

export interface OrderRow {
  id: string;
  userId: number;
  userEmail: string;
  nameKo: string;
  nameEn: string;
  currentStatus: PaymentStatus;
  currentPaidPrice: number;
  firstPaidPrice: number;
  firstPaidAt: Date | null;
  statusChangedAt: Date | null;
  latestImpId: string | null;
  merchantUid: string | null;
  importKey: string | null;
  /** why the order was comped (무료 발급); null for every other order */
  compReason: string | null;
  customerName: string | null;
  customerPhone: string | null;
  customerEmail: string | null;
  customerOrganization: string | null;
  itemCount: number;
  createdAt: Date;
  updatedAt: Date;
}

// ---------------------------------------------------------------------------------------------------------
// parsing a filter from query-string style input (AdminJS `filters.*`, export / notification requests)

const csv = (v: unknown): string[] => {
  if (v === undefined || v === null || v === '') return [];
  const parts = Array.isArray(v) ? v.map(String) : String(v).split(',');
  return parts.map((s) => s.trim()).filter(Boolean);
};

function date(v: unknown): Date | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const d = new Date(String(v));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function int(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
}

function range(v: unknown): { from?: Date; to?: Date } {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const r = v as Record<string, unknown>;
    return { from: date(r.from), to: date(r.to) };
  }
  return {};
}

/**
 * Build an OrderFilter from loose input: either AdminJS's unflattened `filters` object
 * (`createdAt: {from, to}`, `firstPaidAt: {from, to}`, `productId`, `status`, `q`, …) or the original's query
 * names (`created_at_after`, `first_paid_at_before`, `product_id`, `price_min`, …). Unknown keys are ignored;
 * bad values are dropped rather than widening the selection silently (a bad uuid matches nothing).
 */
export function parseOrderFilter(raw: Record<string, unknown> | null | undefined): OrderFilter {
  const r = raw ?? {};
  const f: OrderFilter = {};
  const q = typeof r.q === 'string' ? r.q.trim() : '';
  if (q) f.q = q.slice(0, 200);
  const ids = csv(r.id);
  if (ids.length) f.id = ids;
  const users = csv(r.userId ?? r.user_id).map(Number).filter((n) => Number.isSafeInteger(n));
  if (users.length) f.userId = users;
  const status = csv(r.status ?? r.currentStatus).filter((s): s is PaymentStatus => (PAYMENT_STATUSES as readonly string[]).includes(s));
  if (status.length) f.status = status;
  const productId = csv(r.productId ?? r.product_id);
  if (productId.length) f.productId = productId;
  const categoryId = csv(r.categoryId ?? r.category_id);
  if (categoryId.length) f.categoryId = categoryId;
  const categoryGroupId = csv(r.categoryGroupId ?? r.category_group_id);
  if (categoryGroupId.length) f.categoryGroupId = categoryGroupId;
  for (const k of ['email', 'name', 'impId'] as const) {
    const v = r[k] ?? (k === 'impId' ? r.imp_id : undefined);
    if (typeof v === 'string' && v.trim()) f[k] = v.trim().slice(0, 200);
  }
  const created = range(r.createdAt);
  f.createdFrom = created.from ?? date(r.created_at_after);
  f.createdTo = created.to ?? date(r.created_at_before);
  const changed = range(r.statusChangedAt);
  f.statusChangedFrom = changed.from ?? date(r.status_changed_at_after);
  f.statusChangedTo = changed.to ?? date(r.status_changed_at_before);
  const paid = range(r.firstPaidAt);
  f.paidFrom = paid.from ?? date(r.first_paid_at_after);
  f.paidTo = paid.to ?? date(r.first_paid_at_before);
  const comp = r.comp ?? r.is_comp;
  if (comp === true || comp === 'true') f.comp = true;
  else if (comp === false || comp === 'false') f.comp = false;
  f.priceMin = int(r.priceMin ?? r.price_min);
  f.priceMax = int(r.priceMax ?? r.price_max);
  for (const k of Object.keys(f) as Array<keyof OrderFilter>) if (f[k] === undefined) delete f[k];
  return f;
}

// ---------------------------------------------------------------------------------------------------------
// SQL
//
// Page first, derive after (the list took ~1 s a page at 50,000 orders because every order's
// ledger values were derived before paging). The selection walks `orders` alone: "listed" is two EXISTS
// probes, the default sort (created_at) reads `orders_live_created_idx` in order and stops after the page.
// A filter that needs the ledger or another table becomes a semi-join on the set of order ids it matches
// (`o.id IN (…)`, `o.user_id IN (…)`; inside an OR a hashed subplan, computed once), not a join that carries
// every order's derived values. The ledger values (newest / oldest live row of an order) come from
// `payment_histories_live_order_idx` (migration 20261126000040): an index-only scan in (order, newest first)
// order, no sort. Only the rows of the page get the full derivation (`orderRows`: one statement, per-order
// index probes). Sorting on a derived value (price, status, first payment) still derives it for every
// selected order (~50 ms at 50,000), and the exact count reads every listed order (~45 ms).

/** Newest live ledger row per order (status, price = money held, imp_id, its time). */
const LATEST = `(SELECT DISTINCT ON (ph.order_id) ph.order_id, ph.status, ph.price, ph.imp_id, ph.created_at
      FROM payment_histories ph WHERE ph.deleted_at IS NULL
     ORDER BY ph.order_id, ph.created_at DESC, ph.id DESC)`;
/** Oldest live ledger row's time per order (first payment). */
const FIRST = `(SELECT ph.order_id, min(ph.created_at) AS first_paid_at
      FROM payment_histories ph WHERE ph.deleted_at IS NULL GROUP BY ph.order_id)`;

/**
 * Live orders with at least one live ledger row and at least one live item. `ledgerImplied`: a semi-join or
 * sort join on the derived ledger values already requires a live ledger row.
 */
const listed = (ledgerImplied: boolean) => `o.deleted_at IS NULL
     ${ledgerImplied ? '' : 'AND EXISTS (SELECT 1 FROM payment_histories h WHERE h.order_id = o.id AND h.deleted_at IS NULL)'}
     AND EXISTS (SELECT 1 FROM order_product_relations x WHERE x.order_id = o.id AND x.deleted_at IS NULL)`;

const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const pgArray = (xs: readonly (string | number)[]) => `{${xs.join(',')}}`;

/** Orders whose customer info (live) matches `cond` (on alias ci). */
const customerIds = (cond: string) => `o.id IN (SELECT ci.order_id FROM customer_infos ci WHERE ci.deleted_at IS NULL AND ci.order_id IS NOT NULL AND (${cond}))`;
/** Orders whose buyer account matches `cond` (on alias u). */
const buyerIds = (cond: string) => `o.user_id IN (SELECT u.id FROM users u WHERE ${cond})`;
/** Orders whose newest live ledger row matches `cond` (on alias l). */
const latestIds = (cond: string) => `o.id IN (SELECT l.order_id FROM ${LATEST} l WHERE ${cond})`;

/** The id a search text names: a UUID, a short id (22 base-57 characters), a merchant_uid, a QR code or its page URL. */
function searchedId(q: string): string | null {
  let t = q.trim();
  const fromUrl = /[?&]token=([^&#\s]+)/.exec(t);
  if (fromUrl) t = decodeURIComponent(fromUrl[1]!);
  const qr = parseScancodeToken(t);
  if (qr) return qr.id;
  if (UUID_RE.test(t)) return t.toLowerCase();
  if (/^[0-9A-Za-z]{22}$/.test(t)) return decodeShortUuid(t);
  return parseMerchantUid(t)?.id ?? null;
}

function whereOf(f: OrderFilter): { sql: string; replacements: Record<string, unknown>; ledgerImplied: boolean } {
  const parts: string[] = [];
  const rep: Record<string, unknown> = {};
  const uuids = (xs: string[] | undefined) => (xs ?? []).filter((x) => UUID_RE.test(x)).map((x) => x.toLowerCase());

  if (f.q) {
    const ors = [
      latestIds(`l.imp_id ILIKE :qLike`),
      buyerIds(`u.email ILIKE :qLike`),
      customerIds(`ci.name ILIKE :qLike OR ci.phone ILIKE :qLike OR ci.email ILIKE :qLike`),
      `o.name_ko ILIKE :qLike`,
    ];
    rep.qLike = like(f.q);
    const exactId = searchedId(f.q);
    if (exactId) {
      // an order, one of its items, or its buyer (user_unique_id)
      ors.push(`o.id = CAST(:qId AS uuid)`);
      ors.push(`o.id IN (SELECT x.order_id FROM order_product_relations x WHERE x.id = CAST(:qId AS uuid))`);
      ors.push(buyerIds(`u.unique_id = CAST(:qId AS uuid)`));
      rep.qId = exactId;
    }
    const digits = f.q.replace(/\D/g, '');
    if (digits.length >= 4 && /^[\d\s+()-]+$/.test(f.q)) {
      ors.push(customerIds(`regexp_replace(ci.phone, '\\D', '', 'g') LIKE :qDigits`));
      rep.qDigits = `%${digits}%`;
    }
    parts.push(`(${ors.join('\n          OR ')})`);
  }
  if (f.id) {
    parts.push(`o.id = ANY(CAST(:ids AS uuid[]))`);
    rep.ids = pgArray(uuids(f.id));
  }
  if (f.userId?.length) {
    parts.push(`o.user_id = ANY(CAST(:userIds AS int[]))`);
    rep.userIds = pgArray(f.userId);
  }
  const itemFilter = (column: string, key: string, ids: string[] | undefined, join = '') => {
    if (!ids) return;
    parts.push(`EXISTS (SELECT 1 FROM order_product_relations i ${join}
                        WHERE i.order_id = o.id AND i.deleted_at IS NULL AND ${column} = ANY(CAST(:${key} AS uuid[])))`);
    rep[key] = pgArray(uuids(ids));
  };
  itemFilter('i.product_id', 'productIds', f.productId);
  itemFilter('p.category_id', 'categoryIds', f.categoryId, 'JOIN products p ON p.id = i.product_id');
  itemFilter('c.group_id', 'groupIds', f.categoryGroupId, 'JOIN products p ON p.id = i.product_id JOIN categories c ON c.id = p.category_id');
  if (f.email) {
    parts.push(`(${buyerIds('u.email ILIKE :emailLike')} OR ${customerIds('ci.email ILIKE :emailLike')})`);
    rep.emailLike = like(f.email);
  }
  if (f.name) {
    parts.push(
      `(${buyerIds('u.nickname_ko ILIKE :nameLike OR u.nickname_en ILIKE :nameLike OR u.username ILIKE :nameLike')} OR ${customerIds('ci.name ILIKE :nameLike')})`,
    );
    rep.nameLike = like(f.name);
  }
  if (f.comp !== undefined) parts.push(f.comp ? 'o.comp_reason IS NOT NULL' : 'o.comp_reason IS NULL');
  if (f.createdFrom) (parts.push(`o.created_at >= :createdFrom`), (rep.createdFrom = f.createdFrom));
  if (f.createdTo) (parts.push(`o.created_at <= :createdTo`), (rep.createdTo = f.createdTo));
  // the ledger: one semi-join on the newest rows for status / imp_id / price, one on the first payment
  const latest: string[] = [];
  if (f.status?.length) {
    latest.push(`l.status = ANY(CAST(:statuses AS text[]))`);
    rep.statuses = pgArray(f.status);
  }
  if (f.impId) {
    latest.push(`l.imp_id ILIKE :impLike`);
    rep.impLike = like(f.impId);
  }
  if (f.priceMin !== undefined) (latest.push(`l.price >= :priceMin`), (rep.priceMin = f.priceMin));
  if (f.priceMax !== undefined) (latest.push(`l.price <= :priceMax`), (rep.priceMax = f.priceMax));
  if (f.statusChangedFrom) (latest.push(`l.created_at >= :changedFrom`), (rep.changedFrom = f.statusChangedFrom));
  if (f.statusChangedTo) (latest.push(`l.created_at <= :changedTo`), (rep.changedTo = f.statusChangedTo));
  if (latest.length) parts.push(latestIds(latest.join(' AND ')));
  const paid: string[] = [];
  if (f.paidFrom) (paid.push(`f.first_paid_at >= :paidFrom`), (rep.paidFrom = f.paidFrom));
  if (f.paidTo) (paid.push(`f.first_paid_at <= :paidTo`), (rep.paidTo = f.paidTo));
  if (paid.length) parts.push(`o.id IN (SELECT f.order_id FROM ${FIRST} f WHERE ${paid.join(' AND ')})`);
  return { sql: parts.map((p) => `AND ${p}`).join('\n     '), replacements: rep, ledgerImplied: latest.length > 0 || paid.length > 0 };
}

/** Sort keys: a column of `orders` (indexed), or one derived value joined for the sort only. */
const SORT_SQL: Record<OrderSortKey, { column: string; join?: string }> = {
  createdAt: { column: 'o.created_at' },
  firstPaidAt: { column: 'f.first_paid_at', join: `JOIN ${FIRST} f ON f.order_id = o.id` },
  currentPaidPrice: { column: 'l.price', join: `JOIN ${LATEST} l ON l.order_id = o.id` },
  currentStatus: { column: 'l.status', join: `JOIN ${LATEST} l ON l.order_id = o.id` },
};

export interface FindOptions {
  limit?: number;
  offset?: number;
  sortBy?: string;
  direction?: 'asc' | 'desc';
  transaction?: Transaction;
}

/** Ids of the orders the filter selects, newest first by default. `limit` undefined = all. */
export async function findOrderIds(sequelize: Sequelize, filter: OrderFilter, opts: FindOptions = {}): Promise<string[]> {
  const w = whereOf(filter);
  const sort = SORT_SQL[(opts.sortBy ?? 'createdAt') as OrderSortKey] ?? SORT_SQL.createdAt;
  const dir = opts.direction === 'asc' ? 'ASC' : 'DESC';
  const paging = opts.limit !== undefined ? `LIMIT ${Math.max(0, Math.trunc(opts.limit))} OFFSET ${Math.max(0, Math.trunc(opts.offset ?? 0))}` : '';
  // created_at is NOT NULL: no NULLS clause, so the order is the index's (orders_live_created_idx)
  const order = sort.join ? `${sort.column} ${dir} NULLS LAST, o.id ${dir}` : `${sort.column} ${dir}, o.id ${dir}`;
  const sql = `SELECT o.id FROM orders o ${sort.join ?? ''}
   WHERE ${listed(w.ledgerImplied || !!sort.join)}
     ${w.sql}
   ORDER BY ${order} ${paging}`;
  const rows = await sequelize.query<{ id: string }>(sql, { type: QueryTypes.SELECT, replacements: w.replacements, transaction: opts.transaction });
  return rows.map((r) => r.id);
}

export async function countOrders(sequelize: Sequelize, filter: OrderFilter, transaction?: Transaction): Promise<number> {
  const w = whereOf(filter);
  const sql = `SELECT count(*) AS n FROM orders o
   WHERE ${listed(w.ledgerImplied)}
     ${w.sql}`;
  const rows = await sequelize.query<{ n: number }>(sql, { type: QueryTypes.SELECT, replacements: w.replacements, transaction });
  return Number(rows[0]?.n ?? 0);
}

interface RawRow {
  id: string;
  user_id: number;
  user_email: string;
  name_ko: string;
  name_en: string;
  status: PaymentStatus;
  price: number;
  first_paid_price: number;
  first_paid_at: Date | null;
  status_changed_at: Date | null;
  imp_id: string | null;
  prepared_cart_hash: string | null;
  import_key: string | null;
  comp_reason: string | null;
  customer_name: string | null;
  customer_phone: string | null;
  customer_email: string | null;
  customer_organization: string | null;
  item_count: number;
  created_at: Date;
  updated_at: Date;
}

/** The list rows of these orders, in the given order (unknown / non-matching ids are left out). */
export async function orderRows(sequelize: Sequelize, ids: string[], transaction?: Transaction): Promise<OrderRow[]> {
  const valid = ids.filter((x) => UUID_RE.test(x));
  if (valid.length === 0) return [];
  // one statement for the page: per order, index probes for the newest / oldest ledger row and the item sums
  const sql = `SELECT o.id, o.user_id, u.email AS user_email, o.name_ko, o.name_en, l.status, l.price, f.first_paid_at,
         l.created_at AS status_changed_at, l.imp_id, o.prepared_cart_hash, o.import_key, o.comp_reason,
         ci.name AS customer_name, ci.phone AS customer_phone, ci.email AS customer_email, ci.organization AS customer_organization,
         it.first_paid_price, it.item_count, o.created_at, o.updated_at
    FROM orders o
    JOIN users u ON u.id = o.user_id
    LEFT JOIN customer_infos ci ON ci.order_id = o.id AND ci.deleted_at IS NULL
    JOIN LATERAL (SELECT ph.status, ph.price, ph.imp_id, ph.created_at FROM payment_histories ph
                   WHERE ph.order_id = o.id AND ph.deleted_at IS NULL
                   ORDER BY ph.created_at DESC, ph.id DESC LIMIT 1) l ON true
    JOIN LATERAL (SELECT ph.created_at AS first_paid_at FROM payment_histories ph
                   WHERE ph.order_id = o.id AND ph.deleted_at IS NULL
                   ORDER BY ph.created_at ASC LIMIT 1) f ON true
    JOIN LATERAL (SELECT coalesce(sum(x.price + x.donation_price), 0) AS first_paid_price, count(*) AS item_count
                    FROM order_product_relations x WHERE x.order_id = o.id AND x.deleted_at IS NULL) it ON it.item_count > 0
   WHERE o.deleted_at IS NULL AND o.id = ANY(CAST(:rowIds AS uuid[]))`;
  const rows = await sequelize.query<RawRow>(sql, { type: QueryTypes.SELECT, replacements: { rowIds: pgArray(valid) }, transaction });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return valid
    .map((id) => byId.get(id.toLowerCase()) ?? byId.get(id))
    .filter((r): r is RawRow => !!r)
    .map((r) => ({
      id: r.id,
      userId: r.user_id,
      userEmail: r.user_email,
      nameKo: r.name_ko,
      nameEn: r.name_en,
      currentStatus: r.status,
      currentPaidPrice: Number(r.price),
      firstPaidPrice: Number(r.first_paid_price),
      firstPaidAt: r.first_paid_at ? new Date(r.first_paid_at) : null,
      statusChangedAt: r.status_changed_at ? new Date(r.status_changed_at) : null,
      latestImpId: r.imp_id,
      merchantUid: r.prepared_cart_hash ? merchantUid(r.id, r.prepared_cart_hash) : null,
      importKey: r.import_key,
      compReason: r.comp_reason,
      customerName: r.customer_name,
      customerPhone: r.customer_phone,
      customerEmail: r.customer_email,
      customerOrganization: r.customer_organization,
      itemCount: Number(r.item_count),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
    }));
}

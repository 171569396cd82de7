/**
 * Order export (spec §6.3) for operators:
 *
 * - CSV (what operators open in a spreadsheet): UTF-8 with BOM (Excel shows Korean correctly), every text
 *   cell behind the formula-injection guard, ONE ROW PER ITEM with the order, the buyer's account, the
 *   customer info, the product, the ticket holder (five columns), one column per option group (answer or option name; several choices of
 *   one group are joined with ", "), prices, item and order status, first payment and refund times.
 *   Streamed as flat SQL rows (one statement per batch of orders, one row per item with everything the
 *   CSV row needs; the next batch is read while this one is written): memory does not grow with the
 *   number of orders, and no ORM objects are built (50,000 rows took ~13 s through the order
 *   view, peak RSS +100 MiB).
 * - XLSX: the original system's workbook with its two sheets 주문 (orders) and 주문상품 (items), each with a
 *   leading row-number column, written with exceljs' streaming writer. (Fixed: one row per order in 주문,
 *   repeated option groups keep every value.)
 *
 * Which orders: those of the admin list filters (`OrderFilter`), or — the original's request — those
 * containing any of `productIds`, with status completed | partial_refunded (+ refunded with
 * `includeRefunded`). All live items of the selected orders are listed (as the original's 주문상품 sheet).
 */
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ITEM_TAGS_SQL, tagsOfItems } from './order-item-tags.js';
import { QueryTypes, type Sequelize } from 'sequelize';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import { OrderProductRelation } from '../models/index.js';
import { pythonIsoformat } from '../domain/checkout/snapshot.js';
import type { PaymentStatus } from '../domain/payment/status.js';
import { findOrderIds, orderRows, type OrderFilter, type OrderRow } from './admin-orders.js';
import { orderViews, type OrderDto } from './order-view.js';
import { cell, UTF8_BOM } from './csv/formula.js';
import { ITEM_STATUS_KO, ORDER_STATUS_KO, itemStatusKo, orderStatusKo } from '../domain/admin/format.js';

export interface ExportRequest {
  filter?: OrderFilter;
  productIds?: string[];
  includeRefunded?: boolean;
}

export interface ExportContext {
  backendDomain: string;
  scancodeSalts: readonly string[];
  now?: Date;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BATCH = 200; // orders per XLSX batch (through the full order view)
const CSV_BATCH = 250; // orders per CSV statement (~500 flat rows; larger batches outlive V8's young generation and peak RSS grows with the export)

export const ORDER_STATUS_LABEL = ORDER_STATUS_KO;
export const ITEM_STATUS_LABEL = ITEM_STATUS_KO;

/** The orders an export covers, newest first. */
export async function exportOrderIds(sequelize: Sequelize, req: ExportRequest): Promise<string[]> {
  if (req.productIds && req.productIds.length) {
    const status: PaymentStatus[] = ['completed', 'partial_refunded', ...(req.includeRefunded ? (['refunded'] as const) : [])];
    return findOrderIds(sequelize, { ...(req.filter ?? {}), productId: req.productIds, status: req.filter?.status?.filter((s) => status.includes(s)) ?? status });
  }
  return findOrderIds(sequelize, req.filter ?? {});
}

export function exportFilename(ext: 'csv' | 'xlsx', now = new Date()): string {
  const s = pythonIsoformat(now).slice(0, 19).replace('T', '_').replace(/:/g, '-');
  return `order_export_${s}.${ext}`;
}

/** Option-group column names of these orders: groups of their products and groups chosen in them. */
async function optionGroupColumns(sequelize: Sequelize, orderIds: string[]): Promise<string[]> {
  if (orderIds.length === 0) return [];
  const rows = await sequelize.query<{ name: string }>(
    `SELECT name FROM (
       SELECT g.name_ko AS name, min(g.priority) AS pr, max(g.created_at) AS ca
         FROM option_groups g
        WHERE g.id IN (
                SELECT g2.id FROM order_product_relations opr JOIN option_groups g2 ON g2.product_id = opr.product_id AND g2.deleted_at IS NULL
                 WHERE opr.order_id = ANY(CAST(:ids AS uuid[])) AND opr.deleted_at IS NULL
                UNION
                SELECT opor.product_option_group_id FROM order_product_option_relations opor
                  JOIN order_product_relations opr ON opr.id = opor.order_product_relation_id AND opr.deleted_at IS NULL
                 WHERE opr.order_id = ANY(CAST(:ids AS uuid[])) AND opor.deleted_at IS NULL)
        GROUP BY g.name_ko) x
      ORDER BY pr, ca DESC, name`,
    { type: QueryTypes.SELECT, replacements: { ids: `{${orderIds.join(',')}}` } },
  );
  return rows.map((r) => r.name);
}

interface Batch {
  rows: Map<string, OrderRow>;
  views: OrderDto[];
  itemTimes: Map<string, { updatedAt: Date; status: string; listPrice: number | null }>;
}

async function* batches(sequelize: Sequelize, ids: string[], ctx: ExportContext): AsyncGenerator<Batch> {
  for (let i = 0; i < ids.length; i += BATCH) {
    const chunk = ids.slice(i, i + BATCH);
    const [rows, views, items] = await Promise.all([
      orderRows(sequelize, chunk),
      orderViews(chunk, { lang: 'ko', now: ctx.now ?? new Date(), backendDomain: ctx.backendDomain, scancodeSalts: ctx.scancodeSalts }),
      OrderProductRelation.findAll({ where: { orderId: chunk }, attributes: ['id', 'status', 'updatedAt', 'listPrice'] }),
    ]);
    yield {
      rows: new Map(rows.map((r) => [r.id, r])),
      views,
      itemTimes: new Map(items.map((o) => [o.id, { updatedAt: o.updatedAt, status: o.status, listPrice: o.listPrice }])),
    };
  }
}

const iso = (d: Date | string | null | undefined) => (d ? pythonIsoformat(new Date(d)) : '');

/** `{group name: "value, value"}` of one item (answers for custom-response groups, else option names). */
function optionValues(item: OrderDto['products'][number]): Map<string, string> {
  const out = new Map<string, string[]>();
  for (const o of item.options) {
    const v = o.product_option_group.is_custom_response ? (o.custom_response ?? '') : (o.product_option?.name ?? '');
    out.set(o.product_option_group.name, [...(out.get(o.product_option_group.name) ?? []), v]);
  }
  return new Map([...out].map(([k, v]) => [k, v.filter((x) => x !== '').join(', ')]));
}

export const CSV_FIXED_HEADER = [
  '주문 번호',
  '주문명',
  '주문 상태',
  '주문 계정 이메일',
  '고객명',
  '고객 전화번호',
  '고객 이메일',
  '고객 소속',
  '상품 ID',
  '상품명',
] as const;
/** The ticket holder of the item (empty for non-tickets and tickets without one). */
export const CSV_HOLDER_HEADER = ['참가자 이름', '참가자 전화번호', '참가자 이메일', '참가자 소속', '후원자 한마디'] as const;
/**
 * `무료 발급` says 예 on a comp order's rows (with its reason); `정가` is what the item costs at its price — a comp
 * item's list price (its 상품 금액 is 0), else the 상품 금액 — so a report can sum what comps gave away.
 */
export const CSV_TRAILING_HEADER = ['상품 금액', '추가 기부액', '상품 상태', '첫 결제 금액', '현재 결제 금액', '결제 시간', '환불 시간', 'PortOne ID', '무료 발급', '무료 발급 사유', '정가', '태그'] as const;

/** The 무료 발급 cell of an order (예 / empty). */
export const compCell = (compReason: string | null | undefined): string => (compReason ? '예' : '');

/** One CSV row from the database: an item with its order, buyer, customer info, product and option answers. */
interface CsvItemRow {
  order_id: string;
  order_name: string;
  user_email: string;
  customer_name: string | null;
  customer_phone: string | null;
  customer_email: string | null;
  customer_organization: string | null;
  order_status: PaymentStatus | null;
  current_paid_price: number;
  imp_id: string | null;
  first_paid_at: Date | null;
  first_paid_price: number;
  item_status: string;
  item_price: number;
  donation_price: number;
  item_updated_at: Date;
  product_id: string;
  product_name: string;
  holder_name: string | null;
  holder_phone: string | null;
  holder_email: string | null;
  holder_organization: string | null;
  holder_message: string | null;
  /** the item's tag names ("VIP, 연사"), null = none */
  tags: string | null;
  comp_reason: string | null;
  list_price: number | null;
  /** [group name (ko), answer or option name] in answer order; null = no options */
  options: Array<[string, string | null]> | null;
}

/**
 * The CSV rows of these orders (in the given order; items oldest first), as the order view would show them:
 * live items / answers / ledger rows / customer info only, catalogue rows even when soft-deleted since, the
 * order's status, current price and PortOne id from its newest live ledger row, the first payment from its
 * oldest (`payment_histories_live_order_idx`), first paid price = Σ live items' price + donation.
 */
const CSV_ROWS_SQL = `
  SELECT o.id AS order_id, o.name_ko AS order_name, u.email AS user_email,
         ci.name AS customer_name, ci.phone AS customer_phone, ci.email AS customer_email, ci.organization AS customer_organization,
         l.status AS order_status, coalesce(l.price, 0) AS current_paid_price, l.imp_id, f.first_paid_at,
         sum(i.price + i.donation_price) OVER (PARTITION BY sel.ord) AS first_paid_price,
         i.status AS item_status, i.price AS item_price, i.donation_price, i.updated_at AS item_updated_at,
         p.id AS product_id, p.name_ko AS product_name, a.options, ${ITEM_TAGS_SQL} AS tags, o.comp_reason, i.list_price,
         ti.name AS holder_name, ti.phone AS holder_phone, ti.email AS holder_email, ti.organization AS holder_organization,
         ti.contribution_message AS holder_message
    FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS sel(id, ord)
    JOIN orders o ON o.id = sel.id AND o.deleted_at IS NULL
    JOIN users u ON u.id = o.user_id
    JOIN order_product_relations i ON i.order_id = o.id AND i.deleted_at IS NULL
    JOIN products p ON p.id = i.product_id
    LEFT JOIN customer_infos ci ON ci.order_id = o.id AND ci.deleted_at IS NULL
    LEFT JOIN ticket_infos ti ON ti.order_product_relation_id = i.id AND ti.deleted_at IS NULL
    LEFT JOIN LATERAL (SELECT ph.status, ph.price, ph.imp_id FROM payment_histories ph
                        WHERE ph.order_id = o.id AND ph.deleted_at IS NULL
                        ORDER BY ph.created_at DESC, ph.id DESC LIMIT 1) l ON true
    LEFT JOIN LATERAL (SELECT ph.created_at AS first_paid_at FROM payment_histories ph
                        WHERE ph.order_id = o.id AND ph.deleted_at IS NULL
                        ORDER BY ph.created_at ASC LIMIT 1) f ON true
    LEFT JOIN LATERAL (SELECT json_agg(json_build_array(g.name_ko, CASE WHEN g.is_custom_response THEN r.custom_response ELSE op.name_ko END)
                                       ORDER BY r.created_at, r.id) AS options
                         FROM order_product_option_relations r
                         JOIN option_groups g ON g.id = r.product_option_group_id
                         LEFT JOIN options op ON op.id = r.product_option_id
                        WHERE r.order_product_relation_id = i.id AND r.deleted_at IS NULL) a ON true
   ORDER BY sel.ord, i.created_at, i.id`;

async function csvRows(sequelize: Sequelize, ids: string[]): Promise<CsvItemRow[]> {
  return sequelize.query<CsvItemRow>(CSV_ROWS_SQL, { type: QueryTypes.SELECT, replacements: { ids: `{${ids.join(',')}}` } });
}

/** `{group name: "value, value"}` of one CSV item row (like `optionValues` for an order-view item). */
function rowOptionValues(options: CsvItemRow['options']): Map<string, string> {
  const out = new Map<string, string[]>();
  for (const [name, value] of options ?? []) out.set(name, [...(out.get(name) ?? []), value ?? '']);
  return new Map([...out].map(([k, v]) => [k, v.filter((x) => x !== '').join(', ')]));
}

/** Stream the CSV of these orders into `out` (ends it). */
export async function writeOrdersCsv(sequelize: Sequelize, orderIds: string[], out: Writable, ctx: ExportContext): Promise<void> {
  void ctx; // the CSV has no per-request values (QR links are in the order view only)
  const ids = orderIds.filter((x) => UUID_RE.test(x));
  const groups = await optionGroupColumns(sequelize, ids);
  const stringifier = stringify({ record_delimiter: '\r\n' });
  stringifier.pipe(out);
  out.write(UTF8_BOM);
  // a client that goes away stops the export (no more reads, no wait for a drain that never comes)
  const drainedOrGone = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        stringifier.off('drain', done);
        out.off('close', done);
        resolve();
      };
      stringifier.once('drain', done);
      out.once('close', done);
    });
  const write = async (record: Array<string | number>) => {
    if (!stringifier.write(record) && !out.destroyed) await drainedOrGone();
  };
  await write([...CSV_FIXED_HEADER, ...CSV_HOLDER_HEADER, ...groups, ...CSV_TRAILING_HEADER].map(cell));
  const fetchBatch = (i: number) => {
    if (i >= ids.length || out.destroyed) return null;
    const p = csvRows(sequelize, ids.slice(i, i + CSV_BATCH));
    p.catch(() => {}); // awaited below; not an unhandled rejection while the previous batch is written
    return p;
  };
  let next = fetchBatch(0);
  for (let i = 0; next; i += CSV_BATCH) {
    const rows = await next;
    next = fetchBatch(i + CSV_BATCH); // read the next batch while this one is written
    for (const r of rows) {
      if (out.destroyed) break;
      const values = rowOptionValues(r.options);
      const status = r.order_status ?? 'pending';
      await write(
        [
          r.order_id,
          r.order_name,
          ORDER_STATUS_LABEL[status] ?? status,
          r.user_email ?? '',
          r.customer_name ?? '',
          r.customer_phone ?? '',
          r.customer_email ?? '',
          r.customer_organization ?? '',
          r.product_id,
          r.product_name,
          r.holder_name ?? '',
          r.holder_phone ?? '',
          r.holder_email ?? '',
          r.holder_organization ?? '',
          r.holder_message ?? '',
          ...groups.map((g) => values.get(g) ?? ''),
          Number(r.item_price),
          Number(r.donation_price),
          ITEM_STATUS_LABEL[r.item_status] ?? r.item_status,
          Number(r.first_paid_price),
          Number(r.current_paid_price),
          iso(r.first_paid_at),
          r.item_status === 'refunded' ? iso(r.item_updated_at) : '',
          r.imp_id ?? '',
          compCell(r.comp_reason),
          r.comp_reason ?? '',
          Number(r.list_price ?? r.item_price),
          r.tags ?? '',
        ].map(cell),
      );
    }
  }
  stringifier.end();
  await finished(out).catch(() => {});
}

/** The original's workbook (sheets 주문 / 주문상품), streamed into `out`. */
export async function writeOrdersXlsx(sequelize: Sequelize, orderIds: string[], out: Writable, ctx: ExportContext): Promise<void> {
  const groups = await optionGroupColumns(sequelize, orderIds);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const orders = wb.addWorksheet('주문');
  orders.addRow(['', '주문 번호', '주문 계정 이메일', '고객명', '고객 전화번호', '고객 이메일', '고객 소속', '주문명', '첫 결제 시간', '첫 결제 금액', '현재 결제 금액', '현재 상태', 'PortOne ID', '무료 발급', '무료 발급 사유']).commit();
  let n = 0;
  for await (const b of batches(sequelize, orderIds, ctx)) {
    for (const view of b.views) {
      const r = b.rows.get(view.id);
      orders
        .addRow([
          n++,
          view.id,
          r?.userEmail ?? '',
          view.customer_info?.name ?? '',
          view.customer_info?.phone ?? '',
          view.customer_info?.email ?? '',
          view.customer_info?.organization ?? '',
          view.name,
          iso(view.first_paid_at),
          view.first_paid_price,
          view.current_paid_price,
          orderStatusKo(view.current_status),
          r?.latestImpId ?? '',
          compCell(r?.compReason),
          r?.compReason ?? '',
        ])
        .commit();
    }
  }
  orders.commit();
  const items = wb.addWorksheet('주문상품');
  items.addRow(['', '주문 번호', '상품 ID', '상품명', '상태', '결제 금액', '추가 기부액', ...CSV_HOLDER_HEADER, ...groups, '무료 발급', '정가', '태그']).commit();
  n = 0;
  for await (const b of batches(sequelize, orderIds, ctx)) {
    const tags = await tagsOfItems(sequelize, b.views.flatMap((v) => v.products.map((p) => p.id)));
    for (const view of b.views) {
      for (const item of view.products) {
        const values = optionValues(item);
        const h = item.ticket_info;
        const holder = [h?.name ?? '', h?.phone ?? '', h?.email ?? '', h?.organization ?? '', h?.contribution_message ?? ''];
        const tagNames = (tags.get(item.id) ?? []).map((t) => t.name).join(', ');
        const listPrice = b.itemTimes.get(item.id)?.listPrice ?? null;
        const comp = compCell(b.rows.get(view.id)?.compReason);
        items
          .addRow([n++, view.id, item.product.id, item.product.name, itemStatusKo(item.status), item.price, item.donation_price, ...holder, ...groups.map((g) => values.get(g) ?? ''), comp, listPrice ?? item.price, tagNames])
          .commit();
      }
    }
  }
  items.commit();
  await wb.commit();
}

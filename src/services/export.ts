/**
 * Order export (spec §6.3) for operators:
 *
 * - CSV (what operators open in a spreadsheet): UTF-8 with BOM (Excel shows Korean correctly), every text
 *   cell behind the formula-injection guard, ONE ROW PER ITEM with the order, the buyer's account, the
 *   customer info, the product, one column per option group (answer or option name; several choices of
 *   one group are joined with ", "), prices, item and order status, first payment and refund times.
 *   Streamed in batches: memory does not grow with the number of orders.
 * - XLSX: the original system's workbook with its two sheets 주문 (orders) and 주문상품 (items), each with a
 *   leading row-number column, written with exceljs' streaming writer. (Fixed: one row per order in 주문,
 *   repeated option groups keep every value.)
 *
 * Which orders: those of the admin list filters (`OrderFilter`), or — the original's request — those
 * containing any of `productIds`, with status completed | partial_refunded (+ refunded with
 * `includeRefunded`). All live items of the selected orders are listed (as the original's 주문상품 sheet).
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { QueryTypes, type Sequelize } from 'sequelize';
import { stringify } from 'csv-stringify';
import ExcelJS from 'exceljs';
import { OrderProductRelation } from '../models/index.js';
import { pythonIsoformat } from '../domain/checkout/snapshot.js';
import type { PaymentStatus } from '../domain/payment/status.js';
import { findOrderIds, orderRows, type OrderFilter, type OrderRow } from './admin-orders.js';
import { orderViews, type OrderDto } from './order-view.js';
import { cell, UTF8_BOM } from './csv/formula.js';

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

const BATCH = 200;

export const ORDER_STATUS_LABEL: Record<PaymentStatus, string> = {
  pending: '결제 대기',
  completed: '결제 완료',
  partial_refunded: '부분 환불',
  refunded: '환불 완료',
};
export const ITEM_STATUS_LABEL: Record<string, string> = { pending: '결제 대기', paid: '결제 완료', used: '사용 완료', refunded: '환불 완료' };

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
  itemTimes: Map<string, { updatedAt: Date; status: string }>;
}

async function* batches(sequelize: Sequelize, ids: string[], ctx: ExportContext): AsyncGenerator<Batch> {
  for (let i = 0; i < ids.length; i += BATCH) {
    const chunk = ids.slice(i, i + BATCH);
    const [rows, views, items] = await Promise.all([
      orderRows(sequelize, chunk),
      orderViews(chunk, { lang: 'ko', now: ctx.now ?? new Date(), backendDomain: ctx.backendDomain, scancodeSalts: ctx.scancodeSalts }),
      OrderProductRelation.findAll({ where: { orderId: chunk }, attributes: ['id', 'status', 'updatedAt'] }),
    ]);
    yield { rows: new Map(rows.map((r) => [r.id, r])), views, itemTimes: new Map(items.map((o) => [o.id, { updatedAt: o.updatedAt, status: o.status }])) };
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
export const CSV_TRAILING_HEADER = ['상품 금액', '추가 기부액', '상품 상태', '첫 결제 금액', '현재 결제 금액', '결제 시간', '환불 시간', 'PortOne ID'] as const;

/** Stream the CSV of these orders into `out` (ends it). */
export async function writeOrdersCsv(sequelize: Sequelize, orderIds: string[], out: Writable, ctx: ExportContext): Promise<void> {
  const groups = await optionGroupColumns(sequelize, orderIds);
  const stringifier = stringify({ record_delimiter: '\r\n' });
  stringifier.pipe(out);
  out.write(UTF8_BOM);
  const write = async (record: Array<string | number>) => {
    if (!stringifier.write(record)) await once(stringifier, 'drain');
  };
  await write([...CSV_FIXED_HEADER, ...groups, ...CSV_TRAILING_HEADER].map(cell));
  for await (const b of batches(sequelize, orderIds, ctx)) {
    for (const view of b.views) {
      const r = b.rows.get(view.id);
      for (const item of view.products) {
        const values = optionValues(item);
        const t = b.itemTimes.get(item.id);
        await write(
          [
            view.id,
            view.name,
            ORDER_STATUS_LABEL[view.current_status] ?? view.current_status,
            r?.userEmail ?? '',
            view.customer_info?.name ?? '',
            view.customer_info?.phone ?? '',
            view.customer_info?.email ?? '',
            view.customer_info?.organization ?? '',
            item.product.id,
            item.product.name,
            ...groups.map((g) => values.get(g) ?? ''),
            item.price,
            item.donation_price,
            ITEM_STATUS_LABEL[item.status] ?? item.status,
            view.first_paid_price,
            view.current_paid_price,
            iso(view.first_paid_at),
            item.status === 'refunded' && t ? iso(t.updatedAt) : '',
            r?.latestImpId ?? '',
          ].map(cell),
        );
      }
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
  orders.addRow(['', '주문 번호', '주문 계정 이메일', '고객명', '고객 전화번호', '고객 이메일', '고객 소속', '주문명', '첫 결제 시간', '첫 결제 금액', '현재 결제 금액', '현재 상태', 'PortOne ID']).commit();
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
          view.current_status,
          r?.latestImpId ?? '',
        ])
        .commit();
    }
  }
  orders.commit();
  const items = wb.addWorksheet('주문상품');
  items.addRow(['', '주문 번호', '상품 ID', '상품명', '상태', '결제 금액', '추가 기부액', ...groups]).commit();
  n = 0;
  for await (const b of batches(sequelize, orderIds, ctx)) {
    for (const view of b.views) {
      for (const item of view.products) {
        const values = optionValues(item);
        items.addRow([n++, view.id, item.product.id, item.product.name, item.status, item.price, item.donation_price, ...groups.map((g) => values.get(g) ?? '')]).commit();
      }
    }
  }
  items.commit();
  await wb.commit();
}

/**
 * The operators' dashboard numbers, from the ledger (payment_histories) and the stock counts:
 *
 * - sales = Σ first payments (`completed` ledger rows; CSV imports included), paid orders = their count;
 * - refunds = ledger rows that lowered the held amount (partial_refunded / refunded), amount = the drop;
 * - net = Σ money still held (each order's newest ledger row);
 * - "today" = since midnight Asia/Seoul;
 * - stock left per live product = stock − consumed (paid/used + live checkout holds), null = unlimited.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { Product, Category } from '../models/index.js';
import { soldCounts } from './stock.js';

export interface Totals {
  sales: number;
  paidOrders: number;
  refunds: number;
  refundAmount: number;
}

export interface StockRow {
  productId: string;
  name: string;
  category: string | null;
  stock: number;
  sold: number;
  left: number | null;
}

export interface DashboardData {
  generatedAt: string;
  today: Totals;
  total: Totals & { net: number };
  stock: StockRow[];
}

const SEOUL_MIDNIGHT = `(date_trunc('day', now() AT TIME ZONE 'Asia/Seoul') AT TIME ZONE 'Asia/Seoul')`;

export async function dashboardData(sequelize: Sequelize): Promise<DashboardData> {
  const [sums] = await sequelize.query<{
    sales: number; paid_orders: number; today_sales: number; today_paid_orders: number;
    refunds: number; refund_amount: number; today_refunds: number; today_refund_amount: number; net: number;
  }>(
    `WITH ledger AS (
       SELECT ph.order_id, ph.status, ph.price, ph.created_at,
              lag(ph.price) OVER (PARTITION BY ph.order_id ORDER BY ph.created_at, ph.id) AS prev_price,
              row_number() OVER (PARTITION BY ph.order_id ORDER BY ph.created_at DESC, ph.id DESC) AS newest
         FROM payment_histories ph JOIN orders o ON o.id = ph.order_id AND o.deleted_at IS NULL
        WHERE ph.deleted_at IS NULL
     )
     SELECT coalesce(sum(price) FILTER (WHERE status = 'completed'), 0) AS sales,
            count(*) FILTER (WHERE status = 'completed') AS paid_orders,
            coalesce(sum(price) FILTER (WHERE status = 'completed' AND created_at >= ${SEOUL_MIDNIGHT}), 0) AS today_sales,
            count(*) FILTER (WHERE status = 'completed' AND created_at >= ${SEOUL_MIDNIGHT}) AS today_paid_orders,
            count(*) FILTER (WHERE status IN ('partial_refunded', 'refunded') AND prev_price IS NOT NULL) AS refunds,
            coalesce(sum(prev_price - price) FILTER (WHERE status IN ('partial_refunded', 'refunded')), 0) AS refund_amount,
            count(*) FILTER (WHERE status IN ('partial_refunded', 'refunded') AND prev_price IS NOT NULL AND created_at >= ${SEOUL_MIDNIGHT}) AS today_refunds,
            coalesce(sum(prev_price - price) FILTER (WHERE status IN ('partial_refunded', 'refunded') AND created_at >= ${SEOUL_MIDNIGHT}), 0) AS today_refund_amount,
            coalesce(sum(price) FILTER (WHERE newest = 1), 0) AS net
       FROM ledger`,
    { type: QueryTypes.SELECT },
  );
  const products = await Product.findAll({
    include: [{ model: Category, as: 'category', required: false }],
    order: [['priority', 'ASC'], ['createdAt', 'ASC']],
  });
  const sold = await soldCounts(sequelize, { productIds: products.map((p) => p.id), tagIds: [], optionIds: [] });
  const n = (v: unknown) => Number(v ?? 0);
  return {
    generatedAt: new Date().toISOString(),
    today: { sales: n(sums?.today_sales), paidOrders: n(sums?.today_paid_orders), refunds: n(sums?.today_refunds), refundAmount: n(sums?.today_refund_amount) },
    total: { sales: n(sums?.sales), paidOrders: n(sums?.paid_orders), refunds: n(sums?.refunds), refundAmount: n(sums?.refund_amount), net: n(sums?.net) },
    stock: products.map((p) => {
      const s = sold.product.get(p.id) ?? 0;
      return {
        productId: p.id,
        name: p.nameKo,
        category: (p.get('category') as Category | undefined)?.name ?? null,
        stock: p.stock,
        sold: s,
        left: p.stock === 0 ? null : p.stock - s,
      };
    }),
  };
}

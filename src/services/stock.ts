/**
 * Stock and per-user counters from the database (spec §3.1), as aggregate queries — one query for all sold
 * counts, one for all of a buyer's counts — so a page of any size costs the same number of queries.
 *
 * What consumes stock: OPRs with status paid|used that belong to a non-deleted Order (buy-now carts own
 * their OPR with order_id NULL and never count; pending cart items do not reserve stock); soft-deleted
 * OPR / OPOR / tag-relation rows never count.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';

export interface SoldCounts {
  product: Map<string, number>;
  tag: Map<string, number>;
  option: Map<string, number>;
}

export interface TakenCount {
  cart: number;
  purchased: number;
}

export interface TakenCounts {
  product: Map<string, TakenCount>;
  tag: Map<string, TakenCount>;
  group: Map<string, TakenCount>;
  option: Map<string, TakenCount>;
}

const PURCHASED = `opr.status IN ('paid', 'used') AND opr.deleted_at IS NULL`;
const LIVE_ORDER = `JOIN orders o ON o.id = opr.order_id AND o.deleted_at IS NULL`;

export async function soldCounts(
  sequelize: Sequelize,
  ids: { productIds: string[]; tagIds: string[]; optionIds: string[] },
  transaction?: Transaction,
): Promise<SoldCounts> {
  const out: SoldCounts = { product: new Map(), tag: new Map(), option: new Map() };
  if (ids.productIds.length + ids.tagIds.length + ids.optionIds.length === 0) return out;
  const rows = await sequelize.query<{ kind: keyof SoldCounts; id: string; n: number }>(
    `SELECT 'product' AS kind, opr.product_id::text AS id, count(*) AS n
       FROM order_product_relations opr ${LIVE_ORDER}
      WHERE ${PURCHASED} AND opr.product_id = ANY(CAST(:productIds AS uuid[]))
      GROUP BY opr.product_id
     UNION ALL
     SELECT 'tag', ptr.tag_id::text, count(*)
       FROM order_product_relations opr ${LIVE_ORDER}
       JOIN product_tag_relations ptr ON ptr.product_id = opr.product_id AND ptr.deleted_at IS NULL
      WHERE ${PURCHASED} AND ptr.tag_id = ANY(CAST(:tagIds AS uuid[]))
      GROUP BY ptr.tag_id
     UNION ALL
     SELECT 'option', opor.product_option_id::text, count(*)
       FROM order_product_relations opr ${LIVE_ORDER}
       JOIN order_product_option_relations opor ON opor.order_product_relation_id = opr.id AND opor.deleted_at IS NULL
      WHERE ${PURCHASED} AND opor.product_option_id = ANY(CAST(:optionIds AS uuid[]))
      GROUP BY opor.product_option_id`,
    {
      type: QueryTypes.SELECT,
      transaction,
      replacements: { productIds: pgArray(ids.productIds), tagIds: pgArray(ids.tagIds), optionIds: pgArray(ids.optionIds) },
    },
  );
  for (const r of rows) out[r.kind].set(r.id, Number(r.n));
  return out;
}

/**
 * The buyer's own counts: `cart` = pending items of their carts (orders without payment history),
 * `purchased` = paid|used items of their orders. Buy-now carts are not counted (spec §3.1).
 */
export async function takenCounts(sequelize: Sequelize, userId: number, transaction?: Transaction): Promise<TakenCounts> {
  const out: TakenCounts = { product: new Map(), tag: new Map(), group: new Map(), option: new Map() };
  const rows = await sequelize.query<{ kind: keyof TakenCounts; id: string; cart: number; purchased: number }>(
    `WITH mine AS MATERIALIZED (
       SELECT opr.id, opr.product_id, (opr.status = 'pending') AS in_cart
         FROM order_product_relations opr ${LIVE_ORDER}
        WHERE o.user_id = :userId AND opr.deleted_at IS NULL
          AND (opr.status IN ('paid', 'used')
               OR (opr.status = 'pending' AND NOT EXISTS (
                     SELECT 1 FROM payment_histories ph WHERE ph.order_id = o.id AND ph.deleted_at IS NULL)))
     )
     SELECT 'product' AS kind, product_id::text AS id,
            count(*) FILTER (WHERE in_cart) AS cart, count(*) FILTER (WHERE NOT in_cart) AS purchased
       FROM mine GROUP BY product_id
     UNION ALL
     SELECT 'tag', ptr.tag_id::text, count(*) FILTER (WHERE in_cart), count(*) FILTER (WHERE NOT in_cart)
       FROM mine JOIN product_tag_relations ptr ON ptr.product_id = mine.product_id AND ptr.deleted_at IS NULL
      GROUP BY ptr.tag_id
     UNION ALL
     SELECT 'group', opor.product_option_group_id::text, count(*) FILTER (WHERE in_cart), count(*) FILTER (WHERE NOT in_cart)
       FROM mine JOIN order_product_option_relations opor ON opor.order_product_relation_id = mine.id AND opor.deleted_at IS NULL
      GROUP BY opor.product_option_group_id
     UNION ALL
     SELECT 'option', opor.product_option_id::text, count(*) FILTER (WHERE in_cart), count(*) FILTER (WHERE NOT in_cart)
       FROM mine JOIN order_product_option_relations opor ON opor.order_product_relation_id = mine.id AND opor.deleted_at IS NULL
      WHERE opor.product_option_id IS NOT NULL
      GROUP BY opor.product_option_id`,
    { type: QueryTypes.SELECT, transaction, replacements: { userId } },
  );
  for (const r of rows) out[r.kind].set(r.id, { cart: Number(r.cart), purchased: Number(r.purchased) });
  return out;
}

export const NO_TAKEN: TakenCount = Object.freeze({ cart: 0, purchased: 0 });

/** A Postgres array literal for `CAST(:x AS uuid[])` (ids are validated UUIDs from our own rows). */
function pgArray(ids: string[]): string {
  return `{${ids.join(',')}}`;
}

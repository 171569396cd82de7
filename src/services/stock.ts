/**
 * Stock and per-user counters from the database (spec §3.1), as aggregate queries — one query for all sold
 * counts, one for all of a buyer's counts — so a page of any size costs the same number of queries.
 *
 * What consumes stock: OPRs with status paid|used that belong to a non-deleted Order, plus pending OPRs
 * under a live checkout hold (see `consuming`). Carts and buy-now carts that are not checked out, expired
 * holds, and soft-deleted OPR / OPOR / tag-relation rows never count.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { send, positional } from '../db/pipeline.js';

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
/**
 * "belongs to a live order", written as an anti-join against the (few) soft-deleted orders so that counting
 * purchased units reads only the covering index `opr_purchased_cover_idx` instead of joining every order.
 */
const IN_LIVE_ORDER = `opr.order_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM orders dead WHERE dead.id = opr.order_id AND dead.deleted_at IS NOT NULL)`;

/**
 * The units that consume stock, as `(opr_id, product_id)` rows, restricted by `filter` (SQL on `opr`):
 * purchased units (paid|used in a live order) plus pending units under a live checkout hold (a prepared
 * cart or buy-now cart whose `stock_held_until` is after :now), except the hold of :exclude (the checkout
 * being re-validated must not compete with itself).
 */
function consuming(filter: string, exclude = ':exclude'): string {
  return `(
    SELECT opr.id, opr.product_id FROM order_product_relations opr
     WHERE ${PURCHASED} AND ${IN_LIVE_ORDER} AND ${filter}
    UNION ALL
    SELECT opr.id, opr.product_id FROM orders o JOIN order_product_relations opr ON opr.order_id = o.id
     WHERE o.deleted_at IS NULL AND o.stock_held_until > :now AND o.id <> ${exclude}
       AND opr.status = 'pending' AND opr.deleted_at IS NULL AND ${filter}
    UNION ALL
    SELECT opr.id, opr.product_id FROM single_product_carts spc JOIN order_product_relations opr ON opr.id = spc.order_product_relation_id
     WHERE spc.deleted_at IS NULL AND spc.stock_held_until > :now AND spc.id <> ${exclude}
       AND opr.status = 'pending' AND opr.deleted_at IS NULL AND ${filter}
  )`;
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export interface SoldCountOptions {
  transaction?: Transaction;
  /** Holds expire relative to this instant (default: now). */
  now?: Date;
  /** The cart / buy-now cart whose own hold is ignored. */
  excludeHolderId?: string | null;
}

type CountIds = { productIds: string[]; tagIds: string[]; optionIds: string[] };

/** The SQL of `soldCounts` as a CTE `c` and SELECTs of (kind, id, n), or null when nothing is asked. */
function soldCountsSql(ids: CountIds): { cte: string; selects: string[] } | null {
  if (ids.productIds.length + ids.tagIds.length + ids.optionIds.length === 0) return null;
  return soldCountsSqlOf({
    products: ids.productIds.length ? 'CAST(:productIds AS uuid[])' : null,
    tags: ids.tagIds.length ? 'CAST(:tagIds AS uuid[])' : null,
    options: ids.optionIds.length ? 'CAST(:optionIds AS uuid[])' : null,
  });
}

/** The ids to count, as SQL `uuid[]` expressions (an array parameter, or an `ARRAY(SELECT …)`); null: none of that kind. */
interface CountSets {
  products: string | null;
  tags: string | null;
  options: string | null;
}

function soldCountsSqlOf(sets: CountSets, exclude?: string, guard?: string): { cte: string; selects: string[] } {
  // Which units to collect: those of the products asked for and of the products carrying the tags asked
  // for (one id array, computed once: `= ANY(ARRAY(…))` lets every branch read the product index — an `OR`
  // with an `IN (subquery)` made PostgreSQL scan every item, ~40 ms at 100,000 items), plus the items that
  // answered the options asked for.
  // The id arrays are computed once, in a CTE, and read by the three branches of `consuming` (written into
  // each branch, they were three copies of the same sub-plans: every copy is set up at each run, and the
  // executor's set-up of these large plans was a fifth of PostgreSQL's time in a checkout). `count_go` (the
  // guard) is its own CTE so that a guard that is false still skips computing them.
  const productSets: string[] = [];
  if (sets.products) productSets.push(`SELECT unnest(${sets.products})`);
  if (sets.tags) productSets.push(`SELECT product_id FROM product_tag_relations WHERE deleted_at IS NULL AND tag_id = ANY(${sets.tags})`);
  const targets: string[] = [];
  const filters: string[] = [];
  if (productSets.length) {
    targets.push(`ARRAY(${productSets.join(' UNION ')}) AS product_ids`);
    filters.push(`opr.product_id = ANY(CAST((SELECT product_ids FROM count_targets) AS uuid[]))`);
  }
  if (sets.options) {
    targets.push(`ARRAY(SELECT order_product_relation_id FROM order_product_option_relations WHERE deleted_at IS NULL AND product_option_id = ANY(${sets.options})) AS item_ids`);
    filters.push(`opr.id = ANY(CAST((SELECT item_ids FROM count_targets) AS uuid[]))`);
  }
  const selects: string[] = [];
  if (sets.products) {
    selects.push(`SELECT 'product' AS kind, c.product_id::text AS id, count(*) AS n, NULL::bigint AS cart, NULL::bigint AS purchased
       FROM c WHERE c.product_id = ANY(${sets.products}) GROUP BY c.product_id`);
  }
  if (sets.tags) {
    selects.push(`SELECT 'tag' AS kind, ptr.tag_id::text AS id, count(*) AS n, NULL::bigint AS cart, NULL::bigint AS purchased
       FROM c JOIN product_tag_relations ptr ON ptr.product_id = c.product_id AND ptr.deleted_at IS NULL
      WHERE ptr.tag_id = ANY(${sets.tags}) GROUP BY ptr.tag_id`);
  }
  if (sets.options) {
    selects.push(`SELECT 'option' AS kind, opor.product_option_id::text AS id, count(*) AS n, NULL::bigint AS cart, NULL::bigint AS purchased
       FROM c JOIN order_product_option_relations opor ON opor.order_product_relation_id = c.id AND opor.deleted_at IS NULL
      WHERE opor.product_option_id = ANY(${sets.options}) GROUP BY opor.product_option_id`);
  }
  const filter = filters.length === 1 ? filters[0]! : `(${filters.join(' OR ')})`;
  const ctes = [`count_targets AS MATERIALIZED (SELECT ${targets.join(', ')})`];
  if (guard) ctes.push(`count_go AS MATERIALIZED (SELECT ${guard} AS go)`);
  ctes.push(`c AS MATERIALIZED ${consuming(guard ? `(SELECT go FROM count_go) AND ${filter}` : filter, exclude)}`);
  return { cte: ctes.join(',\n     '), selects };
}

function soldReplacements(ids: CountIds, opts: SoldCountOptions) {
  return {
    productIds: pgArray(ids.productIds),
    tagIds: pgArray(ids.tagIds),
    optionIds: pgArray(ids.optionIds),
    now: opts.now ?? new Date(),
    exclude: opts.excludeHolderId ?? NIL_UUID,
  };
}

/**
 * Sold counts of these products, tags and options (one query; only the kinds asked for are planned, and the
 * consuming units are collected once for all three).
 */
export async function soldCounts(sequelize: Sequelize, ids: CountIds, opts: SoldCountOptions = {}): Promise<SoldCounts> {
  const out: SoldCounts = { product: new Map(), tag: new Map(), option: new Map() };
  const q = soldCountsSql(ids);
  if (!q) return out;
  const rows = await sequelize.query<{ kind: keyof SoldCounts; id: string; n: number }>(
    `WITH ${q.cte}
     ${q.selects.join('\n     UNION ALL\n     ')}`,
    { type: QueryTypes.SELECT, transaction: opts.transaction, replacements: soldReplacements(ids, opts) },
  );
  for (const r of rows) out[r.kind].set(r.id, Number(r.n));
  return out;
}

/**
 * `soldCounts` and `takenCounts` in one statement (one round trip instead of two: the cart and checkout paths
 * need both). Same rules, same results.
 */
export async function soldAndTakenCounts(
  sequelize: Sequelize,
  ids: CountIds,
  userId: number,
  opts: SoldCountOptions & {
    /**
     * Also lock (FOR UPDATE) and return the buyer's cart — their newest live order without payment history,
     * as `findCart(userId, t, true)` does — in this statement (one round trip less for cart add). Only under
     * the buyer's row lock taken by an earlier statement: this statement's snapshot is then taken after it, so
     * a cart another request of this buyer created is seen (the lock order user → order stays).
     */
    lockCart?: boolean;
  } = {},
): Promise<{ sold: SoldCounts; taken: TakenCounts; cart?: Record<string, unknown> | null }> {
  const sql = soldAndTakenSql(soldCountsSql(ids), !!opts.lockCart);
  const replacements = { ...soldReplacements(ids, opts), userId };
  // in a transaction (cart add), prepared with its generic plan (src/db/pipeline.ts): planned on every run it
  // took ~2.3 ms to plan (pg_stat_statements on the bench), as long as a checkout's whole counts statement runs
  const statement = opts.transaction ? positional(sql, replacements) : null;
  const rows = statement
    ? await send<SoldAndTakenRow>(sequelize, opts.transaction!, statement.sql, { bind: statement.bind })
    : await sequelize.query<SoldAndTakenRow>(sql, { type: QueryTypes.SELECT, replacements });
  return soldAndTakenOf(rows, !!opts.lockCart);
}

/**
 * `soldAndTakenCounts` for a checkout of these products and option groups, sent now on the transaction's
 * connection (src/db/pipeline.ts) — before the catalogue rows are back: the ids to count are chosen in SQL
 * as `loadOrderabilityFacts` chooses them from those rows (the live ones with a limited stock: the products
 * asked for, their live tags, the live options of their live groups and of the groups asked for). Send it
 * after the statement that takes the stock locks: its snapshot is then taken after them.
 */
export function sendCheckoutCounts(
  sequelize: Sequelize,
  t: Transaction,
  req: { productIds: string[]; groupIds: string[] },
  userId: number,
  opts: Omit<SoldCountOptions, 'transaction'>,
): Promise<{ sold: SoldCounts; taken: TakenCounts }> {
  return sendCheckoutCountsOf(
    sequelize,
    t,
    { products: 'CAST(:productIds AS uuid[])', groups: 'CAST(:groupIds AS uuid[])', exclude: 'CAST(:exclude AS uuid)' },
    { productIds: pgArray(req.productIds), groupIds: pgArray(req.groupIds), exclude: opts.excludeHolderId ?? NIL_UUID },
    userId,
    opts.now ?? new Date(),
  );
}

/**
 * Counting a product's consuming units one by one costs time linear in its units, under its row lock (4 ms at
 * 2,800 units: half of a checkout's time under that lock in the bench). A cheap upper bound — every live item
 * of the product that is paid, used or pending, two index-only counts, whatever its order's or hold's state —
 * answers as well when it is at least this many units below the stock: a checkout (or a payment's re-check)
 * of up to this many units of the product passes with the bound exactly when it passes with the exact count,
 * because both leave at least this much stock. Only a product nearer to selling out (every ticket product in
 * a rush, whose units are then few) is counted exactly. The bound is never below the exact count, so it can
 * never let a unit be oversold; a single checkout of more than this many units of one product could only be
 * refused when it would have passed.
 */
export const FAR_FROM_SOLD_OUT = 1000;

/** The upper bound of a product's consuming units (SQL; `product` is SQL of its id): live paid / used / pending items. */
const UNITS_BOUND = (product: string) =>
  `(SELECT count(*) FROM order_product_relations x WHERE x.product_id = ${product} AND x.status IN ('paid', 'used') AND x.deleted_at IS NULL)
   + (SELECT count(*) FROM order_product_relations x WHERE x.product_id = ${product} AND x.status = 'pending' AND x.deleted_at IS NULL)`;

/**
 * `sendCheckoutCounts` with the products, the option groups and the holder left out given as SQL (uuid[],
 * uuid[] and uuid expressions over `:name` values in `replacements`): for a caller whose ids are still being
 * read by a statement sent just before (src/services/orderability.ts, `FactsSource`).
 */
export function sendCheckoutCountsOf(
  sequelize: Sequelize,
  t: Transaction,
  sql: { products: string; groups: string; exclude: string; ctes?: string },
  replacements: Record<string, unknown>,
  userId: number,
  now: Date,
  /** also read the versions of the rows the stock locks protect (`RowVersions`), in the same statement */
  withVersions = false,
): Promise<{ sold: SoldCounts; taken: TakenCounts; versions?: RowVersions }> {
  // the live products asked for, read once (with their versions): a generic plan scanned the products table
  // for each of the five places that ask "is it a live product asked for?"
  const live = `SELECT id FROM live_products`;
  // A product far from selling out is not counted unit by unit (see FAR_FROM_SOLD_OUT): its "sold" is the
  // bound, and only the others go to the exact count (`ids.products`)
  const idsCte = `${sql.ctes ? `${sql.ctes},
     ` : ''}src AS MATERIALIZED (SELECT ${sql.products} AS products, ${sql.groups} AS groups, ${sql.exclude} AS exclude),
     live_products AS MATERIALIZED (
       SELECT id, stock, xmin::text AS version FROM products WHERE id = ANY(CAST((SELECT products FROM src) AS uuid[])) AND deleted_at IS NULL),
     bounds AS MATERIALIZED (
       SELECT p.id, p.stock, ${UNITS_BOUND('p.id')} AS n FROM live_products p WHERE p.stock >= ${FAR_FROM_SOLD_OUT}),
     far AS MATERIALIZED (SELECT id, n FROM bounds WHERE n <= stock - ${FAR_FROM_SOLD_OUT}),
     ids AS MATERIALIZED (SELECT
       ARRAY(SELECT id FROM live_products WHERE stock <> 0 AND id NOT IN (SELECT id FROM far)) AS products,
       ARRAY(SELECT DISTINCT r.tag_id FROM product_tag_relations r JOIN tags tg ON tg.id = r.tag_id AND tg.deleted_at IS NULL
              WHERE r.product_id IN (${live}) AND r.deleted_at IS NULL AND tg.stock <> 0) AS tags,
       ARRAY(SELECT o.id FROM option_groups g JOIN options o ON o.group_id = g.id AND o.deleted_at IS NULL
              WHERE g.deleted_at IS NULL AND (g.product_id IN (${live}) OR g.id = ANY(CAST((SELECT groups FROM src) AS uuid[]))) AND o.stock <> 0) AS options)`;
  const q = soldCountsSqlOf(
    { products: 'CAST((SELECT products FROM ids) AS uuid[])', tags: 'CAST((SELECT tags FROM ids) AS uuid[])', options: 'CAST((SELECT options FROM ids) AS uuid[])' },
    `COALESCE((SELECT exclude FROM src), '${NIL_UUID}'::uuid)`,
    // nothing to count exactly (every product far from selling out, no limited tag or option): the units are
    // not even collected (PostgreSQL skips the branches on this one-time condition)
    `EXISTS (SELECT 1 FROM ids WHERE cardinality(ids.products) + cardinality(ids.tags) + cardinality(ids.options) > 0)`,
  );
  const farSelect = `SELECT 'product' AS kind, far.id::text AS id, far.n AS n, NULL::bigint AS cart, NULL::bigint AS purchased FROM far`;
  // the live products asked for and their live relations to live tags, with their versions (xmin): what the
  // catalogue rows statement reads of the rows the stock locks protect, here read behind those locks
  const versionSelects = withVersions
    ? [
        `SELECT 'version:product', id::text || ' ' || version, NULL::bigint, NULL::bigint, NULL::bigint FROM live_products`,
        `SELECT 'version:relation', r.product_id::text || ' ' || r.tag_id::text || ' ' || tg.xmin::text, NULL::bigint, NULL::bigint, NULL::bigint
           FROM product_tag_relations r JOIN tags tg ON tg.id = r.tag_id AND tg.deleted_at IS NULL
          WHERE r.product_id IN (${live}) AND r.deleted_at IS NULL`,
      ]
    : [];
  const sqlText = soldAndTakenSql({ cte: `${idsCte}, ${q.cte}`, selects: [...q.selects, farSelect, ...versionSelects] }, false);
  const statement = positional(sqlText, { ...replacements, now, userId });
  return send<SoldAndTakenRow>(sequelize, t, statement.sql, { bind: statement.bind }).then((rows) => soldAndTakenOf(rows, false));
}

/** Row versions read by `sendCheckoutCountsOf(…, withVersions)`: product id → xmin, and `product tag tagXmin` of each live relation. */
export interface RowVersions {
  products: Map<string, string>;
  relations: Set<string>;
}

type SoldAndTakenRow = { kind: string; id: string; n: number | null; cart: number | null; purchased: number | null };

function soldAndTakenSql(q: { cte: string; selects: string[] } | null, lockCart: boolean): string {
  const cartCte = lockCart ? `, ${CART_LOCK_CTE}` : '';
  const cartSelect = lockCart ? [`SELECT 'cart', row_to_json(cart)::text, NULL::bigint, NULL::bigint, NULL::bigint FROM cart`] : [];
  return `WITH ${q ? `${q.cte}, ` : ''}${TAKEN_CTE}${cartCte}
     ${[...(q?.selects ?? []), ...TAKEN_SELECTS.map((t) => t.replace(/^SELECT '(\w+)'/, "SELECT 'taken:$1'")), ...cartSelect].join('\n     UNION ALL\n     ')}`;
}

function soldAndTakenOf(
  rows: readonly SoldAndTakenRow[],
  lockCart: boolean,
): { sold: SoldCounts; taken: TakenCounts; cart?: Record<string, unknown> | null; versions?: RowVersions } {
  const sold: SoldCounts = { product: new Map(), tag: new Map(), option: new Map() };
  const taken: TakenCounts = { product: new Map(), tag: new Map(), group: new Map(), option: new Map() };
  let cart: Record<string, unknown> | null = null;
  let versions: RowVersions | undefined;
  for (const r of rows) {
    if (r.kind.startsWith('version:')) {
      versions ??= { products: new Map(), relations: new Set() };
      if (r.kind === 'version:product') {
        const [id, xmin] = r.id.split(' ');
        versions.products.set(id!, xmin!);
      } else versions.relations.add(r.id);
    } else if (r.kind === 'cart') cart = JSON.parse(r.id) as Record<string, unknown>;
    else if (r.kind.startsWith('taken:')) taken[r.kind.slice(6) as keyof TakenCounts].set(r.id, { cart: Number(r.cart), purchased: Number(r.purchased) });
    else sold[r.kind as keyof SoldCounts].set(r.id, Number(r.n));
  }
  return { sold, taken, ...(lockCart ? { cart } : {}), ...(versions ? { versions } : {}) };
}

/** The buyer's cart row, locked: the same rows, order and lock as `findCart(userId, t, true)` (cart.ts). */
const CART_OF_USER = `SELECT o.* FROM orders o
        WHERE o.deleted_at IS NULL AND o.user_id = :userId
          AND NOT EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = o.id AND ph.deleted_at IS NULL)
        ORDER BY o.created_at DESC LIMIT 1`;
export const CART_LOCK_CTE = `cart AS MATERIALIZED (
       ${CART_OF_USER} FOR UPDATE
     )`;
/** The id of the buyer `:userId`'s cart by the same rule, without the lock (SQL of a uuid, NULL when none). */
export const CART_ID_SQL = `(SELECT id FROM (${CART_OF_USER}) cart_of_user)`;

export interface CatalogSoldCounts {
  product: Map<string, number>;
  option: Map<string, number>;
  /** The earliest live checkout hold expiry after `now` (the counts change then), or null. */
  nextHoldExpiry: Date | null;
}

/**
 * Sold counts of every product still (or not yet) visible at `now` and of its options — the catalogue
 * cache's snapshot — and when they next change by themselves (a hold expiring). One query; same rules as
 * `soldCounts`.
 */
export async function catalogSoldCounts(sequelize: Sequelize, now: Date): Promise<CatalogSoldCounts> {
  // Products whose visible window is over can never be shown again without an edit (which invalidates the
  // snapshot): their (many) past sales are left out.
  const current = `opr.product_id IN (SELECT id FROM products WHERE deleted_at IS NULL AND visible_ends_at >= :now)`;
  const rows = await sequelize.query<{ kind: 'product' | 'option' | 'expiry'; id: string | null; n: number | null; at: Date | null }>(
    `WITH c AS MATERIALIZED ${consuming(current)}
     SELECT 'product' AS kind, c.product_id::text AS id, count(*) AS n, NULL::timestamptz AS at FROM c GROUP BY c.product_id
     UNION ALL
     SELECT 'option', opor.product_option_id::text, count(*), NULL
       FROM c JOIN order_product_option_relations opor ON opor.order_product_relation_id = c.id AND opor.deleted_at IS NULL
      WHERE opor.product_option_id IS NOT NULL
      GROUP BY opor.product_option_id
     UNION ALL
     SELECT 'expiry', NULL, NULL, least(
       (SELECT min(stock_held_until) FROM orders WHERE deleted_at IS NULL AND stock_held_until > :now),
       (SELECT min(stock_held_until) FROM single_product_carts WHERE deleted_at IS NULL AND stock_held_until > :now))`,
    { type: QueryTypes.SELECT, replacements: { now, exclude: NIL_UUID } },
  );
  const out: CatalogSoldCounts = { product: new Map(), option: new Map(), nextHoldExpiry: null };
  for (const r of rows) {
    if (r.kind === 'expiry') out.nextHoldExpiry = r.at ? new Date(r.at) : null;
    else out[r.kind].set(r.id!, Number(r.n));
  }
  return out;
}

const TAKEN_CTE = `mine AS MATERIALIZED (
       SELECT opr.id, opr.product_id, (opr.status = 'pending') AS in_cart
         FROM order_product_relations opr ${LIVE_ORDER}
        WHERE o.user_id = :userId AND opr.deleted_at IS NULL
          AND (opr.status IN ('paid', 'used')
               OR (opr.status = 'pending' AND NOT EXISTS (
                     SELECT 1 FROM payment_histories ph WHERE ph.order_id = o.id AND ph.deleted_at IS NULL)))
     )`;
const TAKEN_SELECTS = [
  `SELECT 'product' AS kind, product_id::text AS id, NULL::bigint AS n,
            count(*) FILTER (WHERE in_cart) AS cart, count(*) FILTER (WHERE NOT in_cart) AS purchased
       FROM mine GROUP BY product_id`,
  `SELECT 'tag', ptr.tag_id::text, NULL::bigint, count(*) FILTER (WHERE in_cart), count(*) FILTER (WHERE NOT in_cart)
       FROM mine JOIN product_tag_relations ptr ON ptr.product_id = mine.product_id AND ptr.deleted_at IS NULL
      GROUP BY ptr.tag_id`,
  `SELECT 'group', opor.product_option_group_id::text, NULL::bigint, count(*) FILTER (WHERE in_cart), count(*) FILTER (WHERE NOT in_cart)
       FROM mine JOIN order_product_option_relations opor ON opor.order_product_relation_id = mine.id AND opor.deleted_at IS NULL
      GROUP BY opor.product_option_group_id`,
  `SELECT 'option', opor.product_option_id::text, NULL::bigint, count(*) FILTER (WHERE in_cart), count(*) FILTER (WHERE NOT in_cart)
       FROM mine JOIN order_product_option_relations opor ON opor.order_product_relation_id = mine.id AND opor.deleted_at IS NULL
      WHERE opor.product_option_id IS NOT NULL
      GROUP BY opor.product_option_id`,
];

/**
 * The buyer's own counts: `cart` = pending items of their carts (orders without payment history),
 * `purchased` = paid|used items of their orders. Buy-now carts are not counted (spec §3.1).
 */
export async function takenCounts(
  sequelize: Sequelize,
  userId: number,
  transaction?: Transaction,
  /** `tags: false`: without the tag counts (the catalogue shows none) */
  opts: { tags?: boolean } = {},
): Promise<TakenCounts> {
  const out: TakenCounts = { product: new Map(), tag: new Map(), group: new Map(), option: new Map() };
  if (opts.tags === false) {
    // The catalogue (no tag values shown): the buyer's few items and answers as plain rows, counted here — a
    // cheaper statement to plan than the grouped one, same counts (items once each, answers once each).
    const items = await sequelize.query<OwnItemRow>(ownItemsSql('o.user_id = :userId'), { type: QueryTypes.SELECT, transaction, replacements: { userId } });
    addOwnItems(out, items);
    return out;
  }
  const rows = await sequelize.query<{ kind: keyof TakenCounts; id: string; cart: number; purchased: number }>(
    `WITH ${TAKEN_CTE}
     ${TAKEN_SELECTS.join('\n     UNION ALL\n     ')}`,
    { type: QueryTypes.SELECT, transaction, replacements: { userId } },
  );
  for (const r of rows) out[r.kind].set(r.id, { cart: Number(r.cart), purchased: Number(r.purchased) });
  return out;
}

interface OwnItemRow {
  user_id: number;
  id: string;
  product_id: string;
  in_cart: boolean;
  group_id: string | null;
  option_id: string | null;
}

/** The buyers' counted items (`takenCounts`' rules) with their option answers, one row per answer, of the orders `whereOrder`. */
function ownItemsSql(whereOrder: string): string {
  return `SELECT o.user_id, opr.id, opr.product_id, (opr.status = 'pending') AS in_cart,
              opor.product_option_group_id AS group_id, opor.product_option_id AS option_id
         FROM order_product_relations opr ${LIVE_ORDER}
         LEFT JOIN order_product_option_relations opor ON opor.order_product_relation_id = opr.id AND opor.deleted_at IS NULL
        WHERE ${whereOrder} AND opr.deleted_at IS NULL
          AND (opr.status IN ('paid', 'used')
               OR (opr.status = 'pending' AND NOT EXISTS (
                     SELECT 1 FROM payment_histories ph WHERE ph.order_id = o.id AND ph.deleted_at IS NULL)))`;
}

/** Count one buyer's rows of `ownItemsSql` (items once each, answers once each) into `out` (without tags). */
function addOwnItems(out: TakenCounts, items: readonly OwnItemRow[]): void {
  const add = (m: Map<string, TakenCount>, id: string, inCart: boolean) => {
    const c = m.get(id) ?? { cart: 0, purchased: 0 };
    if (inCart) c.cart++;
    else c.purchased++;
    m.set(id, c);
  };
  const seen = new Set<string>();
  for (const r of items) {
    if (!seen.has(r.id)) {
      seen.add(r.id);
      add(out.product, r.product_id, r.in_cart);
    }
    if (r.group_id !== null) add(out.group, r.group_id, r.in_cart);
    if (r.option_id !== null) add(out.option, r.option_id, r.in_cart);
  }
}

/**
 * `takenCounts(…, { tags: false })` of several buyers in one statement (the catalogue cache loads the buyers
 * whose counts it misses together): every id asked for is in the answer, with empty maps when it has none.
 */
export async function takenCountsOfUsers(sequelize: Sequelize, userIds: readonly number[]): Promise<Map<number, TakenCounts>> {
  const out = new Map<number, TakenCounts>();
  for (const id of userIds) out.set(id, { product: new Map(), tag: new Map(), group: new Map(), option: new Map() });
  if (userIds.length === 0) return out;
  const rows = await sequelize.query<OwnItemRow>(ownItemsSql('o.user_id = ANY(CAST(:userIds AS int[]))'), {
    type: QueryTypes.SELECT,
    replacements: { userIds: `{${userIds.map((id) => Math.trunc(id)).join(',')}}` },
  });
  const byUser = new Map<number, OwnItemRow[]>();
  for (const r of rows) {
    const uid = Number(r.user_id);
    const list = byUser.get(uid);
    if (list) list.push(r);
    else byUser.set(uid, [r]);
  }
  for (const [uid, items] of byUser) {
    const counts = out.get(uid);
    if (counts) addOwnItems(counts, items);
  }
  return out;
}

export const NO_TAKEN: TakenCount = Object.freeze({ cart: 0, purchased: 0 });

/** A Postgres array literal for `CAST(:x AS uuid[])` (ids are validated UUIDs from our own rows). */
function pgArray(ids: string[]): string {
  return `{${ids.join(',')}}`;
}

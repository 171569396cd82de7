/**
 * Loads what the pure orderability check (src/domain/cart/orderability.ts) needs for a set of item
 * requests: products with their active tags, option groups and options, sold counts (purchases + live
 * checkout holds) and the buyer's own counts. With `lock`, the product rows and then the tag rows are
 * locked FOR UPDATE in id order — the one lock order every stock-claiming path uses, so concurrent
 * checkouts of the same product (or tag) serialize and cannot both take the last unit.
 */
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { Product, ProductTagRelation, Tag, OptionGroup, Option, Order } from '../models/index.js';
import type {
  ItemRequest,
  OrderabilityFacts,
  OptionGroupFacts,
  ProductFacts,
  UserTakenCounts,
} from '../domain/cart/orderability.js';
import { tr, type Lang } from '../domain/i18n.js';
import { soldAndTakenCounts, sendCheckoutCounts, sendCheckoutCountsOf, type RowVersions, type SoldCounts, type TakenCounts } from './stock.js';
import { send, positional } from '../db/pipeline.js';
import { preparedRead } from '../db/named-query.js';
import { hydrate, hydrateAll } from './json-rows.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const asUuid = (v: unknown): string | null => (typeof v === 'string' && UUID_RE.test(v) ? v.toLowerCase() : null);

/**
 * The stock locks of a checkout or a payment, as two CTEs (`locked_products`, `locked_tags`) to put in a
 * statement: the live rows of the products `productIds` (SQL of a uuid[]), then the live tags of those
 * products, each in id order (FOR UPDATE) — the one lock order of every stock-claiming path, so concurrent
 * claims of the same product or tag serialize and cannot both take the last unit. `guard` (SQL) runs before
 * the products are locked (e.g. that the buyer's row, locked first, exists). The statement must select
 * `(SELECT count(*) FROM locked_products)` before `(… FROM locked_tags)`, so the products are locked first
 * even when no tag matches.
 */
export function stockLockCtes(productIds: string, guard: string): string {
  return `locked_products AS MATERIALIZED (
         SELECT id FROM products WHERE id = ANY(${productIds}) AND deleted_at IS NULL AND ${guard} ORDER BY id FOR UPDATE),
       locked_tags AS MATERIALIZED (
         SELECT t.id FROM tags t
          WHERE t.deleted_at IS NULL
            AND t.id IN (SELECT r.tag_id FROM product_tag_relations r JOIN locked_products p ON p.id = r.product_id WHERE r.deleted_at IS NULL)
          ORDER BY t.id FOR UPDATE OF t)`;
}

export interface LoadOptions {
  transaction: Transaction;
  lang: Lang;
  now: Date;
  lock?: boolean;
  /** the cart / buy-now cart being checked out: its own hold does not count against it */
  excludeHolderId?: string | null;
  /**
   * Lock this buyer's user row (FOR UPDATE) in the same statement that reads the catalogue rows (one round
   * trip less); only without `lock` — the catalogue rows read are not protected by that lock anyway, and the
   * counts are read by the next statement, under it. `buyerLocked` tells whether the row was there.
   */
  lockBuyer?: number;
  /**
   * With `lockBuyer`: also lock and load the buyer's cart (as `findCart(…, lock)`) in the statement that reads
   * the counts — it runs after the buyer's lock, so it sees what an earlier request of this buyer committed.
   */
  lockCart?: boolean;
  /**
   * The rows and the counts sent at once, at the call, on the transaction's connection (src/db/pipeline.ts):
   * for a caller that has just handed over its lock statement (it must not await anything in between).
   */
  pipelined?: boolean;
}

export interface LoadedFacts {
  factsFor(request: ItemRequest): OrderabilityFacts;
  taken: UserTakenCounts;
  products: Map<string, ProductFacts>;
  /** the live product rows asked for, by id */
  productRows: Map<string, Product>;
  /** tag id → {stock, sold} for cross-item checks */
  tags: Map<string, { stock: number; sold: number; name: string }>;
  /** with `lockBuyer`: the buyer's row exists and is now locked (else nothing else was loaded) */
  buyerLocked?: boolean;
  /** with `lockCart`: the buyer's cart, locked FOR UPDATE, or null when they have none */
  cart?: Order | null;
}

type J = Array<Record<string, unknown>> | null;
type FactsRow = {
  buyer?: number | null;
  /** each with its `row_version` (xmin) */
  products: J;
  ticket_categories: string[] | null;
  relations: Array<{ relation: Record<string, unknown>; tag: Record<string, unknown>; tag_version: string }> | null;
  groups: Array<{ group: Record<string, unknown>; options: J }> | null;
  /** with a `FactsSource`: the ids it gave */
  used_products?: string[] | null;
  used_groups?: string[] | null;
  used_exclude?: string | null;
};

/**
 * The rows themselves in one statement (after the locks, so the latest committed versions): the live
 * products `products` (SQL of a uuid[]; id order), their live tag relations with live tags, and the live
 * option groups of those products or in `groups` (priority, newest first) with their live options
 * (priority). With `buyer` (SQL of a user id), that user's row is locked first (FOR UPDATE) and named.
 */
function factsRowsSql(products: string, groups: string, buyer: string | null, used = '', ctes?: string): string {
  return `WITH ${ctes ? `${ctes},` : ''}${buyer ? `u AS (SELECT id FROM users WHERE id = ${buyer} FOR UPDATE),` : ''}
              p AS MATERIALIZED (SELECT *, xmin::text AS row_version FROM products WHERE id = ANY(${products}) AND deleted_at IS NULL),
              g AS MATERIALIZED (SELECT * FROM option_groups
                                  WHERE (product_id IN (SELECT id FROM p) OR id = ANY(${groups})) AND deleted_at IS NULL)
         SELECT
           ${buyer ? '(SELECT id FROM u) AS buyer,' : ''}
           (SELECT json_agg(p ORDER BY p.id) FROM p) AS products,
           (SELECT json_agg(c.id) FROM categories c WHERE c.id IN (SELECT category_id FROM p) AND c.is_ticket) AS ticket_categories,
           (SELECT json_agg(json_build_object('relation', r, 'tag', tg, 'tag_version', tg.xmin::text))
              FROM product_tag_relations r JOIN tags tg ON tg.id = r.tag_id AND tg.deleted_at IS NULL
             WHERE r.product_id IN (SELECT id FROM p) AND r.deleted_at IS NULL) AS relations,
           (SELECT json_agg(json_build_object('group', g,
                     'options', (SELECT json_agg(o ORDER BY o.priority) FROM options o WHERE o.group_id = g.id AND o.deleted_at IS NULL))
                   ORDER BY g.priority, g.created_at DESC)
              FROM g) AS groups${used}`;
}

/** The product, option group and option ids of these requests (well-formed uuids only, lower case). */
function requestedIds(requests: readonly ItemRequest[]): { productIds: Set<string>; groupIds: Set<string>; optionIds: Set<string> } {
  const productIds = new Set<string>();
  const groupIds = new Set<string>();
  const optionIds = new Set<string>();
  for (const r of requests) {
    const p = asUuid(r.product);
    if (p) productIds.add(p);
    for (const o of Array.isArray(r.options) ? r.options : []) {
      if (!o || typeof o !== 'object') continue;
      const g = asUuid(o.product_option_group);
      if (g) groupIds.add(g);
      const opt = asUuid(o.product_option);
      if (opt) optionIds.add(opt);
    }
  }
  return { productIds, groupIds, optionIds };
}

/**
 * Where a pipelined load takes its ids from when the caller's requests are still being read by a statement
 * it sent just before (its locks and its items): SQL over `:name` values in `replacements`. `products` and
 * `groups` must give exactly the ids the requests will name (checked: a difference reads again the usual way).
 */
export interface FactsSource {
  /** SQL of a uuid[]: the products of the requests */
  products: string;
  /** SQL of a uuid[]: the option groups the requests answer */
  groups: string;
  /** SQL of a uuid: the holder whose own hold does not count (`excludeHolderId`), or NULL */
  exclude: string;
  /** CTEs the three expressions read (put in front of each statement: a look-up they share runs once) */
  ctes?: string;
  replacements: Record<string, unknown>;
}

/**
 * `loadOrderabilityFacts(…, { pipelined: true })` sent before the requests are known: the rows and the counts
 * go out now, right behind the caller's lock statements (src/db/pipeline.ts), their ids taken from `source`;
 * the returned function builds the facts for the requests once the caller has them. When the requests name
 * other ids than the source gave (or another holder is to be left out), it reads again for them.
 */
export function sendOrderabilityFacts(
  sequelize: Sequelize,
  userId: number,
  source: FactsSource,
  opts: Pick<LoadOptions, 'transaction' | 'lang' | 'now'>,
): (requests: readonly ItemRequest[], excludeHolderId: string | null) => Promise<LoadedFacts> {
  const sentRows = sendRows(sequelize, source, opts.transaction);
  const sentCounts = sendCheckoutCountsOf(sequelize, opts.transaction, source, source.replacements, userId, opts.now);
  sentCounts.catch(() => undefined);
  return async (requests, excludeHolderId) => {
    const [[rows]] = await Promise.all([sentRows, sentCounts]);
    return factsFromSent(sequelize, userId, rows, sentCounts, requests, excludeHolderId, opts);
  };
}

/**
 * Did the rows statement, sent before the stock locks, read what a statement after them reads? The same live
 * products at the same versions, the same live relations to live tags, the tags at the same versions. (A row
 * version is its xmin: locking a row does not change it, an update does.) The rest of the rows (categories,
 * option groups, options) are not locked by any path, so reading them before or after the locks gives them
 * the same guarantee.
 */
function sameAsAfterLocks(rows: FactsRow | null | undefined, after: RowVersions | undefined): boolean {
  const products = rows?.products ?? [];
  const versions = after?.products ?? new Map<string, string>();
  if (products.length !== versions.size) return false;
  if (!products.every((p) => versions.get(p.id as string) === p.row_version)) return false;
  const relations = after?.relations ?? new Set<string>();
  const read = rows?.relations ?? [];
  return read.length === relations.size && read.every((x) => relations.has(`${x.relation.product_id as string} ${x.relation.tag_id as string} ${x.tag_version}`));
}

/**
 * `sendOrderabilityFacts` in two steps, so the catalogue rows can be read BEFORE the stock locks and only the
 * counts after them: in a rush everything between the hot product's lock and the COMMIT limits the rate, and
 * the rows statement was a fifth of it. The rows statement goes out now (after the buyer's and the cart's
 * locks, before the stock locks); `sendAfterLocks` sends, behind the stock locks, the counts with the versions
 * of the rows those locks protect (`sendCheckoutCountsOf(…, withVersions)`). `factsOf` builds the facts from the
 * rows when they are what the counts statement read after the locks (`sameAsAfterLocks`); when an edit
 * committed in between (a product or tag changed, a tag put on or taken off), it reads the rows and counts
 * again, under the locks — the decision is always made on rows as they are once the locks are held.
 */
export function sendRowsBeforeLock(
  sequelize: Sequelize,
  userId: number,
  source: FactsSource,
  opts: Pick<LoadOptions, 'transaction' | 'lang' | 'now'>,
): {
  sendAfterLocks(): void;
  factsOf(requests: readonly ItemRequest[], excludeHolderId: string | null): Promise<LoadedFacts>;
} {
  const sent = sendRows(sequelize, source, opts.transaction);
  let counts: Promise<{ sold: SoldCounts; taken: TakenCounts; versions?: RowVersions }> | null = null;
  return {
    sendAfterLocks() {
      counts = sendCheckoutCountsOf(sequelize, opts.transaction, source, source.replacements, userId, opts.now, true);
      counts.catch(() => undefined);
    },
    async factsOf(requests, excludeHolderId) {
      if (!counts) throw new Error('sendRowsBeforeLock: sendAfterLocks was never called');
      const [[rows], { versions }] = await Promise.all([sent, counts]);
      if (!sameAsAfterLocks(rows, versions)) return loadOrderabilityFacts(sequelize, userId, requests, { ...opts, excludeHolderId, pipelined: true });
      return factsFromSent(sequelize, userId, rows, counts, requests, excludeHolderId, opts);
    },
  };
}

/** The rows statement of a `FactsSource` (with the ids it used), handed over now. */
function sendRows(sequelize: Sequelize, source: FactsSource, t: Transaction): Promise<FactsRow[]> {
  const rowsStatement = positional(
    factsRowsSql(
      `CAST(${source.products} AS uuid[])`,
      `CAST(${source.groups} AS uuid[])`,
      null,
      `,
           ${source.products} AS used_products, ${source.groups} AS used_groups, ${source.exclude} AS used_exclude`,
      source.ctes,
    ),
    source.replacements,
  );
  const sentRows = send<FactsRow>(sequelize, t, rowsStatement.sql, { bind: rowsStatement.bind });
  // settled here too: a caller that finds no requests to check never asks for them
  sentRows.catch(() => undefined);
  return sentRows;
}

/**
 * The facts of `requests` from the rows and counts sent for a source; read again the usual way when the
 * requests name other ids than the source gave, or another holder is to be left out.
 */
function factsFromSent(
  sequelize: Sequelize,
  userId: number,
  rows: FactsRow | undefined,
  counts: Promise<{ sold: SoldCounts; taken: TakenCounts }>,
  requests: readonly ItemRequest[],
  excludeHolderId: string | null,
  opts: Pick<LoadOptions, 'transaction' | 'lang' | 'now'>,
): Promise<LoadedFacts> {
  const asked = requestedIds(requests);
  const same = (a: Set<string>, b: readonly string[] | null | undefined) => a.size === new Set(b ?? []).size && (b ?? []).every((id) => a.has(id));
  if (!same(asked.productIds, rows?.used_products) || !same(asked.groupIds, rows?.used_groups) || (rows?.used_exclude ?? null) !== excludeHolderId) {
    return loadOrderabilityFacts(sequelize, userId, requests, { ...opts, excludeHolderId, pipelined: true });
  }
  return buildFacts(sequelize, userId, rows, counts, asked, { ...opts, excludeHolderId });
}

export async function loadOrderabilityFacts(
  sequelize: Sequelize,
  userId: number,
  requests: readonly ItemRequest[],
  opts: LoadOptions,
): Promise<LoadedFacts> {
  const t = opts.transaction;
  const { productIds, groupIds, optionIds } = requestedIds(requests);

  const requestedProducts = [...productIds];
  const requestedGroups = [...groupIds];
  if (opts.lock && productIds.size) {
    // the one lock order of every stock-claiming path: the product rows, then their tags' rows, in id order
    await sequelize.query(`WITH ${stockLockCtes('$1::uuid[]', 'true')} SELECT (SELECT count(*) FROM locked_products) AS products, (SELECT count(*) FROM locked_tags) AS tags`, {
      bind: [requestedProducts],
      type: QueryTypes.SELECT,
      transaction: t,
    });
  }
  // the rows themselves in one statement (`factsRowsSql`)
  if (opts.lockBuyer !== undefined && opts.lock) throw new Error('lockBuyer is for the unlocked read only: lock the buyer first');
  const buyer = opts.lockBuyer !== undefined;
  if (opts.lockCart && (!buyer || opts.lockBuyer !== userId)) throw new Error('lockCart needs the buyer locked first (lockBuyer: userId)');
  const rowsSql = factsRowsSql('$1::uuid[]', '$2::uuid[]', buyer ? '$3' : null);
  const rowsBind = buyer ? [requestedProducts, requestedGroups, opts.lockBuyer] : [requestedProducts, requestedGroups];
  let pipelinedCounts: Promise<{ sold: SoldCounts; taken: TakenCounts }> | null = null;
  let rows: FactsRow | null | undefined;
  if (opts.pipelined) {
    // both statements go out now, right behind the caller's lock statement (src/db/pipeline.ts); the counts
    // choose in SQL the ids the JS below would choose from the rows
    if (!t || opts.lock || buyer || opts.lockCart) throw new Error('pipelined: in a transaction, after the caller has taken the locks');
    const sentRows = send<FactsRow>(sequelize, t, rowsSql, { bind: rowsBind });
    pipelinedCounts = sendCheckoutCounts(sequelize, t, { productIds: requestedProducts, groupIds: requestedGroups }, userId, { now: opts.now, excludeHolderId: opts.excludeHolderId });
    [[rows]] = await Promise.all([sentRows, pipelinedCounts]);
  } else if (productIds.size || groupIds.size || buyer) {
    // prepared, with its generic plan (src/db/pipeline.ts): cart add planned it on every run. Without a
    // transaction (the admin's option-change preview) a named statement on a pool connection: `send` needs one
    [rows] = await preparedRead<FactsRow>(sequelize, t, rowsSql, rowsBind);
  }
  if (buyer && rows?.buyer == null) {
    return { taken: { product: new Map(), tag: new Map(), group: new Map(), option: new Map() }, products: new Map(), productRows: new Map(), tags: new Map(), buyerLocked: false, factsFor: () => ({ product: null, foreignOptionGroups: [], existingOptionIds: new Set() }) };
  }
  return buildFacts(sequelize, userId, rows, pipelinedCounts, { groupIds, optionIds }, opts);
}

/**
 * The facts from the rows statement's row (and the counts when they were sent with it; else they are read
 * now, for the limited ids among those rows).
 */
async function buildFacts(
  sequelize: Sequelize,
  userId: number,
  rows: FactsRow | null | undefined,
  pipelinedCounts: Promise<{ sold: SoldCounts; taken: TakenCounts }> | null,
  asked: { groupIds: Set<string>; optionIds: Set<string> },
  opts: LoadOptions,
): Promise<LoadedFacts> {
  const t = opts.transaction;
  const { groupIds, optionIds } = asked;
  const buyer = opts.lockBuyer !== undefined;
  const products = hydrateAll(Product, rows?.products);
  const ticketCategories = new Set(rows?.ticket_categories ?? []);
  const pids = products.map((p) => p.id);
  const relations = (rows?.relations ?? []).map((x) => {
    const r = hydrate(ProductTagRelation, x.relation);
    r.setDataValue('tag' as never, hydrate(Tag, x.tag) as never);
    return r;
  });
  const groups = (rows?.groups ?? []).map((x) => {
    const g = hydrate(OptionGroup, x.group);
    g.setDataValue('options' as never, hydrateAll(Option, x.options) as never);
    return g;
  });
  const allOptionIds = groups.flatMap((g) => (g.get('options') as Option[]).map((o) => o.id));
  const strayOptionIds = [...optionIds].filter((id) => !allOptionIds.includes(id));
  const stray = strayOptionIds.length ? await Option.findAll({ where: { id: strayOptionIds }, attributes: ['id'], transaction: t }) : [];
  const foreignProductIds = [...new Set(groups.filter((g) => !pids.includes(g.productId)).map((g) => g.productId))];
  const foreignProducts = foreignProductIds.length ? await Product.findAll({ where: { id: foreignProductIds }, attributes: ['id', 'nameKo', 'nameEn'], transaction: t }) : [];

  // Sold counts only for what has a limited stock: an unlimited one (stock 0) is never sold out, whatever it
  // sold (`leftover` is null), and counting e.g. a shop-wide tag's units costs milliseconds per call.
  const limited = {
    productIds: products.filter((p) => p.stock !== 0).map((p) => p.id),
    tagIds: [...new Set(relations.filter((r) => (r.get('tag') as Tag).stock !== 0).map((r) => r.tagId))].sort(),
    optionIds: groups.flatMap((g) => (g.get('options') as Option[]).filter((o) => o.stock !== 0).map((o) => o.id)),
  };
  const { sold, taken, cart }: { sold: SoldCounts; taken: TakenCounts; cart?: Record<string, unknown> | null } = pipelinedCounts
    ? await pipelinedCounts
    : await soldAndTakenCounts(sequelize, limited, userId, {
        transaction: t,
        now: opts.now,
        excludeHolderId: opts.excludeHolderId,
        lockCart: opts.lockCart,
      });

  const lang = opts.lang;
  const toGroupFacts = (g: OptionGroup): OptionGroupFacts => ({
    id: g.id,
    name: tr(lang, g.nameKo, g.nameEn),
    minQuantityPerProduct: g.minQuantityPerProduct,
    maxQuantityPerProduct: g.maxQuantityPerProduct,
    maxQuantityPerUser: g.maxQuantityPerUser,
    isCustomResponse: g.isCustomResponse,
    customResponsePattern: g.customResponsePattern,
    responseModifiableEndsAt: g.responseModifiableEndsAt,
    visibleStartsAt: g.visibleStartsAt,
    visibleEndsAt: g.visibleEndsAt,
    orderableStartsAt: g.orderableStartsAt,
    orderableEndsAt: g.orderableEndsAt,
    placeholderMode: g.placeholderMode,
    options: (g.get('options') as Option[]).map((o) => ({
      id: o.id,
      groupId: g.id,
      name: tr(lang, o.nameKo, o.nameEn),
      additionalPrice: o.additionalPrice,
      stock: o.stock,
      maxQuantityPerUser: o.maxQuantityPerUser,
      sold: sold.option.get(o.id) ?? 0,
    })),
  });

  const tagInfo = new Map<string, { stock: number; sold: number; name: string }>();
  const productFacts = new Map<string, ProductFacts>();
  for (const p of products) {
    const tags = relations
      .filter((r) => r.productId === p.id)
      .map((r) => {
        const tag = r.get('tag') as Tag;
        const info = { stock: tag.stock, sold: sold.tag.get(tag.id) ?? 0, name: tr(lang, tag.nameKo, tag.nameEn) };
        tagInfo.set(tag.id, info);
        return { id: tag.id, name: info.name, stock: tag.stock, maxQuantityPerUser: tag.maxQuantityPerUser, sold: info.sold };
      });
    productFacts.set(p.id, {
      id: p.id,
      name: tr(lang, p.nameKo, p.nameEn),
      price: p.price,
      stock: p.stock,
      sold: sold.product.get(p.id) ?? 0,
      maxQuantityPerUser: p.maxQuantityPerUser,
      orderableStartsAt: p.orderableStartsAt,
      orderableEndsAt: p.orderableEndsAt,
      visibleStartsAt: p.visibleStartsAt,
      visibleEndsAt: p.visibleEndsAt,
      refundableEndsAt: p.refundableEndsAt,
      donationAllowed: p.donationAllowed,
      donationMinPrice: p.donationMinPrice,
      donationMaxPrice: p.donationMaxPrice,
      isTicket: ticketCategories.has(p.categoryId),
      tags,
      optionGroups: groups.filter((g) => g.productId === p.id).map(toGroupFacts),
    });
  }
  const foreignNames = new Map(foreignProducts.map((fp) => [fp.id, tr(lang, fp.nameKo, fp.nameEn)]));
  const existingOptionIds = new Set([...allOptionIds, ...stray.map((o) => o.id)]);

  return {
    taken,
    products: productFacts,
    productRows: new Map(products.map((p) => [p.id, p])),
    tags: tagInfo,
    ...(buyer ? { buyerLocked: true } : {}),
    ...(opts.lockCart ? { cart: cart ? hydrate(Order, cart) : null } : {}),
    factsFor(request) {
      const pid = asUuid(request.product);
      const product = pid ? productFacts.get(pid) ?? null : null;
      const foreignOptionGroups = groups
        .filter((g) => g.productId !== pid && groupIds.has(g.id))
        .map((g) => ({ ...toGroupFacts(g), productId: g.productId, productName: productFacts.get(g.productId)?.name ?? foreignNames.get(g.productId) ?? '' }));
      return { product, foreignOptionGroups, existingOptionIds };
    },
  };
}

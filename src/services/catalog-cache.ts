/**
 * The public catalogue with a short-lived, write-invalidated cache (issue #9: catalogue ≥ 1,500 req/s).
 *
 * What is cached, per Sequelize instance (= per database pool):
 *   - the catalogue rows: every live product (with category and group), its tag relations and its option
 *     groups with options — filtered per request by `now` (visibility windows), category and product id,
 *     exactly as the SQL of `listProducts` filters them;
 *   - the sold counts of every product still visible at fetch time and of its options (`catalogSoldCounts`),
 *     valid until the earliest live checkout hold expires;
 *   - for anonymous callers, the serialized answer, valid until the next visibility-window boundary.
 * The signed-in buyer's own counts are never cached (one query per request).
 *
 * Invalidation: every statement this process sends through the pool that may change catalogue rows or
 * stock (INSERT/UPDATE/DELETE on the catalogue, order, item, option-answer and buy-now-cart tables,
 * TRUNCATE, DDL) drops everything at once, and again when its transaction commits. A fill that was running
 * across an invalidation is not kept. Writes made by OTHER processes (a second app instance, the worker, a
 * CLI) show within `ttlMs` (CATALOG_CACHE_MS, default 2 s). The catalogue only displays stock: every
 * checkout and the webhook count again, uncached, under row locks.
 */
import { createHash } from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import { Product, Category, CategoryGroup, ProductTagRelation, Tag, OptionGroup, Option } from '../models/index.js';
import { buildProductDtos, groupByProduct, type CatalogQuery, type ProductDto } from './catalog.js';
import { catalogSoldCounts, takenCounts, type CatalogSoldCounts } from './stock.js';
import { effectiveGroupWindows } from '../domain/catalog/windows.js';

const WATCHED_TABLES = new Set([
  'products',
  'categories',
  'category_groups',
  'tags',
  'product_tag_relations',
  'option_groups',
  'options',
  'orders',
  'order_product_relations',
  'order_product_option_relations',
  'single_product_carts',
]);
const DML_TARGET = /^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:ONLY\s+)?(?:"?public"?\.)?"?([A-Za-z_][A-Za-z0-9_]*)"?/i;
const READ_ONLY = /^\s*(?:SELECT|SHOW|EXPLAIN|BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET|RESET|VALUES|LISTEN|UNLISTEN|NOTIFY)\b/i;
const WATCHED_MENTION = new RegExp(`\\b(?:${[...WATCHED_TABLES].join('|')})\\b`, 'i');

/** Could this statement change what the catalogue shows? (Errs on the side of yes.) */
export function mayChangeCatalog(sql: string): boolean {
  const dml = DML_TARGET.exec(sql);
  if (dml) return WATCHED_TABLES.has(dml[1]!.toLowerCase());
  if (READ_ONLY.test(sql)) return false;
  if (/^\s*WITH\b/i.test(sql)) return /\b(?:INSERT\s+INTO|UPDATE\s+"?\w+"?\s+SET|DELETE\s+FROM)\b/i.test(sql) && WATCHED_MENTION.test(sql);
  return true; // TRUNCATE, DDL, anything unknown
}

interface Rows {
  products: Product[];
  tagRelations: Map<string, ProductTagRelation[]>;
  groups: Map<string, OptionGroup[]>;
}

interface Entry<T> {
  gen: number;
  expiresAt: number;
  value: Promise<T>;
}

const MAX_RESPONSES = 64;

export interface SerializedCatalog {
  json: Buffer;
  etag: string;
}

/** The anonymous answer of one query, kept with what it was built from (reused for signed-in buyers). */
interface Prepared {
  gen: number;
  validUntil: number;
  body: SerializedCatalog;
  rows: Rows;
  sold: CatalogSoldCounts;
  products: Product[];
  /**
   * per product (same order): its serialized DTO, and what a buyer's counts can change in it — per-user
   * values exist only where there is a per-user limit (`limitLeft` is null without one, whatever was taken):
   * the product's own limit (shown in every visible group and option), the visible groups and options with one
   */
  parts: Array<{ json: Buffer; productLimited: boolean; groupIds: string[]; optionIds: string[] }>;
}

const COMMA = Buffer.from(',');
const OPEN = Buffer.from('[');
const CLOSE = Buffer.from(']');

/** Express's weak ETag format (W/"<length hex>-<sha1 base64, 27 chars>"), computed once instead of per answer. */
function weakEtag(json: Buffer): string {
  return `W/"${json.length.toString(16)}-${createHash('sha1').update(json).digest('base64').slice(0, 27)}"`;
}

function joinParts(parts: readonly Buffer[]): Buffer {
  const chunks: Buffer[] = [OPEN];
  parts.forEach((p, i) => {
    if (i) chunks.push(COMMA);
    chunks.push(p);
  });
  chunks.push(CLOSE);
  return Buffer.concat(chunks);
}

export class CatalogCache {
  private gen = 0;
  private rows: Entry<Rows> | null = null;
  private sold: Entry<CatalogSoldCounts> | null = null;
  private responses = new Map<string, Prepared>();
  private readonly hookedTransactions = new WeakSet<Transaction>();

  constructor(private readonly sequelize: Sequelize) {
    (sequelize as unknown as { addHook(name: string, fn: (options: { transaction?: Transaction }, query: { sql?: string }) => void): void }).addHook(
      'afterQuery',
      (options, query) => {
        if (typeof query?.sql !== 'string' || !mayChangeCatalog(query.sql)) return;
        this.invalidate();
        const t = options?.transaction;
        if (t && !this.hookedTransactions.has(t)) {
          this.hookedTransactions.add(t);
          t.afterCommit(() => this.invalidate());
        }
      },
    );
  }

  /** Drop everything (also called by the write hook). */
  invalidate(): void {
    this.gen++;
    this.rows = null;
    this.sold = null;
    this.responses.clear();
  }

  private fill<T>(current: Entry<T> | null, ttlMs: number, load: () => Promise<T>, expiry?: (value: T) => number): Entry<T> {
    if (current && current.gen === this.gen && Date.now() < current.expiresAt) return current;
    const gen = this.gen;
    const entry: Entry<T> = { gen, expiresAt: Date.now() + ttlMs, value: load() };
    entry.value.then(
      (v) => {
        if (expiry) entry.expiresAt = Math.min(entry.expiresAt, expiry(v));
      },
      () => {
        entry.expiresAt = 0; // never reuse a failed load
      },
    );
    return entry;
  }

  private loadRows(ttlMs: number): Promise<Rows> {
    this.rows = this.fill(this.rows, ttlMs, async () => {
      const products = await Product.findAll({
        include: [{ model: Category, as: 'category', required: true, include: [{ model: CategoryGroup, as: 'group', required: true }] }],
        order: [
          [{ model: Category, as: 'category' }, { model: CategoryGroup, as: 'group' }, 'priority', 'ASC'],
          [{ model: Category, as: 'category' }, 'priority', 'ASC'],
          ['priority', 'ASC'],
          ['createdAt', 'DESC'],
        ],
      });
      const productIds = products.map((p) => p.id);
      const [tagRelations, groups] = productIds.length
        ? await Promise.all([
            ProductTagRelation.findAll({ where: { productId: productIds }, include: [{ model: Tag, as: 'tag', required: true }], order: [['createdAt', 'ASC']] }),
            OptionGroup.findAll({
              where: { productId: productIds },
              include: [{ model: Option, as: 'options', required: false }],
              order: [
                ['priority', 'ASC'],
                ['createdAt', 'DESC'],
                [{ model: Option, as: 'options' }, 'priority', 'ASC'],
                [{ model: Option, as: 'options' }, 'createdAt', 'DESC'],
              ],
            }),
          ])
        : [[], []];
      return { products, tagRelations: groupByProduct(tagRelations, (r) => r.productId), groups: groupByProduct(groups, (g) => g.productId) };
    });
    return this.rows.value;
  }

  private loadSold(ttlMs: number): Promise<CatalogSoldCounts> {
    this.sold = this.fill(
      this.sold,
      ttlMs,
      () => catalogSoldCounts(this.sequelize, new Date()),
      (v) => v.nextHoldExpiry?.getTime() ?? Infinity,
    );
    return this.sold.value;
  }

  private select(rows: Rows, q: CatalogQuery): Product[] {
    const now = q.now.getTime();
    return rows.products.filter((p) => {
      if (p.visibleStartsAt.getTime() > now || p.visibleEndsAt.getTime() < now) return false;
      if (q.productId !== undefined && p.id !== q.productId) return false;
      const category = p.get('category') as Category;
      if (q.category !== undefined && category.name !== q.category) return false;
      if (q.categoryGroup !== undefined && (category.get('group') as CategoryGroup).name !== q.categoryGroup) return false;
      return true;
    });
  }

  /** The catalogue as `listProducts` answers it. */
  async list(q: CatalogQuery, ttlMs: number): Promise<ProductDto[]> {
    const [rows, sold, taken] = await Promise.all([
      this.loadRows(ttlMs),
      this.loadSold(ttlMs),
      q.userId ? takenCounts(this.sequelize, q.userId) : Promise.resolve(null),
    ]);
    const products = this.select(rows, q);
    if (products.length === 0) return [];
    return buildProductDtos(products, rows.tagRelations, rows.groups, sold, taken, q);
  }

  /** The anonymous catalogue, serialized (`JSON.stringify` of `list`) with its ETag, reused until something changes. */
  async anonymousJson(q: Omit<CatalogQuery, 'userId'>, ttlMs: number): Promise<SerializedCatalog> {
    return (await this.prepared(q, ttlMs)).body;
  }

  /**
   * A signed-in buyer's catalogue, serialized: byte for byte `JSON.stringify(list(q))`. Only the buyer's own
   * counts are read (one query); every product they have no counts on is the anonymous answer's (per-user
   * values are computed from the buyer's counts only), the others are built again with their counts.
   */
  async signedInJson(q: CatalogQuery & { userId: number }, ttlMs: number): Promise<SerializedCatalog> {
    const [prepared, taken] = await Promise.all([this.prepared(q, ttlMs), takenCounts(this.sequelize, q.userId, undefined, { tags: false })]);
    const touched = (i: number): boolean => {
      const part = prepared.parts[i]!;
      return (
        (part.productLimited && taken.product.has(prepared.products[i]!.id)) ||
        part.groupIds.some((id) => taken.group.has(id)) ||
        part.optionIds.some((id) => taken.option.has(id))
      );
    };
    let changed = false;
    const parts = prepared.parts.map((part, i) => {
      if (!touched(i)) return part.json;
      changed = true;
      const [dto] = buildProductDtos([prepared.products[i]!], prepared.rows.tagRelations, prepared.rows.groups, prepared.sold, taken, q);
      return Buffer.from(JSON.stringify(dto));
    });
    if (!changed) return prepared.body;
    const json = joinParts(parts);
    return { json, etag: weakEtag(json) };
  }

  /** The anonymous answer of this query with what it was built from, reused until something changes. */
  private async prepared(q: Omit<CatalogQuery, 'userId'>, ttlMs: number): Promise<Prepared> {
    const key = JSON.stringify([q.lang, q.categoryGroup ?? null, q.category ?? null, q.productId ?? null]);
    const now = q.now.getTime();
    const hit = this.responses.get(key);
    if (hit && hit.gen === this.gen && now < hit.validUntil) return hit;
    const gen = this.gen;
    const [rows, sold] = await Promise.all([this.loadRows(ttlMs), this.loadSold(ttlMs)]);
    const products = this.select(rows, q);
    const dtos = buildProductDtos(products, rows.tagRelations, rows.groups, sold, null, q);
    const parts = dtos.map((dto, i) => ({
      json: Buffer.from(JSON.stringify(dto)),
      productLimited: products[i]!.maxQuantityPerUser > 0,
      groupIds: dto.option_groups.filter((g) => g.max_quantity_per_user > 0).map((g) => g.id),
      optionIds: dto.option_groups.flatMap((g) => g.options.filter((o) => o.max_quantity_per_user > 0).map((o) => o.id)),
    }));
    const json = joinParts(parts.map((p) => p.json));
    const validUntil = Math.min(this.rows?.expiresAt ?? 0, this.sold?.expiresAt ?? 0, nextWindowChange(rows, now));
    const entry: Prepared = { gen, validUntil, body: { json, etag: weakEtag(json) }, rows, sold, products, parts };
    if (gen === this.gen) {
      if (this.responses.size >= MAX_RESPONSES) this.responses.clear();
      this.responses.set(key, entry);
    }
    return entry;
  }
}

/** The first instant after `now` at which a product or option group appears or disappears. */
function nextWindowChange(rows: Rows, now: number): number {
  let next = Infinity;
  const consider = (t: number | undefined) => {
    if (t !== undefined && t > now && t < next) next = t;
  };
  for (const p of rows.products) {
    consider(p.visibleStartsAt.getTime());
    consider(p.visibleEndsAt.getTime() + 1); // inclusive end: gone 1 ms later
    for (const g of rows.groups.get(p.id) ?? []) {
      const w = effectiveGroupWindows(g, p).visible;
      consider(w.startsAt?.getTime());
      consider(w.endsAt ? w.endsAt.getTime() + 1 : undefined);
    }
  }
  return next;
}

const caches = new WeakMap<Sequelize, CatalogCache>();

/** The cache of this database pool (created, and its write hook registered, on first use). */
export function catalogCache(sequelize: Sequelize): CatalogCache {
  let c = caches.get(sequelize);
  if (!c) {
    c = new CatalogCache(sequelize);
    caches.set(sequelize, c);
  }
  return c;
}

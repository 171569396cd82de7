/**
 * The public catalogue with a short-lived, write-invalidated cache (catalogue ≥ 1,500 req/s).
 *
 * What is cached, per Sequelize instance (= per database pool):
 *   - the catalogue rows: every live product (with category and group), its tag relations and its option
 *     groups with options — filtered per request by `now` (visibility windows), category and product id,
 *     exactly as the SQL of `listProducts` filters them;
 *   - the sold counts of every product still visible at fetch time and of its options (`catalogSoldCounts`),
 *     valid until the earliest live checkout hold expires;
 *   - for anonymous callers, the serialized answer, valid until the next visibility-window boundary;
 *   - per signed-in buyer (keyed by user id, at most `maxUsers`, least recently used dropped first): the
 *     buyer's own counts (`takenCounts`, what per-user limits are computed from), valid for `ttlMs`, and the
 *     buyer's serialized answer built from them and the anonymous answer it was derived from (buyers whose
 *     counts miss in the same turn of the event loop are loaded in one statement). The buyer's
 *     counts do not depend on the clock (their cart items count whether held or not; buy-now carts never
 *     count), so unlike the sold counts they need no expiry at a checkout hold's end.
 * A warm signed-in catalogue request therefore sends no SQL here (the session check is the only statement).
 *
 * Invalidation: every statement this process sends through the pool that may change catalogue rows or
 * stock or a buyer's counts (INSERT/UPDATE/DELETE on the catalogue, order, item, option-answer, buy-now-cart and
 * payment-history tables,
 * TRUNCATE, DDL) drops everything at once, and again when its transaction commits. A fill that was running
 * across an invalidation is not kept. Writes made by OTHER processes (another web worker, the job worker, a
 * CLI) drop it when they commit, through LISTEN/NOTIFY (src/services/catalog-changes.ts, started by
 * `npm start`); without that listener, or while its connection is down, they show within `ttlMs`
 * (CATALOG_CACHE_MS, default 2 s). The catalogue only displays stock: every
 * checkout and the webhook count again, uncached, under row locks — the buyer's own counts included (they
 * are display-only here, like the stock figures).
 */
import { createHash } from 'node:crypto';
import type { Sequelize, Transaction } from 'sequelize';
import { Product, Category, CategoryGroup, type ProductTagRelation, type OptionGroup } from '../models/index.js';
import { buildProductDtos, groupByProduct, loadTagsAndGroups, type CatalogQuery, type ProductDto } from './catalog.js';
import { catalogSoldCounts, takenCountsOfUsers, type CatalogSoldCounts, type TakenCounts } from './stock.js';
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
  'payment_histories', // a buyer's pending items count as "in their cart" only while the order has no payment history
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
/** Default bound of the per-buyer entries (each: a few maps of the buyer's own items, one serialized answer). */
export const MAX_USERS = 10_000;

/** A buyer's cached counts, and the last answer built from them (for the anonymous answer `from`). */
interface UserEntry {
  gen: number;
  expiresAt: number;
  value: Promise<TakenCounts>;
  /** `value` once loaded */
  counts: TakenCounts | null;
  answer: { from: Prepared; body: SerializedCatalog } | null;
}

/** Same counts? (A reload that finds what the expired entry had keeps its built answer.) */
function sameCounts(a: TakenCounts, b: TakenCounts): boolean {
  const same = (x: Map<string, { cart: number; purchased: number }>, y: Map<string, { cart: number; purchased: number }>) => {
    if (x.size !== y.size) return false;
    for (const [id, c] of x) {
      const d = y.get(id);
      if (!d || d.cart !== c.cart || d.purchased !== c.purchased) return false;
    }
    return true;
  };
  return same(a.product, b.product) && same(a.group, b.group) && same(a.option, b.option);
}

let hookSeq = 0;

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
  /** the answer of each query being built now: requests arriving meanwhile wait for it instead of building their own */
  private building = new Map<string, Promise<Prepared>>();
  /**
   * the last body sent for each query, kept across expiries and invalidations: a rebuild that comes out
   * byte-identical keeps that body object, and with it its compressed variants (src/http/encoded-body.ts)
   */
  private lastBodies = new Map<string, SerializedCatalog>();
  /** per buyer, in least-recently-used-first order (a hit moves the buyer to the end) */
  private users = new Map<number, UserEntry>();
  /** buyers whose counts are to be loaded, together, once the current I/O callbacks have run */
  private batch: Map<number, Array<{ resolve: (c: TakenCounts) => void; reject: (e: unknown) => void }>> | null = null;
  private readonly hookedTransactions = new WeakSet<Transaction>();
  private readonly hookName = `catalogCache${++hookSeq}`;

  constructor(
    private readonly sequelize: Sequelize,
    /** how many buyers' counts are kept at most */
    readonly maxUsers = MAX_USERS,
  ) {
    (sequelize as unknown as Hooks).addHook(
      'afterQuery',
      this.hookName,
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
    this.building.clear();
    if (this.users.size) this.users = new Map();
  }

  /** Stop watching writes (a cache made for one test; the shared one lives as long as its pool). */
  dispose(): void {
    (this.sequelize as unknown as Hooks).removeHook('afterQuery', this.hookName);
    this.invalidate();
  }

  /** How many buyers' counts are kept now (≤ `maxUsers`). */
  get cachedUsers(): number {
    return this.users.size;
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
        ? await loadTagsAndGroups(productIds)
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

  /**
   * The buyer's own counts: cached for `ttlMs` (other processes' writes), dropped by every write of this
   * process that `mayChangeCatalog` (the same generation as everything else), bounded to `maxUsers`
   * (least recently used first). Concurrent requests of one buyer share one load.
   */
  private userEntry(userId: number, ttlMs: number): UserEntry {
    const now = Date.now();
    const hit = this.users.get(userId);
    this.users.delete(userId);
    if (hit && hit.gen === this.gen && now < hit.expiresAt) {
      this.users.set(userId, hit); // most recently used
      return hit;
    }
    const entry: UserEntry = { gen: this.gen, expiresAt: now + ttlMs, value: this.loadCounts(userId), counts: null, answer: null };
    entry.value.then(
      (counts) => {
        entry.counts = counts;
        // expired, reloaded, unchanged (and nothing written in between: same generation): its answer still holds
        if (hit?.counts && hit.answer && hit.gen === entry.gen && !entry.answer && sameCounts(hit.counts, counts)) entry.answer = hit.answer;
      },
      () => {
        entry.expiresAt = 0; // never reuse a failed load
        if (this.users.get(userId) === entry) this.users.delete(userId);
      },
    );
    this.users.set(userId, entry);
    if (this.users.size > this.maxUsers) {
      const lru = this.users.keys().next();
      if (!lru.done) this.users.delete(lru.value);
    }
    return entry;
  }

  /**
   * One buyer's counts, loaded in one statement with every other buyer's asked for in the same turn of the
   * event loop (under load, several requests miss at once: one round trip instead of several).
   */
  private loadCounts(userId: number): Promise<TakenCounts> {
    return new Promise((resolve, reject) => {
      if (!this.batch) {
        const batch = new Map<number, Array<{ resolve: (c: TakenCounts) => void; reject: (e: unknown) => void }>>();
        this.batch = batch;
        setImmediate(() => {
          if (this.batch === batch) this.batch = null;
          takenCountsOfUsers(this.sequelize, [...batch.keys()]).then(
            (counts) => {
              for (const [id, waiting] of batch) for (const w of waiting) w.resolve(counts.get(id)!);
            },
            (e: unknown) => {
              for (const waiting of batch.values()) for (const w of waiting) w.reject(e);
            },
          );
        });
      }
      const waiting = this.batch.get(userId);
      if (waiting) waiting.push({ resolve, reject });
      else this.batch.set(userId, [{ resolve, reject }]);
    });
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
      q.userId ? this.userEntry(q.userId, ttlMs).value : Promise.resolve(null), // no tag counts: the DTOs show none
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
   * A signed-in buyer's catalogue, serialized: byte for byte `JSON.stringify(list(q))`. Every product the
   * buyer has no counts on is the anonymous answer's (per-user values are computed from the buyer's counts
   * only; a buyer without any counts gets the anonymous bytes and ETag as they are), the others are built
   * again with their counts — once per buyer, anonymous answer and counts: the result is kept with the counts.
   */
  async signedInJson(q: CatalogQuery & { userId: number }, ttlMs: number): Promise<SerializedCatalog> {
    const entry = this.userEntry(q.userId, ttlMs);
    const [prepared, taken] = await Promise.all([this.prepared(q, ttlMs), entry.value]);
    if (taken.product.size === 0 && taken.group.size === 0 && taken.option.size === 0) return prepared.body;
    if (entry.answer?.from === prepared) return entry.answer.body;
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
    let body = prepared.body;
    if (changed) {
      const json = joinParts(parts);
      body = { json, etag: weakEtag(json) };
    }
    // `prepared` is one query's answer (language, filters) at one generation, valid while no visibility window
    // changes: the same buyer's answer for it is the same until it or the counts are replaced
    entry.answer = { from: prepared, body };
    return body;
  }

  /**
   * The anonymous answer of this query with what it was built from, reused until something changes. One
   * build per query at a time: at 1,000 products a build is ~4 MB of JSON and hundreds of milliseconds, and
   * every request that found the entry expired built its own (the bench's 1,000-product catalogue: GC and
   * builds, p99 ~2 s).
   */
  private async prepared(q: Omit<CatalogQuery, 'userId'>, ttlMs: number): Promise<Prepared> {
    const key = JSON.stringify([q.lang, q.categoryGroup ?? null, q.category ?? null, q.productId ?? null]);
    const now = q.now.getTime();
    const hit = this.responses.get(key);
    if (hit && hit.gen === this.gen && now < hit.validUntil) return hit;
    // (`invalidate` drops the builds under way: one found here is of the current generation)
    const running = this.building.get(key);
    if (running) {
      const built = await running;
      // (built for a `now` a moment earlier: still valid at ours unless a window changed in between)
      if (now < built.validUntil) return built;
    }
    const promise = this.build(key, q, ttlMs, this.gen);
    this.building.set(key, promise);
    try {
      return await promise;
    } finally {
      if (this.building.get(key) === promise) this.building.delete(key);
    }
  }

  private async build(key: string, q: Omit<CatalogQuery, 'userId'>, ttlMs: number, gen: number): Promise<Prepared> {
    const now = q.now.getTime();
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
    const last = this.lastBodies.get(key);
    const body = last && last.json.equals(json) ? last : { json, etag: weakEtag(json) };
    const entry: Prepared = { gen, validUntil, body, rows, sold, products, parts };
    if (gen === this.gen) {
      if (this.responses.size >= MAX_RESPONSES) this.responses.clear();
      this.responses.set(key, entry);
    }
    if (body !== last) {
      if (this.lastBodies.size >= MAX_RESPONSES) this.lastBodies.clear();
      this.lastBodies.set(key, body);
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

type Hooks = {
  addHook(type: 'afterQuery', name: string, fn: (options: { transaction?: Transaction }, query: { sql?: string }) => void): void;
  removeHook(type: 'afterQuery', name: string): void;
};

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

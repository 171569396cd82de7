/**
 * Validated writes of the catalogue for operators (spec §6.5): category groups, categories, tags, products
 * (with their tag set), option groups and options — create, update, soft delete, and the nested sync of a
 * product's option groups with their options. The admin panel calls these; the rules are the API's:
 *
 * - product windows (§3.2): each window not inverted, and the sales window inside the visible window
 *   ("판매 시작은 노출 시작 이후여야 합니다." / "판매 종료는 노출 종료 이전이어야 합니다.");
 * - option groups [Δ c15d377]: a custom-response group needs a pattern that compiles; min ≤ max; own
 *   windows not inverted, inside the product's windows, and not allowed on required groups (min ≥ 1);
 * - names unique among live rows (a soft-deleted name can be used again: partial unique indexes);
 * - numbers are integers in range (money ≥ 0).
 *
 * Failures come back as field errors keyed by model attribute (`{orderableStartsAt: "…"}`), never thrown,
 * so the form shows them next to the fields. Writes run in a transaction with the caller's actor (runAs),
 * so the audit log records who changed what (before/after).
 */
import { Op, QueryTypes, type Sequelize, type Transaction, type Model, type ModelStatic } from 'sequelize';
import { CategoryGroup, Category, Tag, Product, ProductTagRelation, OptionGroup, Option, Event, UNBOUNDED, PLACEHOLDER_MODES, type PlaceholderMode } from '../models/index.js';
import { compileCustomResponsePattern } from '../domain/cart/orderability.js';

export type FieldErrors = Record<string, string>;
export type SaveResult<T> = { ok: true; row: T } | { ok: false; errors: FieldErrors };

export const CatalogMessages = {
  ORDERABLE_STARTS_BEFORE_VISIBLE: '판매 시작은 노출 시작 이후여야 합니다.',
  ORDERABLE_ENDS_AFTER_VISIBLE: '판매 종료는 노출 종료 이전이어야 합니다.',
  WINDOW_INVERTED: '시작 시각은 종료 시각 이전이어야 합니다.',
  PATTERN_REQUIRED: 'is_custom_response=True 일 때 custom_response_pattern 은 필수입니다.',
  MIN_GREATER_THAN_MAX: '최소 선택 수량은 최대 선택 수량보다 클 수 없습니다.',
  DONATION_MIN_GREATER_THAN_MAX: '최소 후원 금액은 최대 후원 금액보다 클 수 없습니다.',
  GROUP_WINDOW_OUTSIDE_PRODUCT: '옵션 그룹의 기간은 상품의 기간 안에 있어야 합니다.',
  REQUIRED_GROUP_WINDOW: '필수 옵션 그룹(최소 선택 수량 ≥ 1)은 별도의 기간을 설정할 수 없습니다.',
  PRODUCT_WINDOW_EXCLUDES_GROUP: '이 상품의 옵션 그룹 기간이 새 상품 기간을 벗어납니다. 옵션 그룹 기간을 먼저 수정해주세요.',
  NAME_TAKEN: '같은 이름이 이미 있습니다.',
  REQUIRED: '이 필드는 필수 항목입니다.',
  NOT_INTEGER: '정수를 입력해주세요.',
  NOT_NON_NEGATIVE: '0 이상이어야 합니다.',
  NOT_DATE: '올바른 날짜/시간이 아닙니다.',
  INVALID_ID: '유효하지 않은 ID입니다.',
  TOO_LONG: '100자 이하로 입력해주세요.',
  TICKET_ON_WITHOUT_HOLDERS: '참가자 정보가 없는 구매 건이 있어 티켓으로 전환할 수 없습니다.',
  TICKET_OFF_WITH_HOLDERS: '참가자 정보가 수집된 티켓 구매 건이 있어 티켓 설정을 해제할 수 없습니다.',
  PLACEHOLDER_MODE: "'hidden', 'optional', 'required' 중 하나여야 합니다.",
  OPTION_STOCK_BELOW_SOLD: (n: number) => `이미 ${n}개가 판매된 옵션입니다. 재고는 ${n} 이상이거나 0(무제한)이어야 합니다.`,
} as const;

// ---------------------------------------------------------------------------------------------------------
// loose input (form fields arrive as strings; API callers send JSON values)

type Input = Record<string, unknown>;

export class Reader {
  readonly errors: FieldErrors = {};
  constructor(
    private readonly input: Input,
    private readonly existing: Record<string, unknown> | null,
  ) {}

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.input, key) && this.input[key] !== undefined;
  }

  private fail(key: string, msg: string): undefined {
    this.errors[key] ??= msg;
    return undefined;
  }

  /** Trimmed text; required ones may not be empty. */
  text(key: string, opts: { required?: boolean; max?: number; nullable?: boolean } = {}): string | null | undefined {
    const raw = this.has(key) ? this.input[key] : this.existing ? this.existing[key] : undefined;
    const v = raw === null || raw === undefined ? '' : String(raw).trim();
    if (opts.max && v.length > opts.max) return this.fail(key, CatalogMessages.TOO_LONG);
    if (!v) {
      if (opts.required) return this.fail(key, CatalogMessages.REQUIRED);
      return opts.nullable ? null : '';
    }
    return v;
  }

  int(key: string, opts: { min?: number; def?: number; required?: boolean } = {}): number | undefined {
    const raw = this.has(key) ? this.input[key] : this.existing ? this.existing[key] : undefined;
    if (raw === undefined || raw === null || raw === '') {
      if (opts.required) return this.fail(key, CatalogMessages.REQUIRED);
      return opts.def ?? 0;
    }
    const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (!Number.isSafeInteger(n)) return this.fail(key, CatalogMessages.NOT_INTEGER);
    if (opts.min !== undefined && n < opts.min) return this.fail(key, CatalogMessages.NOT_NON_NEGATIVE);
    return n;
  }

  bool(key: string): boolean {
    const raw = this.has(key) ? this.input[key] : this.existing ? this.existing[key] : undefined;
    return raw === true || raw === 'true' || raw === '1' || raw === 'on' || raw === 1;
  }

  /** A timestamp; empty = `empty` (null, or an unbounded sentinel for product windows). */
  date(key: string, empty: Date | null): Date | null | undefined {
    const raw = this.has(key) ? this.input[key] : this.existing ? this.existing[key] : undefined;
    if (raw === undefined || raw === null || raw === '') return empty;
    const d = raw instanceof Date ? raw : new Date(String(raw));
    if (Number.isNaN(d.getTime())) return this.fail(key, CatalogMessages.NOT_DATE);
    return d;
  }

  uuid(key: string, opts: { required?: boolean } = {}): string | null | undefined {
    const v = this.text(key, { required: opts.required, nullable: true });
    if (v === undefined || v === null) return v;
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) return this.fail(key, CatalogMessages.INVALID_ID);
    return v.toLowerCase();
  }

  get ok(): boolean {
    return Object.keys(this.errors).length === 0;
  }
}

/** Form array fields come flattened (`tagIds.0`, `tagIds.1`) or as an array / comma list. */
export function readIdList(input: Input, key: string): string[] | undefined {
  const direct = input[key];
  if (Array.isArray(direct)) return direct.map(String).filter(Boolean);
  if (typeof direct === 'string') return direct.split(',').map((s) => s.trim()).filter(Boolean);
  const flat = Object.keys(input).filter((k) => k.startsWith(`${key}.`) && /^\d+$/.test(k.slice(key.length + 1)));
  if (flat.length) return flat.sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop())).map((k) => String(input[k])).filter(Boolean);
  if (direct === null || (Object.prototype.hasOwnProperty.call(input, key) && direct === undefined)) return [];
  return undefined;
}

/** Is there another live row with these column values? */
async function taken(model: ModelStatic<Model>, where: Record<string, unknown>, exceptId: string | null, t: Transaction): Promise<boolean> {
  const row = await model.findOne({ where: { ...where, ...(exceptId ? { id: { [Op.ne]: exceptId } } : {}) }, attributes: ['id'], transaction: t });
  return row !== null;
}

async function loadExisting<T extends Model>(model: ModelStatic<T>, id: string | null, t: Transaction): Promise<T | null | 'missing'> {
  if (!id) return null;
  const row = await model.findByPk(id, { transaction: t });
  return row ?? 'missing';
}

// ---------------------------------------------------------------------------------------------------------
// pure rules (exported for unit tests)

export interface ProductWindows {
  visibleStartsAt: Date;
  visibleEndsAt: Date;
  orderableStartsAt: Date;
  orderableEndsAt: Date;
}

/** §3.2 admin consistency of a product's windows. */
export function productWindowErrors(w: ProductWindows): FieldErrors {
  const e: FieldErrors = {};
  if (w.visibleStartsAt.getTime() > w.visibleEndsAt.getTime()) e.visibleEndsAt = CatalogMessages.WINDOW_INVERTED;
  if (w.orderableStartsAt.getTime() > w.orderableEndsAt.getTime()) e.orderableEndsAt = CatalogMessages.WINDOW_INVERTED;
  if (w.orderableStartsAt.getTime() < w.visibleStartsAt.getTime()) e.orderableStartsAt = CatalogMessages.ORDERABLE_STARTS_BEFORE_VISIBLE;
  if (w.orderableEndsAt.getTime() > w.visibleEndsAt.getTime()) e.orderableEndsAt ??= CatalogMessages.ORDERABLE_ENDS_AFTER_VISIBLE;
  return e;
}

export interface GroupRuleInput {
  minQuantityPerProduct: number;
  maxQuantityPerProduct: number;
  isCustomResponse: boolean;
  customResponsePattern: string | null;
  visibleStartsAt: Date | null;
  visibleEndsAt: Date | null;
  orderableStartsAt: Date | null;
  orderableEndsAt: Date | null;
}

const GROUP_WINDOW_KEYS = ['visibleStartsAt', 'visibleEndsAt', 'orderableStartsAt', 'orderableEndsAt'] as const;

/** [Δ c15d377] option-group rules: pattern, min ≤ max, own windows (not on required groups, inside the product's). */
export function optionGroupRuleErrors(g: GroupRuleInput, product: ProductWindows): FieldErrors {
  const e: FieldErrors = {};
  if (g.isCustomResponse && !g.customResponsePattern) e.customResponsePattern = CatalogMessages.PATTERN_REQUIRED;
  const bad = compileCustomResponsePattern(g.customResponsePattern);
  if (bad) e.customResponsePattern ??= bad;
  if (g.maxQuantityPerProduct > 0 && g.minQuantityPerProduct > g.maxQuantityPerProduct) e.maxQuantityPerProduct = CatalogMessages.MIN_GREATER_THAN_MAX;

  const own = GROUP_WINDOW_KEYS.filter((k) => g[k] !== null);
  if (g.minQuantityPerProduct >= 1 && own.length) {
    for (const k of own) e[k] ??= CatalogMessages.REQUIRED_GROUP_WINDOW;
    return e;
  }
  const inside = (d: Date | null, start: Date, end: Date) => d === null || (d.getTime() >= start.getTime() && d.getTime() <= end.getTime());
  if (!inside(g.visibleStartsAt, product.visibleStartsAt, product.visibleEndsAt)) e.visibleStartsAt = CatalogMessages.GROUP_WINDOW_OUTSIDE_PRODUCT;
  if (!inside(g.visibleEndsAt, product.visibleStartsAt, product.visibleEndsAt)) e.visibleEndsAt = CatalogMessages.GROUP_WINDOW_OUTSIDE_PRODUCT;
  if (!inside(g.orderableStartsAt, product.orderableStartsAt, product.orderableEndsAt)) e.orderableStartsAt = CatalogMessages.GROUP_WINDOW_OUTSIDE_PRODUCT;
  if (!inside(g.orderableEndsAt, product.orderableStartsAt, product.orderableEndsAt)) e.orderableEndsAt = CatalogMessages.GROUP_WINDOW_OUTSIDE_PRODUCT;
  const vs = g.visibleStartsAt ?? product.visibleStartsAt;
  const ve = g.visibleEndsAt ?? product.visibleEndsAt;
  const os = g.orderableStartsAt ?? product.orderableStartsAt;
  const oe = g.orderableEndsAt ?? product.orderableEndsAt;
  if (vs.getTime() > ve.getTime()) e.visibleEndsAt ??= CatalogMessages.WINDOW_INVERTED;
  if (os.getTime() > oe.getTime()) e.orderableEndsAt ??= CatalogMessages.WINDOW_INVERTED;
  if (g.orderableStartsAt !== null && os.getTime() < vs.getTime()) e.orderableStartsAt ??= CatalogMessages.ORDERABLE_STARTS_BEFORE_VISIBLE;
  if (g.orderableEndsAt !== null && oe.getTime() > ve.getTime()) e.orderableEndsAt ??= CatalogMessages.ORDERABLE_ENDS_AFTER_VISIBLE;
  return e;
}

// ---------------------------------------------------------------------------------------------------------
// writes

export class CatalogService {
  constructor(private readonly sequelize: Sequelize) {}

  private tx<T>(fn: (t: Transaction) => Promise<T>): Promise<T> {
    return this.sequelize.transaction(fn);
  }

  async saveCategoryGroup(id: string | null, input: Input): Promise<SaveResult<CategoryGroup>> {
    return this.tx(async (t) => {
      const existing = await loadExisting(CategoryGroup, id, t);
      if (existing === 'missing') return { ok: false, errors: { id: CatalogMessages.INVALID_ID } };
      const r = new Reader(input, existing?.get() ?? null);
      const values = { name: r.text('name', { required: true, max: 100 }), priority: r.int('priority') };
      if (r.ok && (await taken(CategoryGroup, { name: values.name }, id, t))) r.errors.name = CatalogMessages.NAME_TAKEN;
      if (!r.ok) return { ok: false, errors: r.errors };
      const row = existing ? await existing.update(values, { transaction: t }) : await CategoryGroup.create(values, { transaction: t });
      return { ok: true, row };
    });
  }

  async saveCategory(id: string | null, input: Input): Promise<SaveResult<Category>> {
    return this.tx(async (t) => {
      const existing = await loadExisting(Category, id, t);
      if (existing === 'missing') return { ok: false, errors: { id: CatalogMessages.INVALID_ID } };
      const r = new Reader(input, existing?.get() ?? null);
      const values = {
        groupId: r.uuid('groupId', { required: true }),
        name: r.text('name', { required: true, max: 100 }),
        priority: r.int('priority'),
        isTicket: r.bool('isTicket'),
      };
      if (values.groupId && !(await CategoryGroup.findByPk(values.groupId, { transaction: t }))) r.errors.groupId = CatalogMessages.INVALID_ID;
      // the event its tickets admit to (participation certificates); empty = none
      const eventId = r.uuid('eventId') ?? null;
      if (eventId && !(await Event.findByPk(eventId, { transaction: t }))) r.errors.eventId = CatalogMessages.INVALID_ID;
      Object.assign(values, { eventId });
      if (r.ok && (await taken(Category, { groupId: values.groupId, name: values.name }, id, t))) r.errors.name = CatalogMessages.NAME_TAKEN;
      if (existing && existing.isTicket !== values.isTicket) {
        // purchased items must all have a holder to become tickets, and none may have one to stop being tickets
        const [row] = await this.sequelize.query<{ with_holder: number; without_holder: number }>(
          `SELECT count(*) FILTER (WHERE ti.id IS NOT NULL)::int AS with_holder, count(*) FILTER (WHERE ti.id IS NULL)::int AS without_holder
             FROM order_product_relations opr
             JOIN products p ON p.id = opr.product_id AND p.category_id = :categoryId
             LEFT JOIN ticket_infos ti ON ti.order_product_relation_id = opr.id AND ti.deleted_at IS NULL
            WHERE opr.deleted_at IS NULL AND opr.status IN ('paid', 'used') AND opr.order_id IS NOT NULL`,
          { replacements: { categoryId: existing.id }, type: QueryTypes.SELECT, transaction: t },
        );
        if (values.isTicket && row!.without_holder > 0) r.errors.isTicket = CatalogMessages.TICKET_ON_WITHOUT_HOLDERS;
        if (!values.isTicket && row!.with_holder > 0) r.errors.isTicket = CatalogMessages.TICKET_OFF_WITH_HOLDERS;
      }
      if (!r.ok) return { ok: false, errors: r.errors };
      const row = existing ? await existing.update(values, { transaction: t }) : await Category.create(values, { transaction: t });
      return { ok: true, row };
    });
  }

  async saveTag(id: string | null, input: Input): Promise<SaveResult<Tag>> {
    return this.tx(async (t) => {
      const existing = await loadExisting(Tag, id, t);
      if (existing === 'missing') return { ok: false, errors: { id: CatalogMessages.INVALID_ID } };
      const r = new Reader(input, existing?.get() ?? null);
      const values = {
        nameKo: r.text('nameKo', { required: true, max: 100 }),
        nameEn: r.text('nameEn', { max: 100 }),
        stock: r.int('stock'),
        maxQuantityPerUser: r.int('maxQuantityPerUser', { min: 0 }),
      };
      if (r.ok && (await taken(Tag, { nameKo: values.nameKo }, id, t))) r.errors.nameKo = CatalogMessages.NAME_TAKEN;
      if (!r.ok) return { ok: false, errors: r.errors };
      const row = existing ? await existing.update(values, { transaction: t }) : await Tag.create(values, { transaction: t });
      return { ok: true, row };
    });
  }

  async saveProduct(id: string | null, input: Input): Promise<SaveResult<Product>> {
    return this.tx(async (t) => {
      const existing = await loadExisting(Product, id, t);
      if (existing === 'missing') return { ok: false, errors: { id: CatalogMessages.INVALID_ID } };
      const r = new Reader(input, existing?.get() ?? null);
      const values = {
        categoryId: r.uuid('categoryId', { required: true }),
        nameKo: r.text('nameKo', { required: true }),
        nameEn: r.text('nameEn'),
        descriptionKo: r.text('descriptionKo', { nullable: true }),
        descriptionEn: r.text('descriptionEn', { nullable: true }),
        image: r.text('image', { nullable: true }),
        price: r.int('price', { min: 0, required: true }),
        stock: r.int('stock'),
        maxQuantityPerUser: r.int('maxQuantityPerUser', { min: 0 }),
        visibleStartsAt: r.date('visibleStartsAt', UNBOUNDED.start),
        visibleEndsAt: r.date('visibleEndsAt', UNBOUNDED.end),
        orderableStartsAt: r.date('orderableStartsAt', UNBOUNDED.start),
        orderableEndsAt: r.date('orderableEndsAt', UNBOUNDED.end),
        // null = not refundable by the buyer: set with `notRefundable`, kept by edits that do not mention it
        refundableEndsAt: (r.has('notRefundable') ? r.bool('notRefundable') : existing?.refundableEndsAt === null)
          ? null
          : r.date('refundableEndsAt', UNBOUNDED.end),
        priority: r.int('priority'),
        donationAllowed: r.bool('donationAllowed'),
        donationMinPrice: r.int('donationMinPrice', { min: 0 }),
        donationMaxPrice: r.int('donationMaxPrice', { min: 0 }),
      };
      if (values.categoryId && !(await Category.findByPk(values.categoryId, { transaction: t }))) r.errors.categoryId = CatalogMessages.INVALID_ID;
      if (values.visibleStartsAt && values.visibleEndsAt && values.orderableStartsAt && values.orderableEndsAt) {
        const w = values as ProductWindows;
        Object.assign(r.errors, { ...productWindowErrors(w), ...r.errors });
        if (existing && Object.keys(productWindowErrors(w)).length === 0) {
          // the product's own option groups must still fit inside the new windows
          const groups = await OptionGroup.findAll({ where: { productId: existing.id }, transaction: t });
          for (const g of groups) {
            const ge = optionGroupRuleErrors(g, w);
            const windowKey = GROUP_WINDOW_KEYS.find((k) => ge[k] === CatalogMessages.GROUP_WINDOW_OUTSIDE_PRODUCT);
            if (windowKey) r.errors[windowKey] ??= CatalogMessages.PRODUCT_WINDOW_EXCLUDES_GROUP;
          }
        }
      }
      if (values.donationAllowed && (values.donationMinPrice ?? 0) > (values.donationMaxPrice ?? 0)) {
        r.errors.donationMaxPrice ??= CatalogMessages.DONATION_MIN_GREATER_THAN_MAX;
      }
      const tagIds = readIdList(input, 'tagIds');
      if (tagIds) {
        const found = tagIds.length ? await Tag.count({ where: { id: tagIds.filter((x) => /^[0-9a-f-]{36}$/i.test(x)) }, transaction: t }) : 0;
        if (found !== new Set(tagIds).size) r.errors.tagIds = CatalogMessages.INVALID_ID;
      }
      if (!r.ok) return { ok: false, errors: r.errors };
      const row = existing ? await existing.update(values, { transaction: t }) : await Product.create(values, { transaction: t });
      if (tagIds) await this.syncTags(row.id, [...new Set(tagIds.map((x) => x.toLowerCase()))], t);
      return { ok: true, row };
    });
  }

  private async syncTags(productId: string, tagIds: string[], t: Transaction): Promise<void> {
    const current = await ProductTagRelation.findAll({ where: { productId }, transaction: t });
    for (const rel of current) if (!tagIds.includes(rel.tagId)) await rel.destroy({ transaction: t });
    const have = new Set(current.map((c) => c.tagId));
    for (const tagId of tagIds) if (!have.has(tagId)) await ProductTagRelation.create({ productId, tagId }, { transaction: t });
  }

  async productTagIds(productId: string): Promise<string[]> {
    const rels = await ProductTagRelation.findAll({ where: { productId }, order: [['createdAt', 'ASC']] });
    return rels.map((r) => r.tagId);
  }

  /** Validate + write one option group (its options are separate rows, or synced by `syncProductOptions`). */
  async saveOptionGroup(id: string | null, input: Input, tx?: Transaction): Promise<SaveResult<OptionGroup>> {
    const run = async (t: Transaction): Promise<SaveResult<OptionGroup>> => {
      const existing = await loadExisting(OptionGroup, id, t);
      if (existing === 'missing') return { ok: false, errors: { id: CatalogMessages.INVALID_ID } };
      const r = new Reader(input, existing?.get() ?? null);
      const values = {
        productId: r.uuid('productId', { required: true }),
        priority: r.int('priority'),
        nameKo: r.text('nameKo', { required: true, max: 100 }),
        nameEn: r.text('nameEn', { max: 100 }),
        minQuantityPerProduct: r.int('minQuantityPerProduct', { min: 0 }),
        maxQuantityPerProduct: r.int('maxQuantityPerProduct', { min: 0 }),
        maxQuantityPerUser: r.int('maxQuantityPerUser', { min: 0 }),
        isCustomResponse: r.bool('isCustomResponse'),
        customResponsePattern: r.text('customResponsePattern', { nullable: true }),
        responseModifiableEndsAt: r.date('responseModifiableEndsAt', null),
        visibleStartsAt: r.date('visibleStartsAt', null),
        visibleEndsAt: r.date('visibleEndsAt', null),
        orderableStartsAt: r.date('orderableStartsAt', null),
        orderableEndsAt: r.date('orderableEndsAt', null),
        placeholderMode: (r.text('placeholderMode') || 'hidden') as PlaceholderMode,
      };
      if (!PLACEHOLDER_MODES.includes(values.placeholderMode)) r.errors.placeholderMode = CatalogMessages.PLACEHOLDER_MODE;
      if (existing && values.productId !== existing.productId) r.errors.productId = '옵션 그룹을 다른 상품으로 옮길 수 없습니다.';
      const product = values.productId ? await Product.findByPk(values.productId, { transaction: t }) : null;
      if (values.productId && !product) r.errors.productId ??= CatalogMessages.INVALID_ID;
      if (product && r.ok) Object.assign(r.errors, optionGroupRuleErrors(values as GroupRuleInput, product));
      if (r.ok && (await taken(OptionGroup, { productId: values.productId, nameKo: values.nameKo }, id, t))) r.errors.nameKo = CatalogMessages.NAME_TAKEN;
      if (!r.ok) return { ok: false, errors: r.errors };
      if (!values.isCustomResponse) values.customResponsePattern = values.customResponsePattern ?? null;
      const row = existing ? await existing.update(values, { transaction: t }) : await OptionGroup.create(values, { transaction: t });
      return { ok: true, row };
    };
    return tx ? run(tx) : this.tx(run);
  }

  async saveOption(id: string | null, input: Input, tx?: Transaction): Promise<SaveResult<Option>> {
    const run = async (t: Transaction): Promise<SaveResult<Option>> => {
      const existing = await loadExisting(Option, id, t);
      if (existing === 'missing') return { ok: false, errors: { id: CatalogMessages.INVALID_ID } };
      const r = new Reader(input, existing?.get() ?? null);
      const values = {
        groupId: r.uuid('groupId', { required: true }),
        priority: r.int('priority'),
        nameKo: r.text('nameKo', { required: true, max: 100 }),
        nameEn: r.text('nameEn', { max: 100 }),
        maxQuantityPerUser: r.int('maxQuantityPerUser', { min: 0 }),
        additionalPrice: r.int('additionalPrice', { min: 0 }),
        stock: r.int('stock'),
      };
      if (existing && values.groupId !== existing.groupId) r.errors.groupId = '옵션을 다른 옵션 그룹으로 옮길 수 없습니다.';
      const group = values.groupId ? await OptionGroup.findByPk(values.groupId, { transaction: t }) : null;
      if (values.groupId && !group) r.errors.groupId ??= CatalogMessages.INVALID_ID;
      if (group?.isCustomResponse) r.errors.groupId ??= '자유 응답(custom response) 옵션 그룹에는 옵션을 추가할 수 없습니다.';
      if (existing && values.stock !== undefined && values.stock !== 0 && values.stock !== existing.stock) {
        // an option's stock cannot go below what it has sold (0 = unlimited stays allowed)
        const [row] = await this.sequelize.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM order_product_option_relations a
             JOIN order_product_relations opr ON opr.id = a.order_product_relation_id AND opr.deleted_at IS NULL AND opr.status IN ('paid', 'used')
            WHERE a.product_option_id = :id AND a.deleted_at IS NULL`,
          { replacements: { id: existing.id }, type: QueryTypes.SELECT, transaction: t },
        );
        if (values.stock < row!.n) r.errors.stock = CatalogMessages.OPTION_STOCK_BELOW_SOLD(row!.n);
      }
      if (!r.ok) return { ok: false, errors: r.errors };
      const row = existing ? await existing.update(values, { transaction: t }) : await Option.create(values, { transaction: t });
      return { ok: true, row };
    };
    return tx ? run(tx) : this.tx(run);
  }

  /**
   * The product's option groups with their options, as the "edit options" view shows them.
   */
  async productOptions(productId: string): Promise<NestedGroup[]> {
    const groups = await OptionGroup.findAll({
      where: { productId },
      include: [{ model: Option, as: 'options', required: false }],
      order: [['priority', 'ASC'], ['createdAt', 'ASC'], [{ model: Option, as: 'options' }, 'priority', 'ASC'], [{ model: Option, as: 'options' }, 'createdAt', 'ASC']],
    });
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return groups.map((g) => ({
      id: g.id,
      priority: g.priority,
      nameKo: g.nameKo,
      nameEn: g.nameEn,
      minQuantityPerProduct: g.minQuantityPerProduct,
      maxQuantityPerProduct: g.maxQuantityPerProduct,
      maxQuantityPerUser: g.maxQuantityPerUser,
      isCustomResponse: g.isCustomResponse,
      customResponsePattern: g.customResponsePattern,
      responseModifiableEndsAt: iso(g.responseModifiableEndsAt),
      visibleStartsAt: iso(g.visibleStartsAt),
      visibleEndsAt: iso(g.visibleEndsAt),
      orderableStartsAt: iso(g.orderableStartsAt),
      orderableEndsAt: iso(g.orderableEndsAt),
      placeholderMode: g.placeholderMode,
      options: (g.get('options') as Option[]).map((o) => ({
        id: o.id,
        priority: o.priority,
        nameKo: o.nameKo,
        nameEn: o.nameEn,
        maxQuantityPerUser: o.maxQuantityPerUser,
        additionalPrice: o.additionalPrice,
        stock: o.stock,
      })),
    }));
  }

  /**
   * Nested sync of a product's option groups and their options (spec §6.5 semantics): entries with a known
   * id are updated, entries without id are created, an unknown id is an error, and existing rows missing
   * from the list are soft-deleted. All or nothing; errors are keyed `groups.<i>.<field>` /
   * `groups.<i>.options.<j>.<field>`.
   */
  async syncProductOptions(productId: string, groups: unknown): Promise<SaveResult<NestedGroup[]>> {
    if (!Array.isArray(groups)) return { ok: false, errors: { groups: '옵션 그룹 목록(배열)이 필요합니다.' } };
    const errors: FieldErrors = {};
    const rollback = new Error('rollback');
    try {
      await this.tx(async (t) => {
        const product = await Product.findByPk(productId, { transaction: t });
        if (!product) {
          errors.productId = CatalogMessages.INVALID_ID;
          throw rollback;
        }
        const current = await OptionGroup.findAll({ where: { productId }, transaction: t });
        // rows missing from the list go first, so their names are free for the rows that stay
        const listed = new Set(groups.map((g) => (g && typeof g === 'object' ? (g as Input).id : null)).filter((x): x is string => typeof x === 'string'));
        for (const c of current) if (!listed.has(c.id)) await c.destroy({ transaction: t });
        for (const [i, raw] of groups.entries()) {
          const g = (raw && typeof raw === 'object' ? raw : {}) as Input;
          const gid = typeof g.id === 'string' && g.id ? g.id : null;
          if (gid && !current.some((c) => c.id === gid)) {
            errors[`groups.${i}.id`] = CatalogMessages.INVALID_ID;
            continue;
          }
          const saved = await this.saveOptionGroup(gid, { ...g, productId }, t);
          if (!saved.ok) {
            for (const [k, v] of Object.entries(saved.errors)) errors[`groups.${i}.${k}`] = v;
            continue;
          }
          const opts = Array.isArray(g.options) ? g.options : [];
          const currentOptions = await Option.findAll({ where: { groupId: saved.row.id }, transaction: t });
          const listedOptions = new Set(opts.map((o) => (o && typeof o === 'object' ? (o as Input).id : null)).filter((x): x is string => typeof x === 'string'));
          for (const c of currentOptions) if (!listedOptions.has(c.id)) await c.destroy({ transaction: t });
          for (const [j, rawO] of opts.entries()) {
            const o = (rawO && typeof rawO === 'object' ? rawO : {}) as Input;
            const oid = typeof o.id === 'string' && o.id ? o.id : null;
            if (oid && !currentOptions.some((c) => c.id === oid)) {
              errors[`groups.${i}.options.${j}.id`] = CatalogMessages.INVALID_ID;
              continue;
            }
            const so = await this.saveOption(oid, { ...o, groupId: saved.row.id }, t);
            if (!so.ok) for (const [k, v] of Object.entries(so.errors)) errors[`groups.${i}.options.${j}.${k}`] = v;
          }
        }
        if (Object.keys(errors).length) throw rollback;
      });
    } catch (e) {
      if (e === rollback) return { ok: false, errors };
      throw e;
    }
    return { ok: true, row: await this.productOptions(productId) };
  }

  /** Soft delete (paranoid destroy: deleted_at / deleted_by set, audited). False when not found. */
  async softDelete(kind: CatalogKind, id: string): Promise<boolean> {
    const model = CATALOG_MODELS[kind];
    return this.tx(async (t) => {
      const row = await model.findByPk(id, { transaction: t });
      if (!row) return false;
      await row.destroy({ transaction: t });
      return true;
    });
  }
}

export type CatalogKind = 'category_groups' | 'categories' | 'tags' | 'products' | 'option_groups' | 'options';

export const CATALOG_MODELS: Record<CatalogKind, ModelStatic<Model>> = {
  category_groups: CategoryGroup,
  categories: Category,
  tags: Tag,
  products: Product,
  option_groups: OptionGroup,
  options: Option,
};

export interface NestedOption {
  id: string;
  priority: number;
  nameKo: string;
  nameEn: string;
  maxQuantityPerUser: number;
  additionalPrice: number;
  stock: number;
}

export interface NestedGroup {
  id: string;
  priority: number;
  nameKo: string;
  nameEn: string;
  minQuantityPerProduct: number;
  maxQuantityPerProduct: number;
  maxQuantityPerUser: number;
  isCustomResponse: boolean;
  customResponsePattern: string | null;
  responseModifiableEndsAt: string | null;
  visibleStartsAt: string | null;
  visibleEndsAt: string | null;
  orderableStartsAt: string | null;
  orderableEndsAt: string | null;
  placeholderMode: PlaceholderMode;
  options: NestedOption[];
}

/** Dispatch by resource id (the admin panel's resources are the table names). */
export function saveCatalogRow(svc: CatalogService, kind: CatalogKind, id: string | null, input: Input): Promise<SaveResult<Model>> {
  switch (kind) {
    case 'category_groups':
      return svc.saveCategoryGroup(id, input);
    case 'categories':
      return svc.saveCategory(id, input);
    case 'tags':
      return svc.saveTag(id, input);
    case 'products':
      return svc.saveProduct(id, input);
    case 'option_groups':
      return svc.saveOptionGroup(id, input);
    case 'options':
      return svc.saveOption(id, input);
  }
}

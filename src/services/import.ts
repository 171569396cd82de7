/**
 * CSV import of paid orders (spec §6.4, with the PR #43 defects of Appendix A.8 fixed): the operators'
 * way to register purchases made outside PortOne (bank transfer, on-site sales, invitations).
 *
 * Format: UTF-8 (a BOM is accepted), header `name,phone,email,organization,product_id,donation_price,
 * <option group names of the product…>`; one row = one paid single-item order of the EXISTING user with
 * that e-mail. An option-group column holds the free-text answer (custom-response groups) or the option's
 * name (ko or en); an empty cell means "not chosen". A leading `'` formula guard (as our export writes it)
 * is stripped.
 *
 * Every row is validated like a SINGLE (buy-now) purchase by that user — sales window, stock, per-user caps,
 * tags, option rules, donation — except that 0-won items are allowed; and the rows are validated TOGETHER:
 * each valid row counts against stock and caps for the rows after it. The dry run reports per-row results;
 * the apply is all or nothing: one transaction, product and tag rows locked (the lock order of every
 * stock-claiming path), re-validated under the locks. Each created order stores
 * `import_key = sha256(normalised file content, row index)`: importing the same file again finds the keys and
 * creates nothing (those rows are reported as `duplicate`).
 */
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { Op, fn, col, where as sqlWhere, UniqueConstraintError, type Sequelize, type Transaction } from 'sequelize';
import {
  User,
  Order,
  OrderProductRelation,
  OrderProductOptionRelation,
  CustomerInfo,
  TicketInfo,
  PaymentHistory,
  Product,
  OptionGroup,
  Option,
  AuditLog,
} from '../models/index.js';
import { checkOrderability, type ItemRequest, type OptionEntryRequest, type ProductFacts } from '../domain/cart/orderability.js';
import { validateCustomerInfo, type CustomerInfo as CustomerInfoValue } from '../domain/cart/customer-info.js';
import type { TicketInfoValue } from '../domain/cart/ticket-info.js';
import { loadOrderabilityFacts, type LoadedFacts } from './orderability.js';
import { takenCounts, type TakenCounts } from './stock.js';
import { unguardFormula, UTF8_BOM, guardFormula } from './csv/formula.js';
import { currentActor } from '../context.js';
import { ServiceError } from './errors.js';

export const FIXED_COLUMNS = ['name', 'phone', 'email', 'organization', 'product_id', 'donation_price'] as const;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ROWS = 5000;

export const ImportMessages = {
  USER_NOT_FOUND: 'User does not exists',
  INVALID_OPTION: (group: string, value: string) => `Invalid option: '${group}' - ${value}`,
  UNKNOWN_GROUP_COLUMN: (group: string) => `'${group}' 은(는) 이 상품의 옵션 그룹이 아닙니다.`,
  NOT_INTEGER: '정수를 입력해주세요.',
  MISSING_COLUMNS: (cols: string[]) => `필수 열이 없습니다: ${cols.join(', ')}`,
  EMPTY_FILE: 'CSV 파일에 데이터 행이 없습니다.',
  TOO_MANY_ROWS: `한 번에 ${MAX_ROWS}행까지 가져올 수 있습니다.`,
  NOT_UTF8: 'CSV 파일은 UTF-8 이어야 합니다.',
  BAD_CSV: (m: string) => `CSV 형식이 올바르지 않습니다: ${m}`,
} as const;

export type RowStatus = 'ok' | 'error' | 'duplicate' | 'created';

export interface ImportRowResult {
  /** 1-based data row number (the header is row 0) */
  row: number;
  status: RowStatus;
  /** DRF-style field errors: column → messages */
  errors: Record<string, string[]>;
  email: string;
  productName: string | null;
  price: number | null;
  donationPrice: number | null;
  orderId: string | null;
}

export interface ImportResult {
  applied: boolean;
  /** no row has errors */
  ok: boolean;
  fileHash: string;
  created: number;
  duplicates: number;
  rows: ImportRowResult[];
}

// ---------------------------------------------------------------------------------------------------------
// template

export async function importTemplate(productId: string): Promise<{ filename: string; csv: string }> {
  if (!UUID_RE.test(productId ?? '')) throw ServiceError.client(400, 'required', 'product_id 가 필요합니다.', 'product_id');
  const product = await Product.findByPk(productId);
  if (!product) throw ServiceError.notFound('상품을 찾을 수 없습니다.');
  const groups = await OptionGroup.findAll({ where: { productId }, order: [['priority', 'ASC'], ['createdAt', 'DESC']] });
  const header = [...FIXED_COLUMNS, ...groups.map((g) => g.nameKo)].map((h) => csvQuote(guardFormula(h))).join(',');
  return { filename: `order_import_template_${product.id}.csv`, csv: `${UTF8_BOM}${header}\r\n` };
}

function csvQuote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// ---------------------------------------------------------------------------------------------------------
// parsing

interface ParsedFile {
  hash: string;
  header: string[];
  rows: Array<Record<string, string>>;
}

/** Decode + parse; BOM accepted; the file hash ignores BOM and line-ending differences. */
export function parseImportFile(content: Buffer | string): ParsedFile {
  let text: string;
  if (typeof content === 'string') text = content;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
      throw ServiceError.validation([{ code: 'invalid', detail: ImportMessages.NOT_UTF8, attr: 'csv_file' }]);
    }
  }
  if (text.startsWith(UTF8_BOM)) text = text.slice(1);
  const normalized = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '');
  let records: string[][];
  try {
    records = parse(normalized, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (e) {
    throw ServiceError.validation([{ code: 'invalid', detail: ImportMessages.BAD_CSV(e instanceof Error ? e.message : String(e)), attr: 'csv_file' }]);
  }
  const [head, ...body] = records;
  if (!head) throw ServiceError.validation([{ code: 'invalid', detail: ImportMessages.EMPTY_FILE, attr: 'csv_file' }]);
  const header = head.map((h) => unguardFormula(h.trim()));
  const missing = FIXED_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) throw ServiceError.validation([{ code: 'invalid', detail: ImportMessages.MISSING_COLUMNS(missing), attr: 'csv_file' }]);
  const rows = body
    .filter((r) => r.some((c) => c.trim() !== ''))
    .map((r) => Object.fromEntries(header.map((h, i) => [h, unguardFormula((r[i] ?? '').trim())])));
  if (rows.length === 0) throw ServiceError.validation([{ code: 'invalid', detail: ImportMessages.EMPTY_FILE, attr: 'csv_file' }]);
  if (rows.length > MAX_ROWS) throw ServiceError.validation([{ code: 'invalid', detail: ImportMessages.TOO_MANY_ROWS, attr: 'csv_file' }]);
  return { hash: createHash('sha256').update(normalized, 'utf8').digest('hex'), header, rows };
}

export function rowImportKey(fileHash: string, rowIndex: number): string {
  return createHash('sha256').update(`${fileHash}:${rowIndex}`).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------
// validation

interface PlannedRow {
  result: ImportRowResult;
  key: string;
  userId: number | null;
  info: CustomerInfoValue | null;
  request: ItemRequest | null;
  /** filled when valid */
  plan?: { productId: string; price: number; donationPrice: number; options: Array<{ product_option_group: string; product_option: string | null; custom_response: string | null }>; ticketInfo: TicketInfoValue | null };
}

const addError = (r: ImportRowResult, column: string, msg: string) => {
  (r.errors[column] ??= []).push(msg);
};

/** The orderability check's attrs in CSV terms: `product` → product_id, `options.N.*` → the group's column. */
function columnOf(attr: string | null, optionColumns: string[]): string {
  if (!attr || attr === 'non_field_errors') return 'non_field_errors';
  if (attr === 'product') return 'product_id';
  const m = /^options\.(\d+)\./.exec(attr);
  if (m) return optionColumns[Number(m[1])] ?? 'options';
  return attr;
}

function bump(map: Map<string, { cart: number; purchased: number }>, id: string, n = 1): void {
  const cur = map.get(id) ?? { cart: 0, purchased: 0 };
  map.set(id, { cart: cur.cart, purchased: cur.purchased + n });
}

/** A valid row consumes stock and the buyer's caps for the following rows. */
function consume(facts: LoadedFacts, product: ProductFacts, taken: TakenCounts, options: ReadonlyArray<{ product_option_group: string; product_option: string | null }>): void {
  (product as { sold: number }).sold += 1;
  bump(taken.product, product.id);
  for (const tag of product.tags) {
    for (const p of facts.products.values()) for (const pt of p.tags) if (pt.id === tag.id) (pt as { sold: number }).sold += 1;
    bump(taken.tag, tag.id);
  }
  const perGroup = new Map<string, number>();
  for (const o of options) {
    perGroup.set(o.product_option_group, (perGroup.get(o.product_option_group) ?? 0) + 1);
    if (o.product_option) {
      for (const g of product.optionGroups) for (const opt of g.options) if (opt.id === o.product_option) (opt as { sold: number }).sold += 1;
      bump(taken.option, o.product_option);
    }
  }
  for (const [gid, k] of perGroup) bump(taken.group, gid, k);
}

async function validateRows(sequelize: Sequelize, parsed: ParsedFile, t: Transaction, opts: { now: Date; lock: boolean }): Promise<PlannedRow[]> {
  const optionColumns = parsed.header.filter((h) => !(FIXED_COLUMNS as readonly string[]).includes(h) && h !== '');
  const keys = parsed.rows.map((_, i) => rowImportKey(parsed.hash, i));
  const existing = await Order.findAll({ where: { importKey: keys }, attributes: ['id', 'importKey'], transaction: t });
  const existingKeys = new Map(existing.map((o) => [o.importKey!, o.id]));

  // users by e-mail (case-insensitive)
  const emails = [...new Set(parsed.rows.map((r) => (r.email ?? '').toLowerCase()).filter(Boolean))];
  const users = emails.length
    ? await User.findAll({ where: sqlWhere(fn('lower', col('email')), { [Op.in]: emails }), attributes: ['id', 'email', 'isActive'], transaction: t })
    : [];
  const userByEmail = new Map(users.filter((u) => u.isActive).map((u) => [u.email.toLowerCase(), u.id]));

  // the catalogue facts of every product named in the file (locked in the apply)
  const productIds = [...new Set(parsed.rows.map((r) => r.product_id ?? '').filter((x) => UUID_RE.test(x)).map((x) => x.toLowerCase()))];
  const groupRows = productIds.length ? await OptionGroup.findAll({ where: { productId: productIds }, attributes: ['id', 'productId', 'nameKo', 'nameEn', 'isCustomResponse'], transaction: t }) : [];
  const facts = await loadOrderabilityFacts(sequelize, 0, productIds.map((id) => ({ product: id, options: [] })), { transaction: t, lang: 'ko', now: opts.now, lock: opts.lock });
  const takenByUser = new Map<number, TakenCounts>();

  const planned: PlannedRow[] = [];
  for (const [index, row] of parsed.rows.entries()) {
    const result: ImportRowResult = {
      row: index + 1,
      status: 'ok',
      errors: {},
      email: row.email ?? '',
      productName: null,
      price: null,
      donationPrice: null,
      orderId: null,
    };
    const p: PlannedRow = { result, key: keys[index]!, userId: null, info: null, request: null };
    planned.push(p);
    const dup = existingKeys.get(p.key);
    if (dup) {
      result.status = 'duplicate';
      result.orderId = dup;
      continue;
    }

    const info = validateCustomerInfo({ name: row.name ?? '', phone: row.phone ?? '', email: row.email ?? '', organization: row.organization ?? '' });
    for (const e of info.errors) addError(result, e.attr ?? 'non_field_errors', e.detail);
    p.info = info.value;
    const userId = userByEmail.get((row.email ?? '').toLowerCase()) ?? null;
    if (!userId && !result.errors.email) addError(result, 'email', ImportMessages.USER_NOT_FOUND);
    p.userId = userId;

    const donationRaw = row.donation_price ?? '';
    let donation = 0;
    if (donationRaw !== '') {
      donation = Number(donationRaw);
      if (!/^\d+$/.test(donationRaw) || !Number.isSafeInteger(donation)) addError(result, 'donation_price', ImportMessages.NOT_INTEGER);
    }

    const productId = (row.product_id ?? '').toLowerCase();
    const product = facts.products.get(productId) ?? null;
    result.productName = product?.name ?? null;
    const options: OptionEntryRequest[] = [];
    const usedColumns: string[] = [];
    for (const column of optionColumns) {
      const value = row[column] ?? '';
      if (value === '') continue; // empty = not chosen
      const group = groupRows.find((g) => g.productId === productId && (g.nameKo === column || (g.nameEn !== '' && g.nameEn === column)));
      const groupFacts = product?.optionGroups.find((g) => g.id === group?.id);
      if (!group || !groupFacts) {
        if (product) addError(result, column, ImportMessages.UNKNOWN_GROUP_COLUMN(column));
        continue;
      }
      if (group.isCustomResponse) {
        options.push({ product_option_group: group.id, product_option: null, custom_response: value });
      } else {
        const optionRow = groupFacts.options.find((o) => o.name === value) ?? null;
        // options are matched by their Korean name (facts are loaded in ko); the English name is accepted too
        const byEn = optionRow ? null : await findOptionByEnglishName(group.id, value, t);
        const id = optionRow?.id ?? byEn;
        if (!id) {
          addError(result, column, ImportMessages.INVALID_OPTION(column, value));
          continue;
        }
        options.push({ product_option_group: group.id, product_option: id, custom_response: null });
      }
      usedColumns.push(column);
    }
    if (Object.keys(result.errors).length > 0 || !userId) {
      result.status = 'error';
      continue;
    }

    let taken = takenByUser.get(userId);
    if (!taken) {
      taken = await takenCounts(sequelize, userId, t);
      takenByUser.set(userId, taken);
    }
    // a ticket's holder is the row's customer (the row has no separate holder columns)
    const holder = product?.isTicket && p.info ? { ...p.info, contribution_message: null } : null;
    const request: ItemRequest = { product: row.product_id ?? '', options, donation_price: donation, ticket_info: holder };
    const check = checkOrderability({ mode: 'SINGLE', request, facts: facts.factsFor(request), taken, now: opts.now });
    const errors = check.errors; // 0-won rows (invitations) pass: free items are orderable
    for (const e of errors) addError(result, columnOf(e.attr, usedColumns), e.detail);
    if (errors.length || !product) {
      result.status = 'error';
      continue;
    }
    p.request = request;
    p.plan = { productId: product.id, price: check.price, donationPrice: check.donationPrice, options: check.options, ticketInfo: check.ticketInfo };
    result.price = check.price;
    result.donationPrice = check.donationPrice;
    consume(facts, product, taken, check.options);
  }
  return planned;
}

async function findOptionByEnglishName(groupId: string, name: string, t: Transaction): Promise<string | null> {
  const o = await Option.findOne({ where: { groupId, nameEn: name }, attributes: ['id'], transaction: t });
  return o?.id ?? null;
}

// ---------------------------------------------------------------------------------------------------------
// dry run / apply

export interface ImportOptions {
  apply: boolean;
  now?: Date;
}

export async function importOrders(sequelize: Sequelize, content: Buffer | string, opts: ImportOptions): Promise<ImportResult> {
  const now = opts.now ?? new Date();
  const parsed = parseImportFile(content);
  const rollback = new Error('dry run');
  let out: ImportResult | null = null;
  const summarize = (planned: PlannedRow[], applied: boolean): ImportResult => ({
    applied,
    ok: planned.every((p) => p.result.status !== 'error'),
    fileHash: parsed.hash,
    created: planned.filter((p) => p.result.status === 'created').length,
    duplicates: planned.filter((p) => p.result.status === 'duplicate').length,
    rows: planned.map((p) => p.result),
  });
  try {
    await sequelize.transaction(async (t) => {
      const planned = await validateRows(sequelize, parsed, t, { now, lock: opts.apply });
      if (!opts.apply || planned.some((p) => p.result.status === 'error')) {
        out = summarize(planned, false);
        throw rollback; // nothing is written (the dry run also releases its snapshot)
      }
      const products = await Product.findAll({ where: { id: [...new Set(planned.filter((p) => p.plan).map((p) => p.plan!.productId))] }, transaction: t });
      const byId = new Map(products.map((p) => [p.id, p]));
      for (const p of planned) {
        if (!p.plan) continue;
        const product = byId.get(p.plan.productId)!;
        const order = await Order.create({ userId: p.userId!, nameKo: product.nameKo, nameEn: product.nameEn, importKey: p.key }, { transaction: t });
        const opr = await OrderProductRelation.create(
          { orderId: order.id, productId: product.id, status: 'paid', price: p.plan.price, donationPrice: p.plan.donationPrice },
          { transaction: t },
        );
        for (const o of p.plan.options) {
          await OrderProductOptionRelation.create(
            { orderProductRelationId: opr.id, productOptionGroupId: o.product_option_group, productOptionId: o.product_option, customResponse: o.custom_response },
            { transaction: t },
          );
        }
        await CustomerInfo.create({ orderId: order.id, ...p.info! }, { transaction: t });
        if (p.plan.ticketInfo) await TicketInfo.create({ orderProductRelationId: opr.id, ...p.plan.ticketInfo }, { transaction: t });
        // the ledger holds what was paid, donation included (the original left the donation out: Appendix A.8)
        await PaymentHistory.create({ orderId: order.id, impId: null, status: 'completed', price: p.plan.price + p.plan.donationPrice }, { transaction: t });
        p.result.status = 'created';
        p.result.orderId = order.id;
      }
      const actor = currentActor();
      out = summarize(planned, true);
      await AuditLog.create(
        {
          tableName: 'orders',
          recordId: parsed.hash.slice(0, 64),
          action: 'shop.order.imported',
          actorUserId: actor.userId,
          actorLabel: actor.label,
          after: { file_hash: parsed.hash, created: out.created, duplicates: out.duplicates, order_ids: planned.filter((p) => p.result.orderId && p.result.status === 'created').map((p) => p.result.orderId) },
        },
        { transaction: t },
      );
    });
  } catch (e) {
    if (e === rollback && out) return out;
    if (e instanceof UniqueConstraintError) {
      throw ServiceError.client(409, 'conflict', '같은 파일을 동시에 가져오는 중입니다. 잠시 후 다시 시도해주세요.');
    }
    throw e;
  }
  return out!;
}

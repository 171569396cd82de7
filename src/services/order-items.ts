/**
 * Order items chosen by a filter — the one selection used by per-ticket notifications and by tag
 * assign / unassign (after-pr43 §6 filters, the subset this project keeps): item ids, order ids, buyer user id,
 * item status, product, category, category group, and the participant's name / e-mail (the ticket holder,
 * else the order's customer). Only live items of live orders that have a payment history are selected.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { ServiceError } from './errors.js';
import type { FieldError } from '../domain/messages.js';
import { OPR_STATUSES } from '../domain/payment/status.js';

export interface ItemFilter {
  id: string[];
  order_id: string[];
  user_id: number[];
  status: string[];
  product_id: string[];
  category_id: string[];
  category_group_id: string[];
  name: string | null;
  email: string | null;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function list(v: unknown): string[] {
  const parts = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return parts
    .flatMap((p) => String(p).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Query / payload → filter; malformed ids or statuses → 400 (never a partial selection). */
export function parseItemFilter(input: Record<string, unknown>): ItemFilter {
  const errors: FieldError[] = [];
  const uuids = (name: string) => {
    const v = list(input[name]).map((x) => x.toLowerCase());
    if (v.some((x) => !UUID_RE.test(x))) errors.push({ code: 'invalid', detail: '유효한 UUID를 입력하십시오.', attr: name });
    return v;
  };
  const f: ItemFilter = {
    id: uuids('id'),
    order_id: uuids('order_id'),
    user_id: list(input.user_id).map(Number),
    status: list(input.status),
    product_id: uuids('product_id'),
    category_id: uuids('category_id'),
    category_group_id: uuids('category_group_id'),
    name: list(input.name)[0] ?? null,
    email: list(input.email)[0] ?? null,
  };
  if (f.user_id.some((x) => !Number.isInteger(x) || x < 1 || x > 2 ** 31)) errors.push({ code: 'invalid', detail: '유효한 정수를 입력하십시오.', attr: 'user_id' });
  if (f.status.some((s) => !(OPR_STATUSES as readonly string[]).includes(s))) errors.push({ code: 'invalid_choice', detail: '유효하지 않은 선택(choice)입니다.', attr: 'status' });
  if (errors.length) throw ServiceError.validation(errors);
  return f;
}

export function isEmptyItemFilter(f: ItemFilter): boolean {
  return !f.id.length && !f.order_id.length && !f.user_id.length && !f.status.length && !f.product_id.length && !f.category_id.length && !f.category_group_id.length && !f.name && !f.email;
}

/** At least one filter (assign / unassign must never silently mean "every item"). */
export function requireItemFilter(f: ItemFilter): void {
  if (isEmptyItemFilter(f)) throw ServiceError.validation([{ code: 'required', detail: '필터를 하나 이상 지정하세요.', attr: 'non_field_errors' }]);
}

/** Item ids matching the filter (oldest first). `targets`: only paid / used / refunded items (notifications). */
export async function findItemIds(sequelize: Sequelize, f: ItemFilter, opts: { targets?: boolean } = {}): Promise<string[]> {
  const where = ['i.deleted_at IS NULL', 'o.deleted_at IS NULL', 'EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = o.id AND ph.deleted_at IS NULL)'];
  const r: Record<string, unknown> = {};
  const arr = (name: string, values: string[], sql: string, cast = 'uuid') => {
    if (!values.length) return;
    where.push(`${sql} = ANY(CAST(:${name} AS ${cast}[]))`);
    r[name] = `{${values.join(',')}}`;
  };
  arr('id', f.id, 'i.id');
  arr('orderId', f.order_id, 'o.id');
  arr('userId', f.user_id.map(String), 'o.user_id', 'int');
  arr('status', f.status, 'i.status', 'text');
  arr('productId', f.product_id, 'i.product_id');
  arr('categoryId', f.category_id, 'p.category_id');
  arr('groupId', f.category_group_id, 'c.group_id');
  if (opts.targets) where.push(`i.status IN ('paid', 'used', 'refunded')`);
  // the participant: the ticket holder when there is one, else the order's customer
  const who = (col: string) => `COALESCE(ti.${col}, ci.${col})`;
  if (f.name) {
    where.push(`${who('name')} = :name`);
    r.name = f.name;
  }
  if (f.email) {
    where.push(`lower(${who('email')}) = lower(:email)`);
    r.email = f.email;
  }
  const rows = await sequelize.query<{ id: string }>(
    `SELECT i.id FROM order_product_relations i
       JOIN orders o ON o.id = i.order_id
       JOIN products p ON p.id = i.product_id
       JOIN categories c ON c.id = p.category_id
       LEFT JOIN customer_infos ci ON ci.order_id = o.id AND ci.deleted_at IS NULL
       LEFT JOIN ticket_infos ti ON ti.order_product_relation_id = i.id AND ti.deleted_at IS NULL
      WHERE ${where.join(' AND ')}
      ORDER BY i.created_at, i.id`,
    { type: QueryTypes.SELECT, replacements: r },
  );
  return rows.map((x) => x.id);
}

/**
 * What a bulk action on the order list (export, notification) will act on, in operators' words: the
 * filters the server applies (parsed from the list's `filters.*`, with product / category / buyer names
 * instead of ids, times in Asia/Seoul) and how many orders match. The panel shows this before the operator
 * acts, and a notification to every order (no filter at all) needs an explicit confirmation.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { Category, CategoryGroup, Product, User } from '../models/index.js';
import { itemStatusKo, orderStatusKo, panelTime, formatKrw } from '../domain/admin/format.js';
import { countOrders, type OrderFilter } from './admin-orders.js';
import { findItemIds, isEmptyItemFilter, type ItemFilter } from './order-items.js';

export interface FilterLine {
  label: string;
  value: string;
}

export interface OrderScope {
  /** true when no filter narrows the selection: every listed order */
  everyone: boolean;
  orders: number;
  filters: FilterLine[];
}

/** True when the filter selects every listed order. */
export const isEveryone = (f: OrderFilter): boolean => Object.keys(f).length === 0;

async function names<M extends { id: unknown }>(ids: readonly (string | number)[] | undefined, find: (ids: never[]) => Promise<M[]>, label: (m: M) => string): Promise<string> {
  if (!ids?.length) return '';
  const rows = await find(ids as never[]).catch(() => [] as M[]); // a malformed id matches nothing: shown as given
  const byId = new Map(rows.map((r) => [String(r.id), label(r)]));
  return ids.map((id) => byId.get(String(id)) ?? String(id)).join(', ');
}

export async function describeOrderFilter(f: OrderFilter): Promise<FilterLine[]> {
  const out: FilterLine[] = [];
  const add = (label: string, value: string | undefined) => {
    if (value) out.push({ label, value });
  };
  add('검색어', f.q);
  add('주문 ID', f.id?.join(', '));
  add('구매자', await names(f.userId, (ids) => User.findAll({ where: { id: ids }, attributes: ['id', 'email', 'nicknameKo'] }), (u) => u.email));
  add('상태', f.status?.map(orderStatusKo).join(', '));
  add('상품', await names(f.productId, (ids) => Product.findAll({ where: { id: ids }, attributes: ['id', 'nameKo'], paranoid: false }), (p) => p.nameKo));
  add('카테고리', await names(f.categoryId, (ids) => Category.findAll({ where: { id: ids }, attributes: ['id', 'name'], paranoid: false }), (c) => c.name));
  add('카테고리 그룹', await names(f.categoryGroupId, (ids) => CategoryGroup.findAll({ where: { id: ids }, attributes: ['id', 'name'], paranoid: false }), (g) => g.name));
  add('이메일', f.email);
  add('이름', f.name);
  add('PortOne ID', f.impId);
  if (f.comp !== undefined) add('무료 발급', f.comp ? '무료 발급 주문만' : '무료 발급 제외');
  const range = (from?: Date, to?: Date) => (from || to ? `${panelTime(from) || '…'} ~ ${panelTime(to) || '…'}` : undefined);
  add('주문 시각', range(f.createdFrom, f.createdTo));
  add('첫 결제 시각', range(f.paidFrom, f.paidTo));
  if (f.priceMin !== undefined || f.priceMax !== undefined) add('현재 결제 금액', `${f.priceMin !== undefined ? formatKrw(f.priceMin) : '…'} ~ ${f.priceMax !== undefined ? formatKrw(f.priceMax) : '…'}`);
  return out;
}

export async function orderScope(sequelize: Sequelize, f: OrderFilter, count?: number): Promise<OrderScope> {
  return { everyone: isEveryone(f), orders: count ?? (await countOrders(sequelize, f)), filters: await describeOrderFilter(f) };
}

/**
 * What a per-ticket notification from the item list will reach: the item list's filters in words and how many
 * tickets (items: paid, used or refunded, of purchased orders) of how many orders match. One message goes to
 * each ticket's participant; with no filter at all that is every ticket sold, so a send then needs the same
 * explicit confirmation as an order notification to everyone.
 */
export interface ItemScope {
  /** true when no filter narrows the selection: every ticket */
  everyone: boolean;
  tickets: number;
  orders: number;
  filters: FilterLine[];
}

export async function describeItemFilter(f: ItemFilter): Promise<FilterLine[]> {
  const out: FilterLine[] = [];
  const add = (label: string, value: string | null | undefined) => {
    if (value) out.push({ label, value });
  };
  add('주문 상품 ID', f.id.join(', '));
  add('주문 ID', f.order_id.join(', '));
  add('구매자', await names(f.user_id, (ids) => User.findAll({ where: { id: ids }, attributes: ['id', 'email'] }), (u) => u.email));
  add('상태', f.status.map(itemStatusKo).join(', '));
  add('상품', await names(f.product_id, (ids) => Product.findAll({ where: { id: ids }, attributes: ['id', 'nameKo'], paranoid: false }), (p) => p.nameKo));
  add('카테고리', await names(f.category_id, (ids) => Category.findAll({ where: { id: ids }, attributes: ['id', 'name'], paranoid: false }), (c) => c.name));
  add('카테고리 그룹', await names(f.category_group_id, (ids) => CategoryGroup.findAll({ where: { id: ids }, attributes: ['id', 'name'], paranoid: false }), (g) => g.name));
  add('참가자 이름', f.name);
  add('참가자 이메일', f.email);
  return out;
}

export async function itemScope(sequelize: Sequelize, f: ItemFilter): Promise<ItemScope> {
  const ids = await findItemIds(sequelize, f, { targets: true });
  const [row] = ids.length
    ? await sequelize.query<{ n: number }>(`SELECT count(DISTINCT order_id)::int AS n FROM order_product_relations WHERE id = ANY(CAST(:ids AS uuid[]))`, {
        type: QueryTypes.SELECT,
        replacements: { ids: `{${ids.join(',')}}` },
      })
    : [{ n: 0 }];
  return { everyone: isEmptyItemFilter(f), tickets: ids.length, orders: Number(row?.n ?? 0), filters: await describeItemFilter(f) };
}

/**
 * What a bulk action on the order list (export, notification) will act on, in operators' words: the
 * filters the server applies (parsed from the list's `filters.*`, with product / category / buyer names
 * instead of ids, times in Asia/Seoul) and how many orders match. The panel shows this before the operator
 * acts, and a notification to every order (no filter at all) needs an explicit confirmation.
 */
import type { Sequelize } from 'sequelize';
import { Category, CategoryGroup, Product, User } from '../models/index.js';
import { orderStatusKo, panelTime, formatKrw } from '../domain/admin/format.js';
import { countOrders, type OrderFilter } from './admin-orders.js';

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

/**
 * What a scanned QR code shows (spec §7.3): `GET /v1/shop/orders/scancode/?token=<prefix>:<short_id>:<salt>`.
 * Returns the page to render or the error (status + Korean message). No session, no auth: the HMAC salt of
 * the token is the credential (any configured salt verifies; constant-time compare).
 *
 * Decisions where §7.3 describes a quirk: an `order` token of a cart (no payment history) or of a
 * soft-deleted order is "주문을 찾을 수 없습니다." (404); an `opr` token of a soft-deleted item or of a buy-now
 * cart's item (no order yet) is "티켓 정보를 찾을 수 없습니다." (403). Everything else is as specified.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { OrderProductRelation, User } from '../models/index.js';
import { parseScancodeToken, verifyScancodeToken, SCANCODE_TOKEN_PATTERN, type ParsedScancodeToken } from '../domain/scancode/token.js';
import { encodeShortUuid } from '../domain/scancode/shortuuid.js';
import { ScancodeMessages, optionDisplayValue, scancodeWindowStart } from '../domain/scancode/pages.js';
import type { Lang } from '../domain/i18n.js';
import { orderViews, type CustomerInfoDto, type OrderDto, type OrderItemDto } from './order-view.js';

export interface ScancodeDeps {
  sequelize: Sequelize;
  backendDomain: string;
  scancodeSalts: readonly string[];
}

export interface ScancodeItem {
  id: string;
  product: { id: string; name: string };
  options: Array<{ name: string; value: string }>;
  price: number;
  donation_price: number;
  status: OrderItemDto['status'];
}

export interface ScancodeOrder {
  id: string;
  short_id: string;
  name: string;
  created_at: string;
  first_paid_at: string | null;
  current_status: OrderDto['current_status'];
  current_paid_price: number;
  customer_info: CustomerInfoDto | null;
  items: ScancodeItem[];
}

export interface ScancodeTicket extends ScancodeItem {
  short_id: string;
  order: { id: string; first_paid_at: string | null };
}

export type ScancodePage =
  | { kind: 'error'; status: 403 | 404; message: string }
  | { kind: 'user'; token: string; user: { unique_id: string; short_id: string }; holder: { name: string; email: string } | null; orders: ScancodeOrder[] }
  | { kind: 'order'; token: string; order: ScancodeOrder }
  | { kind: 'ticket'; token: string; ticket: ScancodeTicket };

const error = (status: 403 | 404, message: string): ScancodePage => ({ kind: 'error', status, message });

function itemOf(i: OrderItemDto): ScancodeItem {
  return {
    id: i.id,
    product: { id: i.product.id, name: i.product.name },
    options: i.options.map((o) => ({
      name: o.product_option_group.name,
      value: optionDisplayValue({
        isCustomResponse: o.product_option_group.is_custom_response,
        customResponse: o.custom_response,
        optionName: o.product_option?.name ?? null,
        additionalPrice: o.product_option?.additional_price ?? 0,
      }),
    })),
    price: i.price,
    donation_price: i.donation_price,
    status: i.status,
  };
}

function orderOf(v: OrderDto): ScancodeOrder {
  return {
    id: v.id,
    short_id: encodeShortUuid(v.id),
    name: v.name,
    created_at: v.created_at,
    first_paid_at: v.first_paid_at,
    current_status: v.current_status,
    current_paid_price: v.current_paid_price,
    customer_info: v.customer_info,
    items: v.products.map(itemOf),
  };
}

async function userPage(deps: ScancodeDeps, parsed: ParsedScancodeToken, token: string, lang: Lang, now: Date): Promise<ScancodePage> {
  if (!verifyScancodeToken(token, deps.scancodeSalts, 'user')) return error(403, ScancodeMessages.USER_NOT_FOUND);
  const user = await User.findOne({ where: { uniqueId: parsed.id }, attributes: ['id', 'uniqueId'] });
  if (!user) return error(403, ScancodeMessages.USER_NOT_FOUND);
  // The user's live orders of the last 183 days (Seoul dates) whose latest non-pending ledger status is a
  // purchased one, newest first.
  const rows = await deps.sequelize.query<{ id: string; status: string }>(
    `SELECT o.id, l.status
       FROM orders o
       JOIN LATERAL (
         SELECT ph.status FROM payment_histories ph
          WHERE ph.order_id = o.id AND ph.deleted_at IS NULL AND ph.status <> 'pending'
          ORDER BY ph.created_at DESC, ph.id DESC LIMIT 1) l ON true
      WHERE o.user_id = :userId AND o.deleted_at IS NULL
        AND l.status IN ('completed', 'partial_refunded', 'refunded')
        AND o.created_at >= :since
      ORDER BY o.created_at DESC, o.id DESC`,
    { type: QueryTypes.SELECT, replacements: { userId: user.id, since: scancodeWindowStart(now) } },
  );
  if (!rows.some((r) => r.status !== 'refunded')) return error(403, ScancodeMessages.USER_NO_RECENT_ORDER);
  const views = await orderViews(rows.map((r) => r.id), { lang, now, backendDomain: deps.backendDomain, scancodeSalts: deps.scancodeSalts });
  const latestInfo = views[0]?.customer_info ?? null;
  return {
    kind: 'user',
    token,
    user: { unique_id: user.uniqueId, short_id: encodeShortUuid(user.uniqueId) },
    holder: latestInfo ? { name: latestInfo.name, email: latestInfo.email } : null,
    orders: views.map(orderOf),
  };
}

async function orderPage(deps: ScancodeDeps, parsed: ParsedScancodeToken, token: string, lang: Lang, now: Date): Promise<ScancodePage> {
  if (!verifyScancodeToken(token, deps.scancodeSalts, 'order')) return error(404, ScancodeMessages.ORDER_NOT_FOUND);
  const [view] = await orderViews([parsed.id], { lang, now, backendDomain: deps.backendDomain, scancodeSalts: deps.scancodeSalts });
  if (!view || view.payment_histories.length === 0) return error(404, ScancodeMessages.ORDER_NOT_FOUND);
  if (view.current_status === 'refunded') return error(404, ScancodeMessages.ORDER_REFUNDED);
  return { kind: 'order', token, order: orderOf(view) };
}

async function ticketPage(deps: ScancodeDeps, parsed: ParsedScancodeToken, token: string, lang: Lang, now: Date): Promise<ScancodePage> {
  if (!verifyScancodeToken(token, deps.scancodeSalts, 'opr')) return error(403, ScancodeMessages.TICKET_NOT_FOUND);
  const opr = await OrderProductRelation.findByPk(parsed.id, { attributes: ['id', 'orderId'] });
  if (!opr?.orderId) return error(403, ScancodeMessages.TICKET_NOT_FOUND);
  const [view] = await orderViews([opr.orderId], { lang, now, backendDomain: deps.backendDomain, scancodeSalts: deps.scancodeSalts });
  const item = view?.products.find((p) => p.id === opr.id);
  if (!view || !item) return error(403, ScancodeMessages.TICKET_NOT_FOUND);
  return {
    kind: 'ticket',
    token,
    ticket: { ...itemOf(item), short_id: encodeShortUuid(item.id), order: { id: view.id, first_paid_at: view.first_paid_at } },
  };
}

/** Resolve a token (as received in `?token=`) to the page to show. */
export async function resolveScancode(deps: ScancodeDeps, token: unknown, opts: { lang?: Lang; now?: Date } = {}): Promise<ScancodePage> {
  if (token === undefined || token === '') return error(404, ScancodeMessages.NO_TOKEN);
  if (typeof token !== 'string' || !SCANCODE_TOKEN_PATTERN.test(token)) return error(404, ScancodeMessages.INVALID_TOKEN);
  const lang = opts.lang ?? 'ko';
  const now = opts.now ?? new Date();
  const parsed = parseScancodeToken(token);
  if (!parsed) {
    // Well-formed but not a short id (a character outside the alphabet, or ≥ 2^128): an unknown entity.
    const prefix = token.slice(0, token.indexOf(':'));
    if (prefix === 'user') return error(403, ScancodeMessages.USER_NOT_FOUND);
    if (prefix === 'order') return error(404, ScancodeMessages.ORDER_NOT_FOUND);
    return error(403, ScancodeMessages.TICKET_NOT_FOUND);
  }
  if (parsed.prefix === 'user') return userPage(deps, parsed, token, lang, now);
  if (parsed.prefix === 'order') return orderPage(deps, parsed, token, lang, now);
  return ticketPage(deps, parsed, token, lang, now);
}

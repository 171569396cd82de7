/**
 * The card receipt link of an order (spec §4.4): an auto-submitting form to NHN KCP's receipt page,
 * signed with the merchant's key (RSA PKCS#1 v1.5, SHA-256). Configured by NHN_KCP_PG_API_CERT,
 * NHN_KCP_PG_API_PRIVATE_KEY (PEM) and NHN_KCP_PG_API_PASSWORD.
 */
import { createSign } from 'node:crypto';
import { Op, literal } from 'sequelize';
import { Order, PaymentHistory, User } from '../models/index.js';
import { deriveOrderPayment } from '../domain/payment/status.js';
import type { PortOneClient } from '../portone/client.js';
import { logger } from '../logger.js';

export const KCP_RECEIPT_URL = 'https://admin8.kcp.co.kr/assist/bill.BillActionNew.do';

export interface KcpConfig {
  cert: string;
  privateKey: string;
  password: string;
}

export interface ReceiptPage {
  status: number;
  html: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(body: string): string {
  return `<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>영수증</title></head><body>${body}</body></html>`;
}
const message = (text: string) => page(`<p>${esc(text).replace(/\n/g, '<br>')}</p>`);

/** `YYYYmmddHHMMSS` in Asia/Seoul. */
export function kstStamp(d: Date): string {
  const k = new Date(d.getTime() + 9 * 3600_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${k.getUTCFullYear()}${p(k.getUTCMonth() + 1)}${p(k.getUTCDate())}${p(k.getUTCHours())}${p(k.getUTCMinutes())}${p(k.getUTCSeconds())}`;
}

export function kcpSearchData(impUid: string, pgTid: string, amount: number, now: Date): string {
  return [`cmd=card_bill`, `order_no=${impUid}`, `tno=${pgTid}`, `trade_mony=${Math.round(amount)}`, `req_dt=${kstStamp(now)}`].join('^');
}

export function kcpSign(searchData: string, kcp: KcpConfig): string {
  const signer = createSign('RSA-SHA256');
  signer.update(searchData, 'utf8');
  return signer.sign({ key: kcp.privateKey, passphrase: kcp.password || undefined }, 'base64');
}

const NOT_AVAILABLE = '본 주문은 영수증을 조회할 수 없습니다.\n파이콘 준비 위원회에 문의해주세요.';
const TRY_LATER = '지금은 영수증을 조회할 수 없습니다, 잠시 후 다시 시도해주세요.\n문제가 지속되면 파이콘 준비 위원회에 문의 부탁드립니다.';

export async function receiptPage(
  deps: { portone: PortOneClient; kcp: KcpConfig | null },
  userId: number,
  orderId: string,
  now = new Date(),
): Promise<ReceiptPage> {
  const user = await User.findByPk(userId);
  const order = await Order.findOne({
    where: {
      id: orderId,
      ...(user?.isStaff ? {} : { userId }),
      [Op.and]: [literal(`EXISTS (SELECT 1 FROM payment_histories ph WHERE ph.order_id = "Order"."id" AND ph.deleted_at IS NULL)`)],
    },
  });
  if (!order) return { status: 404, html: message('주문을 찾을 수 없습니다.') };
  const d = deriveOrderPayment(await PaymentHistory.findAll({ where: { orderId } }));
  if (!d.latestImpId) return { status: 404, html: message(NOT_AVAILABLE) };
  if (!deps.kcp) {
    logger.error('receipt requested but NHN_KCP_PG_API_* is not configured');
    return { status: 500, html: message(TRY_LATER) };
  }
  try {
    const p = await deps.portone.findPayment(d.latestImpId);
    const searchData = kcpSearchData(p.imp_uid, p.pg_tid ?? '', p.amount, now);
    const fields = { cert_info: deps.kcp.cert, search_data: searchData, sign_data: kcpSign(searchData, deps.kcp) };
    const inputs = Object.entries(fields)
      .map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`)
      .join('');
    return {
      status: 200,
      html: page(
        `<form id="receipt" method="post" action="${KCP_RECEIPT_URL}">${inputs}<noscript><button type="submit">영수증 보기</button></noscript></form>` +
          `<script>document.getElementById('receipt').submit();</script>`,
      ),
    };
  } catch (e) {
    logger.error('receipt: PortOne lookup failed', { orderId, error: e instanceof Error ? e.message : String(e) });
    return { status: 500, html: message(TRY_LATER) };
  }
}

/**
 * `GET /v1/shop/orders/scancode/?token=` — the QR pages of spec §7.3 (HTML; no auth, no session): the user
 * page (등록 입장 QR 코드), the order page (주문 조회), the ticket page (티켓 조회), or an error page with the
 * status and message of §7.3. The QR image is rendered on the server (an inline PNG data URL) and its
 * payload is the full token (`<prefix>:<short_id>:<salt>`). Every dynamic text is HTML-escaped.
 *
 * The token is a credential in the URL: answers are `no-store`, `Referrer-Policy: no-referrer`, not indexed,
 * and a strict CSP (no script at all; inline style and data: images only).
 */
import { Router, type Response } from 'express';
import { QR_OPTIONS, qrDataUrl } from '../../services/qr.js';
import type { AppDeps } from '../types.js';
import { ah } from '../errors.js';
import { requestLang } from '../lang.js';
import { resolveScancode, type ScancodeItem, type ScancodeOrder, type ScancodePage } from '../../services/scancode.js';
import { escapeHtml } from '../../domain/html.js';
import { ITEM_STATUS_LABELS, ORDER_STATUS_LABELS, ScancodeTitles, formatSeoul, formatWon } from '../../domain/scancode/pages.js';

export { QR_OPTIONS, qrDataUrl };

export { escapeHtml };

const e = escapeHtml;

const STYLE = `
body{font-family:-apple-system,BlinkMacSystemFont,"Apple SD Gothic Neo","Noto Sans KR","Malgun Gothic",sans-serif;margin:0;background:#f5f6f8;color:#1d1d1f}
main{max-width:640px;margin:0 auto;padding:24px 16px 48px}
h1{font-size:1.4rem;margin:0 0 16px}
.qr{background:#fff;border-radius:12px;padding:16px;text-align:center;margin-bottom:16px}
.qr img{width:240px;height:240px;image-rendering:pixelated}
.qr .id{font-family:ui-monospace,Menlo,monospace;font-size:.85rem;color:#555;word-break:break-all}
.holder{font-size:1.05rem;margin:8px 0 0}
.card{background:#fff;border-radius:12px;padding:16px;margin-bottom:12px}
.card.refunded{opacity:.45}
.card h2{font-size:1.05rem;margin:0 0 8px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0 0 8px;font-size:.9rem}
dt{color:#666}dd{margin:0}
ul.items{list-style:none;margin:0;padding:0}
ul.items li{border-top:1px solid #eee;padding:8px 0}
ul.items li.refunded{opacity:.45}
.status{display:inline-block;font-size:.8rem;border-radius:6px;padding:1px 6px;background:#eef;margin-left:4px}
.status.used{background:#e6f4ea}.status.refunded{background:#fde8e8}.status.pending{background:#fff4d6}
.opts{font-size:.85rem;color:#444;margin:4px 0 0;padding-left:16px}
.notice{font-size:.85rem;color:#555;background:#fff;border-radius:12px;padding:12px 16px}
.notice li{margin:4px 0}
.error{background:#fff;border-radius:12px;padding:24px;text-align:center;font-size:1.05rem}
`;

const NOTICES = [
  '이 QR 코드는 본인 확인과 입장에 사용됩니다. 다른 사람에게 공유하지 마세요.',
  '구매하신 상품과 티켓은 다른 사람에게 양도할 수 없습니다.',
  '구매 내역은 pycon.kr 의 구매 내역 페이지에서도 확인하실 수 있습니다.',
];

/** The page shell of every server-rendered public page (QR pages, certificate verification). */
export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${e(title)}</h1>
${body}
</main>
</body>
</html>`;
}

function qrBlock(dataUrl: string, label: string, extra = ''): string {
  return `<section class="qr">
<img src="${e(dataUrl)}" alt="QR 코드" width="240" height="240">
<div class="id">${e(label)}</div>
${extra}
</section>`;
}

function noticeBlock(): string {
  return `<section class="notice"><ul>${NOTICES.map((n) => `<li>${e(n)}</li>`).join('')}</ul></section>`;
}

function statusBadge(status: string, labels: Record<string, string>): string {
  return `<span class="status ${e(status)}" data-status="${e(status)}">${e(labels[status] ?? status)}</span>`;
}

function itemBlock(i: ScancodeItem): string {
  const options = i.options.length ? `<ul class="opts">${i.options.map((o) => `<li>${e(o.name)}: ${e(o.value)}</li>`).join('')}</ul>` : '';
  const donation = i.donation_price > 0 ? ` + 후원 ${e(formatWon(i.donation_price))}원` : '';
  return `<li class="item ${i.status === 'refunded' ? 'refunded' : ''}" data-item-id="${e(i.id)}">
<strong>${e(i.product.name)}</strong>${statusBadge(i.status, ITEM_STATUS_LABELS)}
<div>${e(formatWon(i.price))}원${donation}</div>
${options}
</li>`;
}

function orderBlock(o: ScancodeOrder): string {
  const info = o.customer_info;
  return `<section class="card order ${o.current_status === 'refunded' ? 'refunded' : ''}" data-order-id="${e(o.id)}">
<h2>${e(o.name)}${statusBadge(o.current_status, ORDER_STATUS_LABELS)}</h2>
<dl>
<dt>주문 번호</dt><dd>${e(o.short_id)}</dd>
<dt>주문 시각</dt><dd>${e(formatSeoul(o.created_at))}</dd>
<dt>결제 시각</dt><dd>${e(formatSeoul(o.first_paid_at))}</dd>
<dt>결제 금액</dt><dd>${e(formatWon(o.current_paid_price))}원</dd>
${info ? `<dt>구매자</dt><dd>${e(info.name)} (${e(info.email)}, ${e(info.phone)})</dd>` : ''}
${info?.organization ? `<dt>소속</dt><dd>${e(info.organization)}</dd>` : ''}
</dl>
<ul class="items">${o.items.map(itemBlock).join('')}</ul>
</section>`;
}

/** The whole HTML document of a page (errors included). */
export async function renderScancodePage(page: ScancodePage): Promise<string> {
  if (page.kind === 'error') {
    return layout('QR 코드', `<section class="error" data-error="${page.status}">${e(page.message)}</section>`);
  }
  const qr = await qrDataUrl(page.token);
  if (page.kind === 'user') {
    const holder = page.holder ? `<p class="holder">${e(page.holder.name)} · ${e(page.holder.email)}</p>` : '';
    return layout(
      ScancodeTitles.user,
      `${qrBlock(qr, page.user.short_id, holder)}
${page.orders.map(orderBlock).join('\n')}
${noticeBlock()}`,
    );
  }
  if (page.kind === 'order') {
    return layout(ScancodeTitles.order, `${qrBlock(qr, page.order.short_id)}\n${orderBlock(page.order)}\n${noticeBlock()}`);
  }
  const t = page.ticket;
  const options = t.options.length ? `<ul class="opts">${t.options.map((o) => `<li>${e(o.name)}: ${e(o.value)}</li>`).join('')}</ul>` : '';
  return layout(
    ScancodeTitles.ticket,
    `${qrBlock(qr, t.short_id)}
<section class="card ticket ${t.status === 'refunded' ? 'refunded' : ''}" data-item-id="${e(t.id)}">
<h2>${e(t.product.name)}${statusBadge(t.status, ITEM_STATUS_LABELS)}</h2>
<dl>
<dt>주문 번호</dt><dd>${e(t.order.id)}</dd>
<dt>결제 시각</dt><dd>${e(formatSeoul(t.order.first_paid_at))}</dd>
<dt>가격</dt><dd>${e(formatWon(t.price))}원</dd>
${t.donation_price > 0 ? `<dt>후원 금액</dt><dd>${e(formatWon(t.donation_price))}원</dd>` : ''}
</dl>
${options}
</section>
${noticeBlock()}`,
  );
}

/** Send a public page: no-store, no-referrer, not indexed, a CSP without scripts. */
export function send(res: Response, status: number, html: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Robots-Tag': 'noindex, nofollow',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    })
    .send(html);
}

export function scancodeRoutes(deps: AppDeps): Router {
  const r = Router();
  r.get(
    '/',
    ah(async (req, res) => {
      const page = await resolveScancode(
        { sequelize: deps.sequelize, backendDomain: deps.config.backendDomain, scancodeSalts: deps.config.scancodeSalts },
        req.query.token,
        { lang: requestLang(req) },
      );
      send(res, page.kind === 'error' ? page.status : 200, await renderScancodePage(page));
    }),
  );
  return r;
}

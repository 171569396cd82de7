/**
 * Rules of the QR pages (spec §7.3). Pure: messages (Korean text is data), the 6-month rule, labels.
 */

export const ScancodeMessages = {
  NO_TOKEN: '유효하지 않은 URL입니다.',
  INVALID_TOKEN: '유효하지 않은 토큰입니다.',
  USER_NOT_FOUND: '인증 정보를 찾을 수 없습니다.',
  USER_NO_RECENT_ORDER: '최근 6개월 이내에 결제된 유효한 주문이 없습니다 (환불 완료 또는 주문 없음).',
  ORDER_NOT_FOUND: '주문을 찾을 수 없습니다.',
  ORDER_REFUNDED: '전체 환불된 주문은 사용하실 수 없습니다.',
  TICKET_NOT_FOUND: '티켓 정보를 찾을 수 없습니다.',
} as const;

export const ScancodeTitles = {
  user: '등록 입장 QR 코드',
  order: '주문 조회',
  ticket: '티켓 조회',
} as const;

/** The 6-month rule: orders created on or after (today − 183 days), dates in Asia/Seoul. */
export const SCANCODE_RECENT_DAYS = 183;

const DAY_MS = 24 * 3600 * 1000;
const SEOUL_OFFSET_MS = 9 * 3600 * 1000; // Asia/Seoul has no daylight saving time

/** The first instant of the Seoul calendar day (today − 183 days): an order counts when created_at ≥ this. */
export function scancodeWindowStart(now: Date): Date {
  const seoulDay = Math.floor((now.getTime() + SEOUL_OFFSET_MS) / DAY_MS);
  return new Date((seoulDay - SCANCODE_RECENT_DAYS) * DAY_MS - SEOUL_OFFSET_MS);
}

export function isWithinScancodeWindow(createdAt: Date, now: Date): boolean {
  return createdAt.getTime() >= scancodeWindowStart(now).getTime();
}

/** How an option is shown: the answer (or "-") for free-text groups; else the option name (+N원). */
export function optionDisplayValue(o: {
  isCustomResponse: boolean;
  customResponse: string | null;
  optionName: string | null;
  additionalPrice: number;
}): string {
  if (o.isCustomResponse) return o.customResponse ? o.customResponse : '-';
  if (!o.optionName) return '-';
  return o.additionalPrice > 0 ? `${o.optionName} (+${formatWon(o.additionalPrice)}원)` : o.optionName;
}

export function formatWon(n: number): string {
  return n.toLocaleString('ko-KR');
}

export const ORDER_STATUS_LABELS: Record<string, string> = {
  pending: '결제 대기',
  completed: '결제 완료',
  partial_refunded: '부분 환불',
  refunded: '환불 완료',
};

export const ITEM_STATUS_LABELS: Record<string, string> = {
  pending: '결제 대기',
  paid: '결제 완료',
  used: '사용 완료',
  refunded: '환불됨',
};

/** A Seoul wall-clock rendering, e.g. `2026-11-25 10:02 (KST)`. */
export function formatSeoul(d: Date | string | null): string {
  if (d === null) return '-';
  const t = new Date(typeof d === 'string' ? d : d.getTime()).getTime() + SEOUL_OFFSET_MS;
  const x = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${x.getUTCFullYear()}-${p(x.getUTCMonth() + 1)}-${p(x.getUTCDate())} ${p(x.getUTCHours())}:${p(x.getUTCMinutes())} (KST)`;
}

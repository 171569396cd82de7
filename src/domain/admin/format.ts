/**
 * How the panel shows values to Korean operators (pure): money as `35,000원`, times as Asia/Seoul wall-clock
 * (`2026-12-06 14:05 (KST)`, whatever the server's or the browser's own zone), statuses in Korean, the actor
 * of an audit row as a name / e-mail instead of `user:1`. The QR pages' helpers are the single source.
 */
import { formatSeoul, formatWon, ORDER_STATUS_LABELS } from '../scancode/pages.js';

export { formatSeoul };

export const ORDER_STATUS_KO: Readonly<Record<string, string>> = ORDER_STATUS_LABELS;
export const ITEM_STATUS_KO: Readonly<Record<string, string>> = { pending: '결제 대기', paid: '결제 완료', used: '사용 완료', refunded: '환불 완료' };

export const orderStatusKo = (s: string | null | undefined): string => (s ? ORDER_STATUS_KO[s] ?? s : '');
export const itemStatusKo = (s: string | null | undefined): string => (s ? ITEM_STATUS_KO[s] ?? s : '');

export function formatKrw(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(Number(n))) return '';
  return `${formatWon(Math.trunc(Number(n)))}원`;
}

/** A panel time: Seoul wall-clock, '' for none / an invalid value. */
export function panelTime(d: Date | string | null | undefined): string {
  if (d === null || d === undefined || d === '') return '';
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? '' : formatSeoul(date);
}

const SEOUL_OFFSET_MS = 9 * 3600 * 1000; // Asia/Seoul has no daylight saving time

/** The Asia/Seoul calendar day of `d` as `YYYY-MM-DD`. */
export function seoulDay(d: Date): string {
  return new Date(d.getTime() + SEOUL_OFFSET_MS).toISOString().slice(0, 10);
}

/** The first instant of the Seoul calendar day `YYYY-MM-DD`, and of the next day. */
export function seoulDayBounds(day: string): { from: Date; to: Date } {
  const from = new Date(`${day}T00:00:00+09:00`);
  return { from, to: new Date(from.getTime() + 24 * 3600 * 1000) };
}

/** `홍길동 <a@b.c>`, the e-mail alone, or the stored label (`admin`, `system`, `api_key:…`) when no account is known. */
export function actorName(user: { nicknameKo?: string | null; username?: string | null; email?: string | null } | null | undefined, label: string | null | undefined): string {
  if (!user) return label ?? '-';
  const name = user.nicknameKo?.trim() || '';
  const email = user.email?.trim() || '';
  if (name && email) return `${name} <${email}>`;
  return email || name || user.username || label || '-';
}

/**
 * Participation certificates (참가확인서): pure rules. Document types and numbers, the verify token, Korean
 * date texts, the certificate status of an order item, the template variables and the page messages
 * (Korean text is data). No I/O; "now" is a parameter.
 */
import { encodeShortUuid, decodeShortUuid } from '../scancode/shortuuid.js';
import { isValidScancodeSalt, scancodeSalt } from '../scancode/token.js';

export const DOCUMENT_TYPES = {
  confirmation_of_participation: { label: '참가확인서', prefix: 'COP' },
} as const;
export type DocumentType = keyof typeof DOCUMENT_TYPES;
export const CERTIFICATE_TYPE: DocumentType = 'confirmation_of_participation';
export function isDocumentType(v: unknown): v is DocumentType {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(DOCUMENT_TYPES, v);
}

export type CertificateStatus = 'not_issuable' | 'issuable' | 'issued' | 'revoked';

/** What decides an item's certificate: the item's facts and its live document, if any. */
export interface CertificateFacts {
  itemStatus: string;
  isTicket: boolean;
  hasEvent: boolean;
  document: { revokedAt: Date | string | null } | null;
}

/** The item is "valid" for a certificate: checked in (`used`), a ticket category, linked to an event. */
export function isCertificateValid(f: Pick<CertificateFacts, 'itemStatus' | 'isTicket' | 'hasEvent'>): boolean {
  return f.itemStatus === 'used' && f.isTicket && f.hasEvent;
}

export function certificateStatus(f: CertificateFacts): CertificateStatus {
  if (!isCertificateValid(f)) return 'not_issuable';
  if (!f.document) return 'issuable';
  return f.document.revokedAt ? 'revoked' : 'issued';
}

const SEOUL_OFFSET_MS = 9 * 3600 * 1000; // Asia/Seoul has no daylight saving time
const WEEKDAYS = ['일', '월', '화', '수', '목', '금', '토'];
const pad = (n: number) => String(n).padStart(2, '0');

function seoulParts(at: Date): { y: number; m: number; d: number; hh: number; mm: number } {
  const x = new Date(at.getTime() + SEOUL_OFFSET_MS);
  return { y: x.getUTCFullYear(), m: x.getUTCMonth() + 1, d: x.getUTCDate(), hh: x.getUTCHours(), mm: x.getUTCMinutes() };
}

/** `COP-{issue year in Seoul}-{short id}` */
export function documentNumber(type: DocumentType, id: string, issuedAt: Date): string {
  return `${DOCUMENT_TYPES[type].prefix}-${seoulParts(issuedAt).y}-${encodeShortUuid(id)}`;
}

/** A calendar day `YYYY-MM-DD` → `2027년 8월 14일(토)`. */
export function koreanDate(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) throw new RangeError(`not a calendar day: ${day}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return `${y}년 ${mo}월 ${d}일(${WEEKDAYS[new Date(Date.UTC(y, mo - 1, d)).getUTCDay()]})`;
}

/** The event's date text: one day, or `first ~ last` when they differ. */
export function eventDateText(startDate: string, endDate: string): string {
  return startDate === endDate ? koreanDate(startDate) : `${koreanDate(startDate)} ~ ${koreanDate(endDate)}`;
}

/** Issue date on the certificate: Seoul `YYYY년 MM월 DD일`. */
export function issuedAtText(at: Date): string {
  const p = seoulParts(at);
  return `${p.y}년 ${pad(p.m)}월 ${pad(p.d)}일`;
}

/** Issue time on the verify page: Seoul `YYYY-MM-DD HH:MM`. */
export function issuedAtMinute(at: Date): string {
  const p = seoulParts(at);
  return `${p.y}-${pad(p.m)}-${pad(p.d)} ${pad(p.hh)}:${pad(p.mm)}`;
}

/** The snapshot frozen at issue time (later edits of the holder or the event do not change it). */
export interface CertificateContext {
  event_name: string;
  event_name_en: string;
  event_date: string;
  participant_name: string;
  organization: string;
  email: string;
}

/** Everything a template can use: the snapshot plus what each rendering adds. */
export interface CertificateRenderContext extends CertificateContext {
  document_number: string;
  issued_at: string;
  verify_url: string;
  qr_data_uri: string;
}

export const TEMPLATE_VARIABLES: ReadonlyArray<keyof CertificateRenderContext> = [
  'participant_name', 'organization', 'email', 'event_name', 'event_name_en', 'event_date',
  'document_number', 'issued_at', 'verify_url', 'qr_data_uri',
];

/** Sample data of the panel's template preview. */
export const SAMPLE_CONTEXT: CertificateContext = {
  event_name: '파이콘 한국 2027',
  event_name_en: 'PyCon Korea 2027',
  event_date: eventDateText('2027-08-14', '2027-08-15'),
  participant_name: '홍길동',
  organization: '파이썬사용자모임',
  email: 'hong@example.com',
};

// --- the verify token: `cert:{short_id}:{salt}`, salt = base64url(HMAC-SHA256(key, the 16 id bytes)) -------
// The same construction as the QR tokens (src/domain/scancode/token.ts), with its own keys
// (DOCUMENT_VERIFY_SALT): a list allows rotation — the first signs, any verifies.

export const DOCUMENT_TOKEN_PATTERN = /^cert:[A-Za-z0-9]{1,30}:[A-Za-z0-9_-]{1,100}$/;
export const VERIFY_PATH = '/v1/document/verify/';
export const DOWNLOAD_PATH = '/v1/document/download/';

export function signDocumentToken(id: string, salts: readonly string[]): string {
  if (!salts[0]) throw new Error('document verify: no salt configured');
  return `cert:${encodeShortUuid(id)}:${scancodeSalt(id, salts[0])}`;
}

/** The document id of a token whose salt verifies with any key; null otherwise (constant-time compare). */
export function verifyDocumentToken(token: unknown, salts: readonly string[]): string | null {
  if (typeof token !== 'string' || !DOCUMENT_TOKEN_PATTERN.test(token)) return null;
  const [, shortId, salt] = token.split(':') as [string, string, string];
  const id = decodeShortUuid(shortId);
  if (id === null) return null;
  return isValidScancodeSalt(id, salt, salts) ? id : null;
}

function origin(backendDomain: string): string {
  return backendDomain.replace(/^(https?:\/\/[^/]+).*$/i, '$1').replace(/\/+$/, '');
}

export function verifyUrl(backendDomain: string, token: string): string {
  return `${origin(backendDomain)}${VERIFY_PATH}${token}/`;
}

export function downloadUrl(backendDomain: string, id: string): string {
  return `${origin(backendDomain)}${DOWNLOAD_PATH}${id}/`;
}

/** `참가확인서_COP-2027-….pdf` */
export function documentFilename(type: DocumentType, number: string): string {
  return `${DOCUMENT_TYPES[type].label}_${number}.pdf`;
}

const CONTACT = '파이콘 준비 위원회(pyconkr@pycon.kr)로 문의해주세요.';

export const DocumentMessages = {
  NOT_FOUND: `문서를 찾을 수 없습니다. 링크가 올바른지 확인하거나, ${CONTACT}`,
  REVOKED: `본 문서는 반려되었습니다. ${CONTACT}`,
  NOT_VALID: `문서가 유효하지 않습니다. ${CONTACT}`,
  RENDER_FAILED: `문서를 생성할 수 없습니다. 잠시 후 다시 시도하거나 ${CONTACT}`,
  ISSUE_REVOKED: '취소된 문서입니다.',
  NO_TEMPLATE: '문서 템플릿이 설정되지 않았습니다.',
  NOT_ISSUABLE: '참가확인서를 발급할 수 없는 상품입니다.',
  TEMPLATE_USED: '이미 발급에 사용된 템플릿은 수정할 수 없습니다. 새 템플릿을 만드세요.',
  TEMPLATE_ACTIVE_EXISTS: '이미 활성화된 동일 타입 템플릿이 있습니다. 기존 템플릿을 먼저 비활성화하세요.',
} as const;

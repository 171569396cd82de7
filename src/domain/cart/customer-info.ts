/**
 * Buyer contact validation (spec §3.4), with the original serializer's field semantics (DRF CharField /
 * RegexField / EmailField): a missing key → `required`, null → `null`, empty or whitespace-only → `blank`
 * (organization allows blank), a non-string → `invalid`, values are trimmed, a pattern miss → `invalid`.
 * Fields are checked in the order name, phone, email, organization; at most one error per field.
 */
import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';
import { type FieldError, type MessageDef } from '../messages.js';

const fm = (code: string, text: string): MessageDef => ({ code, text });

/**
 * Generic field-validation texts (DRF's Korean defaults). NOT in `messages.ts` yet (reported as missing):
 * move them to `Messages.Field` when the catalogue owner adds them.
 */
export const FieldMessages = {
  REQUIRED: fm('required', '이 필드는 필수 항목입니다.'),
  NULL: fm('null', '이 필드는 null일 수 없습니다.'),
  BLANK: fm('blank', '이 필드는 blank일 수 없습니다.'),
  INVALID_STRING: fm('invalid', '유효한 문자열이 아닙니다.'),
  INVALID_PATTERN: fm('invalid', '형식에 맞지 않는 값입니다.'),
  INVALID_EMAIL: fm('invalid', '유효한 이메일 주소를 입력하십시오.'),
  INVALID_INTEGER: fm('invalid', '유효한 정수(integer)를 넣어주세요.'),
  MIN_VALUE: fm('min_value', '이 값이 {}보다 크거나 같은지 확인하십시오.'),
  DOES_NOT_EXIST: fm('does_not_exist', '유효하지 않은 pk "{}" - 객체가 존재하지 않습니다.'),
  NOT_A_LIST: fm('not_a_list', '아이템 리스트가 예상되었으나 "{}"를 받았습니다.'),
} as const;

/** Python `^(.*)$` with `re` semantics: `.` excludes only "\n", `$` also matches before a final "\n". */
const ALLOW_ALL = /^[^\n]*\n?$/;
/** `^([0-9]{3}-[0-9]{3,4}-[0-9]{4}|\+[0-9]{9,14})$` (Python `$` tolerates one trailing "\n"). */
export const PHONE_PATTERN = /^(?:[0-9]{3}-[0-9]{3,4}-[0-9]{4}|\+[0-9]{9,14})\n?$/;

// Django's EmailValidator (user part, domain part, literal IP, "localhost" allow-list, IDN via punycode).
const EMAIL_USER =
  /^(?:[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")$/i;
const EMAIL_DOMAIN = /^(?:(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63}(?<!-))$/i;
const EMAIL_LITERAL = /^\[([A-F0-9:.]+)\]$/i;

function emailDomainOk(domain: string): boolean {
  if (EMAIL_DOMAIN.test(domain)) return true;
  const lit = EMAIL_LITERAL.exec(domain);
  return lit !== null && isIP(lit[1]!) !== 0;
}

/** Django `EmailValidator` semantics (approximation of its IDN handling through WHATWG punycode). */
export function isValidEmail(value: string): boolean {
  if (!value || !value.includes('@') || value.length > 320) return false;
  const at = value.lastIndexOf('@');
  const user = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!EMAIL_USER.test(user)) return false;
  if (domain === 'localhost' || emailDomainOk(domain)) return true;
  if (/^[\x00-\x7f]*$/.test(domain)) return false;
  const ascii = domainToASCII(domain);
  return ascii !== '' && emailDomainOk(ascii);
}

type FieldCheck = { ok: true; value: string } | { ok: false; error: MessageDef };

/** DRF CharField pipeline: required → null → blank → type → trim. */
function charField(raw: unknown, present: boolean, allowBlank: boolean): FieldCheck {
  if (!present || raw === undefined) return { ok: false, error: FieldMessages.REQUIRED };
  if (raw === null) return { ok: false, error: FieldMessages.NULL };
  const isScalar = typeof raw === 'string' || (typeof raw === 'number' && Number.isFinite(raw));
  if (isScalar && String(raw).trim() === '') {
    return allowBlank ? { ok: true, value: '' } : { ok: false, error: FieldMessages.BLANK };
  }
  if (!isScalar) return { ok: false, error: FieldMessages.INVALID_STRING };
  return { ok: true, value: String(raw).trim() };
}

export interface CustomerInfoInput {
  name?: unknown;
  phone?: unknown;
  email?: unknown;
  organization?: unknown;
}

export interface CustomerInfo {
  name: string;
  phone: string;
  email: string;
  organization: string;
}

export interface CustomerInfoResult {
  errors: FieldError[];
  /** The trimmed values, only when there is no error. */
  value: CustomerInfo | null;
}

/**
 * Validate a CustomerInfo body. Errors have attrs `name`, `phone`, `email`, `organization`; pass
 * `attrPrefix` (e.g. `'customer_info.'`) for nested payloads.
 */
export function validateCustomerInfo(input: CustomerInfoInput | null | undefined, attrPrefix = ''): CustomerInfoResult {
  const data: Record<string, unknown> = { ...((input ?? {}) as Record<string, unknown>) };
  // The frontend contract types organization as `string | null`: a null is "no organization" (blank).
  if (data.organization === null) data.organization = '';
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(data, k);
  const errors: FieldError[] = [];
  const out: Partial<CustomerInfo> = {};
  const push = (attr: keyof CustomerInfo, msg: MessageDef): void => {
    errors.push({ code: msg.code, detail: msg.text, attr: attrPrefix + attr });
  };

  const fields: Array<[keyof CustomerInfo, boolean, (v: string) => MessageDef | null]> = [
    ['name', false, (v) => (ALLOW_ALL.test(v) ? null : FieldMessages.INVALID_PATTERN)],
    ['phone', false, (v) => (PHONE_PATTERN.test(v) ? null : FieldMessages.INVALID_PATTERN)],
    ['email', false, (v) => (isValidEmail(v) ? null : FieldMessages.INVALID_EMAIL)],
    ['organization', true, (v) => (v === '' || ALLOW_ALL.test(v) ? null : FieldMessages.INVALID_PATTERN)],
  ];
  for (const [key, allowBlank, validate] of fields) {
    const r = charField(data[key], has(key), allowBlank);
    if (!r.ok) {
      push(key, r.error);
      continue;
    }
    const err = validate(r.value);
    if (err) push(key, err);
    else out[key] = r.value;
  }
  return { errors, value: errors.length === 0 ? (out as CustomerInfo) : null };
}

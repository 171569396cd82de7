/**
 * [Δ c15d377] Payment preparation (spec §4.2): the cart snapshot taken at checkout, its HMAC, the
 * `merchant_uid` handed to PortOne, and the "was the cart modified since?" check used by the webhook.
 * Pure apart from node:crypto's HMAC (no I/O); the attempt id and prepared_at are parameters.
 */
import { createHmac } from 'node:crypto';
import { decodeShortUuid, encodeShortUuid } from '../scancode/shortuuid.js';
import { base64UrlNoPad } from '../scancode/token.js';

export const PAYMENT_HASH_LENGTH = 16;

export interface SnapshotAttempt {
  /** a fresh uuid4 per checkout call */
  id: string;
  /** ISO-8601 instant of the preparation (see `pythonIsoformat`) */
  prepared_at: string;
}

export interface SnapshotOption {
  id: string;
  product_option_group: string;
  product_option: string | null;
  custom_response: string | null;
}

export interface SnapshotProduct {
  id: string;
  product: string;
  price: number;
  donation_price: number;
  options: SnapshotOption[];
}

/** The stored snapshot (`prepared_cart_snapshot`, JSON). */
export interface CartSnapshot {
  attempt: SnapshotAttempt;
  /** first_paid_price = Σ price + donation_price of the active items */
  price: number;
  products: SnapshotProduct[];
}

/** One ACTIVE OPR of the cart / buy-now cart with its ACTIVE OPORs (camelCase input). */
export interface SnapshotItemInput {
  id: string;
  productId: string;
  price: number;
  donationPrice: number;
  options: readonly {
    id: string;
    productOptionGroupId: string;
    productOptionId: string | null;
    customResponse: string | null;
  }[];
}

const byId = <T extends { id: string }>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Build the snapshot: items and their options sorted by id (string order), all ids as strings. */
export function buildCartSnapshot(attempt: SnapshotAttempt, items: readonly SnapshotItemInput[]): CartSnapshot {
  const products = [...items].sort(byId).map<SnapshotProduct>((item) => ({
    id: String(item.id),
    product: String(item.productId),
    price: item.price,
    donation_price: item.donationPrice,
    options: [...item.options].sort(byId).map<SnapshotOption>((o) => ({
      id: String(o.id),
      product_option_group: String(o.productOptionGroupId),
      product_option: o.productOptionId === null ? null : String(o.productOptionId),
      custom_response: o.customResponse,
    })),
  }));
  return {
    attempt: { id: attempt.id, prepared_at: attempt.prepared_at },
    price: items.reduce((s, i) => s + i.price + i.donationPrice, 0),
    products,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Canonical JSON = Python json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
// ---------------------------------------------------------------------------------------------------------

function escapeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      default:
        // everything outside printable ASCII (space..~) as \uXXXX (lower-case hex; UTF-16 surrogate pairs)
        out += c < 0x20 || c > 0x7e ? '\\u' + c.toString(16).padStart(4, '0') : s[i];
    }
  }
  return out + '"';
}

/** Compare keys by Unicode code point (Python's str ordering). */
function compareCodePoints(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * Canonical JSON: keys sorted recursively, no whitespace, non-ASCII escaped. Integers only for numbers
 * (non-finite numbers are rejected; Python would print NaN/Infinity). `undefined` object values are skipped.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return Number.isInteger(value) ? value.toFixed(0) : JSON.stringify(value);
    case 'string':
      return escapeString(value);
    case 'object': {
      if (Array.isArray(value)) return '[' + value.map((v) => canonicalJson(v === undefined ? null : v)).join(',') + ']';
      if (value instanceof Date) return escapeString(value.toISOString());
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => compareCodePoints(a, b));
      return '{' + entries.map(([k, v]) => escapeString(k) + ':' + canonicalJson(v)).join(',') + '}';
    }
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
  }
}

/** `hash = base64url_nopad(HMAC_SHA256(secret, canonical JSON)[0:12])` → 16 characters. */
export function cartHash(secret: string, snapshot: unknown): string {
  const digest = createHmac('sha256', Buffer.from(secret, 'utf8')).update(canonicalJson(snapshot), 'utf8').digest();
  return base64UrlNoPad(digest.subarray(0, 12));
}

/** `merchant_uid = shortuuid(id) + "." + hash` (≤ 40 chars). */
export function merchantUid(id: string, hash: string): string {
  return `${encodeShortUuid(id)}.${hash}`;
}

/** Split at the first "." and decode the shortuuid; null when malformed. The hash must be non-empty. */
export function parseMerchantUid(value: unknown): { id: string; hash: string } | null {
  if (typeof value !== 'string') return null;
  const dot = value.indexOf('.');
  if (dot < 0) return null;
  const hash = value.slice(dot + 1);
  if (hash === '') return null;
  const id = decodeShortUuid(value.slice(0, dot));
  return id === null ? null : { id, hash };
}

export interface PaymentPreparation {
  snapshot: CartSnapshot;
  hash: string;
  merchantUid: string;
  /** the amount to register at PortOne = snapshot.price */
  amount: number;
}

/** Take the snapshot of an Order / buy-now cart `id` for a new attempt and derive hash + merchant_uid. */
export function preparePayment(
  id: string,
  attempt: SnapshotAttempt,
  items: readonly SnapshotItemInput[],
  secret: string,
): PaymentPreparation {
  const snapshot = buildCartSnapshot(attempt, items);
  const hash = cartHash(secret, snapshot);
  return { snapshot, hash, merchantUid: merchantUid(id, hash), amount: snapshot.price };
}

export interface PreparationCheck {
  /** the Order / buy-now cart id */
  id: string;
  /** stored `prepared_cart_snapshot` (JSON as loaded), or null */
  storedSnapshot: unknown;
  /** stored `prepared_cart_hash`, or null */
  storedHash: string | null;
  /** the merchant_uid the payment claims */
  merchantUid: unknown;
  /** the amount PortOne reports (may be a float) */
  amount: unknown;
  /** the CURRENT active items of the cart */
  currentItems: readonly SnapshotItemInput[];
  secret: string;
}

/**
 * `matches_payment_preparation`: a snapshot is stored, the merchant_uid is this row's, the amount equals
 * the snapshot price and is integral, and re-hashing the current cart with the stored attempt gives the
 * stored hash (i.e. nothing changed after preparing).
 */
export function matchesPreparation(check: PreparationCheck): boolean {
  const snap = check.storedSnapshot;
  if (!snap || typeof snap !== 'object' || Array.isArray(snap) || !check.storedHash) return false;
  const { attempt, price } = snap as { attempt?: unknown; price?: unknown };
  if (typeof check.amount !== 'number' || !Number.isInteger(check.amount)) return false;
  if (!attempt || typeof attempt !== 'object' || Array.isArray(attempt)) return false;
  if (merchantUid(check.id, check.storedHash) !== check.merchantUid) return false;
  if (price !== check.amount) return false;
  const current = buildCartSnapshot(attempt as SnapshotAttempt, check.currentItems);
  // The stored attempt object is re-used as is (all its keys), like the original.
  const recomputed = cartHash(check.secret, { ...current, attempt });
  return recomputed === check.storedHash;
}

/**
 * Python `datetime.isoformat()` of an aware datetime at a fixed offset (default +09:00, Asia/Seoul):
 * `YYYY-MM-DDTHH:MM:SS[.ffffff]+HH:MM` (microseconds only when non-zero).
 */
export function pythonIsoformat(date: Date, offsetMinutes = 540): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const ms = local.getUTCMilliseconds();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return (
    `${p(local.getUTCFullYear(), 4)}-${p(local.getUTCMonth() + 1)}-${p(local.getUTCDate())}` +
    `T${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())}` +
    (ms ? `.${p(ms, 3)}000` : '') +
    `${sign}${p(Math.floor(abs / 60))}:${p(abs % 60)}`
  );
}

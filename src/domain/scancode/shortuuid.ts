/**
 * shortuuid 1.0.x (spec §7.2): the UUID's 128-bit integer in base 57, most significant digit first,
 * left-padded with the alphabet's first character ('2') to 22 characters.
 */

export const SHORTUUID_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
export const SHORTUUID_LENGTH = 22;

const BASE = BigInt(SHORTUUID_ALPHABET.length); // 57n
const MAX = 1n << 128n;
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const INDEX = new Map<string, bigint>([...SHORTUUID_ALPHABET].map((c, i) => [c, BigInt(i)]));

/** Canonical lower-case hyphenated form, or null when `uuid` is not 32 hex digits (hyphens optional). */
export function normalizeUuid(uuid: string): string | null {
  if (!UUID_RE.test(uuid)) return null;
  const hex = uuid.replace(/-/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidToBigInt(uuid: string): bigint {
  const n = normalizeUuid(uuid);
  if (n === null) throw new TypeError(`not a UUID: ${uuid}`);
  return BigInt('0x' + n.replace(/-/g, ''));
}

export function bigIntToUuid(value: bigint): string {
  if (value < 0n || value >= MAX) throw new RangeError('UUID integer out of range');
  return normalizeUuid(value.toString(16).padStart(32, '0'))!;
}

/** The 16 raw bytes of a UUID (big-endian, as Python's `uuid.bytes`). */
export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuidToBigInt(uuid).toString(16).padStart(32, '0'), 'hex');
}

/** shortuuid.encode(uuid): always 22 characters. Throws TypeError on a malformed UUID. */
export function encodeShortUuid(uuid: string): string {
  let n = uuidToBigInt(uuid);
  let out = '';
  while (n > 0n) {
    out = SHORTUUID_ALPHABET[Number(n % BASE)]! + out;
    n /= BASE;
  }
  return out.padStart(SHORTUUID_LENGTH, SHORTUUID_ALPHABET[0]!);
}

/**
 * shortuuid.decode(s) → canonical UUID string, or null when `s` is empty, has a character outside the
 * alphabet, or its value is ≥ 2^128. (Like shortuuid 1.0.x, any length is accepted: "2" decodes to the nil
 * UUID; the canonical 22-character form is what `encodeShortUuid` produces.)
 */
export function decodeShortUuid(s: string): string | null {
  if (typeof s !== 'string' || s.length === 0) return null;
  let n = 0n;
  for (const ch of s) {
    const d = INDEX.get(ch);
    if (d === undefined) return null;
    n = n * BASE + d;
    if (n >= MAX) return null;
  }
  return bigIntToUuid(n);
}

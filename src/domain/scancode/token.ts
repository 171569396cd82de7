/**
 * Scancode (QR) tokens (spec §7.1): `<prefix>:<short_id>:<salt>` where short_id = shortuuid of the UUID
 * (Order.id, OPR.id, or the user's `unique_id`) and salt = base64url_nopad(HMAC_SHA256(key = salt setting
 * utf-8, msg = the 16 raw UUID bytes)) — 43 characters. A list of salts allows rotation: the first signs,
 * any verifies. node:crypto is used for the HMAC (no I/O).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeShortUuid, encodeShortUuid, uuidBytes } from './shortuuid.js';

export type ScancodePrefix = 'user' | 'order' | 'opr';
export const SCANCODE_TOKEN_PATTERN = /^(user|order|opr):[A-Za-z0-9]+:[A-Za-z0-9_-]+$/;
export const SCANCODE_PATH = '/v1/shop/orders/scancode/';

/** base64url without padding */
export function base64UrlNoPad(buf: Buffer): string {
  return buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The salt part of a token for one UUID and one salt setting. */
export function scancodeSalt(uuid: string, salt: string): string {
  return base64UrlNoPad(createHmac('sha256', Buffer.from(salt, 'utf8')).update(uuidBytes(uuid)).digest());
}

function firstSalt(salts: string | readonly string[]): string {
  const list = typeof salts === 'string' ? [salts] : salts;
  if (list.length === 0 || list[0] === undefined) throw new Error('scancode: no salt configured');
  return list[0];
}

/** Sign: `<prefix>:<shortuuid(uuid)>:<salt>` with the first salt of the list. */
export function signScancodeToken(prefix: ScancodePrefix, uuid: string, salts: string | readonly string[]): string {
  return `${prefix}:${encodeShortUuid(uuid)}:${scancodeSalt(uuid, firstSalt(salts))}`;
}

/** The QR page path for a token (`:` left as is, not URL-encoded). */
export function scancodePath(token: string): string {
  return `${SCANCODE_PATH}?token=${token}`;
}

/** The absolute QR page URL: BACKEND_DOMAIN (origin; a path in it is replaced) + path. */
export function scancodeUrl(backendDomain: string, token: string): string {
  return backendDomain.replace(/^(https?:\/\/[^/]+).*$/i, '$1').replace(/\/+$/, '') + scancodePath(token);
}

export interface ParsedScancodeToken {
  prefix: ScancodePrefix;
  shortId: string;
  salt: string;
  /** the decoded UUID (canonical lower-case) */
  id: string;
}

/** Syntax check (the §7.3 regex) + shortuuid decode; null when either fails. Does NOT verify the salt. */
export function parseScancodeToken(token: string): ParsedScancodeToken | null {
  if (typeof token !== 'string' || !SCANCODE_TOKEN_PATTERN.test(token)) return null;
  const [prefix, shortId, salt] = token.split(':') as [ScancodePrefix, string, string];
  const id = decodeShortUuid(shortId);
  if (id === null) return null;
  return { prefix, shortId, salt, id };
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab); // keep the timing shape; lengths of real salts are public anyway (43)
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/**
 * Parse and verify against any of the salts (constant-time compare). With `expectedPrefix`, a token of
 * another prefix is rejected. Returns the parsed token or null.
 */
export function verifyScancodeToken(
  token: string,
  salts: string | readonly string[],
  expectedPrefix?: ScancodePrefix,
): ParsedScancodeToken | null {
  const parsed = parseScancodeToken(token);
  if (!parsed) return null;
  if (expectedPrefix && parsed.prefix !== expectedPrefix) return null;
  const list = typeof salts === 'string' ? [salts] : salts;
  let ok = false;
  for (const s of list) ok = safeEqual(scancodeSalt(parsed.id, s), parsed.salt) || ok;
  return ok ? parsed : null;
}

/** Check the salt of a known entity (e.g. after loading it by the decoded id). */
export function isValidScancodeSalt(uuid: string, salt: string, salts: string | readonly string[]): boolean {
  const list = typeof salts === 'string' ? [salts] : salts;
  let ok = false;
  for (const s of list) ok = safeEqual(scancodeSalt(uuid, s), salt) || ok;
  return ok;
}

/**
 * Values no field of ours can hold are refused with a 400 before a route runs:
 * - U+0000 (NUL) in any string or key: PostgreSQL text and jsonb cannot store it, so it used to fail deep
 *   inside a transaction (a 500) or slip into a snapshot and fail later;
 * - a JSON number that overflows to ±Infinity (`1e400`): it crashed the buy-now fingerprint (a 500).
 * Covers the parsed JSON / form body and the query string. (DRF answers NUL with the same code.)
 */
import type { Request, RequestHandler } from 'express';
import type { FieldError } from '../domain/messages.js';
import { ApiError } from './errors.js';

/** The first unstorable value (with its dotted path), or null. */
export function findUnstorable(value: unknown, path: string[] = [], depth = 0): FieldError | null {
  const attr = (p: string[]) => p.join('.') || 'non_field_errors';
  if (typeof value === 'string') return value.includes('\u0000') ? { code: 'null_characters_not_allowed', detail: 'NUL 문자(\\u0000)는 입력할 수 없습니다.', attr: attr(path) } : null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : { code: 'invalid', detail: '숫자가 너무 큽니다.', attr: attr(path) };
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return { code: 'null_characters_not_allowed', detail: 'NUL 문자(\\u0000)는 입력할 수 없습니다.', attr: attr([...path, k.replace(/\u0000/g, '')]) };
    const found = findUnstorable(v, [...path, k], depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * `except`: path prefixes that take any body themselves. The PortOne webhook must record every body it
 * receives (escaped) and still process a paid notification that carries an odd field, so it is not refused here.
 */
export function rejectUnstorableValues(getBody: (req: Request) => unknown = (req) => req.body, except: readonly string[] = []): RequestHandler {
  return (req, _res, next) => {
    if (except.some((prefix) => req.path.startsWith(prefix))) return next();
    const e = findUnstorable(req.query) ?? findUnstorable(getBody(req));
    next(e ? ApiError.validation([e]) : undefined);
  };
}

/**
 * CSRF protection as Django does it (double submit): a random token lives in a cookie that page scripts
 * can read (never HttpOnly); an unsafe request must echo it in the `X-CSRFToken` header or the
 * `csrfmiddlewaretoken` form field, and a browser `Origin` header, when sent, must be a trusted origin.
 *
 * - The cookie is set on any response to a client that lacks it (the frontend never creates it), and
 *   refreshed by `GET …/auth/session`; it is rotated at sign-in.
 * - Checked on every unsafe request that carries a session cookie, and always on the sign-in endpoints
 *   (login CSRF). Requests without a session have no ambient authority to abuse: a write without a
 *   session answers 401, not 403.
 * - Exempt: requests authenticated by API key, and the routes in `CSRF_EXEMPT_ROUTES` (webhooks).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { AuthConfig } from '../../config.js';
import { ApiError } from '../errors.js';
import type { OriginMatcher } from './origins.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const TOKEN_RE = /^[A-Za-z0-9]{32}$|^[A-Za-z0-9]{64}$/;
const CSRF_COOKIE_AGE_MS = 31_449_600_000; // Django's CSRF_COOKIE_AGE: one year

/**
 * Routes that never need the CSRF token (machine callers that cannot have it). Later routes register here;
 * a path ending in "/" also matches without it.
 */
export const CSRF_EXEMPT_ROUTES: ReadonlyArray<{ method: string; path: string }> = [
  { method: 'POST', path: '/v1/shop/payment-histories/' }, // PortOne webhook (unsigned; re-fetches the payment)
];

export function isCsrfExempt(method: string, path: string): boolean {
  const p = path.endsWith('/') ? path : `${path}/`;
  return CSRF_EXEMPT_ROUTES.some((r) => r.method === method.toUpperCase() && r.path === p);
}

/** Paths whose unsafe requests are checked even without a session (they create one). */
const ALWAYS_CHECKED = ['/authn/social/browser/v1/auth/login', '/authn/social/browser/v1/auth/provider/redirect'];

export function newCsrfToken(): string {
  // 32 characters of [A-Za-z0-9], like Django's CSRF secret.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(64);
  let out = '';
  for (const b of bytes) {
    if (b < 248) out += alphabet[b % 62]; // 248 = 4 × 62: no modulo bias
    if (out.length === 32) break;
  }
  return out.length === 32 ? out : newCsrfToken();
}

function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface CsrfOptions {
  auth: AuthConfig;
  trustedOrigins: OriginMatcher;
  backendOrigin: string;
}

/** Set (or replace, within this response) the CSRF cookie. */
export function setCsrfCookie(res: Response, auth: AuthConfig, token: string): void {
  const name = auth.csrfCookieName;
  const existing = res.getHeader('Set-Cookie');
  if (existing) {
    const list = (Array.isArray(existing) ? existing : [String(existing)]).filter((c) => !c.startsWith(`${name}=`));
    res.setHeader('Set-Cookie', list);
  }
  res.cookie(name, token, {
    httpOnly: false,
    sameSite: auth.sessionCookie.sameSite,
    secure: auth.sessionCookie.secure,
    domain: auth.cookieDomain,
    path: '/',
    maxAge: CSRF_COOKIE_AGE_MS,
    encode: String, // the token is cookie-safe as is
  });
  res.locals.csrfToken = token;
}

/** The client's current CSRF token (after this middleware ran): the cookie's, or the one just issued. */
export function csrfTokenOf(res: Response): string {
  return res.locals.csrfToken as string;
}

/** Rotate the token (at sign-in, as Django's rotate_token): a token seen before sign-in is no longer valid. */
export function rotateCsrfToken(res: Response, auth: AuthConfig): string {
  const token = newCsrfToken();
  setCsrfCookie(res, auth, token);
  return token;
}

function fail(reason: string): ApiError {
  return ApiError.client(403, 'permission_denied', `CSRF Failed: ${reason}`);
}

function requestOrigin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? ''}`;
}

export function csrfMiddleware(opts: CsrfOptions): RequestHandler {
  const { auth } = opts;
  return (req, res, next) => {
    const fromCookie: unknown = req.cookies?.[auth.csrfCookieName];
    const cookieToken = typeof fromCookie === 'string' && TOKEN_RE.test(fromCookie) ? fromCookie : null;
    if (cookieToken) res.locals.csrfToken = cookieToken;
    else setCsrfCookie(res, auth, newCsrfToken());

    if (SAFE_METHODS.has(req.method)) return next();
    if (req.apiKey) return next();
    if (isCsrfExempt(req.method, req.path)) return next();
    const path = req.path.replace(/\/+$/, '');
    const hasSession = typeof req.cookies?.[auth.sessionCookie.name] === 'string';
    if (!hasSession && !ALWAYS_CHECKED.includes(path)) return next();

    const origin = req.get('origin');
    if (origin !== undefined && origin !== requestOrigin(req) && origin !== opts.backendOrigin && !opts.trustedOrigins(origin)) {
      return next(fail(`Origin checking failed - ${origin.slice(0, 200)} does not match any trusted origins.`));
    }
    if (!cookieToken) return next(fail('CSRF cookie not set.'));
    const header = req.get('x-csrftoken');
    const field: unknown = (req.body as Record<string, unknown> | undefined)?.csrfmiddlewaretoken;
    const given = header ?? (typeof field === 'string' ? field : undefined);
    if (given === undefined || given === '') return next(fail('CSRF token missing.'));
    if (!tokensEqual(given, cookieToken)) return next(fail('CSRF token incorrect.'));
    next();
  };
}

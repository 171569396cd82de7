/**
 * Who is calling: API-key authentication (`x-api-key` + `x-api-secret`), the guards routes use
 * (`requireUser`, `requireApiKey(scope)`), and the per-request actor for model hooks and the audit log.
 */
import type { RequestHandler } from 'express';
import { Messages } from '../../domain/messages.js';
import { runAs, type Actor } from '../../context.js';
import { verifyApiKey, type ApiKeyPrincipal } from '../../services/auth.js';
import { ApiError, ah } from '../errors.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set when the request authenticated with an API key (then `req.user` is never set). */
      apiKey?: ApiKeyPrincipal;
    }
  }
}

const invalidKey = () => ApiError.client(401, 'authentication_failed', Messages.Permission.INVALID_API_KEY.text);

/**
 * When a request carries `x-api-key` or `x-api-secret`, it is a service call: both must be valid (unknown,
 * revoked or wrong → 401) and the session, if any, is ignored — a session never rides along with a key.
 */
export const apiKeyAuth: RequestHandler = ah(async (req, _res, next) => {
  const key = req.get('x-api-key');
  const secret = req.get('x-api-secret');
  if (key === undefined && secret === undefined) return next();
  if (!key || !secret || key.length > 200 || secret.length > 200) throw invalidKey();
  const principal = await verifyApiKey(key, secret);
  if (!principal) throw invalidKey();
  req.apiKey = principal;
  req.user = undefined;
  next();
});

/** Buyer routes: a signed-in user (session), else 401 "로그인 후 이용해주세요.". */
export const requireUser: RequestHandler = (req, _res, next) => {
  next(req.user && !req.apiKey ? undefined : ApiError.notAuthenticated());
};

/** Service routes: an API key with `scope`; no key → 401, a key without the scope → 403 (spec §8.1). */
export function requireApiKey(scope: string): RequestHandler {
  return (req, _res, next) => {
    if (!req.apiKey) return next(invalidKey());
    if (!req.apiKey.scopes.includes(scope)) {
      const m = Messages.Permission.INVALID_API_KEY;
      return next(ApiError.client(403, m.code, m.text));
    }
    next();
  };
}

/** The acting principal of a request: `api_key:<name>`, `user:<id>` or `anonymous`. */
export function actorOf(req: { apiKey?: ApiKeyPrincipal; user?: { id: number } }): Actor {
  if (req.apiKey) return { userId: null, label: `api_key:${req.apiKey.name}` };
  if (req.user) return { userId: req.user.id, label: `user:${req.user.id}` };
  return { userId: null, label: 'anonymous' };
}

/** Run the rest of the request (routes, services, model hooks) as its principal. */
export const actorContext: RequestHandler = (req, _res, next) => runAs(actorOf(req), () => next());

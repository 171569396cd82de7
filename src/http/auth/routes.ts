/**
 * The sign-in endpoints, shaped like django-allauth's headless browser API (contract "Auth", spec §5.12):
 *
 *   GET    /authn/social/browser/v1/auth/session            200 signed in | 401 not signed in (+ CSRF cookie)
 *   DELETE /authn/social/browser/v1/auth/session            sign out → 401 not signed in (as allauth answers)
 *   POST   /authn/social/browser/v1/auth/login              {email, password} → 200 signed in | 400 | 429
 *   POST   /authn/social/browser/v1/auth/provider/redirect  form: provider, callback_url, process → 302 provider
 *   GET    /accounts/{provider}/login/callback/             the provider's return (allauth's path) → 302 callback_url
 */
import { Router, type Request, type Response } from 'express';
import type passport from 'passport';
import { z } from 'zod';
import type { Config, SocialProvider } from '../../config.js';
import { SOCIAL_PROVIDERS } from '../../config.js';
import { runAs } from '../../context.js';
import { logger } from '../../logger.js';
import { findActiveUser, hasUsablePassword, recordLogin, type SocialProfile } from '../../services/auth.js';
import type { User } from '../../models/index.js';
import { ApiError, ah } from '../errors.js';
import { parse } from '../validate.js';
import { csrfTokenOf, rotateCsrfToken, setCsrfCookie } from './csrf.js';
import { safeRedirectUrl, type OriginMatcher } from './origins.js';
import type { AuthMethod } from './session.js';
import type { LoginThrottle } from './throttle.js';

export const AUTH_BASE = '/authn/social/browser/v1/auth';

export interface AuthRouteDeps {
  config: Config;
  passport: passport.Authenticator;
  throttle: LoginThrottle;
  redirectOrigins: OriginMatcher;
}

// --- response shapes ----------------------------------------------------------------------------------

export function signedInBody(user: User, methods: AuthMethod[]) {
  return {
    status: 200,
    data: {
      user: { id: user.id, display: user.display, has_usable_password: hasUsablePassword(user), email: user.email, username: user.username },
      methods,
    },
    meta: { is_authenticated: true as const },
  };
}

export function notSignedInBody(config: Config) {
  return {
    status: 401,
    data: { flows: [{ id: 'login' }, { id: 'provider_redirect', providers: configuredProviders(config) }] },
    meta: { is_authenticated: false as const },
  };
}

export function configuredProviders(config: Config): SocialProvider[] {
  return SOCIAL_PROVIDERS.filter((p) => config.auth.providers[p]);
}

// --- helpers ------------------------------------------------------------------------------------------

const nowSeconds = () => Date.now() / 1000;

function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((e: unknown) => (e ? reject(e) : resolve())));
}

function logIn(req: Request, user: Express.User): Promise<void> {
  return new Promise((resolve, reject) => req.logIn(user, (e: unknown) => (e ? reject(e) : resolve())));
}

/** Sign the user in: a new session id (no fixation), the methods list, a new CSRF token, last_login_at. */
async function completeSignIn(req: Request, res: Response, config: Config, user: User, method: AuthMethod): Promise<void> {
  await logIn(req, { id: user.id });
  req.session.authMethods = [method];
  rotateCsrfToken(res, config.auth);
  await runAs({ userId: user.id, label: `user:${user.id}` }, () => recordLogin(user));
  await saveSession(req);
}

const LOGIN_FAILED = () =>
  ApiError.validation([{ code: 'email_password_mismatch', detail: '이메일 또는 비밀번호가 올바르지 않습니다.', attr: null }]);

const LoginBody = z
  .object({
    email: z.string().trim().min(1).max(254).optional(),
    username: z.string().trim().min(1).max(150).optional(),
    password: z.string().min(1).max(1024),
  })
  .loose()
  .refine((b) => b.email !== undefined || b.username !== undefined, { message: 'Required', path: ['email'] });

const RedirectBody = z
  .object({
    provider: z.string().max(32),
    callback_url: z.string().max(2000),
    process: z.string().max(16).optional(),
  })
  .loose();

// --- routes -------------------------------------------------------------------------------------------

export function authRoutes(d: AuthRouteDeps): Router {
  const { config } = d;
  const r = Router();

  /** Where a failed social sign-in lands: the configured error URL + `?error=<code>&error_process=login`. */
  const errorRedirect = (res: Response, code: string) => {
    const u = new URL(config.auth.loginErrorUrl);
    u.searchParams.set('error', code);
    u.searchParams.set('error_process', 'login');
    res.redirect(302, u.toString());
  };

  r.get(
    `${AUTH_BASE}/session`,
    ah(async (req, res) => {
      setCsrfCookie(res, config.auth, csrfTokenOf(res)); // ensure_csrf_cookie: (re)send it
      res.set('Cache-Control', 'no-store');
      const user = req.user && !req.apiKey ? await findActiveUser(req.user.id) : null;
      if (!user) return res.status(401).json(notSignedInBody(config));
      res.json(signedInBody(user, req.session?.authMethods ?? []));
    }),
  );

  r.delete(
    `${AUTH_BASE}/session`,
    ah(async (req, res) => {
      // Forget the whole session (its row too); the CSRF cookie stays, as in Django.
      if (req.session) await new Promise<void>((resolve, reject) => req.session.destroy((e: unknown) => (e ? reject(e) : resolve())));
      req.user = undefined;
      const c = config.auth.sessionCookie;
      res.clearCookie(c.name, { path: '/', domain: config.auth.cookieDomain, httpOnly: c.httpOnly, sameSite: c.sameSite, secure: c.secure });
      res.set('Cache-Control', 'no-store');
      res.status(401).json(notSignedInBody(config));
    }),
  );

  r.post(
    `${AUTH_BASE}/login`,
    ah(async (req, res, next) => {
      const body = parse(LoginBody, req.body);
      const identifier = (body.email ?? body.username)!;
      const ip = req.ip ?? 'unknown';
      const wait = await d.throttle.retryAfter(ip, identifier);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        throw ApiError.client(429, 'throttled', `로그인 시도가 너무 많습니다. ${wait}초 후에 다시 시도해주세요.`);
      }
      (req.body as Record<string, unknown>).email = identifier; // the local strategy reads `email`
      const user = await new Promise<Express.User | false>((resolve, reject) =>
        d.passport.authenticate('local', { session: false }, (err: unknown, u: Express.User | false) => (err ? reject(err) : resolve(u)))(req, res, next),
      );
      const full = user ? await findActiveUser(user.id) : null;
      if (!full) {
        await d.throttle.recordFailure(ip, identifier);
        throw LOGIN_FAILED();
      }
      await d.throttle.recordSuccess(identifier);
      await completeSignIn(req, res, config, full, { method: 'password', at: nowSeconds(), email: full.email });
      res.set('Cache-Control', 'no-store');
      res.json(signedInBody(full, req.session.authMethods ?? []));
    }),
  );

  r.post(
    `${AUTH_BASE}/provider/redirect`,
    ah(async (req, res, next) => {
      // A browser form post answers with redirects (to the error URL on failure); an API client gets JSON.
      const html = req.accepts(['json', 'html']) === 'html';
      const refuse = (status: number, code: string, detail: string, attr: string | null) => {
        if (html) return errorRedirect(res, code);
        throw ApiError.client(status, code, detail, attr);
      };
      const b = RedirectBody.safeParse(req.body ?? {});
      if (!b.success) return refuse(400, 'invalid', 'provider와 callback_url이 필요합니다.', 'provider');
      const provider = b.data.provider as SocialProvider;
      if (!SOCIAL_PROVIDERS.includes(provider)) return refuse(400, 'invalid', '지원하지 않는 로그인 제공자입니다.', 'provider');
      if (!config.auth.providers[provider]) return refuse(400, 'provider_not_configured', `Provider not configured: ${provider}`, 'provider');
      if ((b.data.process ?? 'login') !== 'login') return refuse(400, 'invalid', 'process는 login만 지원합니다.', 'process');
      const callbackUrl = safeRedirectUrl(b.data.callback_url, d.redirectOrigins);
      if (!callbackUrl) return refuse(400, 'invalid_callback_url', '허용되지 않은 callback_url입니다.', 'callback_url');

      req.session.socialLogin = { provider, callbackUrl, process: 'login', startedAt: Date.now() };
      d.passport.authenticate(provider, { session: false })(req, res, next);
    }),
  );

  r.get(
    '/accounts/:provider/login/callback/',
    ah(async (req, res, next) => {
      const provider = req.params.provider as SocialProvider;
      const pending = req.session?.socialLogin;
      if (!SOCIAL_PROVIDERS.includes(provider) || !config.auth.providers[provider]) return errorRedirect(res, 'unknown_provider');
      if (!pending || pending.provider !== provider) return errorRedirect(res, 'unknown_state');
      delete req.session.socialLogin;
      // Without `code` or `error` this is not a provider's answer (passport would start a new authorization).
      if (typeof req.query.code !== 'string' && typeof req.query.error !== 'string') return errorRedirect(res, 'invalid_callback');

      const tokenState = typeof req.query.state === 'string' ? req.query.state : undefined;
      const outcome = await new Promise<{ user: Express.User | false; info: unknown }>((resolve, reject) =>
        d.passport.authenticate(provider, { session: false, tokenState } as object, (err: unknown, user: Express.User | false, info: unknown) =>
          err ? reject(err) : resolve({ user, info }),
        )(req, res, next),
      ).catch((e: unknown) => {
        logger.warn('social sign-in failed', { provider, error: e instanceof Error ? e.message : String(e) });
        return null;
      });
      if (!outcome) return errorRedirect(res, 'provider_error');
      const info = (outcome.info ?? {}) as { code?: string; profile?: SocialProfile };
      if (!outcome.user) {
        const code = info.code ?? (req.query.error === 'access_denied' ? 'cancelled' : 'state_mismatch');
        return errorRedirect(res, code);
      }
      const user = await findActiveUser(outcome.user.id);
      if (!user || !info.profile) return errorRedirect(res, 'account_inactive');
      await completeSignIn(req, res, config, user, { method: 'socialaccount', at: nowSeconds(), provider, uid: info.profile.uid });
      // The target was checked when the flow started and kept server-side; check again all the same.
      const target = safeRedirectUrl(pending.callbackUrl, d.redirectOrigins);
      if (!target) return errorRedirect(res, 'invalid_callback_url');
      res.redirect(302, target);
    }),
  );

  return r;
}

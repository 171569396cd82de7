/**
 * Builds the AdminJS panel and its Express router (imported lazily by admin/index.ts: loading AdminJS
 * costs ~3 s, which the API and its tests should not pay).
 *
 * Request pipeline under /admin (mounted before the app's body parsers):
 *   admin session (own cookie, path /admin, PostgreSQL store on the `session` table)
 *   → staff refresh (re-reads the account: a removed role / deactivated account is signed out at once)
 *   → same-origin check for unsafe requests (AdminJS has no CSRF token; with SameSite=Lax this closes it)
 *   → Google sign-in routes (/admin/auth/google, /admin/auth/google/callback) and the login page
 *   → multipart/form parsing → the staff member as the actor (audit) → AdminJS's own router.
 */
import express, { type Express, type RequestHandler, type Router } from 'express';
import session from 'express-session';
import formidableMiddleware from 'express-formidable';
import passport from 'passport';
import { Strategy as GoogleStrategy } from 'passport-google-oauth20';
import AdminJS, { ComponentLoader } from 'adminjs';
import AdminJSExpress from '@adminjs/express';
import * as AdminJSSequelize from '@adminjs/sequelize';
import type { AppDeps } from '../src/http/types.js';
import { runAs } from '../src/context.js';
import { logger } from '../src/logger.js';
import { pgSessionStore, storeForMiddleware, withStoreErrorsAs503 } from '../src/http/auth/session.js';
import { PROFILE_MAPPERS } from '../src/http/auth/passport.js';
import { LoginThrottle } from '../src/http/auth/throttle.js';
import { authenticateStaff, findStaffForGoogle, refreshStaff, type StaffSnapshot } from '../src/services/admin-users.js';
import { confirmEnrollment, startEnrollment } from '../src/services/totp.js';
import { dashboardData } from '../src/services/dashboard.js';
import { ServiceError } from '../src/services/errors.js';
import type { AdminSettings } from './config.js';
import { registerComponents } from './components.js';
import { buildResources } from './resources.js';
import { adminOf } from './roles.js';
import { recordIdGuard } from './query-guard.js';
import { ApiError } from '../src/http/errors.js';
import { rejectUnstorableValues } from '../src/http/unstorable-values.js';
import { adminSecurityHeaders } from '../src/http/security-headers.js';
import { PANEL_LOCALE } from './locale.js';
import { mountProductionBundles } from './assets.js';
import { checkinHandler } from './checkin-page.js';

export const ROOT_PATH = '/admin';

declare module 'express-session' {
  interface SessionData {
    adminUser: StaffSnapshot;
  }
}

let adapterRegistered = false;

export interface BuiltAdmin {
  admin: AdminJS;
  router: Router;
}

export function buildAdmin(deps: AppDeps, settings: AdminSettings): BuiltAdmin {
  if (!adapterRegistered) {
    AdminJS.registerAdapter({ Resource: AdminJSSequelize.Resource, Database: AdminJSSequelize.Database });
    adapterRegistered = true;
  }
  const componentLoader = new ComponentLoader();
  const components = registerComponents(componentLoader);
  const totpOpts = { secretKey: deps.config.secretKey, issuer: settings.totpIssuer };

  const admin = new AdminJS({
    rootPath: ROOT_PATH,
    loginPath: `${ROOT_PATH}/login`,
    logoutPath: `${ROOT_PATH}/logout`,
    componentLoader,
    resources: buildResources(deps, components),
    branding: { companyName: 'Conference Shop Admin', withMadeWithLove: false, logo: false },
    settings: { defaultPerPage: 20 },
    locale: PANEL_LOCALE,
    dashboard: {
      component: components.Dashboard,
      handler: async () => dashboardData(deps.sequelize),
    },
    pages: {
      checkin: { icon: 'CheckSquare', component: components.CheckinPage, handler: checkinHandler(deps) as never },
      totp: {
        icon: 'Key',
        component: components.TotpPage,
        handler: async (request, _response, context) => {
          const a = adminOf(context);
          if (!a) return { error: 'forbidden' };
          return runAs({ userId: a.userId, label: `user:${a.userId}` }, async () => {
            const p = ((request as { payload?: Record<string, unknown> }).payload ?? {}) as Record<string, unknown>;
            if (request.method === 'post' && p.step === 'start') {
              const e = await startEnrollment(a.userId, totpOpts);
              return { enrolled: false, started: true, otpauthUrl: e.otpauthUrl, qrSvg: e.qrSvg, secret: e.secret };
            }
            if (request.method === 'post' && p.step === 'confirm') {
              try {
                await confirmEnrollment(a.userId, String(p.code ?? '').trim(), { secretKey: deps.config.secretKey });
                return { enrolled: true, notice: { message: 'OTP 등록을 마쳤습니다.', type: 'success' } };
              } catch (e) {
                if (e instanceof ServiceError) return { enrolled: false, started: true, error: e.errors.map((x) => x.detail).join(' ') };
                throw e;
              }
            }
            const fresh = await refreshStaff(a.userId);
            return { enrolled: !!fresh?.totpEnrolled };
          });
        },
      },
    },
  });

  const router = express.Router();
  const throttle = new LoginThrottle(deps.sequelize, deps.config.auth.throttle);
  // its own view of the shared store: see storeForMiddleware (a shared one broke the buyers' session cookie)
  const store = storeForMiddleware(deps.sessionStore ?? pgSessionStore(deps.sequelize, { prune: deps.config.env !== 'test' }));
  const sessionOptions: session.SessionOptions = {
    name: settings.cookieName,
    secret: deps.config.secretKey,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    unset: 'keep', // a failed session read must not delete the session (see sessionStoreUnavailable)
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.config.auth.sessionCookie.secure,
      path: ROOT_PATH,
      maxAge: settings.sessionMaxAgeMs,
    },
  };
  router.use(adminSecurityHeaders({ production: deps.config.env === 'production' }));
  mountProductionBundles(router); // public static files: before the session (no cookie, no session read)
  router.use(withStoreErrorsAs503(session(sessionOptions)));
  router.use(refreshMiddleware);
  router.use(sameOriginMiddleware(deps.config.backendDomain));
  mountGoogle(router, deps, settings, admin);
  router.get('/login', (req, res, next) => {
    if (req.session.adminUser) return res.redirect(ROOT_PATH);
    const error = typeof req.query.error === 'string' ? GOOGLE_ERRORS[req.query.error] ?? 'invalidCredentials' : null;
    admin
      .renderLogin({ action: admin.options.loginPath, errorMessage: error, googleLoginUrl: deps.config.auth.providers.google ? `${ROOT_PATH}/auth/google` : null } as never)
      .then((html) => res.send(html), next);
  });
  router.use(uploads(MAX_UPLOAD_BYTES));
  router.use(rejectUnstorableValues((req) => (req as { fields?: unknown }).fields));
  router.use(actorMiddleware);
  router.use(recordIdGuard(deps.sequelize));

  const adminRouter = AdminJSExpress.buildAuthenticatedRouter(
    admin,
    {
      // failed sign-ins are throttled per e-mail and per IP like the API's (AdminJS's own limiter counts
      // successful sign-ins too, so it is not used)
      authenticate: async (email: string, password: string, ctx?: { req?: express.Request }) => {
        const ip = ctx?.req?.ip ?? '';
        const id = String(email ?? '').trim().toLowerCase();
        if ((await throttle.retryAfter(ip, id)) > 0) throw new Error('로그인 시도가 너무 많습니다. 잠시 후 다시 시도해주세요.');
        const staff = await authenticateStaff(email, password, deps.config.auth.passwordHashRounds);
        if (staff) await throttle.recordSuccess(id);
        else await throttle.recordFailure(ip, id);
        return staff;
      },
      cookieName: settings.cookieName,
      cookiePassword: deps.config.secretKey,
    },
    null,
    sessionOptions,
  );
  router.use(adminRouter);
  return { admin, router };
}

const GOOGLE_ERRORS: Record<string, string> = {
  not_staff: '스태프 계정만 로그인할 수 있습니다.',
  domain_not_allowed: '허용되지 않은 이메일 도메인입니다.',
  email_not_verified: 'Google 계정의 이메일이 확인되지 않았습니다.',
  google_failed: 'Google 로그인에 실패했습니다.',
  google_off: 'Google 로그인이 설정되지 않았습니다.',
};

/** Re-read the signed-in staff member on every request: revoked rights apply at once. */
const refreshMiddleware: RequestHandler = (req, _res, next) => {
  const snap = req.session?.adminUser;
  if (!snap) return next();
  refreshStaff(snap.userId).then(
    (fresh) => {
      if (fresh) req.session.adminUser = fresh;
      else delete req.session.adminUser;
      next();
    },
    (e: unknown) => next(e),
  );
};

/**
 * AdminJS's forms and API calls carry no CSRF token. Unsafe requests must come from the panel's own origin:
 * a browser always sends `Origin` (or `Sec-Fetch-Site`) on a cross-site POST, so a forged one is refused.
 */
function sameOriginMiddleware(backendDomain: string): RequestHandler {
  const backendOrigin = new URL(backendDomain).origin;
  return (req, res, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return next();
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    const own = `${req.protocol}://${req.get('host') ?? ''}`;
    // `Origin: null` (a sandboxed frame, a file: page, a cross-origin redirect) is not the panel's origin
    if (site === 'cross-site' || (origin !== undefined && origin !== own && origin !== backendOrigin)) {
      res.status(403).json({ type: 'client_error', errors: [{ code: 'permission_denied', detail: 'CSRF Failed: cross-site request to the admin panel.', attr: null }] });
      return;
    }
    next();
  };
}

/** Largest upload (an order import CSV) and form body of the panel. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/**
 * Multipart / form parsing (express-formidable) with its failures as 4xx: a body announced larger than
 * the limit is refused before it is read (413), and formidable's own limit errors (a chunked upload over
 * the limit, a malformed multipart body) become 413 / 400 instead of a 500. formidable may report an error
 * twice: only the first answer counts.
 */
function uploads(maxBytes: number): RequestHandler {
  const parse = formidableMiddleware({ maxFileSize: maxBytes, maxFieldsSize: maxBytes } as never);
  const tooLarge = () => ApiError.client(413, 'payload_too_large', `파일이 너무 큽니다 (최대 ${Math.round(maxBytes / 1024 / 1024)} MB).`);
  return (req, res, next) => {
    // multipart overhead aside, a body this much over the limit cannot hold an acceptable file
    if (Number(req.get('content-length') ?? 0) > maxBytes + 64 * 1024) {
      req.resume(); // drain, so the client can read the answer
      return next(tooLarge());
    }
    let answered = false;
    parse(req, res, (err?: unknown) => {
      if (answered) return;
      answered = true;
      if (!err) return next();
      const message = err instanceof Error ? err.message : String(err);
      req.resume();
      next(/max(File|Fields)Size|maxFields/i.test(message) ? tooLarge() : ApiError.client(400, 'parse_error', '요청 본문을 해석할 수 없습니다.'));
    });
  };
}

/** The staff member is the actor of everything the request does (after the body is parsed). */
const actorMiddleware: RequestHandler = (req, _res, next) => {
  const a = req.session?.adminUser;
  if (!a) return next();
  runAs({ userId: a.userId, label: `user:${a.userId}` }, () => next());
};

function mountGoogle(router: Router, deps: AppDeps, settings: AdminSettings, _admin: AdminJS): void {
  const google = deps.config.auth.providers.google;
  if (!google) {
    router.get('/auth/google', (_req, res) => res.redirect(`${ROOT_PATH}/login?error=google_off`));
    return;
  }
  const p = new passport.Passport();
  p.use(
    'admin-google',
    new GoogleStrategy(
      {
        clientID: google.clientId,
        clientSecret: google.clientSecret,
        callbackURL: `${deps.config.backendDomain}${ROOT_PATH}/auth/google/callback`,
        authorizationURL: google.authorizationUrl,
        tokenURL: google.tokenUrl,
        userProfileURL: google.userInfoUrl,
        scope: ['openid', 'email', 'profile'],
        state: true,
        pkce: true,
      } as never,
      ((_at: string, _rt: string, profile: { _json?: unknown }, done: (e: unknown, user?: unknown, info?: unknown) => void) => {
        const mapped = PROFILE_MAPPERS.google((profile._json ?? {}) as Record<string, unknown>);
        if (!mapped) return done(null, false, { code: 'google_failed' });
        runAs({ userId: null, label: 'admin:google' }, () => findStaffForGoogle(mapped, settings.googleAllowedDomain)).then(
          (r) => ('staff' in r ? done(null, r.staff) : done(null, false, { code: r.error })),
          (e: unknown) => done(e),
        );
      }) as never,
    ),
  );
  router.use(p.initialize());
  router.get('/auth/google', p.authenticate('admin-google', { session: false }));
  router.get('/auth/google/callback', (req, res, next) => {
    p.authenticate('admin-google', { session: false }, (err: unknown, user: StaffSnapshot | false, info: { code?: string } | undefined) => {
      if (err) {
        logger.warn('admin google sign-in failed', { error: err instanceof Error ? err.message : String(err) });
        return res.redirect(`${ROOT_PATH}/login?error=google_failed`);
      }
      if (!user) return res.redirect(`${ROOT_PATH}/login?error=${encodeURIComponent(info?.code ?? 'google_failed')}`);
      req.session.regenerate((e) => {
        if (e) return next(e);
        req.session.adminUser = user;
        req.session.save((e2) => (e2 ? next(e2) : res.redirect(ROOT_PATH)));
      });
    })(req, res, next);
  });
}

/** Mount the panel router into the app's /admin slot (see src/http/app.ts) or at /admin. */
export function attach(app: Express, router: Router): void {
  const slot = app.locals.adminSlot as Router | undefined;
  if (slot) slot.use(router);
  else app.use(ROOT_PATH, router);
}

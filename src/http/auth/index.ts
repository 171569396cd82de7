/**
 * Sign-in for the Express app. `createAuth(deps)` gives three pieces that `createApp` mounts:
 *
 *   cors        — first: CORS for the configured frontend origins, with credentials
 *   middleware  — after the body parsers, before every route: cookies → session (PostgreSQL) → passport
 *                 (`req.user`) → API key (`req.apiKey`) → CSRF → the request's actor (runAs)
 *   routes      — /authn/social/browser/v1/auth/* and the OAuth callbacks /accounts/{provider}/login/callback/
 *
 * Routes elsewhere use `requireUser`, `requireApiKey(scope)` and `CSRF_EXEMPT_ROUTES` from here.
 */
import cookieParser from 'cookie-parser';
import cors from 'cors';
import type { RequestHandler, Router } from 'express';
import type { Store } from 'express-session';
import { ConfigError } from '../../config.js';
import type { AppDeps } from '../types.js';
import { csrfMiddleware } from './csrf.js';
import { invalidOriginEntries, originMatcher } from './origins.js';
import { buildPassport } from './passport.js';
import { authRoutes } from './routes.js';
import { pgSessionStore, sessionMiddleware } from './session.js';
import { withActiveUserCheck } from './session-user.js';
import { LoginThrottle } from './throttle.js';
import { actorContext, apiKeyAuth } from './guards.js';

export { requireUser, requireApiKey, actorOf } from './guards.js';
export { CSRF_EXEMPT_ROUTES, isCsrfExempt } from './csrf.js';
export { AUTH_BASE, signedInBody, notSignedInBody } from './routes.js';
export { LoginThrottle } from './throttle.js';

/** Request headers a browser on a frontend origin may send (django-cors-headers' defaults + Accept-Language). */
const CORS_ALLOWED_HEADERS = ['accept', 'accept-language', 'content-type', 'x-csrftoken', 'x-requested-with'];

export interface Auth {
  cors: RequestHandler;
  middleware: RequestHandler[];
  routes: Router;
  store: Store;
  throttle: LoginThrottle;
}

export function createAuth(deps: AppDeps): Auth {
  const { config } = deps;
  const bad = invalidOriginEntries([...config.frontendOrigins, ...config.auth.redirectOrigins]);
  if (bad.length) throw new ConfigError(`Invalid configuration:\n  FRONTEND_ORIGINS / AUTH_REDIRECT_ORIGINS: not an origin: ${bad.join(', ')}`);

  const frontend = originMatcher(config.frontendOrigins);
  const store = deps.sessionStore ?? pgSessionStore(deps.sequelize, { prune: config.env !== 'test' });
  const throttle = deps.loginThrottle ?? new LoginThrottle(deps.sequelize, config.auth.throttle);
  const passport = buildPassport(config, deps.sequelize);

  const corsMiddleware = cors({
    origin: (origin, cb) => cb(null, frontend(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    maxAge: 86_400,
  });

  return {
    cors: corsMiddleware,
    middleware: [
      cookieParser(),
      // our own PostgreSQL store: the session read also checks its user (one statement, not two)
      sessionMiddleware(config, deps.sessionStore ? store : withActiveUserCheck(store, deps.sequelize)),
      passport.initialize(),
      passport.session(),
      apiKeyAuth,
      csrfMiddleware({ auth: config.auth, trustedOrigins: frontend, backendOrigin: new URL(config.backendDomain).origin }),
      actorContext,
    ],
    routes: authRoutes({ config, passport, throttle, redirectOrigins: originMatcher(config.auth.redirectOrigins) }),
    store,
    throttle,
  };
}

/**
 * Sessions: express-session with connect-pg-simple on the application's own PostgreSQL (table `session`,
 * migration 20261125000002), so sessions survive a restart and every process shares them. The store talks
 * to the database through the same Sequelize connection pool as the rest of the app (no second pool).
 */
import session, { type Store } from 'express-session';
import connectPgSimple from 'connect-pg-simple';
import type { RequestHandler } from 'express';
import type { Sequelize } from 'sequelize';
import type { Config } from '../../config.js';
import { logger } from '../../logger.js';
import { ServiceError } from '../../services/errors.js';

/** One sign-in method of the current session, as allauth reports it (`at` = seconds since the epoch). */
export type AuthMethod =
  | { method: 'password'; at: number; email: string }
  | { method: 'socialaccount'; at: number; provider: string; uid: string };

declare module 'express-session' {
  interface SessionData {
    authMethods: AuthMethod[];
    /** A social sign-in in progress: where to return after the provider's callback. */
    socialLogin: { provider: string; callbackUrl: string; process: 'login'; startedAt: number };
  }
}

/** The part of pg.Pool that connect-pg-simple uses, answered by Sequelize's pool. */
function sequelizeAsPgPool(sequelize: Sequelize) {
  return {
    async query(text: string, params: unknown[] = []) {
      const [rows] = await sequelize.query(text, { bind: params, raw: true, logging: false });
      return { rows: Array.isArray(rows) ? rows : [] };
    },
    on() {},
    async end() {},
  };
}

/** A new PostgreSQL session store on this database (expired rows pruned every 15 minutes when `prune`). */
export function createPgSessionStore(sequelize: Sequelize, opts: { prune: boolean }): Store {
  const PgStore = connectPgSimple(session);
  return new PgStore({
    pool: sequelizeAsPgPool(sequelize) as never,
    tableName: 'session',
    createTableIfMissing: false,
    // Django does not extend a session on every request either: its expiry is fixed at sign-in.
    disableTouch: true,
    pruneSessionInterval: opts.prune ? 900 : false,
    errorLog: (...args: unknown[]) => logger.error('session store error', { error: args.map(String).join(' ') }),
  });
}

const stores = new WeakMap<Sequelize, Store>();

/** The shared session store of this database (one per Sequelize instance, whatever the number of apps). */
export function pgSessionStore(sequelize: Sequelize, opts: { prune: boolean }): Store {
  let store = stores.get(sequelize);
  if (!store) {
    store = createPgSessionStore(sequelize, opts);
    // Each express-session middleware built on a store adds two listeners to it; tests build many apps.
    store.setMaxListeners(0);
    stores.set(sequelize, store);
  }
  return store;
}

/**
 * A store of its own for one express-session middleware, delegating to `store`. express-session assigns
 * `store.generate` (which builds a new session's cookie from *that middleware's* cookie options) onto the
 * store object itself, so two middlewares sharing one store overwrite each other's: with the admin panel
 * mounted, the buyer's session cookie after sign-in (`regenerate`) came out with the panel's `Path=/admin`
 * and lifetime, and the buyer was signed out on the next request. Delegating keeps one pool and one pruning
 * timer. (`Object.create(store)` does not work: connect-pg-simple keeps its state in private fields.)
 */
export class DelegatingStore extends session.Store {
  constructor(protected readonly inner: Store) {
    super();
  }
  override get(sid: string, cb: (err: unknown, s?: session.SessionData | null) => void): void {
    this.inner.get(sid, cb);
  }
  override set(sid: string, s: session.SessionData, cb?: (err?: unknown) => void): void {
    this.inner.set(sid, s, cb);
  }
  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.inner.destroy(sid, cb);
  }
  override touch(sid: string, s: session.SessionData, cb?: () => void): void {
    if (this.inner.touch) this.inner.touch(sid, s, cb);
    else cb?.();
  }
}

export function storeForMiddleware(store: Store): Store {
  return new DelegatingStore(store);
}

/**
 * express-session answers a failed session read (pool timeout, a database blip) with `next(err)`: the request
 * goes on with no session. With `unset: 'destroy'` that looked like "the session was removed" and deleted the
 * buyer's stored session — signed out mid-purchase by a transient error. So sessions are never destroyed
 * implicitly (`unset: 'keep'`; signing out destroys explicitly), and a failed read answers 503 in the error
 * shape: the same cookie works again once the store is back.
 */
export function sessionStoreUnavailable(err: unknown): ServiceError {
  logger.error('session store read failed', { error: err instanceof Error ? err.message : String(err) });
  return ServiceError.server(503, 'session_unavailable', '잠시 후 다시 시도해주세요. (세션 저장소 오류)');
}

/** An express-session middleware whose store errors become 503 (see sessionStoreUnavailable). */
export function withStoreErrorsAs503(middleware: RequestHandler): RequestHandler {
  return (req, res, next) => middleware(req, res, (err?: unknown) => (err ? next(sessionStoreUnavailable(err)) : next()));
}

export function sessionMiddleware(config: Config, store: Store): RequestHandler {
  const c = config.auth.sessionCookie;
  return withStoreErrorsAs503(session({
    name: c.name,
    secret: config.secretKey,
    store: storeForMiddleware(store),
    resave: false,
    saveUninitialized: false,
    rolling: false,
    unset: 'keep',
    cookie: {
      httpOnly: c.httpOnly,
      sameSite: c.sameSite,
      secure: c.secure,
      domain: config.auth.cookieDomain,
      maxAge: c.maxAgeMs,
      path: '/',
    },
  }));
}

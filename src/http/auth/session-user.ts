/**
 * One statement instead of two for every signed-in request: the session row is read together
 * with "is the signed-in user still active?" (a join on the user id stored in the session), and passport's
 * deserializer, which runs right after that read in the same request, skips its own user query when that
 * statement already found the user active.
 *
 * Nothing is cached across requests: every request still reads the session and the user row, so a
 * deactivated or deleted account is signed out at once, as before. When the join cannot tell (no user in the session, an inactive
 * or deleted user, an unusual id), the deserializer queries as it always did.
 */
import type { Request } from 'express';
import type { SessionData, Store } from 'express-session';
import type { Sequelize } from 'sequelize';
import { DelegatingStore } from './session.js';
import { namedQuery } from '../../db/named-query.js';

/**
 * What the last session read of each session id found: the session's user, when active. Written by the
 * store's `get` and taken (once) by the deserializer of the same request, which always reads the session
 * first; an entry older than `FRESH_MS` is never trusted (a request that failed in between).
 */
const found = new Map<string, { userId: number; at: number }>();
const FRESH_MS = 1000;
const MAX_ENTRIES = 10_000;

/** The user id passport stored in the session (`passport.user`), when the join can use it. */
const USER_ID = `CASE WHEN (s.sess #>> '{passport,user}') ~ '^[1-9][0-9]{0,8}$' THEN (s.sess #>> '{passport,user}')::int END`;

/** The session row and its user when active (a prepared statement of its own: every signed-in request reads it). */
const SESSION_READ = `SELECT s.sess, u.id AS active_user_id
           FROM "session" s
           LEFT JOIN users u ON u.id = ${USER_ID} AND u.is_active AND u.deleted_at IS NULL
          WHERE s.sid = $1 AND s.expire >= to_timestamp($2)`;

/**
 * `store` (the connect-pg-simple store of table `session` on `sequelize`) with a `get` that also checks the
 * session's user; every other method is the store's own (delegated).
 */
class ActiveUserCheckStore extends DelegatingStore {
  constructor(
    inner: Store,
    private readonly sequelize: Sequelize,
  ) {
    super(inner);
  }

  override get(sid: string, callback: (err: unknown, s?: SessionData | null) => void): void {
    namedQuery<{ sess: unknown; active_user_id: number | null }>(this.sequelize, SESSION_READ, [sid, Math.ceil(Date.now() / 1000)], { log: false })
      .then(
        ([row]) => {
          if (!row) {
            found.delete(sid);
            return callback(null, null);
          }
          let sess: SessionData;
          try {
            sess = (typeof row.sess === 'string' ? JSON.parse(row.sess) : row.sess) as SessionData;
          } catch {
            // what connect-pg-simple does with an unreadable row
            return this.inner.destroy(sid, (err) => callback(err));
          }
          if (row.active_user_id !== null) {
            if (found.size >= MAX_ENTRIES) found.clear();
            found.set(sid, { userId: row.active_user_id, at: Date.now() });
          } else found.delete(sid);
          callback(null, sess);
        },
        (e: unknown) => callback(e),
      );
  }
}

export function withActiveUserCheck(store: Store, sequelize: Sequelize): Store {
  return new ActiveUserCheckStore(store, sequelize);
}

/** The user id the session read of this request found active, if any (asked once per request). */
export function activeSessionUser(req: Request): number | undefined {
  const sid = req.sessionID;
  if (typeof sid !== 'string') return undefined;
  const hit = found.get(sid);
  if (!hit) return undefined;
  found.delete(sid);
  return Date.now() - hit.at <= FRESH_MS ? hit.userId : undefined;
}

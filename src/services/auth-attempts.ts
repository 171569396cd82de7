/**
 * Failure counters of the authentication throttles (wrong TOTP codes, failed password sign-ins), kept in
 * `auth_attempts` so that every app process shares one count and a restart forgives nothing. Each key counts
 * failures in a fixed window that starts with its first failure; a key is locked while its count is at or
 * over its limit and the window has not ended.
 *
 * Always called outside any business transaction (a refund rolling back on a wrong code must not erase the
 * count), each call one statement.
 */
import { QueryTypes, type Sequelize } from 'sequelize';

export interface AttemptLimit {
  key: string;
  max: number;
}

/** The latest end of a window among the keys that are locked now, or null when none is. */
export async function lockedUntil(sequelize: Sequelize, limits: AttemptLimit[], now: Date): Promise<Date | null> {
  if (limits.length === 0) return null;
  const rows = await sequelize.query<{ until: Date | null }>(
    `SELECT max(a.window_ends_at) AS until
       FROM auth_attempts a
       JOIN unnest(ARRAY[:keys]::text[], ARRAY[:maxes]::int[]) AS l(key, max) ON l.key = a.key
      WHERE a.failures >= l.max AND a.window_ends_at > :now`,
    { type: QueryTypes.SELECT, replacements: { keys: limits.map((l) => l.key), maxes: limits.map((l) => l.max), now } },
  );
  const until = rows[0]?.until;
  return until ? new Date(until) : null;
}

/**
 * Count one failure for each key (one atomic upsert: concurrent failures each get their own count, so
 * exactly one caller sees a key reach its limit). Returns each key's count after this failure.
 */
export async function recordFailures(sequelize: Sequelize, keys: string[], now: Date, windowMs: number): Promise<Map<string, number>> {
  if (keys.length === 0) return new Map();
  const rows = await sequelize.query<{ key: string; failures: number }>(
    `INSERT INTO auth_attempts AS a (key, failures, window_ends_at)
       SELECT k, 1, :ends FROM unnest(ARRAY[:keys]::text[]) AS k
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN a.window_ends_at <= :now THEN 1 ELSE a.failures + 1 END,
       window_ends_at = CASE WHEN a.window_ends_at <= :now THEN :ends ELSE a.window_ends_at END
     RETURNING key, failures`,
    { type: QueryTypes.SELECT, replacements: { keys: [...new Set(keys)], now, ends: new Date(now.getTime() + windowMs) } },
  );
  return new Map(rows.map((r) => [r.key, Number(r.failures)]));
}

export async function clearFailures(sequelize: Sequelize, key: string): Promise<void> {
  await sequelize.query(`DELETE FROM auth_attempts WHERE key = :key`, { replacements: { key } });
}

/** Drop counters whose window has ended (they would be reset by the next failure anyway). */
export async function pruneEndedAttempts(sequelize: Sequelize, now = new Date()): Promise<number> {
  const [, meta] = await sequelize.query(`DELETE FROM auth_attempts WHERE window_ends_at <= :now`, { replacements: { now } });
  return (meta as { rowCount?: number } | undefined)?.rowCount ?? 0;
}

/**
 * Brute-force throttle of refund authorisation codes (TOTP): wrong codes are counted per authorizer
 * (`authorizer:<user id>`) and per caller (`caller:<actor label>`: the desk's API key or the panel
 * operator's session) in a fixed window. Once either count reaches the limit, every code for that
 * authorizer / from that caller answers 429 without being checked, until the window ends; the lockout is
 * audited once (`auth.totp_locked`). A right code clears its authorizer's count (not the caller's).
 *
 * Counts live in `auth_attempts` (src/services/auth-attempts.ts) and are written on their own connection (never inside the refund's
 * transaction, which rolls back on a wrong code), so they hold across requests and app processes.
 */
import type { Sequelize } from 'sequelize';
import { clearFailures, lockedUntil, recordFailures } from './auth-attempts.js';
import { AuditLog } from '../models/index.js';
import { currentActor, SYSTEM_ACTOR } from '../context.js';
import { ServiceError } from './errors.js';
import { logger } from '../logger.js';

export const TOTP_THROTTLE = { maxFailures: 5, windowMs: 5 * 60_000 } as const;

export const TOTP_LOCKED_CODE = 'OTP_TOO_MANY_ATTEMPTS';
const lockedMessage = (seconds: number) => `OTP 코드를 너무 많이 틀렸습니다. ${Math.max(1, Math.ceil(seconds / 60))}분 후 다시 시도해주세요.`;

function keysFor(authorizerUserId: number | null | undefined): string[] {
  const caller = currentActor().label;
  // an in-process call without a caller (a CLI, a test) is counted per authorizer only
  const keys = caller === SYSTEM_ACTOR.label ? [] : [`caller:${caller}`];
  if (authorizerUserId) keys.push(`authorizer:${authorizerUserId}`);
  return keys;
}

/** 429 when the authorizer or the caller is locked out now. */
export async function assertTotpNotLocked(sequelize: Sequelize, authorizerUserId: number | null | undefined, now: Date): Promise<void> {
  const until = await lockedUntil(sequelize, keysFor(authorizerUserId).map((key) => ({ key, max: TOTP_THROTTLE.maxFailures })), now);
  if (!until) return;
  const seconds = Math.ceil((until.getTime() - now.getTime()) / 1000);
  throw ServiceError.tooManyRequests(TOTP_LOCKED_CODE, lockedMessage(seconds), seconds, 'totp');
}

/** Count one wrong code for the authorizer and the caller; audit a lockout when a count reaches the limit. */
export async function recordTotpFailure(sequelize: Sequelize, authorizerUserId: number | null | undefined, now: Date): Promise<void> {
  const actor = currentActor();
  const counts = await recordFailures(sequelize, keysFor(authorizerUserId), now, TOTP_THROTTLE.windowMs);
  for (const [key, failures] of counts) {
    if (failures !== TOTP_THROTTLE.maxFailures) continue;
    logger.warn('TOTP lockout', { key, actor: actor.label });
    await AuditLog.create({
      tableName: 'users',
      recordId: key.startsWith('authorizer:') ? key.slice('authorizer:'.length) : '*',
      action: 'auth.totp_locked',
      actorUserId: actor.userId,
      actorLabel: actor.label,
      after: { key, failures, window_seconds: TOTP_THROTTLE.windowMs / 1000 },
    });
  }
}

/** A right code: the authorizer's count starts over (the caller's does not). */
export async function clearTotpFailures(sequelize: Sequelize, authorizerUserId: number): Promise<void> {
  await clearFailures(sequelize, `authorizer:${authorizerUserId}`);
}

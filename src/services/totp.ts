/**
 * Refund authorisation codes (TOTP, RFC 6238: SHA-1, 6 digits, 30 s). Each staff member enrolls their own
 * secret (otpauth URL / QR, confirmed with a first code); a refund by an operator or the registration desk
 * names the authorizer and carries their current code. The current and the previous step are accepted,
 * and a step is accepted only once per person (`totp_last_step`), so a code cannot be replayed.
 * Secrets are stored encrypted (AES-256-GCM, key derived from SECRET_KEY).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Transaction } from 'sequelize';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import { User } from '../models/index.js';
import { Messages, fieldError } from '../domain/messages.js';
import { ServiceError } from './errors.js';
import { mayAuthorizeRefunds } from './admin-users.js';
import { assertTotpNotLocked, clearTotpFailures, recordTotpFailure } from './totp-throttle.js';

const PERIOD = 30;

function key(secretKey: string): Buffer {
  return createHash('sha256').update(`totp-secret-encryption:${secretKey}`).digest();
}

export function encryptSecret(plain: string, secretKey: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key(secretKey), iv);
  const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return `v1.${iv.toString('base64url')}.${c.getAuthTag().toString('base64url')}.${body.toString('base64url')}`;
}

export function decryptSecret(stored: string, secretKey: string): string {
  const [v, iv, tag, body] = stored.split('.');
  if (v !== 'v1' || !iv || !tag || !body) throw new Error('unknown TOTP secret format');
  const d = createDecipheriv('aes-256-gcm', key(secretKey), Buffer.from(iv, 'base64url'));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
}

export interface Enrollment {
  otpauthUrl: string;
  qrSvg: string;
  secret: string;
}

/** Start (or restart) enrollment: a new secret, not usable until confirmed with a code. */
export async function startEnrollment(userId: number, opts: { secretKey: string; issuer: string }): Promise<Enrollment> {
  const user = await User.findByPk(userId);
  if (!user) throw ServiceError.notFound('사용자를 찾을 수 없습니다.');
  const secret = generateSecret();
  await user.update({ totpSecret: encryptSecret(secret, opts.secretKey), totpEnrolledAt: null, totpLastStep: null });
  const otpauthUrl = generateURI({ issuer: opts.issuer, label: user.email, secret });
  return { otpauthUrl, secret, qrSvg: await QRCode.toString(otpauthUrl, { type: 'svg', margin: 1 }) };
}

/** Check a code against a secret: the current or the previous 30 s step, newer than `afterStep`. */
async function check(secret: string, code: string, afterStep: number | null, now: Date): Promise<number | null> {
  const r = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: [PERIOD, 0],
    ...(afterStep != null ? { afterTimeStep: afterStep } : {}),
  });
  if (!r.valid) return null;
  const v = r as { timeStep?: number; epoch?: number };
  return v.timeStep ?? Math.floor((v.epoch ?? 0) / PERIOD);
}

export async function confirmEnrollment(userId: number, code: string, opts: { secretKey: string; now?: Date }): Promise<void> {
  const now = opts.now ?? new Date();
  const user = await User.findByPk(userId);
  if (!user?.totpSecret) throw ServiceError.client(400, 'totp_not_started', 'OTP 등록을 먼저 시작해주세요.', 'totp');
  const step = /^\d{6}$/.test(code) ? await check(decryptSecret(user.totpSecret, opts.secretKey), code, null, now) : null;
  if (step === null) throw ServiceError.validation([fieldError(Messages.Permission.INVALID_OTP_CODE, 'totp')]);
  await user.update({ totpEnrolledAt: now, totpLastStep: step });
}

/**
 * Verify an authorizer's code inside the caller's transaction (locks the user row): missing →
 * OTP_REQUIRED; too many wrong codes lately for this authorizer or from this caller (API key / session) →
 * 429 (see totp-throttle.ts); wrong / reused / not enrolled / not allowed to refund (only managers and
 * superusers are: mayAuthorizeRefunds) → INVALID_OTP_CODE, counted as a wrong code. The step is consumed
 * in the same transaction, so a failed refund does not burn the code.
 */
export async function verifyAuthorizer(
  authorizerUserId: number | null | undefined,
  code: string | null | undefined,
  opts: { secretKey: string; transaction: Transaction; now: Date },
): Promise<User> {
  if (code === undefined || code === null || code === '') {
    throw ServiceError.validation([fieldError(Messages.Permission.OTP_REQUIRED, 'totp')]);
  }
  const sequelize = User.sequelize!;
  await assertTotpNotLocked(sequelize, authorizerUserId, opts.now);
  const invalid = async () => {
    // counted on its own connection: the caller's transaction rolls back with this error
    await recordTotpFailure(sequelize, authorizerUserId, opts.now);
    return ServiceError.validation([fieldError(Messages.Permission.INVALID_OTP_CODE, 'totp')]);
  };
  if (!authorizerUserId || !/^\d{6}$/.test(code)) throw await invalid();
  const user = await User.findByPk(authorizerUserId, { transaction: opts.transaction, lock: opts.transaction.LOCK.UPDATE });
  if (!user || !mayAuthorizeRefunds(user) || !user.totpSecret || !user.totpEnrolledAt) throw await invalid();
  const step = await check(decryptSecret(user.totpSecret, opts.secretKey), code, user.totpLastStep != null ? Number(user.totpLastStep) : null, opts.now);
  if (step === null) throw await invalid();
  await user.update({ totpLastStep: step }, { transaction: opts.transaction });
  await clearTotpFailures(sequelize, user.id);
  return user;
}

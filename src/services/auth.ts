/**
 * Accounts and credentials: password hashing and verification, social sign-in (find or create the user
 * by provider uid, else by verified e-mail), command-line account creation, and API keys for service
 * principals (create / verify / revoke / list). The HTTP layer, the CLIs and (later) the admin panel all
 * call these functions; none of them knows about Express.
 */
import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { Op, UniqueConstraintError, fn, col, where as sqlWhere, type Sequelize, type Transaction } from 'sequelize';
import { ApiKey, AuditLog, SocialAccount, User } from '../models/index.js';
import { currentActor } from '../context.js';
import { ServiceError } from './errors.js';

// ---------------------------------------------------------------------------------------------------
// Passwords

/**
 * Django's convention: a hash starting with "!" (or none at all) is an unusable password. Usable: ours
 * (bcrypt) and, for accounts imported from the Django backend, Django's `pbkdf2_sha256$…` until the first
 * successful sign-in replaces it with ours.
 */
export function hasUsablePassword(user: Pick<User, 'passwordHash'>): boolean {
  return typeof user.passwordHash === 'string' && (user.passwordHash.startsWith('$2') || DJANGO_PBKDF2_RE.test(user.passwordHash));
}

const DJANGO_PBKDF2_RE = /^pbkdf2_sha256\$(\d{1,8})\$([^$]+)\$([A-Za-z0-9+/=]+)$/;
const pbkdf2Async = promisify(pbkdf2);

/** Check a password against Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 of 32 bytes>` (constant-time). */
export async function verifyDjangoPassword(password: string, stored: string): Promise<boolean> {
  const m = DJANGO_PBKDF2_RE.exec(stored);
  if (!m) return false;
  const expected = Buffer.from(m[3]!, 'base64');
  const iterations = Number(m[1]);
  if (expected.length === 0 || iterations < 1) return false;
  const actual = await pbkdf2Async(password, m[2]!, iterations, expected.length, 'sha256');
  return timingSafeEqual(actual, expected);
}

/** bcrypt reads only the first 72 bytes; longer passwords are refused where they are set. */
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_LENGTH = 8;

export function hashPassword(password: string, rounds: number): Promise<string> {
  if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
    throw ServiceError.client(400, 'password_too_long', `비밀번호는 ${MAX_PASSWORD_BYTES}바이트 이하여야 합니다.`, 'password');
  }
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw ServiceError.client(400, 'password_too_short', `비밀번호는 ${MIN_PASSWORD_LENGTH}자 이상이어야 합니다.`, 'password');
  }
  return bcrypt.hash(password, rounds);
}

const dummyHashes = new Map<number, Promise<string>>();
/** A hash of a random password at the configured cost: unknown accounts cost as much time as known ones. */
function dummyHash(rounds: number): Promise<string> {
  let h = dummyHashes.get(rounds);
  if (!h) {
    h = bcrypt.hash(randomBytes(16).toString('hex'), rounds);
    dummyHashes.set(rounds, h);
  }
  return h;
}

/** The (live) account with this e-mail, compared case-insensitively. */
export function findUserByEmail(email: string, transaction?: Transaction): Promise<User | null> {
  return User.findOne({ where: sqlWhere(fn('lower', col('email')), email.trim().toLowerCase()), transaction });
}

/** Find the account a sign-in names: an e-mail (case-insensitive) when it contains "@", else a username. */
async function findLoginUser(identifier: string): Promise<User | null> {
  const id = identifier.trim();
  if (!id) return null;
  if (id.includes('@')) return findUserByEmail(id);
  return User.findOne({ where: { username: id } });
}

/**
 * Check a password sign-in. Returns the user, or null for every kind of failure (unknown account, wrong
 * password, inactive account, no usable password) after the same amount of bcrypt work, so the answer
 * and its timing do not tell whether the e-mail exists. A hash cheaper than `rounds` is upgraded.
 */
export async function authenticatePassword(identifier: string, password: string, rounds: number): Promise<User | null> {
  const user = await findLoginUser(identifier);
  const usable = user !== null && user.isActive && hasUsablePassword(user);
  const django = usable && user.passwordHash!.startsWith('pbkdf2_sha256$');
  const ok = django ? await verifyDjangoPassword(password, user.passwordHash!) : await bcrypt.compare(password, usable ? user.passwordHash! : await dummyHash(rounds));
  if (!usable || !ok) return null;
  // a Django hash (imported account) or a cheaper bcrypt hash is replaced by ours at this first success
  if ((django || bcrypt.getRounds(user.passwordHash!) < rounds) && Buffer.byteLength(password, 'utf8') <= MAX_PASSWORD_BYTES) {
    user.passwordHash = await bcrypt.hash(password, rounds);
    await user.save({ fields: ['passwordHash'] });
  }
  return user;
}

/** Stamp a successful sign-in (audited as a change of the user row). */
export async function recordLogin(user: User, at = new Date()): Promise<void> {
  user.lastLoginAt = at;
  await user.save({ fields: ['lastLoginAt'] });
}

/** An active (not deleted, not deactivated) user by id, or null. */
export async function findActiveUser(id: number): Promise<User | null> {
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const user = await User.findByPk(id);
  return user && user.isActive ? user : null;
}

// ---------------------------------------------------------------------------------------------------
// Accounts from the command line

export interface NewUser {
  email: string;
  username?: string;
  password?: string | null;
  nickname?: string;
  isStaff?: boolean;
  isSuperuser?: boolean;
  adminRole?: 'viewer' | 'manager' | null;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createUser(input: NewUser, rounds: number): Promise<User> {
  const email = input.email.trim();
  if (!EMAIL_RE.test(email) || email.length > 254) throw ServiceError.client(400, 'invalid', '올바른 이메일 주소가 아닙니다.', 'email');
  if (await findLoginUser(email)) throw ServiceError.client(400, 'email_taken', '이미 사용 중인 이메일입니다.', 'email');
  const username = input.username?.trim() || (await freeUsername(email));
  if (!/^[\w.@+-]{1,150}$/.test(username)) throw ServiceError.client(400, 'invalid', '사용자 이름에는 문자, 숫자, @/./+/-/_ 만 쓸 수 있습니다.', 'username');
  if (await User.findOne({ where: { username } })) throw ServiceError.client(400, 'username_taken', '이미 사용 중인 사용자 이름입니다.', 'username');
  const passwordHash = input.password ? await hashPassword(input.password, rounds) : null;
  return User.create({
    email,
    username,
    passwordHash,
    nicknameKo: input.nickname ?? '',
    isStaff: Boolean(input.isStaff || input.isSuperuser),
    isSuperuser: Boolean(input.isSuperuser),
    adminRole: input.adminRole ?? null,
  });
}

export async function setPassword(email: string, password: string, rounds: number): Promise<User> {
  const user = await findLoginUser(email);
  if (!user) throw ServiceError.notFound('사용자를 찾을 수 없습니다.');
  user.passwordHash = await hashPassword(password, rounds);
  await user.save({ fields: ['passwordHash'] });
  return user;
}

/** A free username derived from an e-mail's local part (`kim.dev`, then `kim.dev1234`, …). */
async function freeUsername(email: string): Promise<string> {
  const base = (email.split('@')[0] ?? '').toLowerCase().replace(/[^a-z0-9._-]/g, '').slice(0, 30) || 'user';
  for (let i = 0; i < 8; i++) {
    const candidate = i === 0 ? base : `${base}${randomBytes(3).readUIntBE(0, 3) % 10_000}`;
    if (!(await User.findOne({ where: { username: candidate }, paranoid: false }))) return candidate;
  }
  return `${base}-${randomBytes(6).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------------
// Social sign-in

/** What a provider tells us about the person, normalised. */
export interface SocialProfile {
  provider: string;
  uid: string;
  email: string | null;
  /** The provider vouches that the person controls this e-mail address. */
  emailVerified: boolean;
  name: string | null;
}

export type SocialLoginErrorCode = 'email_required' | 'email_not_verified' | 'account_inactive';

/** An expected refusal of a social sign-in; `code` goes to the error URL as `?error=`. */
export class SocialLoginError extends Error {
  constructor(readonly code: SocialLoginErrorCode) {
    super(code);
  }
}

/**
 * The account a social sign-in belongs to:
 * 1. the user already linked to (provider, uid);
 * 2. else the user with the same e-mail — only when the provider verified that e-mail (otherwise anybody
 *    could take over an account by registering its address at a provider), and the account gets linked;
 * 3. else a new user (no usable password) with that verified e-mail, linked.
 * Sign-up through a provider is open (spec §5.12); an unverified or missing e-mail is refused.
 */
export async function findOrCreateSocialUser(sequelize: Sequelize, p: SocialProfile, now = new Date()): Promise<User> {
  const linked = await SocialAccount.findOne({ where: { provider: p.provider, uid: p.uid } });
  if (linked) {
    const user = await User.findByPk(linked.userId);
    if (!user || !user.isActive) throw new SocialLoginError('account_inactive');
    await linked.update({ lastLoginAt: now, ...(p.email && p.emailVerified ? { email: p.email } : {}) });
    return user;
  }
  const email = p.email?.trim() ?? '';
  if (!email || !EMAIL_RE.test(email) || email.length > 254) throw new SocialLoginError('email_required');
  if (!p.emailVerified) throw new SocialLoginError('email_not_verified');

  const attempt = () =>
    sequelize.transaction(async (transaction) => {
      let user = await findUserByEmail(email, transaction);
      if (user && !user.isActive) throw new SocialLoginError('account_inactive');
      if (!user) {
        user = await User.create(
          { email, username: await freeUsername(email), passwordHash: null, nicknameKo: (p.name ?? '').slice(0, 100) },
          { transaction },
        );
      }
      await SocialAccount.create({ userId: user.id, provider: p.provider, uid: p.uid, email, lastLoginAt: now }, { transaction });
      return user;
    });
  try {
    return await attempt();
  } catch (e) {
    // Two callbacks of the same person at once: the other one created the user or the link first.
    if (e instanceof UniqueConstraintError) {
      const again = await SocialAccount.findOne({ where: { provider: p.provider, uid: p.uid } });
      if (!again) return attempt();
      const user = await User.findByPk(again.userId);
      if (!user || !user.isActive) throw new SocialLoginError('account_inactive');
      return user;
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------
// API keys (service principals such as the registration desk)

export interface ApiKeyPrincipal {
  id: string;
  name: string;
  scopes: string[];
}

const API_KEY_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
const API_SCOPE_RE = /^[a-z0-9][a-z0-9_.:-]{0,63}$/;
const SECRET_HASH_PREFIX = 'sha256$';

/**
 * The stored form of a secret. Secrets are 256-bit random values (not passwords), so one SHA-256 is a
 * sufficient one-way hash and keeps every request cheap; the comparison is constant-time.
 */
function hashSecret(secret: string): string {
  return SECRET_HASH_PREFIX + createHash('sha256').update(secret, 'utf8').digest('hex');
}

function secretMatches(secret: string, stored: string): boolean {
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function auditApiKey(key: ApiKey, action: string, after: Record<string, unknown>): Promise<void> {
  const actor = currentActor();
  await AuditLog.create({ tableName: 'api_keys', recordId: key.id, action, actorUserId: actor.userId, actorLabel: actor.label, after });
}

/** Create a key; the secret is returned once and only its hash is stored. */
export async function createApiKey(input: { name: string; scopes: string[]; createdById?: number | null }): Promise<{ apiKey: ApiKey; secret: string }> {
  const name = input.name.trim().toLowerCase();
  if (!API_KEY_NAME_RE.test(name)) throw ServiceError.client(400, 'invalid', 'API key 이름은 영문 소문자, 숫자, _ . - 만 쓸 수 있습니다.', 'name');
  const scopes = [...new Set(input.scopes.map((s) => s.trim().toLowerCase()).filter(Boolean))];
  if (scopes.length === 0 || !scopes.every((s) => API_SCOPE_RE.test(s))) throw ServiceError.client(400, 'invalid', 'scope를 하나 이상 올바르게 지정해주세요.', 'scopes');
  if (await ApiKey.findOne({ where: { name, revokedAt: null } })) {
    throw ServiceError.client(400, 'name_taken', `활성 API key "${name}"가 이미 있습니다. 먼저 revoke 하세요.`, 'name');
  }
  const secret = randomBytes(32).toString('base64url');
  const apiKey = await ApiKey.create({
    name,
    key: `ak_${randomBytes(12).toString('hex')}`,
    secretHash: hashSecret(secret),
    scopes,
    createdById: input.createdById ?? currentActor().userId,
  });
  await auditApiKey(apiKey, 'api_key.created', { name, key: apiKey.key, scopes });
  return { apiKey, secret };
}

/**
 * Authenticate `x-api-key` + `x-api-secret`. The key header is the key id (`ak_…`) or — as the original
 * system's desk clients send it — the name of an active key (case-insensitive). Unknown, revoked or wrong
 * secret → null. A success stamps last_used_at.
 */
export async function verifyApiKey(keyOrName: string, secret: string, now = new Date()): Promise<ApiKeyPrincipal | null> {
  const k = keyOrName.trim();
  let row: ApiKey | null = null;
  if (k && k.length <= 100) {
    row = await ApiKey.findOne({ where: { key: k } });
    row ??= await ApiKey.findOne({ where: { name: k.toLowerCase(), revokedAt: null } });
  }
  // Compare against something even when the key is unknown, so timing does not tell.
  const ok = secretMatches(secret, row?.secretHash ?? hashSecret(randomBytes(8).toString('hex')));
  if (!row || !ok || row.revokedAt) return null;
  await ApiKey.update({ lastUsedAt: now }, { where: { id: row.id } });
  return { id: row.id, name: row.name, scopes: [...row.scopes] };
}

/** Revoke the active key with this name, or the key with this id (`ak_…`). Returns the revoked rows. */
export async function revokeApiKey(nameOrKey: string, now = new Date()): Promise<ApiKey[]> {
  const k = nameOrKey.trim();
  const rows = await ApiKey.findAll({ where: { revokedAt: null, [Op.or]: [{ key: k }, { name: k.toLowerCase() }] } });
  for (const row of rows) {
    await row.update({ revokedAt: now });
    await auditApiKey(row, 'api_key.revoked', { name: row.name, key: row.key });
  }
  return rows;
}

export async function listApiKeys(): Promise<ApiKey[]> {
  return ApiKey.findAll({ order: [['createdAt', 'ASC']] });
}

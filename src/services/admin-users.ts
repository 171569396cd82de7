/**
 * Staff accounts of the admin panel: who may sign in (active staff only, by password or by Google), the
 * snapshot of their rights the panel keeps in its session (re-read on every request, so a revoked role or
 * a deactivated account takes effect at once), and the superusers' edit of staff flags and roles.
 */
import { SocialAccount, User } from '../models/index.js';
import { authenticatePassword, findUserByEmail, recordLogin, type SocialProfile } from './auth.js';
import { ServiceError } from './errors.js';

export type AdminRole = 'viewer' | 'manager';

export interface StaffSnapshot {
  id: string;
  userId: number;
  email: string;
  title: string;
  role: AdminRole;
  isSuperuser: boolean;
  totpEnrolled: boolean;
}

export function staffSnapshot(u: User): StaffSnapshot | null {
  if (!u.isActive || !u.isStaff || u.deletedAt) return null;
  return {
    id: String(u.id),
    userId: u.id,
    email: u.email,
    title: u.display,
    role: u.isSuperuser ? 'manager' : u.adminRole === 'manager' ? 'manager' : 'viewer',
    isSuperuser: u.isSuperuser,
    totpEnrolled: !!(u.totpSecret && u.totpEnrolledAt),
  };
}

/**
 * Who may authorize a refund with their TOTP code (in the panel and at the registration desk): the roles
 * that may refund in the panel — managers and superusers — active staff only. A viewer may not.
 */
export function mayAuthorizeRefunds(u: User): boolean {
  return staffSnapshot(u)?.role === 'manager';
}

/** Password sign-in of the panel: null for a wrong password AND for a valid non-staff account. */
export async function authenticateStaff(email: string, password: string, rounds: number): Promise<StaffSnapshot | null> {
  if (typeof email !== 'string' || typeof password !== 'string' || !email || !password || password.length > 1024) return null;
  const user = await authenticatePassword(email, password, rounds);
  const snap = user ? staffSnapshot(user) : null;
  if (!user || !snap) return null;
  await recordLogin(user);
  return snap;
}

/** The current rights of a signed-in staff member (null = no longer allowed: sign them out). */
export async function refreshStaff(userId: number): Promise<StaffSnapshot | null> {
  if (!Number.isSafeInteger(userId)) return null;
  const user = await User.findByPk(userId);
  return user ? staffSnapshot(user) : null;
}

export type GoogleStaffError = 'email_not_verified' | 'domain_not_allowed' | 'not_staff';

/**
 * Google sign-in of the panel: the account linked to this Google id, else the account with the same
 * verified e-mail (then linked). Never creates an account; non-staff and other domains are refused.
 */
export async function findStaffForGoogle(p: SocialProfile, allowedDomain: string | null): Promise<{ staff: StaffSnapshot } | { error: GoogleStaffError }> {
  const email = (p.email ?? '').trim().toLowerCase();
  if (allowedDomain && !email.endsWith(`@${allowedDomain}`)) return { error: 'domain_not_allowed' };
  const linked = await SocialAccount.findOne({ where: { provider: 'google', uid: p.uid } });
  let user = linked ? await User.findByPk(linked.userId) : null;
  if (!user) {
    if (!email || !p.emailVerified) return { error: 'email_not_verified' };
    user = await findUserByEmail(email);
    const snap = user ? staffSnapshot(user) : null;
    if (!user || !snap) return { error: 'not_staff' };
    await SocialAccount.create({ userId: user.id, provider: 'google', uid: p.uid, email, lastLoginAt: new Date() });
  }
  const snap = staffSnapshot(user);
  if (!snap) return { error: 'not_staff' };
  await recordLogin(user);
  return { staff: snap };
}

export interface StaffFlags {
  isStaff?: unknown;
  isSuperuser?: unknown;
  adminRole?: unknown;
  isActive?: unknown;
}

const asBool = (v: unknown): boolean | undefined => (v === undefined ? undefined : v === true || v === 'true' || v === '1' || v === 'on');

/**
 * A superuser changes another account's staff flags / role (audited by the user row's hooks). Returns
 * field errors instead of throwing on bad input; refuses a superuser removing their own rights (lock-out).
 */
export async function setStaffFlags(actor: { userId: number; isSuperuser: boolean }, userId: number, input: StaffFlags): Promise<{ ok: true; user: User } | { ok: false; errors: Record<string, string> }> {
  if (!actor.isSuperuser) throw ServiceError.client(403, 'permission_denied', '슈퍼유저만 스태프 권한을 바꿀 수 있습니다.');
  const user = await User.findByPk(userId);
  if (!user) throw ServiceError.notFound('사용자를 찾을 수 없습니다.');
  const errors: Record<string, string> = {};
  const next: Partial<Record<'isStaff' | 'isSuperuser' | 'isActive', boolean>> & { adminRole?: AdminRole | null } = {};
  for (const k of ['isStaff', 'isSuperuser', 'isActive'] as const) {
    const b = asBool(input[k]);
    if (b !== undefined) next[k] = b;
  }
  if (input.adminRole !== undefined) {
    const r = input.adminRole === '' || input.adminRole === null ? null : String(input.adminRole);
    if (r !== null && r !== 'viewer' && r !== 'manager') errors.adminRole = "역할은 'viewer' 또는 'manager' 입니다.";
    else next.adminRole = r as AdminRole | null;
  }
  if (next.isSuperuser) next.isStaff = true;
  if (actor.userId === user.id && (next.isSuperuser === false || next.isStaff === false || next.isActive === false)) {
    errors.isSuperuser = '자기 자신의 슈퍼유저/스태프 권한은 해제할 수 없습니다.';
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  await user.update(next);
  return { ok: true, user };
}

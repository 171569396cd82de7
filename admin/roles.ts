/**
 * Who may do what in the panel, checked on the server by every action's `isAccessible` (hiding a button
 * with `isVisible` is only cosmetic). Staff only (sign-in refuses others); `viewer` reads; `manager` writes,
 * refunds, imports and sends; superusers are managers and also edit staff flags / roles.
 */
import type { AdminRole, StaffSnapshot } from '../src/services/admin-users.js';

export type { AdminRole };
/** The signed-in operator as AdminJS passes it (`currentAdmin`): the snapshot taken at sign-in. */
export type AdminUser = StaffSnapshot;

type Ctx = { currentAdmin?: unknown } | undefined;

export function adminOf(ctx: Ctx): AdminUser | null {
  const a = ctx?.currentAdmin as AdminUser | undefined;
  return a && typeof a.userId === 'number' ? a : null;
}

export const isStaff = (ctx: Ctx): boolean => adminOf(ctx) !== null;
export const canWrite = (ctx: Ctx): boolean => {
  const a = adminOf(ctx);
  return !!a && (a.role === 'manager' || a.isSuperuser);
};
export const isSuperuser = (ctx: Ctx): boolean => !!adminOf(ctx)?.isSuperuser;
export const never = (): boolean => false;

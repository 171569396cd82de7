/**
 * Which of our accounts a Django user becomes (the original's own rules for its legacy move, spec
 * after-pr43 §5 "User-id mapping modes"), evaluated per Django user in this order:
 *
 * 1. `previous`      — mapped by an earlier run (kept: re-runs are stable);
 * 2. `auto_email`    — same normalized e-mail (lower-case; `@pycon.kr` is `@python.or.kr`);
 * 3. `auto_username` — same username exactly (listed for review: possibly another person);
 * 4. `manual`        — a line of the `--user-map` file;
 * 5. `shifted`       — a new account with id = Django id + offset (the next free id when that one is taken).
 *
 * Django users whose normalized e-mail repeats (e.g. "Kim@x" and "kim@x") become one account — ours keeps
 * e-mails unique — the first by Django id is created and the others map onto it (listed for review).
 * Pure: the runner loads the rows and applies the plan.
 */

export type MappingMode = 'previous' | 'auto_email' | 'auto_username' | 'manual' | 'shifted';

export interface DjangoUser {
  id: number;
  email: string;
  username: string;
  password: string | null;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  lastLogin: Date | null;
  dateJoined: Date;
  uniqueId: string;
}

export interface OurUser {
  id: number;
  email: string;
  username: string;
  uniqueId: string;
  /** soft-deleted accounts are never matched, but their ids and unique ids stay taken */
  deleted: boolean;
}

export interface NewAccount {
  id: number;
  email: string;
  username: string;
  nickname: string;
  passwordHash: string | null;
  isActive: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  /** null = the default (a fresh one) because Django's is taken here */
  uniqueId: string | null;
}

export interface UserMapping {
  djangoId: number;
  userId: number;
  mode: MappingMode;
}

export interface UserPlan {
  mappings: UserMapping[];
  create: NewAccount[];
  /** matched accounts that take over the Django user's unique_id (printed QR codes keep working) */
  uniqueIds: Array<{ userId: number; uniqueId: string; djangoId: number }>;
  /** lines for a person to check */
  review: string[];
  /** per mode, the Django users mapped by this run (previous = nothing new) */
  counts: Record<MappingMode, number>;
}

export interface UserPlanInput {
  django: DjangoUser[];
  ours: OurUser[];
  previous: ReadonlyMap<number, { userId: number; mode: MappingMode }>;
  manual: ReadonlyMap<number, number>;
  offset: number;
}

export class UserMappingError extends Error {}

/** Lower-case, trimmed; the conference's `@pycon.kr` addresses are the same mailboxes as `@python.or.kr`. */
export function normalizeEmail(email: string | null | undefined): string {
  const e = (email ?? '').trim().toLowerCase();
  return e.endsWith('@pycon.kr') ? `${e.slice(0, -'@pycon.kr'.length)}@python.or.kr` : e;
}

/** Django's unusable passwords start with "!" (or are empty); they import as "no password". */
export function importedPasswordHash(password: string | null): string | null {
  return password && !password.startsWith('!') ? password : null;
}

/** The e-mail of a Django account without one: ours are required and unique; `.invalid` can never receive mail. */
export function placeholderEmail(djangoId: number): string {
  return `django-user-${djangoId}@import.invalid`;
}

/** Parse the `--user-map` CSV rows (`django_user_id,user_id`, header optional). */
export function parseUserMap(rows: string[][]): Map<number, number> {
  const map = new Map<number, number>();
  rows.forEach((row, i) => {
    const [a, b] = row.map((c) => c.trim());
    if (i === 0 && a !== undefined && !/^\d+$/.test(a)) return; // header
    if (!a && !b) return;
    if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) throw new UserMappingError(`--user-map line ${i + 1}: expected "django_user_id,user_id", got "${row.join(',')}"`);
    if (map.has(Number(a))) throw new UserMappingError(`--user-map line ${i + 1}: Django user ${a} appears twice`);
    map.set(Number(a), Number(b));
  });
  return map;
}

export function planUserMapping(input: UserPlanInput): UserPlan {
  const live = input.ours.filter((u) => !u.deleted);
  const byEmail = new Map<string, number>();
  const byUsername = new Map<string, number>();
  for (const u of [...live].sort((a, b) => a.id - b.id)) {
    const e = normalizeEmail(u.email);
    if (e && !byEmail.has(e)) byEmail.set(e, u.id);
    byUsername.set(u.username, u.id);
  }
  const ourIds = new Set(input.ours.map((u) => u.id));
  const takenIds = new Set(ourIds);
  const takenUniqueIds = new Map(input.ours.map((u) => [u.uniqueId.toLowerCase(), u.id]));
  let maxId = Math.max(0, ...takenIds);

  const plan: UserPlan = {
    mappings: [],
    create: [],
    uniqueIds: [],
    review: [],
    counts: { previous: 0, auto_email: 0, auto_username: 0, manual: 0, shifted: 0 },
  };
  const uniqueIdClaimed = new Set<number>();
  const createdFromDjango = new Map<number, number>(); // our new id → Django id

  for (const d of [...input.django].sort((a, b) => a.id - b.id)) {
    const prev = input.previous.get(d.id);
    if (prev) {
      plan.counts.previous++;
      continue;
    }
    const email = normalizeEmail(d.email);
    let mode: MappingMode | null = null;
    let userId: number | undefined;
    if (email && byEmail.has(email)) {
      mode = 'auto_email';
      userId = byEmail.get(email)!;
      const twin = createdFromDjango.get(userId);
      if (twin !== undefined) plan.review.push(`Django user ${d.id} (${d.username}) shares the e-mail of Django user ${twin}: both are account ${userId}`);
    } else if (byUsername.has(d.username)) {
      mode = 'auto_username';
      userId = byUsername.get(d.username)!;
      plan.review.push(`Django user ${d.id} (${d.username}, ${d.email || 'no e-mail'}) matched account ${userId} by username only`);
    } else if (input.manual.has(d.id)) {
      mode = 'manual';
      userId = input.manual.get(d.id)!;
      if (!live.some((u) => u.id === userId)) throw new UserMappingError(`--user-map: Django user ${d.id} → account ${userId}, which does not exist`);
    }

    if (mode && userId !== undefined) {
      plan.mappings.push({ djangoId: d.id, userId, mode });
      plan.counts[mode]++;
      // keep the Django unique_id so its printed QR codes keep working (first Django user of an account wins)
      if (!uniqueIdClaimed.has(userId) && !createdFromDjango.has(userId)) {
        uniqueIdClaimed.add(userId);
        const holder = takenUniqueIds.get(d.uniqueId.toLowerCase());
        if (holder === undefined) {
          plan.uniqueIds.push({ userId, uniqueId: d.uniqueId, djangoId: d.id });
          takenUniqueIds.set(d.uniqueId.toLowerCase(), userId);
        } else if (holder !== userId) {
          plan.review.push(`Django user ${d.id}: its unique_id is already account ${holder}'s; account ${userId} keeps its own (the user's old QR code no longer matches)`);
        }
      } else {
        plan.review.push(`Django user ${d.id}: account ${userId} keeps another Django user's unique_id (this user's old QR code no longer matches)`);
      }
      continue;
    }

    let id = d.id + input.offset;
    if (takenIds.has(id)) {
      id = maxId + 1;
      plan.review.push(`Django user ${d.id}: id ${d.id + input.offset} is taken here, created as ${id}`);
    }
    takenIds.add(id);
    maxId = Math.max(maxId, id);
    let uniqueId: string | null = d.uniqueId;
    if (takenUniqueIds.has(d.uniqueId.toLowerCase())) {
      uniqueId = null;
      plan.review.push(`Django user ${d.id}: its unique_id is already taken here, created with a new one`);
    } else {
      takenUniqueIds.set(d.uniqueId.toLowerCase(), id);
    }
    let accountEmail = d.email.trim();
    if (!email) {
      accountEmail = placeholderEmail(d.id);
      plan.review.push(`Django user ${d.id} (${d.username}) has no e-mail: created with ${accountEmail}`);
    }
    if (d.isStaff || d.isSuperuser) plan.review.push(`Django user ${d.id} (${d.username}) was ${d.isSuperuser ? 'a superuser' : 'staff'} there: created without admin rights`);
    plan.create.push({
      id,
      email: accountEmail,
      username: d.username,
      nickname: d.username.slice(0, 100),
      passwordHash: importedPasswordHash(d.password),
      isActive: d.isActive,
      lastLoginAt: d.lastLogin,
      createdAt: d.dateJoined,
      uniqueId,
    });
    createdFromDjango.set(id, d.id);
    if (email) byEmail.set(email, id);
    byUsername.set(d.username, id);
    plan.mappings.push({ djangoId: d.id, userId: id, mode: 'shifted' });
    plan.counts.shifted++;
  }
  return plan;
}

/** The default id offset: above every id we have, so shifted ids never meet ours (rounded up to 1,000). */
export function defaultIdOffset(maxOurId: number): number {
  return Math.ceil((maxOurId + 1) / 1000) * 1000;
}

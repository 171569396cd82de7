/** Audit rows as the history page shows them: Asia/Seoul time, the actor as name / e-mail (not `user:1`). */
import { User, type AuditLog } from '../src/models/index.js';
import { actorName, panelTime } from '../src/domain/admin/format.js';

export interface HistoryRow {
  id: string;
  action: string;
  actor: string;
  at: string;
  atIso: string;
  reason: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export async function historyRows(rows: AuditLog[]): Promise<HistoryRow[]> {
  const ids = [...new Set(rows.map((r) => r.actorUserId).filter((x): x is number => typeof x === 'number'))];
  const users = ids.length ? await User.findAll({ where: { id: ids }, attributes: ['id', 'email', 'nicknameKo', 'username'], paranoid: false }) : [];
  const byId = new Map(users.map((u) => [u.id, u]));
  return rows.map((r) => ({
    id: String(r.id),
    action: r.action,
    actor: actorName(r.actorUserId ? byId.get(r.actorUserId) : null, r.actorLabel),
    at: panelTime(r.createdAt),
    atIso: r.createdAt.toISOString(),
    reason: r.reason,
    before: r.before as Record<string, unknown> | null,
    after: r.after as Record<string, unknown> | null,
  }));
}

/**
 * Who is acting, carried through async calls (AsyncLocalStorage) so model hooks can fill
 * created_by/updated_by/deleted_by and the audit log without every service passing it around.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Actor {
  userId: number | null;
  /** Human-readable principal: `user:12`, `api_key:registration_desk`, `system`, `webhook:portone`. */
  label: string;
}

const storage = new AsyncLocalStorage<Actor>();

export const SYSTEM_ACTOR: Actor = { userId: null, label: 'system' };

export function runAs<T>(actor: Actor, fn: () => T): T {
  return storage.run(actor, fn);
}

export function currentActor(): Actor {
  return storage.getStore() ?? SYSTEM_ACTOR;
}

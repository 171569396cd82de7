/**
 * The AdminJS back-office at /admin (issue #7). `mountAdmin(app, deps)` loads AdminJS lazily (a dynamic
 * import: ~3 s the API and its tests do not pay) and plugs the panel into the slot `createApp` reserves
 * before the body parsers. `npm start` mounts it unless ADMIN_ENABLED=false; tests that need the panel
 * mount it on their own app.
 */
import type { Express } from 'express';
import type { AppDeps } from '../src/http/types.js';
import { adminSettings, type AdminSettings } from './config.js';

export { adminSettings, type AdminSettings } from './config.js';

export interface MountedAdmin {
  rootPath: string;
  /** The AdminJS instance (e.g. `admin.initialize()` to pre-bundle components). */
  admin: unknown;
}

export async function mountAdmin(app: Express, deps: AppDeps, settings: AdminSettings = adminSettings()): Promise<MountedAdmin> {
  // (ESM only: run under `node --import tsx` / mocha with `tsx/esm`, so the panel shares the caller's
  // module instances — models, context — instead of a CommonJS copy.)
  const { buildAdmin, attach, ROOT_PATH } = await import('./panel.js');
  const { admin, router } = buildAdmin(deps, settings);
  attach(app, router);
  return { rootPath: ROOT_PATH, admin };
}

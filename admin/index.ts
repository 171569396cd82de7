/**
 * The AdminJS back-office at /admin. `mountAdmin(app, deps)` loads AdminJS lazily (a dynamic
 * import: ~3 s the API and its tests do not pay) and plugs the panel into the slot `createApp` reserves
 * before the body parsers. `npm start` mounts it unless ADMIN_ENABLED=false; tests that need the panel
 * mount it on their own app.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import type { AppDeps } from '../src/http/types.js';
import { adminSettings, type AdminSettings } from './config.js';

export { adminSettings, type AdminSettings } from './config.js';

export interface MountedAdmin {
  rootPath: string;
  /** The AdminJS instance (e.g. `admin.initialize()` to pre-bundle components). */
  admin: unknown;
}

/**
 * Outside production AdminJS bundles the custom components on the first request into
 * `$ADMIN_JS_TMP_DIR/bundle.js` (default `.adminjs`) and then serves that file for ever, even after the
 * components changed (a stale panel after a `git pull`, or a test seeing yesterday's component). So the folder
 * is keyed by a hash of the component sources: changed components → a new folder → a fresh bundle. AdminJS
 * reads the variable when it is first imported, so this runs before the dynamic import below. An explicit
 * ADMIN_JS_TMP_DIR wins. (In production AdminJS bundles at start-up anyway.)
 */
function keyBundleFolder(): void {
  if (process.env.ADMIN_JS_TMP_DIR) return;
  const here = fileURLToPath(new URL('.', import.meta.url));
  const hash = createHash('sha256');
  for (const dir of [here, join(here, 'components')]) {
    for (const f of readdirSync(dir).sort()) {
      if (/\.(tsx?|jsx?)$/.test(f)) hash.update(f).update(readFileSync(join(dir, f)));
    }
  }
  process.env.ADMIN_JS_TMP_DIR = join('.adminjs', hash.digest('hex').slice(0, 12));
}

export async function mountAdmin(app: Express, deps: AppDeps, settings: AdminSettings = adminSettings()): Promise<MountedAdmin> {
  // (ESM only: run under `node --import tsx` / mocha with `tsx/esm`, so the panel shares the caller's
  // module instances — models, context — instead of a CommonJS copy.)
  keyBundleFolder();
  const { buildAdmin, attach, ROOT_PATH } = await import('./panel.js');
  const { admin, router } = buildAdmin(deps, settings);
  attach(app, router);
  return { rootPath: ROOT_PATH, admin };
}

/**
 * AdminJS's own front-end bundles, always the production builds. AdminJS picks its bundles by NODE_ENV and
 * serves the development builds (app 4.6 MB + globals 9.7 MB + design system 11.6 MB, unminified) unless
 * NODE_ENV=production — so `npm start` without NODE_ENV, and every test, shipped 26 MB per first load. The
 * production builds (3.3 MB together) are the same code minified; they are mounted here, before AdminJS's
 * router, for every environment. Browsers may keep them for a day (the AdminJS version is in the ETag).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Router } from 'express';

export function productionBundles(): Record<string, string> {
  // (their package.json files are not exported; the entry points are: adminjs/index.js, design-system/build/index.js)
  const adminjs = dirname(fileURLToPath(import.meta.resolve('adminjs')));
  const designSystem = join(dirname(fileURLToPath(import.meta.resolve('@adminjs/design-system'))), '..');
  return {
    '/frontend/assets/app.bundle.js': join(adminjs, 'lib/frontend/assets/scripts/app-bundle.production.js'),
    '/frontend/assets/global.bundle.js': join(adminjs, 'lib/frontend/assets/scripts/global-bundle.production.js'),
    '/frontend/assets/design-system.bundle.js': join(designSystem, 'bundle.production.js'),
  };
}

export function mountProductionBundles(router: Router): void {
  for (const [path, file] of Object.entries(productionBundles())) {
    router.get(path, (_req, res, next) => {
      res.sendFile(file, { maxAge: '1d', headers: { 'Content-Type': 'application/javascript; charset=utf-8' } }, (e) => (e ? next(e) : undefined));
    });
  }
}

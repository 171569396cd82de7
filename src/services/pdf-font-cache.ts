/**
 * One parsed font per process instead of one per PDF. pdfkit (under pdfmake) calls `fontkit.create(bytes)`
 * for every document, which decodes the 6 MB Korean font's tables again each time (most of a certificate's
 * render time, and garbage). This module — imported before pdfmake — replaces the `fontkit` module that
 * pdfkit requires with one whose `create` returns the same parsed font for the same bytes (the in-memory
 * font files are the same Buffer objects every time). A fontkit font only memoizes what it reads; each
 * document still makes its own subset, so sharing it is safe.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const fromPdfmake = createRequire(require.resolve('pdfmake'));
const fromPdfkit = createRequire(fromPdfmake.resolve('pdfkit'));
const fontkitPath = fromPdfkit.resolve('fontkit');

type Create = (bytes: Uint8Array, postscriptName?: string) => unknown;
const fontkit = fromPdfkit('fontkit') as Record<string, unknown> & { create: Create };
const parsed = new WeakMap<Uint8Array, Map<string, unknown>>();

const patched: Record<string, unknown> = { ...fontkit };
patched.create = (bytes: Uint8Array, postscriptName?: string) => {
  let byName = parsed.get(bytes);
  if (!byName) parsed.set(bytes, (byName = new Map()));
  const key = postscriptName ?? '';
  if (!byName.has(key)) byName.set(key, fontkit.create(bytes, postscriptName));
  return byName.get(key);
};

const cached = require.cache[fontkitPath];
if (cached) cached.exports = patched;

/** True when pdfkit will get the caching `fontkit` (pdfkit not loaded before this module). */
export const fontCacheInstalled = !!cached && !require.cache[fromPdfmake.resolve('pdfkit')];

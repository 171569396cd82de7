import type { Request } from 'express';
import type { Lang } from '../domain/i18n.js';

export type { Lang };
export { tr } from '../domain/i18n.js';

/** The request language from Accept-Language (ko by default, en when English is preferred over Korean). */
export function requestLang(req: Request): Lang {
  const header = req.headers['accept-language'];
  if (!header) return 'ko';
  const langs = header
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: (tag ?? '').toLowerCase(), q: q ? Number.parseFloat(q.slice(2)) || 0 : 1 };
    })
    .filter((l) => l.tag)
    .sort((a, b) => b.q - a.q);
  for (const l of langs) {
    if (l.tag.startsWith('ko')) return 'ko';
    if (l.tag.startsWith('en')) return 'en';
  }
  return 'ko';
}

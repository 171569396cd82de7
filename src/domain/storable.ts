/**
 * Values PostgreSQL cannot hold, made storable: a NUL character (U+0000) is refused in `text` and `jsonb`,
 * an unpaired UTF-16 surrogate is refused in `jsonb` (and silently mangled in `text`). They are replaced by
 * their escape written out (`\u0000`, `\ud800`) so the stored text still shows exactly what arrived. Pure.
 */
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function storableText(s: string): string {
  return s.replace(UNSTORABLE, escapeChar);
}

/** A JSON-like value with every string (keys included) made storable; other values as they are. */
export function storableJson(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 64) return '[too deeply nested]';
  if (Array.isArray(value)) return value.map((v) => storableJson(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[storableText(k)] = storableJson(v, depth + 1);
  return out;
}

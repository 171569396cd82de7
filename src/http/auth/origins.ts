/**
 * Origin lists from the configuration (CORS, CSRF trusted origins, social sign-in return URLs).
 * An entry is an exact origin (`https://pycon.kr`) or has wildcards: `https://*.pycon.kr` (any subdomain,
 * not the apex) and/or a `:*` port (`http://localhost:*`). Comparison is on the parsed origin, so
 * `https://pycon.kr.evil.example` or `https://pycon.kr@evil.example` never match `https://pycon.kr`.
 */

interface Pattern {
  protocol: string;
  host: string; // lower-case; may start with "*."
  port: string; // "" = the scheme's default, "*" = any
}

function parsePattern(entry: string): Pattern | null {
  const m = /^(https?):\/\/(\*\.)?([a-z0-9.-]+|\[[0-9a-f:]+\])(?::(\d{1,5}|\*))?\/?$/i.exec(entry.trim());
  if (!m) return null;
  const protocol = m[1]!.toLowerCase();
  let port = m[4] ?? '';
  if ((protocol === 'http' && port === '80') || (protocol === 'https' && port === '443')) port = '';
  return { protocol, host: `${m[2] ?? ''}${m[3]!.toLowerCase()}`, port };
}

/** Parse an origin or URL; null unless it is an absolute http(s) URL without user info. */
export function parseHttpUrl(value: string): URL | null {
  if (typeof value !== 'string' || value.length > 2000 || /[\s\\]/.test(value)) return null;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  if (u.username || u.password || !u.hostname) return null;
  return u;
}

export type OriginMatcher = (origin: string | undefined | null) => boolean;

export function originMatcher(entries: readonly string[]): OriginMatcher {
  const patterns = entries.map(parsePattern).filter((p): p is Pattern => p !== null);
  return (origin) => {
    if (!origin) return false;
    const u = parseHttpUrl(origin);
    if (!u) return false;
    const protocol = u.protocol.slice(0, -1);
    const host = u.hostname.toLowerCase();
    return patterns.some((p) => {
      if (p.protocol !== protocol) return false;
      if (p.port !== '*' && p.port !== u.port) return false;
      if (p.host.startsWith('*.')) {
        const suffix = p.host.slice(1); // ".pycon.kr"
        return host.endsWith(suffix) && host.length > suffix.length;
      }
      return p.host === host;
    });
  };
}

/** True when every entry parses (used to report configuration mistakes early). */
export function invalidOriginEntries(entries: readonly string[]): string[] {
  return entries.filter((e) => parsePattern(e) === null);
}

/** A safe redirect target: an absolute http(s) URL whose origin is allowed; else null. */
export function safeRedirectUrl(value: unknown, allowed: OriginMatcher): string | null {
  if (typeof value !== 'string') return null;
  const u = parseHttpUrl(value);
  if (!u || !allowed(u.origin)) return null;
  return u.toString();
}

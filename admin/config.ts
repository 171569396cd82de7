/**
 * Settings of the admin panel, read from the environment (listed in `.env.example`). Kept here, not in
 * src/config.ts, so the panel's options travel with the panel; a bad value stops the start like the rest.
 *
 *   ADMIN_ENABLED                 mount the panel at /admin in `npm start` (default true)
 *   ADMIN_COOKIE_NAME             the panel's own session cookie (default adminsessionid; path /admin)
 *   ADMIN_SESSION_AGE             panel session lifetime in seconds (default 43200 = 12 h)
 *   ADMIN_GOOGLE_ALLOWED_DOMAIN   Google sign-in only for e-mails of this domain (empty = any verified
 *                                 e-mail of an existing staff account); Google itself is on when
 *                                 GOOGLE_CLIENT_ID/SECRET are set — register ${BACKEND_DOMAIN}/admin/auth/google/callback
 *   ADMIN_TOTP_ISSUER             issuer shown in authenticator apps (default "Conference Shop")
 */
import { z } from 'zod';
import { ConfigError } from '../src/config.js';

export interface AdminSettings {
  enabled: boolean;
  cookieName: string;
  sessionMaxAgeMs: number;
  googleAllowedDomain: string | null;
  totpIssuer: string;
}

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']).transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const empty = (v: unknown) => (v === '' ? undefined : v);

const schema = z.object({
  ADMIN_ENABLED: z.preprocess(empty, bool.default(true)),
  ADMIN_COOKIE_NAME: z.preprocess(empty, z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'not a valid cookie name').default('adminsessionid')),
  ADMIN_SESSION_AGE: z.preprocess(empty, z.coerce.number().int().min(60).max(31_536_000).default(43_200)),
  ADMIN_GOOGLE_ALLOWED_DOMAIN: z.preprocess(empty, z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'not a domain').optional()),
  ADMIN_TOTP_ISSUER: z.preprocess(empty, z.string().min(1).max(100).default('Conference Shop')),
});

export function adminSettings(env: NodeJS.ProcessEnv = process.env): AdminSettings {
  const r = schema.safeParse(env);
  if (!r.success) throw new ConfigError(`Invalid configuration:\n${r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  return {
    enabled: r.data.ADMIN_ENABLED,
    cookieName: r.data.ADMIN_COOKIE_NAME,
    sessionMaxAgeMs: r.data.ADMIN_SESSION_AGE * 1000,
    googleAllowedDomain: r.data.ADMIN_GOOGLE_ALLOWED_DOMAIN?.toLowerCase() ?? null,
    totpIssuer: r.data.ADMIN_TOTP_ISSUER,
  };
}

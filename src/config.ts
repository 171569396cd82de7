/**
 * Configuration, read once from the environment (and `.env` when present) into one typed object.
 * Every variable is listed in `.env.example`. Defaults work for a local demo; a bad value stops the process
 * with a message that names the variable. Secrets are never printed.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const port = z.coerce.number().int().min(0).max(65535);
const url = z.string().url();
/** Optional: an empty string counts as unset (so `.env.example` can list the variable with no value). */
const optional = <T extends z.ZodType>(t: T) => z.preprocess((v) => (v === '' ? undefined : v), t.optional());
/** RFC 6265 cookie-name token characters (Django's defaults are `sessionid` / `csrftoken`). */
const cookieName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'not a valid cookie name');
const positiveInt = z.coerce.number().int().min(1);

const DEV_SECRET = 'dev-only-secret-key-change-me';

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(8000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** When unset, `npm start` runs an embedded PostgreSQL (data in EMBEDDED_PG_DIR). */
  DATABASE_URL: url.optional(),
  TEST_DATABASE_URL: url.default('postgres://postgres@127.0.0.1:5432/shop_test'),
  EMBEDDED_PG_DIR: z.string().default('.data/pg'),
  EMBEDDED_PG_PORT: port.default(54329),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  SEED_DEMO: bool.default(true),
  /** HMAC key of the cart snapshot hash (merchant_uid) and of the session cookie. */
  SECRET_KEY: z.string().min(16).default(DEV_SECRET),
  BACKEND_DOMAIN: url.default('http://localhost:8000'),
  TRUST_PROXY: bool.default(false),
  FRONTEND_ORIGINS: list.default(['http://localhost:3000', 'http://localhost:5173']),
  PORTONE_API_URL: url.default('https://api.iamport.kr'),
  PORTONE_IMP_KEY: z.string().default(''),
  PORTONE_IMP_SECRET: z.string().default(''),
  PORTONE_IP_LIST: list.default(['52.78.100.19', '52.78.48.223', '52.78.5.241']),
  ORDER_SCANCODE_SALT: list.default(['local_order_scancode_salt']),
  CHECKOUT_HOLD_MINUTES: z.coerce.number().int().min(1).max(120).default(15),
});

export type Env = z.infer<typeof schema>;

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  databaseUrl: string | undefined;
  testDatabaseUrl: string;
  embeddedPg: { dir: string; port: number };
  dbPoolMax: number;
  seedDemo: boolean;
  secretKey: string;
  backendDomain: string;
  trustProxy: boolean;
  frontendOrigins: string[];
  portone: { apiUrl: string; impKey: string; impSecret: string; ipList: string[] };
  scancodeSalts: string[];
  /** How long a checked-out cart holds its units for the buyer to pay. */
  checkoutHoldMs: number;
}

export class ConfigError extends Error {}

/** Parse an environment object; throws ConfigError naming every bad variable. */
export function parseConfig(source: NodeJS.ProcessEnv): Config {
  const result = schema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = result.data;
  if (e.NODE_ENV === 'production' && e.SECRET_KEY === DEV_SECRET) {
    throw new ConfigError('Invalid configuration:\n  SECRET_KEY: must be set in production');
  }
  const problems: string[] = [];
  const secure = e.SESSION_COOKIE_SECURE ?? e.NODE_ENV === 'production';
  if (e.SESSION_COOKIE_SAMESITE === 'none' && !secure) problems.push('SESSION_COOKIE_SAMESITE: none requires SESSION_COOKIE_SECURE=true');
  let loginErrorUrl = e.SOCIAL_LOGIN_ERROR_URL;
  if (!loginErrorUrl) {
    const first = e.FRONTEND_ORIGINS.find((o) => !o.includes('*'));
    if (first) loginErrorUrl = `${first.replace(/\/+$/, '')}/`;
    else problems.push('SOCIAL_LOGIN_ERROR_URL: required when FRONTEND_ORIGINS has no plain origin');
  }
  const providers: AuthConfig['providers'] = {};
  const provider = (p: SocialProvider, id: string, secret: string, authz: string, token: string, info: string, secretRequired: boolean) => {
    if (!id) return;
    const P = p.toUpperCase();
    if (secretRequired && !secret) problems.push(`${P}_CLIENT_SECRET: required when ${P}_CLIENT_ID is set`);
    providers[p] = { clientId: id, clientSecret: secret, authorizationUrl: authz, tokenUrl: token, userInfoUrl: info };
  };
  provider('google', e.GOOGLE_CLIENT_ID, e.GOOGLE_CLIENT_SECRET, e.GOOGLE_AUTHORIZATION_URL, e.GOOGLE_TOKEN_URL, e.GOOGLE_USERINFO_URL, true);
  provider('naver', e.NAVER_CLIENT_ID, e.NAVER_CLIENT_SECRET, e.NAVER_AUTHORIZATION_URL, e.NAVER_TOKEN_URL, e.NAVER_USERINFO_URL, true);
  // Kakao's client secret is optional (it is enforced only when enabled in the Kakao console).
  provider('kakao', e.KAKAO_CLIENT_ID, e.KAKAO_CLIENT_SECRET, e.KAKAO_AUTHORIZATION_URL, e.KAKAO_TOKEN_URL, e.KAKAO_USERINFO_URL, false);
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((l) => `  ${l}`).join('\n')}`);
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    testDatabaseUrl: e.TEST_DATABASE_URL,
    embeddedPg: { dir: resolve(e.EMBEDDED_PG_DIR), port: e.EMBEDDED_PG_PORT },
    dbPoolMax: e.DB_POOL_MAX,
    seedDemo: e.SEED_DEMO,
    secretKey: e.SECRET_KEY,
    backendDomain: e.BACKEND_DOMAIN.replace(/\/+$/, ''),
    trustProxy: e.TRUST_PROXY,
    frontendOrigins: e.FRONTEND_ORIGINS,
    portone: {
      apiUrl: e.PORTONE_API_URL.replace(/\/+$/, ''),
      impKey: e.PORTONE_IMP_KEY,
      impSecret: e.PORTONE_IMP_SECRET,
      ipList: e.PORTONE_IP_LIST,
    },
    scancodeSalts: e.ORDER_SCANCODE_SALT,
    checkoutHoldMs: e.CHECKOUT_HOLD_MINUTES * 60_000,
  };
}

let cached: Config | undefined;

/** The process configuration: `.env` (if present) below real environment variables, parsed once. */
export function loadConfig(): Config {
  if (!cached) {
    const envFile = resolve('.env');
    if (existsSync(envFile) && process.env.NODE_ENV !== 'test') loadDotenv({ path: envFile, quiet: true });
    cached = parseConfig(process.env);
  }
  return cached;
}

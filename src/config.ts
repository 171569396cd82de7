/**
 * Configuration, read once from the environment (and `.env` when present) into one typed object.
 * Every variable is listed in `.env.example`. Defaults work for a local demo; a bad value stops the process
 * with a message that names the variable. Secrets are never printed.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import proxyaddr from 'proxy-addr';
import type { NhnConfig } from './nhn/client.js';

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

/**
 * TRUST_PROXY → Express's `trust proxy` setting: `false`/`0` (default: the socket peer is the client), a hop
 * count (`1` = one reverse proxy in front), or the proxies' addresses / CIDRs / `loopback`, `linklocal`,
 * `uniquelocal` (comma-separated). Either way the client is the right-most X-Forwarded-For entry that is not
 * a trusted proxy, so a client cannot choose its address by sending its own X-Forwarded-For. Express's
 * `true` (trust every hop: the left-most entry, which the client writes) is never used: `true` means 1 hop.
 */
export type TrustProxy = false | number | string[];
const trustProxy = z
  .string()
  .trim()
  .transform((v, ctx): TrustProxy => {
    const low = v.toLowerCase();
    if (['', 'false', '0', 'no', 'off'].includes(low)) return false;
    if (['true', 'yes', 'on'].includes(low)) return 1;
    if (/^\d+$/.test(v)) {
      const hops = Number(v);
      if (hops <= 10) return hops;
      ctx.addIssue({ code: 'custom', message: 'a hop count is 0–10' });
      return z.NEVER;
    }
    const entries = v.split(',').map((x) => x.trim()).filter(Boolean);
    try {
      proxyaddr.compile(entries);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `not a hop count or a list of proxy addresses / CIDRs (${e instanceof Error ? e.message : String(e)})` });
      return z.NEVER;
    }
    return entries;
  });

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
  /** Demo catalogue and demo accounts (public passwords). Default: on, except in production (where on is refused). */
  SEED_DEMO: optional(bool),
  /** HMAC key of the cart snapshot hash (merchant_uid) and of the session cookie. */
  SECRET_KEY: z.string().min(16).default(DEV_SECRET),
  BACKEND_DOMAIN: url.default('http://localhost:8000'),
  TRUST_PROXY: trustProxy.default(false),
  FRONTEND_ORIGINS: list.default(['http://localhost:3000', 'http://localhost:5173']),
  PORTONE_API_URL: url.default('https://api.iamport.kr'),
  PORTONE_IMP_KEY: z.string().default(''),
  PORTONE_IMP_SECRET: z.string().default(''),
  PORTONE_IP_LIST: list.default(['52.78.100.19', '52.78.48.223', '52.78.5.241']),
  ORDER_SCANCODE_SALT: list.default(['local_order_scancode_salt']),
  /** Certificate verify-token HMAC keys, comma-separated: the first signs, any verifies (rotation). */
  DOCUMENT_VERIFY_SALT: list.default(['local_document_verify_salt']),
  /** NHN KCP card receipt signing (optional; without it the receipt link answers "try later"). */
  NHN_KCP_PG_API_CERT: z.string().optional(),
  NHN_KCP_PG_API_PRIVATE_KEY: z.string().optional(),
  NHN_KCP_PG_API_PASSWORD: z.string().optional(),
  /** Accept webhooks from 127.0.0.1/::1 (the local PortOne simulator). Default: on unless production. */
  PORTONE_WEBHOOK_ALLOW_LOOPBACK: bool.optional(),
  // `npm start` without PortOne credentials outside production: run the PortOne v1 simulator in-process
  PORTONE_DEMO_SIMULATOR: bool.optional(),
  PORTONE_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  CHECKOUT_HOLD_MINUTES: z.coerce.number().int().min(1).max(120).default(15),
  /** How long the public catalogue may reuse product rows and sold counts (in-process writes invalidate at once; other processes' writes show within this). 0 = no cache. */
  CATALOG_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  /** Count SQL statements per request (`X-Query-Count`, `GET /__query-stats`): for `npm run bench` only. */
  QUERY_STATS: bool.default(false),
  /** Web processes (node:cluster workers) of `npm start`; default: the number of CPUs in production, 1 otherwise. */
  WEB_CONCURRENCY: optional(z.coerce.number().int().min(1).max(64)),

  // --- background jobs (Agenda on the same PostgreSQL) and e-mail notifications ---
  /** Run the job worker inside `npm start` (false: only enqueue; run `npm run worker` separately). */
  JOBS_IN_PROCESS: bool.default(true),
  /** How often a worker polls for due jobs (new jobs also wake it at once through LISTEN/NOTIFY). */
  JOBS_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(600_000).default(5000),
  /** Connections of the job queue's own small pool (one is held for LISTEN). */
  JOBS_POOL_MAX: z.coerce.number().int().min(2).max(50).default(4),
  /** On SIGTERM, how long running jobs may take to finish before the process exits anyway. */
  JOBS_SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** Cron (Asia/Seoul) of the daily PortOne reconciliation, and how far back it looks. */
  RECONCILE_SCHEDULE: z.string().min(1).default('0 4 * * *'),
  RECONCILE_LOOKBACK_DAYS: positiveInt.max(365).default(3),
  /** Cron (Asia/Seoul) of the abandoned-cart clean-up, and the age (days of inactivity) it removes. */
  CART_CLEANUP_SCHEDULE: z.string().min(1).default('30 4 * * *'),
  CART_CLEANUP_DAYS: positiveInt.max(3650).default(30),
  /** SMTP server of notification e-mail; unset = e-mails fail with "SMTP_HOST is not set" (visible to operators). */
  SMTP_HOST: optional(z.string()),
  SMTP_PORT: port.default(587),
  /** true = TLS from the start (port 465); false = STARTTLS when the server offers it. */
  SMTP_SECURE: bool.default(false),
  SMTP_USER: z.string().default(''),
  SMTP_PASSWORD: z.string().default(''),
  MAIL_FROM: z.string().min(3).default('Conference Shop <no-reply@localhost>'),
  /** Attempts per notification e-mail (transient SMTP errors are retried with exponential backoff). */
  NOTIFICATION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  /** First retry delay; each further retry doubles it. */
  NOTIFICATION_RETRY_DELAY_SECONDS: z.coerce.number().positive().max(86_400).default(60),
  NOTIFICATION_RETRY_MAX_DELAY_SECONDS: z.coerce.number().positive().max(86_400).default(600),
  /** Messages per minute per channel per worker (0 = unlimited); the per-channel variables override it. */
  NOTIFICATION_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(100_000).default(60),
  NOTIFICATION_RATE_LIMIT_EMAIL_PER_MINUTE: optional(z.coerce.number().int().min(0).max(100_000)),
  NOTIFICATION_RATE_LIMIT_KAKAO_PER_MINUTE: optional(z.coerce.number().int().min(0).max(100_000)),
  NOTIFICATION_RATE_LIMIT_SMS_PER_MINUTE: optional(z.coerce.number().int().min(0).max(100_000)),
  // NHN Cloud Notification (Kakao alimtalk, SMS): per-channel key/secret, falling back to the shared pair
  NHN_CLOUD_APP_KEY: z.string().default(''),
  NHN_CLOUD_SECRET_KEY: z.string().default(''),
  NHN_CLOUD_KAKAO_ALIMTALK_APP_KEY: z.string().default(''),
  NHN_CLOUD_KAKAO_ALIMTALK_SECRET_KEY: z.string().default(''),
  NHN_CLOUD_KAKAO_SENDER_KEY: z.string().default(''),
  NHN_CLOUD_SMS_APP_KEY: z.string().default(''),
  NHN_CLOUD_SMS_SECRET_KEY: z.string().default(''),
  NHN_CLOUD_SMS_SEND_NO: z.string().default(''),
  NHN_CLOUD_ALIMTALK_API_URL: url.default('https://api-alimtalk.cloud.toast.com'),
  NHN_CLOUD_SMS_API_URL: url.default('https://api-sms.cloud.toast.com'),
  /** `npm start` without NHN keys outside production: run the fake NHN server in-process (demo). */
  NHN_DEMO_FAKE: optional(bool),
  NHN_FAKE_PORT: port.default(8091),

  // --- sign-in, sessions, CSRF ---
  SESSION_COOKIE_NAME: cookieName.default('sessionid'),
  CSRF_COOKIE_NAME: cookieName.default('csrftoken'),
  /** Session lifetime in seconds (Django's default: two weeks), counted from sign-in. */
  SESSION_COOKIE_AGE: z.coerce.number().int().min(60).default(1_209_600),
  SESSION_COOKIE_HTTPONLY: bool.default(true),
  /** SameSite of both cookies. `none` requires Secure. `strict` breaks the OAuth return from the provider. */
  SESSION_COOKIE_SAMESITE: z.enum(['lax', 'strict', 'none']).default('lax'),
  /** Secure flag of both cookies; default: true in production, false otherwise. */
  SESSION_COOKIE_SECURE: optional(bool),
  /** Domain attribute of both cookies (e.g. `pycon.kr` so the frontend can read the CSRF cookie); unset = host-only. */
  COOKIE_DOMAIN: optional(z.string().regex(/^\.?[a-z0-9.-]+$/i, 'not a domain')),
  /** Origins a social sign-in may return to (`callback_url`); default FRONTEND_ORIGINS. */
  AUTH_REDIRECT_ORIGINS: optional(list),
  /** Where a failed social sign-in lands (`?error=<code>&error_process=login` is appended); default: first FRONTEND_ORIGINS entry + `/`. */
  SOCIAL_LOGIN_ERROR_URL: optional(url),
  GOOGLE_CLIENT_ID: z.string().default(''),
  GOOGLE_CLIENT_SECRET: z.string().default(''),
  GOOGLE_AUTHORIZATION_URL: url.default('https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_TOKEN_URL: url.default('https://oauth2.googleapis.com/token'),
  GOOGLE_USERINFO_URL: url.default('https://openidconnect.googleapis.com/v1/userinfo'),
  NAVER_CLIENT_ID: z.string().default(''),
  NAVER_CLIENT_SECRET: z.string().default(''),
  NAVER_AUTHORIZATION_URL: url.default('https://nid.naver.com/oauth2.0/authorize'),
  NAVER_TOKEN_URL: url.default('https://nid.naver.com/oauth2.0/token'),
  NAVER_USERINFO_URL: url.default('https://openapi.naver.com/v1/nid/me'),
  KAKAO_CLIENT_ID: z.string().default(''),
  KAKAO_CLIENT_SECRET: z.string().default(''),
  KAKAO_AUTHORIZATION_URL: url.default('https://kauth.kakao.com/oauth/authorize'),
  KAKAO_TOKEN_URL: url.default('https://kauth.kakao.com/oauth/token'),
  KAKAO_USERINFO_URL: url.default('https://kapi.kakao.com/v2/user/me'),
  /** Failed password sign-ins allowed per e-mail / per client IP within the window, then 429. */
  LOGIN_THROTTLE_MAX_PER_EMAIL: positiveInt.default(10),
  LOGIN_THROTTLE_MAX_PER_IP: positiveInt.default(30),
  LOGIN_THROTTLE_WINDOW_SECONDS: positiveInt.default(900),
  /** bcrypt cost of new password hashes (older, cheaper hashes are upgraded at the next sign-in). */
  PASSWORD_HASH_ROUNDS: z.coerce.number().int().min(4).max(15).default(12),
});

/** The names of every environment variable this file reads (docs/operations.md and .env.example list each; tested). */
export const ENV_VARIABLES: readonly string[] = Object.keys(schema.shape);

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
  /** Express `trust proxy` (see TrustProxy): never `true`. */
  trustProxy: TrustProxy;
  frontendOrigins: string[];
  portone: {
    apiUrl: string;
    impKey: string;
    impSecret: string;
    ipList: string[];
    allowLoopback: boolean;
    /** `npm start` runs the PortOne simulator in-process and talks to it (demo only; never in production) */
    demoSimulator: { enabled: boolean; port: number };
  };
  scancodeSalts: string[];
  /** participation certificates: verify-token keys (first signs, any verifies) */
  documentSalts: string[];
  /** NHN KCP receipt signing, or null when not configured. */
  kcp: { cert: string; privateKey: string; password: string } | null;
  /** How long a checked-out cart holds its units for the buyer to pay. */
  checkoutHoldMs: number;
  /** Catalogue cache lifetime (0 = off). */
  catalogCacheMs: number;
  /** Per-request SQL counting for the benchmark. */
  queryStats: boolean;
  /** How many web processes `npm start` runs (1: no cluster). */
  webConcurrency: number;
  jobs: JobsConfig;
  mail: MailConfig;
  nhn: NhnConfig & { demoFake: { enabled: boolean; port: number } };
  auth: AuthConfig;
}

export type SocialProvider = 'google' | 'naver' | 'kakao';
export const SOCIAL_PROVIDERS: readonly SocialProvider[] = ['google', 'naver', 'kakao'];

export interface OAuthProviderConfig {
  clientId: string;
  clientSecret: string;
  authorizationUrl: string;
  tokenUrl: string;
  userInfoUrl: string;
}

export interface AuthConfig {
  sessionCookie: { name: string; maxAgeMs: number; httpOnly: boolean; sameSite: 'lax' | 'strict' | 'none'; secure: boolean };
  csrfCookieName: string;
  cookieDomain: string | undefined;
  /** Allowed `callback_url` origins (exact, or with `*.` host / `:*` port wildcards). */
  redirectOrigins: string[];
  loginErrorUrl: string;
  /** Configured providers only (a provider is configured when its client id is set). */
  providers: Partial<Record<SocialProvider, OAuthProviderConfig>>;
  throttle: { maxPerEmail: number; maxPerIp: number; windowMs: number };
  passwordHashRounds: number;
}

export interface JobsConfig {
  inProcess: boolean;
  pollIntervalMs: number;
  poolMax: number;
  shutdownTimeoutMs: number;
  reconcileSchedule: string;
  reconcileLookbackDays: number;
  cartCleanupSchedule: string;
  cartCleanupDays: number;
}

export interface MailConfig {
  /** null when SMTP_HOST is unset. */
  smtp: { host: string; port: number; secure: boolean; user: string; password: string } | null;
  from: string;
  maxAttempts: number;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  /** Messages per minute per channel per worker (0 = unlimited). */
  ratePerMinute: Record<'email' | 'kakao' | 'sms', number>;
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
  if (e.NODE_ENV === 'production' && e.SEED_DEMO === true) problems.push('SEED_DEMO: the demo accounts have public passwords; never seed them in production');
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
    seedDemo: e.SEED_DEMO ?? e.NODE_ENV !== 'production',
    secretKey: e.SECRET_KEY,
    backendDomain: e.BACKEND_DOMAIN.replace(/\/+$/, ''),
    trustProxy: e.TRUST_PROXY,
    frontendOrigins: e.FRONTEND_ORIGINS,
    portone: {
      apiUrl: e.PORTONE_API_URL.replace(/\/+$/, ''),
      impKey: e.PORTONE_IMP_KEY,
      impSecret: e.PORTONE_IMP_SECRET,
      ipList: e.PORTONE_IP_LIST,
      allowLoopback: e.PORTONE_WEBHOOK_ALLOW_LOOPBACK ?? e.NODE_ENV !== 'production',
      demoSimulator: {
        enabled: e.NODE_ENV !== 'production' && (e.PORTONE_DEMO_SIMULATOR ?? e.PORTONE_IMP_KEY === ''),
        port: e.PORTONE_SIM_PORT,
      },
    },
    scancodeSalts: e.ORDER_SCANCODE_SALT,
    documentSalts: e.DOCUMENT_VERIFY_SALT,
    checkoutHoldMs: e.CHECKOUT_HOLD_MINUTES * 60_000,
    catalogCacheMs: e.CATALOG_CACHE_MS,
    queryStats: e.QUERY_STATS,
    webConcurrency: e.WEB_CONCURRENCY ?? (e.NODE_ENV === 'production' ? availableParallelism() : 1),
    kcp:
      e.NHN_KCP_PG_API_CERT && e.NHN_KCP_PG_API_PRIVATE_KEY
        ? { cert: e.NHN_KCP_PG_API_CERT, privateKey: e.NHN_KCP_PG_API_PRIVATE_KEY.replace(/\\n/g, '\n'), password: e.NHN_KCP_PG_API_PASSWORD ?? '' }
        : null,
    jobs: {
      inProcess: e.JOBS_IN_PROCESS,
      pollIntervalMs: e.JOBS_POLL_INTERVAL_MS,
      poolMax: e.JOBS_POOL_MAX,
      shutdownTimeoutMs: e.JOBS_SHUTDOWN_TIMEOUT_SECONDS * 1000,
      reconcileSchedule: e.RECONCILE_SCHEDULE,
      reconcileLookbackDays: e.RECONCILE_LOOKBACK_DAYS,
      cartCleanupSchedule: e.CART_CLEANUP_SCHEDULE,
      cartCleanupDays: e.CART_CLEANUP_DAYS,
    },
    mail: {
      smtp: e.SMTP_HOST ? { host: e.SMTP_HOST, port: e.SMTP_PORT, secure: e.SMTP_SECURE, user: e.SMTP_USER, password: e.SMTP_PASSWORD } : null,
      from: e.MAIL_FROM,
      maxAttempts: e.NOTIFICATION_MAX_ATTEMPTS,
      retryDelayMs: Math.round(e.NOTIFICATION_RETRY_DELAY_SECONDS * 1000),
      retryMaxDelayMs: Math.round(e.NOTIFICATION_RETRY_MAX_DELAY_SECONDS * 1000),
      ratePerMinute: {
        email: e.NOTIFICATION_RATE_LIMIT_EMAIL_PER_MINUTE ?? e.NOTIFICATION_RATE_LIMIT_PER_MINUTE,
        kakao: e.NOTIFICATION_RATE_LIMIT_KAKAO_PER_MINUTE ?? e.NOTIFICATION_RATE_LIMIT_PER_MINUTE,
        sms: e.NOTIFICATION_RATE_LIMIT_SMS_PER_MINUTE ?? e.NOTIFICATION_RATE_LIMIT_PER_MINUTE,
      },
    },
    nhn: {
      alimtalk: {
        apiUrl: e.NHN_CLOUD_ALIMTALK_API_URL.replace(/\/+$/, ''),
        appKey: e.NHN_CLOUD_KAKAO_ALIMTALK_APP_KEY || e.NHN_CLOUD_APP_KEY,
        secretKey: e.NHN_CLOUD_KAKAO_ALIMTALK_SECRET_KEY || e.NHN_CLOUD_SECRET_KEY,
        senderKey: e.NHN_CLOUD_KAKAO_SENDER_KEY,
      },
      sms: {
        apiUrl: e.NHN_CLOUD_SMS_API_URL.replace(/\/+$/, ''),
        appKey: e.NHN_CLOUD_SMS_APP_KEY || e.NHN_CLOUD_APP_KEY,
        secretKey: e.NHN_CLOUD_SMS_SECRET_KEY || e.NHN_CLOUD_SECRET_KEY,
        sendNo: e.NHN_CLOUD_SMS_SEND_NO,
      },
      timeoutMs: 10_000,
      demoFake: {
        enabled:
          e.NODE_ENV !== 'production' &&
          (e.NHN_DEMO_FAKE ?? !(e.NHN_CLOUD_APP_KEY || e.NHN_CLOUD_KAKAO_ALIMTALK_APP_KEY || e.NHN_CLOUD_SMS_APP_KEY)),
        port: e.NHN_FAKE_PORT,
      },
    },
    auth: {
      sessionCookie: {
        name: e.SESSION_COOKIE_NAME,
        maxAgeMs: e.SESSION_COOKIE_AGE * 1000,
        httpOnly: e.SESSION_COOKIE_HTTPONLY,
        sameSite: e.SESSION_COOKIE_SAMESITE,
        secure,
      },
      csrfCookieName: e.CSRF_COOKIE_NAME,
      cookieDomain: e.COOKIE_DOMAIN,
      redirectOrigins: e.AUTH_REDIRECT_ORIGINS ?? e.FRONTEND_ORIGINS,
      loginErrorUrl: loginErrorUrl!,
      providers,
      throttle: { maxPerEmail: e.LOGIN_THROTTLE_MAX_PER_EMAIL, maxPerIp: e.LOGIN_THROTTLE_MAX_PER_IP, windowMs: e.LOGIN_THROTTLE_WINDOW_SECONDS * 1000 },
      passwordHashRounds: e.PASSWORD_HASH_ROUNDS,
    },
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

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

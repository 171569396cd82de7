/**
 * Production defaults: SEED_DEMO is off unless asked for (and refused in production), the demo seeder never
 * creates the demo accounts (public passwords) there, and `npm start` refuses to run in production while one
 * of them exists with its public password.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import bcrypt from 'bcryptjs';
import { ConfigError, parseConfig } from '../../src/config.js';
import { resetDb, testConfig, testDb } from '../helpers/db.js';
import { DEMO_ACCOUNTS, assertNoDemoAccounts, demoAccountsPresent } from '../../src/db/demo-accounts.js';
import { User } from '../../src/models/index.js';

const require = createRequire(import.meta.url);
const PROD = { NODE_ENV: 'production', SECRET_KEY: 'a-production-secret-0123456789' };

async function runDemoSeeder(nodeEnv: string): Promise<void> {
  const sequelize = await resetDb();
  const seeder = require('../../seeders/20261125000001-demo-catalog.cjs') as { up(qi: unknown): Promise<void> };
  const before = process.env.NODE_ENV;
  process.env.NODE_ENV = nodeEnv;
  try {
    await seeder.up(sequelize.getQueryInterface());
  } finally {
    process.env.NODE_ENV = before;
  }
}

describe('security: production defaults (demo data)', function () {
  this.timeout(60_000);

  it('SEED_DEMO defaults to false in production (true elsewhere); SEED_DEMO=true is refused in production', () => {
    expect(parseConfig(PROD).seedDemo).to.equal(false);
    expect(parseConfig({ ...PROD, SEED_DEMO: 'false' }).seedDemo).to.equal(false);
    expect(parseConfig({ NODE_ENV: 'development' }).seedDemo).to.equal(true);
    expect(parseConfig({ NODE_ENV: 'development', SEED_DEMO: 'false' }).seedDemo).to.equal(false);
    expect(() => parseConfig({ ...PROD, SEED_DEMO: 'true' })).to.throw(ConfigError, /SEED_DEMO/);
  });

  it('the demo seeder creates the demo accounts (those DEMO_ACCOUNTS lists) outside production, never in production', async () => {
    await runDemoSeeder('development');
    expect((await demoAccountsPresent(await testDb())).sort()).to.deep.equal(DEMO_ACCOUNTS.map((a) => a.email).sort());
    await runDemoSeeder('production');
    expect(await User.count()).to.equal(0);
    expect(await demoAccountsPresent(await testDb())).to.deep.equal([]);
  });

  it('start-up check: refused while a demo account keeps its public password; fine once changed', async () => {
    await runDemoSeeder('development');
    const sequelize = await testDb();
    let err: unknown;
    await assertNoDemoAccounts(sequelize).catch((e) => (err = e));
    expect(String(err)).to.match(/Demo accounts with public passwords exist \(.*admin@example\.com.*\)/);
    await User.update({ passwordHash: bcrypt.hashSync('a-new-private-password', 4) }, { where: {} });
    await assertNoDemoAccounts(sequelize);
  });

  it('`npm start` with NODE_ENV=production exits non-zero next to a demo account, before listening', async () => {
    await runDemoSeeder('development');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...PROD,
      DATABASE_URL: testConfig.testDatabaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_ENABLED: 'false',
      JOBS_IN_PROCESS: 'false',
      PORTONE_IMP_KEY: 'k',
      PORTONE_IMP_SECRET: 's',
      LOG_LEVEL: 'warn',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d) => (log += String(d)));
    child.stderr!.on('data', (d) => (log += String(d)));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 45_000);
      child.once('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code, log).to.not.equal(0);
    expect(code, log).to.not.equal(null);
    expect(log).to.match(/Demo accounts with public passwords exist/);
    expect(log).to.not.match(/"msg":"listening"/);
  });
});

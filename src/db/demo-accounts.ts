/**
 * The demo accounts the demo seeder creates (seeders/*-demo-catalog.cjs), with their public passwords.
 * In production they must not exist: start-up refuses while any of them still signs in with its public
 * password (see assertNoDemoAccounts), and the seeder never creates them there.
 */
import bcrypt from 'bcryptjs';
import { QueryTypes, type Sequelize } from 'sequelize';

export const DEMO_ACCOUNTS: ReadonlyArray<{ email: string; password: string }> = [
  { email: 'admin@example.com', password: 'admin-demo-pass' },
  { email: 'buyer@example.com', password: 'buyer-demo-pass' },
];

/** E-mails of live accounts that still have a demo account's public password. */
export async function demoAccountsPresent(sequelize: Sequelize): Promise<string[]> {
  const rows = await sequelize.query<{ email: string; password_hash: string | null }>(
    `SELECT email, password_hash FROM users WHERE lower(email) IN (:emails) AND deleted_at IS NULL`,
    { type: QueryTypes.SELECT, replacements: { emails: DEMO_ACCOUNTS.map((a) => a.email) } },
  );
  const found: string[] = [];
  for (const r of rows) {
    const demo = DEMO_ACCOUNTS.find((a) => a.email === r.email.toLowerCase());
    if (demo && r.password_hash && (await bcrypt.compare(demo.password, r.password_hash))) found.push(r.email);
  }
  return found;
}

export class DemoAccountsInProductionError extends Error {}

/** Production start-up check: refuse to run while a demo account with its public password exists. */
export async function assertNoDemoAccounts(sequelize: Sequelize): Promise<void> {
  const found = await demoAccountsPresent(sequelize);
  if (found.length) {
    throw new DemoAccountsInProductionError(
      `Demo accounts with public passwords exist (${found.join(', ')}): NODE_ENV=production refuses to start. ` +
        'Delete these accounts or give them new passwords (npm run user), then start again.',
    );
  }
}

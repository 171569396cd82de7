/**
 * src/db/pipeline.ts: statements handed over together go out as one message, with the values node-pg would
 * bind, prepared once per connection; a read after a lock statement in the same message sees what the lock's
 * previous holder committed; a failure keeps nothing; `commitWith` ends the transaction with the statement.
 */
import { expect } from 'chai';
import pg from 'pg';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { resetDb, countQueries } from '../helpers/db.js';
import { send, commitWith, commitThenRead, guarded, inTransaction, positional } from '../../src/db/pipeline.js';
import { namedQuery } from '../../src/db/named-query.js';
import { createSequelize } from '../../src/db/sequelize.js';
import { createPgSessionStore } from '../../src/http/auth/session.js';
import { withActiveUserCheck } from '../../src/http/auth/session-user.js';
import { testConfig } from '../helpers/db.js';

describe('pipeline: statements sent together (src/db/pipeline.ts)', () => {
  let sequelize: Sequelize;
  beforeEach(async () => {
    sequelize = await resetDb();
    await sequelize.query(`DROP TABLE IF EXISTS pipeline_probe; CREATE TABLE pipeline_probe (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)`);
    await sequelize.query(`INSERT INTO pipeline_probe (id) VALUES (1)`);
  });
  after(async () => {
    await sequelize.query(`DROP TABLE IF EXISTS pipeline_probe`);
  });

  const backendPid = async (t: Transaction) => (await send<{ pid: number }>(sequelize, t, 'SELECT pg_backend_pid() AS pid'))[0]!.pid;

  it('values arrive as node-pg binds them: text with quotes, backslashes and hangul, nulls, arrays, dates, JSON, numbers, booleans', async () => {
    const at = new Date('2026-12-06T01:02:03.456Z');
    const rows = await inTransaction(sequelize, (t) =>
      send<Record<string, unknown>>(
        sequelize,
        t,
        `SELECT $1::text AS text, $2::text AS none, $3::uuid[] AS ids, $4::text[] AS texts, $5::timestamptz AS at, $6::jsonb AS doc, $7::integer AS n, $8::boolean AS yes`,
        {
          bind: [
            `O'Reilly \\ "홍길동" $1 ;`,
            null,
            ['00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002'],
            ['a,b', null, '{x}', 'q"uote'],
            at,
            JSON.stringify({ k: "it's", arr: [1, 2] }),
            -42,
            true,
          ],
        },
      ),
    );
    expect(rows[0]).to.deep.equal({
      text: `O'Reilly \\ "홍길동" $1 ;`,
      none: null,
      ids: ['00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002'],
      texts: ['a,b', null, '{x}', 'q"uote'],
      at,
      doc: { k: "it's", arr: [1, 2] },
      n: -42,
      yes: true,
    });
  });

  it('named replacements become positional ones (casts left alone)', () => {
    const p = positional(`SELECT :a::int, CAST(:b AS uuid[]), :a, ':x'`, { a: 1, b: '{}' });
    expect(p.sql).to.equal(`SELECT $1::int, CAST($2 AS uuid[]), $1, ':x'`);
    expect(p.bind).to.deep.equal([1, '{}']);
  });

  it('statements handed over together run in order on one connection, each counted once, and are prepared once per connection', async () => {
    let pid = 0;
    const n = await countQueries(() =>
      inTransaction(sequelize, async (t) => {
        pid = await backendPid(t);
        const [a, b, c] = await Promise.all([
          send<{ n: number }>(sequelize, t, 'UPDATE pipeline_probe SET n = n + $1 WHERE id = 1 RETURNING n', { bind: [5] }),
          send<{ n: number }>(sequelize, t, 'UPDATE pipeline_probe SET n = n * $1 WHERE id = 1 RETURNING n', { bind: [10] }),
          send<{ n: number }>(sequelize, t, 'SELECT n FROM pipeline_probe WHERE id = $1', { bind: [1] }),
        ]);
        expect([a[0]!.n, b[0]!.n, c[0]!.n]).to.deep.equal([5, 50, 50]);
      }),
    );
    expect(n, 'the pid probe and the three statements').to.equal(4);
    // the same statement again on one connection: EXECUTE only (a second PREPARE of the name would fail)
    const counts = await inTransaction(sequelize, async (t) => {
      const count = async () => (await send<{ n: number }>(sequelize, t, `SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'pl\\_%'`))[0]!.n;
      const before = await count();
      await send(sequelize, t, 'SELECT n + 0 AS n FROM pipeline_probe WHERE id = $1', { bind: [1] });
      await send(sequelize, t, 'SELECT n + 0 AS n FROM pipeline_probe WHERE id = $1', { bind: [1] });
      return { before, after: await count() };
    });
    expect(counts.after - counts.before, 'one PREPARE for two runs').to.equal(1);
    expect(pid).to.be.a('number');
  });

  it('prepared statements run with their generic plan (no planning per run), and the setting is back to auto after', async () => {
    const out = await inTransaction(sequelize, async (t) => {
      for (const id of [1, 2, 3]) await send(sequelize, t, 'SELECT n FROM pipeline_probe WHERE id = $1 AND n >= $2', { bind: [id, 0] });
      const [plans] = await send<{ generic_plans: string; custom_plans: string }>(
        sequelize,
        t,
        `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%pipeline_probe WHERE id = $1 AND n >= $2%'`,
      );
      const [mode] = await send<{ mode: string }>(sequelize, t, `SELECT current_setting('plan_cache_mode') AS mode`);
      return { generic: Number(plans!.generic_plans), custom: Number(plans!.custom_plans), mode: mode!.mode };
    });
    expect(out).to.deep.equal({ generic: 3, custom: 0, mode: 'auto' });
  });

  it('a read sent right behind a lock statement sees the commit of the lock holder it waited for', async () => {
    const holder = await sequelize.transaction();
    await sequelize.query('SELECT * FROM pipeline_probe WHERE id = 1 FOR UPDATE', { transaction: holder });
    await sequelize.query('UPDATE pipeline_probe SET n = 7 WHERE id = 1', { transaction: holder });
    const waiting = inTransaction(sequelize, async (t) => {
      const [, read] = await Promise.all([
        send(sequelize, t, 'SELECT id FROM pipeline_probe WHERE id = $1 FOR UPDATE', { bind: [1] }),
        send<{ n: number }>(sequelize, t, 'SELECT n FROM pipeline_probe WHERE id = $1', { bind: [1] }),
      ]);
      return read[0]!.n;
    });
    await new Promise((r) => setTimeout(r, 300)); // the message is in PostgreSQL, waiting for the lock
    await holder.commit();
    expect(await waiting, 'the read ran after the lock was granted, with a new snapshot').to.equal(7);
  });

  it('a failing statement rejects its whole message, keeps nothing, and the connection prepares afresh', async () => {
    let failed: unknown = null;
    try {
      await inTransaction(sequelize, async (t) => {
        await Promise.all([
          send(sequelize, t, 'UPDATE pipeline_probe SET n = $1 WHERE id = 1', { bind: [99] }),
          send(sequelize, t, 'INSERT INTO pipeline_probe (id) VALUES ($1)', { bind: [1] }), // duplicate key
          send(sequelize, t, 'UPDATE pipeline_probe SET n = $1 WHERE id = 1', { bind: [100] }),
        ]);
      });
    } catch (e) {
      failed = e;
    }
    expect((failed as { code?: string }).code).to.equal('23505');
    const [[row]] = (await sequelize.query('SELECT n FROM pipeline_probe WHERE id = 1')) as [Array<{ n: number }>, unknown];
    expect(row!.n).to.equal(0);
    // every pooled connection still runs the same statements (a dirty one first deallocates the pipeline's statements)
    for (let i = 0; i < 3; i++) {
      await inTransaction(sequelize, (t) => send(sequelize, t, 'UPDATE pipeline_probe SET n = $1 WHERE id = 1', { bind: [i] }));
    }
    const [[after]] = (await sequelize.query('SELECT n FROM pipeline_probe WHERE id = 1')) as [Array<{ n: number }>, unknown];
    expect(after!.n).to.equal(2);
  });

  it('commitWith: the statement and its COMMIT in one message; afterCommit hooks run; a failure there rolls back', async () => {
    let hooked = 0;
    const rows = await inTransaction(sequelize, async (t) => {
      t.afterCommit(() => {
        hooked++;
      });
      await send(sequelize, t, 'UPDATE pipeline_probe SET n = $1 WHERE id = 1', { bind: [3] });
      return commitWith<{ n: number }>(sequelize, t, 'UPDATE pipeline_probe SET n = n + $1 WHERE id = 1 RETURNING n', { bind: [1] });
    });
    expect(rows[0]!.n).to.equal(4);
    expect(hooked).to.equal(1);
    const err = await inTransaction(sequelize, async (t) => {
      t.afterCommit(() => {
        hooked++;
      });
      await send(sequelize, t, 'UPDATE pipeline_probe SET n = $1 WHERE id = 1', { bind: [50] });
      return commitWith(sequelize, t, 'INSERT INTO pipeline_probe (id) VALUES ($1)', { bind: [1] });
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).to.equal('23505');
    expect(hooked, 'no afterCommit after a rollback').to.equal(1);
    const [[row]] = (await sequelize.query('SELECT n FROM pipeline_probe WHERE id = 1')) as [Array<{ n: number }>, unknown];
    expect(row!.n, 'the first update of the failed transaction was not kept').to.equal(4);
    // its connection went back to the pool in a usable state
    const again = await inTransaction(sequelize, (t) => commitWith<{ n: number }>(sequelize, t, 'SELECT n FROM pipeline_probe WHERE id = $1', { bind: [1] }));
    expect(again[0]!.n).to.equal(4);
  });

  it('commitThenRead: the read behind the COMMIT sees it, holds none of its locks, runs with its generic plan; its failure fails the message', async () => {
    const seen = await inTransaction(sequelize, async (t) => {
      await send(sequelize, t, 'SELECT n FROM pipeline_probe WHERE id = $1 FOR UPDATE', { bind: [1] });
      return commitThenRead<{ n: number }, { n: number; locks: number; mode: string }>(
        sequelize,
        t,
        'UPDATE pipeline_probe SET n = $1 WHERE id = 1 RETURNING n',
        { bind: [7] },
        // the writing transaction, while open, holds the lock of its own transaction id (its row locks wait on it)
        `SELECT n, (SELECT count(*)::int FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'transactionid') AS locks,
                current_setting('plan_cache_mode') AS mode
           FROM pipeline_probe WHERE id = $1`,
        { bind: [1] },
      );
    });
    expect(seen.rows[0]!.n).to.equal(7);
    expect(seen.after[0]!.n, 'the read sees the committed update').to.equal(7);
    expect(seen.after[0]!.locks, 'the transaction that wrote is over: none of its locks').to.equal(0);
    expect(seen.after[0]!.mode).to.equal('force_generic_plan');
    // nobody waits: another connection locks the row at once
    const other = await sequelize.transaction();
    await sequelize.query(`SET LOCAL lock_timeout = '200ms'; SELECT id FROM pipeline_probe WHERE id = 1 FOR UPDATE NOWAIT`, { transaction: other });
    await other.rollback();
    // after it, the connection is back to auto plans (a Sequelize statement on it is planned as usual)
    const [[mode]] = (await sequelize.query(`SELECT current_setting('plan_cache_mode') AS mode`)) as [Array<{ mode: string }>, unknown];
    expect(mode!.mode).to.equal('auto');
    // a failing read fails the message as seen by the caller — the COMMIT before it went through
    const err = await inTransaction(sequelize, (t) =>
      commitThenRead(sequelize, t, 'UPDATE pipeline_probe SET n = $1 WHERE id = 1', { bind: [8] }, 'SELECT 1 / (n - n) FROM pipeline_probe WHERE id = $1', { bind: [1] }),
    ).catch((e: unknown) => e);
    expect((err as { code?: string }).code).to.equal('22012');
    const [[row]] = (await sequelize.query('SELECT n FROM pipeline_probe WHERE id = 1')) as [Array<{ n: number }>, unknown];
    expect(row!.n, 'committed before the read failed').to.equal(8);
    const again = await inTransaction(sequelize, (t) => commitWith<{ n: number }>(sequelize, t, 'SELECT n FROM pipeline_probe WHERE id = $1', { bind: [1] }));
    expect(again[0]!.n).to.equal(8);
  });

  it('the BEGIN goes with the first statement: a checkout-shaped transaction is two round trips, and still one transaction', async () => {
    // messages sent on the connection, counted at node-pg (what goes over the wire), BEGIN and COMMIT included
    const messages: string[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string };
      messages.push(typeof first === 'string' ? first : (first?.text ?? ''));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    let pids: number[] = [];
    try {
      const rows = await inTransaction(sequelize, async (t) => {
        const [locked, , pid] = await Promise.all([
          send<{ n: number }>(sequelize, t, 'SELECT n FROM pipeline_probe WHERE id = $1 FOR UPDATE', { bind: [1] }),
          send<{ n: number }>(sequelize, t, 'SELECT n + $2 AS n FROM pipeline_probe WHERE id = $1', { bind: [1, 0] }),
          backendPid(t),
        ]);
        const out = await commitWith<{ n: number; pid: number }>(sequelize, t, 'UPDATE pipeline_probe SET n = $1 WHERE id = 1 RETURNING n, pg_backend_pid() AS pid', { bind: [locked[0]!.n + 1] });
        pids = [pid, out[0]!.pid];
        return out;
      });
      expect(rows[0]!.n).to.equal(1);
    } finally {
      pg.Client.prototype.query = original;
    }
    const tx = messages.filter((m) => /pipeline_probe|pg_backend_pid|START TRANSACTION|COMMIT/.test(m));
    expect(tx, 'BEGIN + the lock, a read and the probe in one message, then the write with its COMMIT').to.have.length(2);
    expect(tx[0]).to.match(/^START TRANSACTION;/);
    // the two prepared reads run under one generic-plan setting, set back before the plain probe
    expect(tx[0]!.match(/SET LOCAL plan_cache_mode/g), 'one SET before the run of EXECUTEs, one after').to.have.length(2);
    expect(tx[1]).to.match(/COMMIT$/);
    expect(tx[1]!.match(/SET LOCAL plan_cache_mode/g), 'nothing to set back before the COMMIT').to.have.length(1);
    expect(pids[0]).to.equal(pids[1]);

    // a first statement that goes through Sequelize (not handed over here) runs inside the transaction too:
    // now() is the transaction's start, the same for two statements 20 ms apart only inside one
    const [a, b] = await inTransaction(sequelize, async (t) => {
      const [x] = await sequelize.query<{ at: Date }>('SELECT now() AS at', { transaction: t, type: QueryTypes.SELECT });
      await sequelize.query('SELECT pg_sleep(0.02)', { transaction: t });
      const [y] = await send<{ at: Date }>(sequelize, t, 'SELECT now() AS at');
      return [x!.at, y!.at];
    });
    expect(a.getTime()).to.equal(b.getTime());
    // and a rollback undoes a Sequelize-first write
    const err = await inTransaction(sequelize, async (t) => {
      await sequelize.query('UPDATE pipeline_probe SET n = 42 WHERE id = 1', { transaction: t });
      throw new Error('changed my mind');
    }).catch((e: unknown) => e);
    expect((err as Error).message).to.equal('changed my mind');
    const [[row]] = (await sequelize.query('SELECT n FROM pipeline_probe WHERE id = 1')) as [Array<{ n: number }>, unknown];
    expect(row!.n).to.equal(1);
  });

  it('guarded: a failing statement in its savepoint leaves the transaction as it was and going; a good one is kept', async () => {
    const outcome = await inTransaction(sequelize, async (t) => {
      await send(sequelize, t, 'UPDATE pipeline_probe SET n = $1 WHERE id = 1', { bind: [7] });
      const err = await guarded(sequelize, t, 'INSERT INTO pipeline_probe (id, n) VALUES ($1, $2)', { bind: [1, 100] }).catch((e: unknown) => e);
      const kept = await guarded<{ id: number }>(sequelize, t, 'INSERT INTO pipeline_probe (id, n) VALUES ($1, $2) RETURNING id', { bind: [2, 5] });
      // the transaction is not aborted: later statements run, and the COMMIT keeps what came before and after
      const [{ n }] = await send<{ n: number }>(sequelize, t, 'SELECT n FROM pipeline_probe WHERE id = $1', { bind: [1] });
      return { code: (err as { code?: string }).code, kept: kept[0]!.id, n };
    });
    expect(outcome).to.deep.equal({ code: '23505', kept: 2, n: 7 });
    const [rows] = (await sequelize.query('SELECT id, n FROM pipeline_probe ORDER BY id')) as [Array<{ id: number; n: number }>, unknown];
    expect(rows).to.deep.equal([
      { id: 1, n: 7 },
      { id: 2, n: 5 },
    ]);
  });

  it("node-pg's named statements (the session read) are parsed once per connection and outlive a failed pipeline message there", async () => {
    const one = createSequelize(testConfig.testDatabaseUrl, { poolMax: 1 }); // every statement on one connection
    try {
      expect(await namedQuery<{ n: number }>(one, 'SELECT $1::int + 1 AS n', [1])).to.deep.equal([{ n: 2 }]);
      // a message that fails after a PREPARE leaves the connection "dirty": the next one deallocates the
      // pipeline's statements — and only those
      const failed = await inTransaction(one, (t) =>
        Promise.all([send(one, t, 'SELECT $1::int AS a', { bind: [1] }), send(one, t, 'SELECT 1 / $1::int AS b', { bind: [0] })]),
      ).catch((e: unknown) => e);
      expect((failed as { code?: string }).code).to.equal('22012');
      expect(await inTransaction(one, (t) => send<{ a: number }>(one, t, 'SELECT $1::int AS a', { bind: [2] }))).to.deep.equal([{ a: 2 }]);
      expect(await namedQuery<{ n: number }>(one, 'SELECT $1::int + 1 AS n', [2])).to.deep.equal([{ n: 3 }]);

      // the session read: two reads of a signed-in session, one prepared statement run twice
      await one.query(`INSERT INTO "session" (sid, sess, expire) VALUES ('sid-probe', '{"cookie":{},"passport":{"user":"999"}}', now() + interval '1 hour')`);
      const store = withActiveUserCheck(createPgSessionStore(one, { prune: false }), one);
      const read = () => new Promise<unknown>((resolve, reject) => store.get('sid-probe', (err, sess) => (err ? reject(err) : resolve(sess))));
      expect(await read()).to.deep.include({ passport: { user: '999' } });
      expect(await read()).to.deep.include({ passport: { user: '999' } });
      const [runs] = await one.query<{ n: number }>(
        `SELECT (generic_plans + custom_plans)::int AS n FROM pg_prepared_statements WHERE name LIKE 'nq\\_%' AND statement LIKE '%FROM "session" s%'`,
        { type: QueryTypes.SELECT },
      );
      expect(runs, 'the session read is a named statement of the connection, run twice').to.deep.equal({ n: 2 });
    } finally {
      await one.close();
    }
  });
});

// Several web processes on one database (WEB_CONCURRENCY, src/cluster.ts; catalogue caches invalidated through
// LISTEN/NOTIFY, src/services/catalog-changes.ts). Real processes of the real entry point (src/main.ts):
//  - two app processes, each with a catalogue cache that would stay stale for a minute (CATALOG_CACHE_MS=60000):
//    a buyer's checkout through one, and an operator's edit from a third connection, show in the other's
//    very next catalogue answer;
//  - failed sign-ins through either process count against one limit (the throttle's counts are in PostgreSQL);
//  - `npm start` with WEB_CONCURRENCY=2 runs two web workers that both serve, and SIGTERM stops them all (exit 0).
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { resetDb, testConfig } from '../helpers/db.js';
import { freePort } from '../helpers/net.js';
import { portoneSim } from '../helpers/app.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';
import { AUTH } from '../helpers/auth.js';

const LIST = '/v1/shop/products/';
const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };

interface Running {
  child: ChildProcess;
  base: string;
  log: () => string;
}

const children: ChildProcess[] = [];

async function startApp(env: Record<string, string>, listening = 1): Promise<Running> {
  const sim = await portoneSim();
  const port = await freePort();
  let log = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'development',
      DATABASE_URL: testConfig.testDatabaseUrl,
      SECRET_KEY: testConfig.secretKey,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ADMIN_ENABLED: 'false',
      SEED_DEMO: 'false',
      JOBS_IN_PROCESS: 'false',
      PASSWORD_HASH_ROUNDS: '4',
      PORTONE_API_URL: sim.url,
      PORTONE_IMP_KEY: 'test-imp-key',
      PORTONE_IMP_SECRET: 'test-imp-secret',
      NHN_DEMO_FAKE: 'false', // no fake NHN server per process (a fixed port: two processes would collide)
      CATALOG_CACHE_MS: '60000', // only a notification can make another process's write show within the test
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.on('data', (d) => (log += String(d)));
  child.stderr!.on('data', (d) => (log += String(d)));
  const started = Date.now();
  while ((log.match(/"msg":"listening"[^\n]*\n/g) ?? []).length < listening) {
    if (child.exitCode !== null) throw new Error(`the app exited ${child.exitCode}:\n${log}`);
    if (Date.now() - started > 150_000) throw new Error(`the app did not listen within 150 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, base: `http://127.0.0.1:${port}`, log: () => log };
}

async function stop(r: Running): Promise<number | null> {
  if (r.child.exitCode !== null) return r.child.exitCode;
  const exit = new Promise<number | null>((resolve) => r.child.once('exit', (code) => resolve(code)));
  r.child.kill('SIGTERM');
  return exit;
}

type Dto = { id: string; name: string; leftover_stock: number | null };
const find = async (base: string, id: string) => ((await request(base).get(LIST).expect(200)).body as Dto[]).find((p) => p.id === id);

describe('several web processes on one database', function () {
  this.timeout(300_000);

  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it("a write through one process (or any other connection) shows in the other's cached catalogue at once", async () => {
    await resetDb();
    const product = await makeProduct({ stock: 10, nameKo: '티켓' });
    const password = 'buyer-pass-1234';
    const buyer = await makeUser({}, password);
    // one after the other: each start runs the pending seeders, and two at once would race on them
    const victim = await makeUser({}, 'victim-pass-1234');
    const limits = { LOGIN_THROTTLE_MAX_PER_EMAIL: '3', LOGIN_THROTTLE_MAX_PER_IP: '100' };
    const a = await startApp(limits);
    const b = await startApp(limits);
    try {
      // both caches warm: without LISTEN/NOTIFY these answers would be served for the next 60 s
      expect((await find(a.base, product.id))!.leftover_stock).to.equal(10);
      expect((await find(b.base, product.id))!.leftover_stock).to.equal(10);
      expect((await find(b.base, product.id))!.leftover_stock).to.equal(10);

      // a buy-now checkout through process A holds one unit
      const agent = request.agent(a.base);
      const first = await agent.get(`${AUTH}/session`).expect(401);
      let csrf = /csrftoken=([^;]+)/.exec(String(first.headers['set-cookie']))![1]!;
      const login = await agent.post(`${AUTH}/login`).set('x-csrftoken', csrf).send({ email: buyer.email, password }).expect(200);
      csrf = /csrftoken=([^;]+)/.exec(String(login.headers['set-cookie']))?.[1] ?? csrf;
      await agent.post('/v1/shop/orders/single/').set('x-csrftoken', csrf).send({ product: product.id, options: [], customer_info: INFO }).expect(201);

      // process B's very next answer shows it (the notification is sent at commit, before A answered;
      // allow it the few milliseconds it takes to arrive)
      const deadline = Date.now() + 1000;
      let seen = (await find(b.base, product.id))!.leftover_stock;
      while (seen !== 9 && Date.now() < deadline) seen = (await find(b.base, product.id))!.leftover_stock;
      expect(seen).to.equal(9);

      // an edit from a third connection (the panel of another process, a CLI, psql) reaches both
      await product.update({ nameKo: '티켓 (얼리버드)' });
      const renamed = async (base: string) => {
        const end = Date.now() + 1000;
        let name = (await find(base, product.id))!.name;
        while (name !== '티켓 (얼리버드)' && Date.now() < end) name = (await find(base, product.id))!.name;
        return name;
      };
      expect(await renamed(a.base)).to.equal('티켓 (얼리버드)');
      expect(await renamed(b.base)).to.equal('티켓 (얼리버드)');

      // sign-in throttle: 2 wrong passwords through A and 1 through B reach the limit of 3 for that e-mail;
      // in memory per process each would have counted only its own (and the right password would pass)
      const tryLogin = async (base: string, password: string) => {
        const ag = request.agent(base);
        const r = await ag.get(`${AUTH}/session`).expect(401);
        const token = /csrftoken=([^;]+)/.exec(String(r.headers['set-cookie']))![1]!;
        return (await ag.post(`${AUTH}/login`).set('x-csrftoken', token).send({ email: victim.email, password })).status;
      };
      expect(await tryLogin(a.base, 'wrong-1')).to.equal(400);
      expect(await tryLogin(a.base, 'wrong-2')).to.equal(400);
      expect(await tryLogin(b.base, 'wrong-3')).to.equal(400);
      expect(await tryLogin(b.base, 'victim-pass-1234')).to.equal(429);
      expect(await tryLogin(a.base, 'victim-pass-1234')).to.equal(429);
    } finally {
      expect(await stop(a)).to.equal(0);
      expect(await stop(b)).to.equal(0);
    }
  });

  it('WEB_CONCURRENCY=2 runs two web workers behind one port; SIGTERM stops them all (exit 0)', async () => {
    await resetDb();
    await makeProduct({ stock: 5 });
    const app = await startApp({ WEB_CONCURRENCY: '2' }, 2);
    const workers = app
      .log()
      .split('\n')
      .filter((l) => l.includes('"msg":"listening"'))
      .map((l) => (JSON.parse(l) as { pid: number }).pid);
    expect(new Set(workers).size, app.log()).to.equal(2);
    expect(workers).to.not.include(app.child.pid);
    // the listening socket takes a ticket opening's burst of connections: its backlog (Send-Q of a LISTEN
    // socket) is src/main.ts's 4,096 (capped by net.core.somaxconn), not Node's default 511
    const port = new URL(app.base).port;
    const ss = spawnSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
    if (ss.status === 0) {
      const backlogs = ss.stdout.trim().split('\n').map((l) => Number(l.trim().split(/\s+/)[2]));
      const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
      expect(backlogs, ss.stdout).to.deep.equal([Math.min(4096, somaxconn)]);
    }
    for (let i = 0; i < 6; i++) expect((await request(app.base).get(LIST).expect(200)).body).to.have.length(1);
    expect(await stop(app), app.log()).to.equal(0);
    for (const pid of workers) expect(() => process.kill(pid, 0), `worker ${pid} still running`).to.throw();
  });
});

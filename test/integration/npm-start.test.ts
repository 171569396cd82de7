// The README's first command, end to end: `npm start` (src/main.ts) on a fresh database migrates, seeds the
// demo catalogue and accounts, serves the API with the admin panel mounted and — without PortOne credentials —
// talks to the in-process PortOne simulator, so a demo buyer can sign in, check out, pay and see the order
// paid. SIGTERM stops it cleanly. Runs the real entry point as a child process (as a person would).
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import request from 'supertest';
import { testConfig } from '../helpers/db.js';
import { freePort } from '../helpers/net.js';

async function admin(sql: string): Promise<void> {
  const u = new URL(testConfig.testDatabaseUrl);
  u.pathname = '/postgres';
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

describe('npm start (the demo, end to end)', function () {
  this.timeout(240_000);
  const dbName = `shop_start_${process.pid}`;
  let child: ChildProcess | null = null;
  let log = '';

  before(async () => {
    await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin(`CREATE DATABASE "${dbName}"`);
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
  });

  it('migrates, seeds, serves; the demo buyer pays through the in-process simulator; SIGTERM exits 0', async () => {
    const url = new URL(testConfig.testDatabaseUrl);
    url.pathname = `/${dbName}`;
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: url.toString(),
      PORT: String(port),
      HOST: '127.0.0.1',
      PORTONE_SIM_PORT: '0', // any free port: the app logs where it is
      NHN_FAKE_PORT: '0',
      LOG_LEVEL: 'info',
    };
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (log += String(d)));
    child.stderr!.on('data', (d) => (log += String(d)));
    const started = Date.now();
    while (!/"msg":"listening"/.test(log)) {
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${log}`);
      if (Date.now() - started > 120_000) throw new Error(`npm start did not listen within 120 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const simUrl = JSON.parse(log.split('\n').find((l) => l.includes('PortOne simulator in use'))!).url as string;
    const base = `http://127.0.0.1:${port}`;

    const products = (await request(base).get('/v1/shop/products/').expect(200)).body as Array<{ id: string; name: string; option_groups: unknown[] }>;
    expect(products.length).to.be.greaterThan(0);
    const mug = products.find((p) => p.option_groups.length === 0)!;
    expect(mug, 'the demo catalogue has a product without options').to.not.equal(undefined);

    const agent = request.agent(base);
    const AUTH = '/authn/social/browser/v1/auth';
    const first = await agent.get(`${AUTH}/session`).expect(401);
    let csrf = /csrftoken=([^;]+)/.exec(String(first.headers['set-cookie']))![1]!;
    const login = await agent.post(`${AUTH}/login`).set('x-csrftoken', csrf).send({ email: 'buyer@example.com', password: 'buyer-demo-pass' }).expect(200);
    csrf = /csrftoken=([^;]+)/.exec(String(login.headers['set-cookie']))?.[1] ?? csrf;
    await agent.post('/v1/shop/orders/cart/products/').set('x-csrftoken', csrf).send({ product: mug.id, options: [] }).expect(201);
    const order = (
      await agent
        .post('/v1/shop/orders/')
        .set('x-csrftoken', csrf)
        .send({ name: '홍길동', phone: '010-1234-5678', email: 'buyer@example.com', organization: '' })
        .expect(201)
    ).body as { id: string; merchant_uid: string };
    // what the PortOne widget would do: pay; the simulator sends the webhook to the app
    const paid = (await request(simUrl).post('/__sim/pay').send({ merchant_uid: order.merchant_uid }).expect(200)).body;
    expect(paid.webhook.status).to.equal(200);
    const mine = (await agent.get(`/v1/shop/orders/${order.id}/`).expect(200)).body;
    expect(mine).to.include({ current_status: 'completed' });
    // the demo's checked-in ticket: its participation certificate is issued and downloaded as a PDF
    const orders = (await agent.get('/v1/shop/orders/').expect(200)).body as Array<{ id: string; products: Array<{ id: string; certificate_status: string }> }>;
    const ticketOrder = orders.find((o) => o.products.some((p) => p.certificate_status === 'issuable'));
    expect(ticketOrder, 'the demo has a checked-in ticket').to.not.equal(undefined);
    const ticket = ticketOrder!.products.find((p) => p.certificate_status === 'issuable')!;
    const issued = await agent.post(`/v1/shop/orders/${ticketOrder!.id}/products/${ticket.id}/certificate/`).set('x-csrftoken', csrf).send({}).expect(200);
    const pdf = await agent.get(new URL(issued.body.download_url as string).pathname).expect(200);
    expect(pdf.headers['content-type']).to.equal('application/pdf');
    // the admin panel is mounted too
    const panel = await request(base).get('/admin/login');
    expect(panel.status).to.equal(200);

    // SIGTERM while a checkout is running (PortOne answering slowly): the checkout still gets its answer,
    // then the process exits 0
    await agent.post('/v1/shop/orders/cart/products/').set('x-csrftoken', csrf).send({ product: mug.id, options: [] }).expect(201);
    await request(simUrl).post('/__sim/latency').send({ ms: 1500 }).expect(200);
    const running = agent
      .post('/v1/shop/orders/')
      .set('x-csrftoken', csrf)
      .send({ name: '홍길동', phone: '010-1234-5678', email: 'buyer@example.com', organization: '' })
      .then((r) => r.status, (e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 500));
    const exit = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await running, 'the checkout running at SIGTERM is answered').to.equal(201);
    expect(await exit).to.equal(0);
  });
});

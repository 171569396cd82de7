import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { httpExchange, HttpTimeoutError } from '../../src/portone/http-exchange.js';
import { createPortOneClient, PortOneError } from '../../src/portone/client.js';

/** A local server whose behaviour each test sets; it counts the connections it accepted. */
describe('PortOne transport (node:http with keep-alive)', () => {
  let server: http.Server;
  let base: string;
  let connections = 0;
  const sockets = new Set<Socket>();
  let handler: http.RequestListener = (_req, res) => res.end();

  before(async () => {
    server = http.createServer((req, res) => handler(req, res));
    server.on('connection', (s) => {
      connections++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('sends the method, headers and body with its length, returns status and text, and reuses the connection', async () => {
    const seen: Array<{ method?: string; auth?: string; length?: string; body: string }> = [];
    handler = (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method, auth: req.headers.authorization, length: req.headers['content-length'], body });
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 0, echo: body }));
      });
    };
    const before = connections;
    const body = JSON.stringify({ merchant_uid: '주문-1', amount: 1000 });
    const a = await httpExchange(`${base}/payments/prepare`, { method: 'POST', headers: { Authorization: 'tok' }, body, timeoutMs: 2000 });
    const b = await httpExchange(`${base}/payments/prepare`, { method: 'PUT', headers: {}, body, timeoutMs: 2000 });
    expect(a.status).to.equal(201);
    expect(JSON.parse(a.text)).to.deep.equal({ code: 0, echo: body });
    expect(b.status).to.equal(201);
    expect(seen[0]).to.deep.equal({ method: 'POST', auth: 'tok', length: String(Buffer.byteLength(body)), body });
    expect(seen[1]!.method).to.equal('PUT');
    expect(connections - before, 'one kept-alive connection for both').to.equal(1);
  });

  it('a server that sends its headers and then stalls is cut off at the timeout', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"code":0,');
      // never finishes
    };
    const started = Date.now();
    const err = await httpExchange(`${base}/payments/x`, { method: 'GET', headers: {}, timeoutMs: 150 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(HttpTimeoutError);
    expect(Date.now() - started).to.be.within(100, 2000);
  });

  it('an answer cut off mid-body is an error, never a partial text', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"code":0,', () => res.socket?.destroy());
    };
    const err = await httpExchange(`${base}/payments/x`, { method: 'GET', headers: {}, timeoutMs: 2000 }).then(
      (a) => a,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(Error);
    expect(err).to.not.be.instanceOf(HttpTimeoutError);
  });

  it('through the PortOne client: a stalled body is a timeout PortOneError, a cut one a network PortOneError', async () => {
    const client = createPortOneClient({ apiUrl: base, impKey: 'k', impSecret: 's', timeoutMs: 150 });
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"code":0,');
    };
    const stalled = await client.getToken().then(() => null, (e: unknown) => e);
    expect(stalled).to.be.instanceOf(PortOneError);
    expect((stalled as PortOneError).kind).to.equal('timeout');
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"code":0,', () => res.socket?.destroy());
    };
    const cut = await client.getToken().then(() => null, (e: unknown) => e);
    expect(cut).to.be.instanceOf(PortOneError);
    expect((cut as PortOneError).kind).to.equal('network');
  });
  it('a kept-alive connection the server dropped meanwhile: a repeatable request is sent once more on a fresh one (only then)', async () => {
    let n = 0;
    handler = (req, res) => {
      n++;
      // the second request is the one on the reused connection: the server drops it without an answer,
      // as a server closing an idle kept-alive connection does when a request crosses the close
      if (n === 2) return req.socket.destroy();
      res.end(JSON.stringify({ n }));
    };
    const before = connections;
    expect(JSON.parse((await httpExchange(`${base}/a`, { method: 'GET', headers: {}, timeoutMs: 2000 })).text)).to.deep.equal({ n: 1 });
    const again = await httpExchange(`${base}/b`, { method: 'POST', headers: {}, body: '{}', timeoutMs: 2000, repeatable: true });
    expect(JSON.parse(again.text)).to.deep.equal({ n: 3 });
    expect(connections - before, 'the first connection, then a fresh one for the retry').to.equal(2);

    // a fresh connection that fails is not retried (the request may have reached a server that then died)
    for (const sock of sockets) sock.destroy();
    await new Promise((r) => setTimeout(r, 50)); // the agent drops its closed idle connection
    n = 0;
    handler = (req) => {
      n++;
      req.socket.destroy();
    };
    const err = await httpExchange(`${base}/c`, { method: 'POST', headers: {}, body: '{}', timeoutMs: 2000, repeatable: true }).then(
      () => null,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(err?.code).to.equal('ECONNRESET');
    expect(n, 'sent once').to.equal(1);

    // a request that must not go out twice (a cancel) is not sent again on a fresh connection
    n = 0;
    handler = (req, res) => {
      n++;
      if (n === 2) return req.socket.destroy();
      res.end('{}');
    };
    await httpExchange(`${base}/d`, { method: 'GET', headers: {}, timeoutMs: 2000, repeatable: true });
    const cancel = await httpExchange(`${base}/payments/cancel`, { method: 'POST', headers: {}, body: '{}', timeoutMs: 2000 }).then(
      () => null,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(cancel?.code).to.equal('ECONNRESET');
    expect(n, 'the cancel went out once').to.equal(2);
  });
});

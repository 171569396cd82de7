// Answers on the wire: brotli / gzip for what is over 1 KB (the catalogue's bytes compressed once per body,
// src/http/encoded-body.ts; everything else by the `compression` middleware), and ETag / If-None-Match → 304
// on the catalogue and the order list. Raw HTTP (node:http), so the test sees the bytes as sent, not as a
// client library decoded them.
import { expect } from 'chai';
import express, { type Express } from 'express';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { resetDb } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { makeProduct, makeGroup, makeOption, makeOrder, makeUser } from '../helpers/fixtures.js';
import type { User } from '../../src/models/index.js';

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
let base: string;
let as: User | null = null; // the buyer the outer app signs in (null: anonymous)

function get(path: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const decode = (r: Raw): string =>
  (r.headers['content-encoding'] === 'br' ? brotliDecompressSync(r.body) : r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body).toString();

const BROWSER = { 'accept-encoding': 'gzip, deflate, br' };
const LIST = '/v1/shop/products/';

describe('compression and ETag / 304 on the catalogue and the order list', () => {
  let buyer: User;

  beforeEach(async () => {
    await resetDb();
    for (let i = 0; i < 6; i++) {
      const p = await makeProduct({ stock: 100, descriptionKo: `설명 ${i} `.repeat(40) });
      const g = await makeGroup(p);
      await makeOption(g, { stock: 10 });
    }
    buyer = await makeUser();
    const app: Express = await makeApp();
    const outer = express();
    outer.use((req, _res, next) => {
      if (as) req.user = { id: as.id };
      next();
    });
    outer.use(app);
    server = outer.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    as = null;
  });

  afterEach(() => {
    server.close();
  });

  it('the catalogue: brotli for a browser, gzip for a gzip-only client, plain without Accept-Encoding; same content', async () => {
    const plain = await get(LIST);
    expect(plain.status).to.equal(200);
    expect(plain.headers['content-encoding']).to.equal(undefined);
    expect(plain.body.length).to.be.greaterThan(1024);
    expect(JSON.parse(plain.body.toString())).to.have.length(6);

    const br = await get(LIST, BROWSER);
    expect(br.headers['content-encoding']).to.equal('br');
    expect(String(br.headers.vary)).to.match(/accept-encoding/i);
    expect(br.body.length).to.be.lessThan(plain.body.length / 3);
    expect(decode(br)).to.equal(plain.body.toString());
    expect(Number(br.headers['content-length'])).to.equal(br.body.length);

    const gz = await get(LIST, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).to.equal('gzip');
    expect(decode(gz)).to.equal(plain.body.toString());

    const refused = await get(LIST, { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(refused.headers['content-encoding']).to.equal(undefined);
    expect(plain.headers['cache-control']).to.equal('private, no-cache');
  });

  it('the catalogue: If-None-Match with the current ETag → 304 without a body (any encoding); after a write → 200', async () => {
    const first = await get(LIST, BROWSER);
    const etag = first.headers.etag!;
    expect(etag).to.match(/^W\/"/);
    const again = await get(LIST, { ...BROWSER, 'if-none-match': etag });
    expect(again.status).to.equal(304);
    expect(again.body.length).to.equal(0);
    expect((await get(LIST, { 'if-none-match': etag })).status).to.equal(304);

    await makeProduct({ stock: 1 }); // the catalogue changed
    const changed = await get(LIST, { ...BROWSER, 'if-none-match': etag });
    expect(changed.status).to.equal(200);
    expect(changed.headers.etag).to.not.equal(etag);
    expect(JSON.parse(decode(changed))).to.have.length(7);
  });

  it("a signed-in buyer's catalogue is compressed and revalidated the same way", async () => {
    as = buyer;
    const br = await get(LIST, BROWSER);
    expect(br.headers['content-encoding']).to.equal('br');
    expect(JSON.parse(decode(br))).to.have.length(6);
    expect((await get(LIST, { ...BROWSER, 'if-none-match': br.headers.etag! })).status).to.equal(304);
  });

  it('the order list: compressed, ETag, 304 while unchanged, private; a new order → 200', async () => {
    const products = await Promise.all([0, 1, 2].map(() => makeProduct({ stock: 100 })));
    for (let i = 0; i < 4; i++) await makeOrder(buyer, products.map((product) => ({ product })));
    as = buyer;
    const plain = await get('/v1/shop/orders/');
    expect(plain.status).to.equal(200);
    expect(JSON.parse(plain.body.toString())).to.have.length(4);
    expect(plain.body.length).to.be.greaterThan(1024);
    expect(plain.headers['cache-control']).to.equal('private, no-cache');

    const gz = await get('/v1/shop/orders/', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).to.equal('gzip');
    expect(decode(gz)).to.equal(plain.body.toString());
    const br = await get('/v1/shop/orders/', BROWSER);
    expect(br.headers['content-encoding']).to.equal('br');
    expect(decode(br)).to.equal(plain.body.toString());

    const etag = plain.headers.etag!;
    expect(etag).to.be.a('string');
    const same = await get('/v1/shop/orders/', { ...BROWSER, 'if-none-match': etag });
    expect(same.status).to.equal(304);
    expect(same.body.length).to.equal(0);

    await makeOrder(buyer, [{ product: products[0]! }]);
    const changed = await get('/v1/shop/orders/', { 'if-none-match': etag });
    expect(changed.status).to.equal(200);
    expect(JSON.parse(changed.body.toString())).to.have.length(5);
  });

  it('a small answer is sent as it is (not worth compressing)', async () => {
    const r = await get('/healthz', BROWSER);
    expect(r.status).to.equal(200);
    expect(r.headers['content-encoding']).to.equal(undefined);
  });
});

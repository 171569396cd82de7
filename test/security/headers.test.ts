/**
 * Security headers on the API and the admin panel (helmet): nosniff, a CSP with frame-ancestors, HSTS in
 * production only; the panel's CSP admits AdminJS's inline bootstrap scripts through a per-response nonce
 * (the browser test checks the panel works under it); `/admin` refuses unsafe requests with `Origin: null`.
 */
import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/http/app.js';
import express from 'express';
import { adminSecurityHeaders } from '../../src/http/security-headers.js';
import { parseConfig } from '../../src/config.js';
import { resetDb, testDb, testEnv } from '../helpers/db.js';
import { makeApp, portoneClient } from '../helpers/app.js';
import { adminApp, makeStaff, STAFF_PASSWORD } from '../helpers/admin.js';

describe('security: headers and the panel\'s same-origin check', function () {
  this.timeout(60_000);
  before(async () => {
    await resetDb();
  });

  it('API answers: nosniff, a deny-all CSP with frame-ancestors, no HSTS outside production', async () => {
    const app = await makeApp();
    for (const path of ['/v1/shop/products/', '/openapi.json', '/v1/shop/nothing-here/']) {
      const res = await request(app).get(path);
      expect(res.headers['x-content-type-options'], path).to.equal('nosniff');
      expect(res.headers['content-security-policy'], path).to.include("default-src 'none'").and.include("frame-ancestors 'none'");
      expect(res.headers['x-frame-options'], path).to.equal('DENY');
      expect(res.headers['strict-transport-security'], path).to.equal(undefined);
      expect(res.headers['x-powered-by'], path).to.equal(undefined);
    }
    // the QR pages keep their own stricter policy
    const qr = await request(app).get('/v1/shop/orders/scancode/?token=x');
    expect(qr.headers['content-security-policy']).to.include("img-src data:");
  });

  it('production: HSTS on the API and the panel', async () => {
    const config = parseConfig({ ...testEnv, NODE_ENV: 'production', SECRET_KEY: 'a-production-secret-0123456789', PORTONE_IMP_KEY: 'k', PORTONE_IMP_SECRET: 's' });
    const app = createApp({ config, sequelize: await testDb(), portone: await portoneClient() });
    const api = await request(app).get('/v1/shop/products/');
    expect(api.headers['strict-transport-security']).to.match(/max-age=31536000/);
    // the panel's own header set (mounting AdminJS in production mode would bundle its components first)
    const panel = express().use(adminSecurityHeaders({ production: true })).get('/x', (_req, res) => res.send('<html><script>1</script></html>'));
    const res = await request(panel).get('/x');
    expect(res.headers['strict-transport-security']).to.match(/max-age=31536000/);
    expect(res.text).to.match(/<script nonce="[^"]+">1<\/script>/);
    const dev = express().use(adminSecurityHeaders({ production: false })).get('/x', (_req, r) => r.send('ok'));
    expect((await request(dev).get('/x')).headers['strict-transport-security']).to.equal(undefined);
  });

  it('the panel: its CSP carries a fresh nonce that every inline script of the page has', async () => {
    const { app } = await adminApp();
    const nonces = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const res = await request(app).get('/admin/login').expect(200);
      const csp = String(res.headers['content-security-policy']);
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
      expect(nonce, csp).to.be.a('string');
      nonces.add(nonce!);
      expect(csp).to.include("frame-ancestors 'none'").and.include("object-src 'none'").and.include("script-src 'self' 'nonce-");
      expect(csp).to.not.match(/script-src[^;]*'unsafe-inline'/);
      const inline = res.text.match(/<script(?![^>]*\bsrc=)[^>]*>/g) ?? [];
      expect(inline.length).to.be.greaterThan(0);
      for (const tag of inline) expect(tag).to.equal(`<script nonce="${nonce}">`);
      expect(res.headers['x-content-type-options']).to.equal('nosniff');
      expect(res.headers['referrer-policy']).to.equal('same-origin');
    }
    expect(nonces.size).to.equal(2);
  });

  it('`Origin: null` and foreign origins are refused on the panel\'s unsafe requests; its own origin is not', async () => {
    const { app } = await adminApp();
    const staff = await makeStaff('manager', { email: 'origin@example.com' });
    for (const origin of ['null', 'https://evil.example']) {
      const res = await request(app).post('/admin/login').set('origin', origin).type('form').send({ email: staff.email, password: STAFF_PASSWORD });
      expect(res.status, origin).to.equal(403);
      expect(res.body.errors[0].code).to.equal('permission_denied');
    }
    const own = await request(app).post('/admin/login').set('host', 'shop.test').set('origin', 'http://shop.test').type('form').send({ email: staff.email, password: STAFF_PASSWORD });
    expect(own.status).to.equal(302);
  });
});

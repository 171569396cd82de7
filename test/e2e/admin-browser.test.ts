/**
 * The admin panel in a real browser (playwright-core + the system's Chromium, headless): sign in, open a
 * product and an order, and refund the order with the operator's TOTP code. Screenshots go to
 * test/artifacts/ (git-ignored). Skips only when no Chromium binary can be found (.ci/run installs it).
 */
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { generate } from 'otplib';
import { chromium, type Browser } from 'playwright-core';
import { resetDb, testConfig } from '../helpers/db.js';
import { portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { adminApp, makeStaff, STAFF_PASSWORD } from '../helpers/admin.js';
import { makeProduct, makeUser } from '../helpers/fixtures.js';
import { PaymentHistory } from '../../src/models/index.js';
import { confirmEnrollment, startEnrollment } from '../../src/services/totp.js';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((x): x is string => !!x);
const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;

describe('admin panel in a browser (Chromium, headless)', function () {
  this.timeout(180_000);
  let browser: Browser | null = null;
  let server: http.Server | null = null;
  let base = '';

  before(async function () {
    const executablePath = CANDIDATES.find((p) => existsSync(p));
    if (!executablePath) this.skip();
    const { app } = await adminApp();
    server = http.createServer(app).listen(0, '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(null)));
  });

  it('signs in, opens a product and an order, and refunds it with a TOTP code', async () => {
    await resetDb();
    const { app } = await adminApp();
    const staff = await makeStaff('manager', { email: 'operator@example.com', nicknameKo: '운영자' });
    const { secret } = await startEnrollment(staff.id, { secretKey: testConfig.secretKey, issuer: 'test' });
    await confirmEnrollment(staff.id, await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }), { secretKey: testConfig.secretKey });

    const product = await makeProduct({ nameKo: '파이콘 한국 2027 티켓', price: 40000 });
    const buyer = await makeUser();
    await asBuyer(app, buyer).post('/v1/shop/orders/cart/products/', { product: product.id, options: [] }).expect(201);
    const co = (await asBuyer(app, buyer).post('/v1/shop/orders/', { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' }).expect(201)).body;
    const { payment } = await (await portoneSim()).pay({ merchant_uid: co.merchant_uid, notify: false });
    await request(app).post('/v1/shop/payment-histories/').send({ imp_uid: payment.imp_uid, merchant_uid: co.merchant_uid, status: 'paid' }).expect(200);
    const orderId = co.id as string;

    const page = await browser!.newPage();
    page.setDefaultTimeout(90_000);
    await page.goto(`${base}/admin/login`);
    await page.fill('input[name=email]', staff.email);
    await page.fill('input[name=password]', STAFF_PASSWORD);
    await page.press('input[name=password]', 'Enter');
    await page.waitForURL(`${base}/admin`);
    await page.getByTestId('dashboard').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}admin-dashboard.png`, fullPage: true });

    await page.goto(`${base}/admin/resources/products/records/${product.id}/show`);
    await page.getByText('파이콘 한국 2027 티켓').first().waitFor();
    await page.screenshot({ path: `${ARTIFACTS}admin-product.png`, fullPage: true });

    await page.goto(`${base}/admin/resources/orders/records/${orderId}/show`);
    await page.getByTestId('order-items').waitFor();
    expect(await page.getByTestId('order-items').innerText()).to.include('파이콘 한국 2027 티켓');
    await page.screenshot({ path: `${ARTIFACTS}admin-order.png`, fullPage: true });

    await page.goto(`${base}/admin/resources/orders/records/${orderId}/refund`);
    await page.getByTestId('refund-amount').waitFor();
    expect(await page.getByTestId('refund-amount').innerText()).to.include('40,000');
    await page.fill('input[name=totp]', await generate({ secret }));
    await page.getByTestId('refund-submit').click();
    await page.getByTestId('refund-done').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}admin-refund.png`, fullPage: true });

    const ledger = await PaymentHistory.findAll({ where: { orderId }, order: [['createdAt', 'ASC']] });
    expect(ledger.map((h) => [h.status, h.price])).to.deep.equal([
      ['completed', 40000],
      ['refunded', 0],
    ]);
    await page.close();
  });
});

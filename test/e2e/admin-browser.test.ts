/**
 * The admin panel in a real browser (playwright-core + the system's Chromium, headless): sign in, open a
 * product and an order, and refund the order with the operator's TOTP code; edit a product's option groups
 * through the form editor (add an option, a wrong pattern's error next to its input, the viewer's read-only
 * form). Screenshots go to
 * test/artifacts/ (git-ignored). Skips only when no Chromium binary can be found (.ci/run installs it).
 */
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { generate } from 'otplib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { resetDb, testConfig } from '../helpers/db.js';
import { portoneSim } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { adminApp, makeStaff, STAFF_PASSWORD } from '../helpers/admin.js';
import { makeCategory, makeGroup, makeOption, makeOrder, makeProduct, makeUser } from '../helpers/fixtures.js';
import { signScancodeToken } from '../../src/domain/scancode/token.js';
import { AuditLog, CustomerInfo, NotificationRecipient, NotificationTemplate, Option, OptionGroup, PaymentHistory } from '../../src/models/index.js';
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

  /** Content-Security-Policy violations the browser reported (the panel must work under its CSP). */
  let cspViolations: string[] = [];
  afterEach(() => {
    const seen = cspViolations;
    cspViolations = [];
    expect(seen, 'CSP violations in the panel').to.deep.equal([]);
  });

  async function signIn(email: string): Promise<Page> {
    const page = await browser!.newPage();
    page.setDefaultTimeout(90_000);
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to (execute|load|apply|connect|frame)/i.test(m.text())) cspViolations.push(m.text().slice(0, 300));
    });
    const login = await page.goto(`${base}/admin/login`);
    // the panel is served under its own CSP (inline bootstrap scripts only with this response's nonce)
    const csp = login!.headers()['content-security-policy'] ?? '';
    expect(csp).to.match(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).to.include("frame-ancestors 'none'");
    expect(login!.headers()['x-content-type-options']).to.equal('nosniff');
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', STAFF_PASSWORD);
    await page.press('input[name=password]', 'Enter');
    await page.waitForURL(`${base}/admin`);
    return page;
  }

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

  /** What a datetime-local input shows for `d` in this process's time zone (the browser inherits it). */
  const toLocal = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

  it('edits a product\'s option groups through the form: adds an option, shows a pattern error next to its input', async () => {
    await resetDb();
    const manager = await makeStaff('manager', { email: 'options@example.com' });
    const viewer = await makeStaff('viewer', { email: 'viewer@example.com' });
    const product = await makeProduct({ nameKo: '티셔츠' });
    const size = await makeGroup(product, { nameKo: '사이즈', nameEn: 'Size', priority: 0, minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    const m = await makeOption(size, { nameKo: 'M', nameEn: 'M', stock: 10 });
    const closes = new Date('2027-03-01T12:34:56.789Z'); // seconds the datetime-local input does not show: kept while unchanged
    const badge = await makeGroup(product, { nameKo: '배지 이름', priority: 1, isCustomResponse: true, customResponsePattern: '.+', orderableEndsAt: closes });

    const page = await signIn(manager.email);
    await page.setViewportSize({ width: 1280, height: 2000 }); // the panel scrolls inside its layout: a tall viewport shows the whole form
    await page.goto(`${base}/admin/resources/products/records/${product.id}/options`);
    await page.getByTestId('product-options').waitFor();
    const nameKo = page.locator('input[name="groups.0.nameKo"]');
    await nameKo.waitFor();
    expect(await nameKo.inputValue()).to.equal('사이즈');
    expect(await page.locator('input[name="groups.0.options.0.nameKo"]').inputValue()).to.equal('M');
    expect(await page.locator('input[name="groups.0.options.0.stock"]').inputValue()).to.equal('10');
    expect(await page.locator('input[name="groups.1.customResponsePattern"]').inputValue()).to.equal('.+');
    expect(await page.locator('input[name="groups.1.options.0.nameKo"]').count()).to.equal(0); // a free-text group has no option table

    // add an option to the size group through the form and save
    await page.getByTestId('add-option-0').click();
    await page.fill('input[name="groups.0.options.1.nameKo"]', 'L');
    await page.fill('input[name="groups.0.options.1.nameEn"]', 'Large');
    await page.fill('input[name="groups.0.options.1.additionalPrice"]', '2000');
    await page.fill('input[name="groups.0.options.1.stock"]', '5');
    expect(await page.locator('input[name="groups.1.orderableEndsAt"]').inputValue()).to.equal(toLocal(closes));
    await page.fill('input[name="groups.1.visibleEndsAt"]', '2027-06-30T18:00'); // the browser's time zone, as this process's
    await page.screenshot({ path: `${ARTIFACTS}admin-options-edit.png`, fullPage: true });
    await page.getByTestId('save-options').click();
    await page.getByText('옵션을 저장했습니다.').first().waitFor();
    await page.getByTestId('options-dirty').waitFor({ state: 'detached' });
    const options = await Option.findAll({ where: { groupId: size.id }, order: [['priority', 'ASC']] });
    expect(options.map((o) => [o.nameKo, o.nameEn, o.additionalPrice, o.stock])).to.deep.equal([
      ['M', 'M', 0, 10],
      ['L', 'Large', 2000, 5],
    ]);
    expect(options[0]!.id).to.equal(m.id); // updated in place, not re-created
    expect(await OptionGroup.count({ where: { productId: product.id } })).to.equal(2);
    const badgeSaved = (await OptionGroup.findByPk(badge.id))!;
    expect(badgeSaved.orderableEndsAt!.toISOString()).to.equal(closes.toISOString());
    expect(badgeSaved.visibleEndsAt!.toISOString()).to.equal(new Date('2027-06-30T18:00').toISOString());

    // a pattern that does not compile: the message sits next to the pattern input, and in the summary
    await page.fill('input[name="groups.1.customResponsePattern"]', '(');
    await page.getByTestId('save-options').click();
    const message = page.getByTestId('error:groups.1.customResponsePattern');
    await message.waitFor();
    expect(await message.innerText()).to.match(/^유효하지 않은 정규표현식입니다: /);
    const field = page.locator('[data-field="groups.1.customResponsePattern"]');
    expect(await field.locator('input[name="groups.1.customResponsePattern"]').count()).to.equal(1);
    expect(await field.getByTestId('error:groups.1.customResponsePattern').count()).to.equal(1);
    expect(await page.getByTestId('option-errors').innerText()).to.include('유효하지 않은 정규표현식입니다');
    await page.screenshot({ path: `${ARTIFACTS}admin-options-error.png`, fullPage: true });
    expect((await OptionGroup.findByPk(badge.id))!.customResponsePattern).to.equal('.+'); // nothing saved
    expect(await Option.count({ where: { groupId: size.id } })).to.equal(2);

    // fix it, drop option L, add a group with one option: one save does all of it
    await page.fill('input[name="groups.1.customResponsePattern"]', '[A-Z]+');
    expect(await message.count()).to.equal(0); // editing the field clears its message
    await page.getByTestId('remove-option-0-1').click();
    await page.getByTestId('add-group').click();
    await page.fill('input[name="groups.2.nameKo"]', '색상');
    await page.getByTestId('add-option-2').click();
    await page.fill('input[name="groups.2.options.0.nameKo"]', '검정');
    await page.getByTestId('save-options').click();
    await page.getByTestId('options-dirty').waitFor({ state: 'detached' }); // saved: the form is the stored state again
    expect(await page.getByTestId('option-errors').count()).to.equal(0);
    const after = await OptionGroup.findAll({ where: { productId: product.id }, include: [{ model: Option, as: 'options' }], order: [['priority', 'ASC']] });
    expect(after.map((g) => [g.nameKo, g.customResponsePattern, (g.get('options') as Option[]).map((o) => o.nameKo)])).to.deep.equal([
      ['사이즈', null, ['M']],
      ['배지 이름', '[A-Z]+', []],
      ['색상', null, ['검정']],
    ]);
    expect(await Option.count({ where: { groupId: size.id, nameKo: 'L' }, paranoid: false })).to.equal(1); // soft-deleted
    await page.close();

    // a viewer sees the same form read-only
    const ro = await signIn(viewer.email);
    await ro.setViewportSize({ width: 1280, height: 2000 });
    await ro.goto(`${base}/admin/resources/products/records/${product.id}/options`);
    await ro.locator('input[name="groups.2.options.0.nameKo"]').waitFor();
    expect(await ro.locator('input[name="groups.2.options.0.nameKo"]').isDisabled()).to.equal(true);
    expect(await ro.locator('input[name="groups.0.nameKo"]').isDisabled()).to.equal(true);
    expect(await ro.getByTestId('save-options').count()).to.equal(0);
    expect(await ro.getByTestId('add-option-0').count()).to.equal(0);
    expect(await ro.getByTestId('remove-group-0').count()).to.equal(0);
    await ro.screenshot({ path: `${ARTIFACTS}admin-options-viewer.png`, fullPage: true });
    await ro.close();
  });

  it('Notify and Export act on the filtered list, show the filters first; sending to everyone needs a confirmation', async () => {
    await resetDb();
    const manager = await makeStaff('manager', { email: 'notify@example.com' });
    await NotificationTemplate.create({ code: 'notice', language: 'ko', name: '공지', subject: '{{ order_name }} 안내', body: '{{ customer_name }}님 안녕하세요' });
    const product = await makeProduct({ nameKo: '컨퍼런스 티켓', price: 35000 });
    const buyers = [];
    for (const [name, email] of [['김하나', 'one@example.com'], ['이둘', 'two@example.com'], ['박셋', 'three@example.com']] as const) {
      const u = await makeUser({ email });
      const o = await makeOrder(u, [{ product }]);
      await CustomerInfo.create({ orderId: o.id, name, phone: '010-0000-0000', email, organization: '' });
      buyers.push(u);
    }

    const page = await signIn(manager.email);
    await page.setViewportSize({ width: 1400, height: 1200 });
    // the list filtered to one buyer (what the filter drawer puts in the URL), then the header's Notify button
    await page.goto(`${base}/admin/resources/orders?filters.email=two%40example.com`);
    await page.getByText('이둘').first().waitFor();
    await page.locator('[data-testid="action-notify"]').first().click();
    await page.getByTestId('notify-view').waitFor();
    const scope = page.getByTestId('scope-filters');
    await scope.waitFor();
    expect(await scope.innerText()).to.include('이메일').and.include('two@example.com');
    expect(await page.getByTestId('order-scope').innerText()).to.include('1건');
    await page.getByTestId('notify-template').selectOption({ label: '[email] notice (ko) 공지' });
    await page.getByTestId('notify-preview').click();
    await page.getByText('two@example.com', { exact: true }).first().waitFor();
    await page.screenshot({ path: `${ARTIFACTS}admin-notify-filtered.png`, fullPage: true });
    await page.getByTestId('notify-send').click();
    await page.getByText('1명에게 발송을 예약했습니다.').first().waitFor();
    expect((await NotificationRecipient.findAll()).map((r) => r.recipient)).to.deep.equal(['two@example.com']);

    // Export from the same filtered list: the drawer names the filter and the count before the download
    await page.goto(`${base}/admin/resources/orders?filters.email=two%40example.com`);
    await page.getByText('이둘').first().waitFor();
    await page.locator('[data-testid="action-export"]').first().click();
    await page.getByTestId('export-view').waitFor();
    await page.getByTestId('scope-filters').waitFor();
    expect(await page.getByTestId('order-scope').innerText()).to.include('1건');
    expect(await page.getByTestId('export-csv').getAttribute('href')).to.include('filters.email=two%40example.com');
    await page.screenshot({ path: `${ARTIFACTS}admin-export-filtered.png`, fullPage: true });

    // no filter: the drawer says "every order", and the send button stays disabled until the box is ticked
    await page.goto(`${base}/admin/resources/orders`);
    await page.getByText('김하나').first().waitFor();
    await page.locator('[data-testid="action-notify"]').first().click();
    await page.getByTestId('order-scope').waitFor();
    expect(await page.getByTestId('order-scope').innerText()).to.include('목록 필터 없음').and.include('3건');
    await page.getByTestId('notify-template').selectOption({ label: '[email] notice (ko) 공지' });
    await page.getByTestId('notify-preview').click();
    await page.getByText('three@example.com', { exact: true }).first().waitFor();
    expect(await page.getByTestId('notify-send').isDisabled()).to.equal(true);
    await page.screenshot({ path: `${ARTIFACTS}admin-notify-everyone.png`, fullPage: true });
    // as a person does: click the box's label. AdminJS's CheckBox shows its `checked` prop one render later
    // (an effect), so the box is waited for, not read at once (reading at once made this test flaky)
    await page.locator('label[for="confirm-everyone"]').click();
    await page.waitForFunction(() => (document.querySelector('#confirm-everyone') as HTMLInputElement | null)?.checked === true, null, { timeout: 10_000 });
    expect(await page.getByTestId('notify-send').isDisabled()).to.equal(false);
    await page.getByTestId('notify-send').click();
    await page.getByText('3명에게 발송을 예약했습니다.').first().waitFor();
    expect(await NotificationRecipient.count()).to.equal(4);
    await page.close();
  });

  it('Korean panel (money, Seoul times, English switchable); viewers see no write links; the refund preview marks the item and the table refreshes', async function () {
    this.timeout(600_000);
    await resetDb();
    const manager = await makeStaff('manager', { email: 'refunds@example.com', nicknameKo: '환불담당' });
    const viewer = await makeStaff('viewer', { email: 'reader@example.com' });
    const { secret } = await startEnrollment(manager.id, { secretKey: testConfig.secretKey, issuer: 'test' });
    await confirmEnrollment(manager.id, await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 30 }), { secretKey: testConfig.secretKey });
    const ticket = await makeProduct({ nameKo: '컨퍼런스 티켓', price: 35000 });
    const shirt = await makeProduct({ nameKo: '티셔츠', price: 20000 });
    // paid through the PortOne simulator: the refund really cancels there
    const { app } = await adminApp();
    const buyer = await makeUser({ email: 'buyer@example.com' });
    await asBuyer(app, buyer).post('/v1/shop/orders/cart/products/', { product: ticket.id, options: [] }).expect(201);
    await asBuyer(app, buyer).post('/v1/shop/orders/cart/products/', { product: shirt.id, options: [] }).expect(201);
    const co = (await asBuyer(app, buyer).post('/v1/shop/orders/', { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' }).expect(201)).body;
    const { payment } = await (await portoneSim()).pay({ merchant_uid: co.merchant_uid, notify: false });
    await request(app).post('/v1/shop/payment-histories/').send({ imp_uid: payment.imp_uid, merchant_uid: co.merchant_uid, status: 'paid' }).expect(200);
    const order = { id: co.id as string };
    const { OrderProductRelation } = await import('../../src/models/index.js');
    const shirtItem = (await OrderProductRelation.findOne({ where: { orderId: order.id, productId: shirt.id } }))!;
    const paidAt = (await PaymentHistory.findOne({ where: { orderId: order.id } }))!.createdAt;
    const kst = new Date(paidAt.getTime() + 9 * 3600_000).toISOString();

    // a viewer: Korean labels, 55,000원, the Seoul time; no refund link, and the refund page refuses in words
    const ro = await signIn(viewer.email);
    await ro.setViewportSize({ width: 1400, height: 1600 });
    // the first load of the panel with an empty browser cache: AdminJS's production bundles (not its 26 MB of
    // development bundles), timed; the time is printed (a timed assertion would flake on a busy machine)
    const cold = await browser!.newContext({ storageState: await ro.context().storageState() });
    const first = await cold.newPage();
    first.setDefaultTimeout(90_000);
    let jsBytes = 0;
    first.on('response', (r) => {
      if (r.url().endsWith('.js')) void r.body().then((b) => (jsBytes += b.length), () => {});
    });
    const started = Date.now();
    await first.goto(`${base}/admin`);
    await first.getByTestId('dashboard').waitFor();
    const loadMs = Date.now() - started;
    await first.waitForLoadState('networkidle');
    console.log(`      first panel load (cold browser cache): ${loadMs} ms, ${(jsBytes / 1e6).toFixed(1)} MB of JavaScript`);
    expect(jsBytes).to.be.below(5e6);
    await cold.close();
    await ro.goto(`${base}/admin/resources/orders/records/${order.id}/show`);
    await ro.getByTestId('order-items').waitFor();
    const body = await ro.locator('body').innerText();
    expect(body).to.include('55,000원').and.include('현재 결제 금액').and.include('결제 완료').and.include('주문 상품');
    expect(body).to.include(`${kst.slice(0, 10)} ${kst.slice(11, 16)} (KST)`);
    expect(await ro.getByTestId('order-items').innerText()).to.include('35,000원').and.not.include('부분 환불');
    expect(await ro.getByText('부분 환불', { exact: true }).count()).to.equal(0);
    await ro.screenshot({ path: `${ARTIFACTS}admin-viewer-order.png`, fullPage: true });
    await ro.goto(`${base}/admin/resources/orders`);
    await ro.getByText('홍길동').first().waitFor();
    expect(await ro.locator('body').innerText()).to.include('55,000원').and.not.include('55000');
    await ro.screenshot({ path: `${ARTIFACTS}admin-ko-orders.png`, fullPage: true });
    await ro.goto(`${base}/admin/resources/order_product_relations/records/${shirtItem.id}/refund`);
    await ro.waitForTimeout(1500);
    const refused = await ro.locator('body').innerText();
    expect(refused).to.not.include('{{').and.not.include('환불 대상');
    // English on request, remembered across reloads
    await ro.goto(`${base}/admin/resources/orders`);
    await ro.getByText('홍길동').first().waitFor();
    await ro.getByRole('button', { name: '한국어' }).click();
    await ro.getByText('English', { exact: true }).click();
    await ro.getByText(/^Current paid price$/i).first().waitFor();
    await ro.reload();
    await ro.getByText(/^Current paid price$/i).first().waitFor();
    await ro.screenshot({ path: `${ARTIFACTS}admin-en-orders.png`, fullPage: true });
    await ro.close();

    // the manager: the item refund page marks the item, a wrong code's error is inline, then the right code
    const page = await signIn(manager.email);
    await page.setViewportSize({ width: 1400, height: 1600 });
    await page.goto(`${base}/admin/resources/orders/records/${order.id}/show`);
    await page.getByTestId('order-items').waitFor();
    await page.getByText('부분 환불', { exact: true }).nth(1).click(); // the shirt is the second item
    await page.getByTestId('refund-target').waitFor();
    expect(await page.getByTestId('refund-target').count()).to.equal(1);
    expect(await page.getByTestId('refund-target').innerText()).to.include('티셔츠').and.include('환불 대상');
    expect(await page.getByTestId('refund-amount').innerText()).to.equal('20,000원');
    await page.screenshot({ path: `${ARTIFACTS}admin-refund-item-preview.png`, fullPage: true });
    await page.fill('input[name=totp]', '000000');
    await page.getByTestId('refund-submit').click();
    await page.getByTestId('refund-error').waitFor();
    const wrong = await page.getByTestId('refund-error').innerText();
    await page.fill('input[name=totp]', await generate({ secret }));
    await page.getByTestId('refund-submit').click();
    await page.getByTestId('refund-done').waitFor();
    expect(await page.getByText(wrong.trim()).count()).to.equal(0); // the failure is gone once it succeeded
    // the table reloads after the success message: wait for the new status (reading at once raced the reload)
    await page.waitForFunction((id) => document.querySelector(`[data-testid="refund-item-status-${id}"]`)?.textContent === '환불 완료', shirtItem.id);
    await page.screenshot({ path: `${ARTIFACTS}admin-refund-item-done.png`, fullPage: true });
    await page.getByText('주문으로 돌아가기').click();
    await page.getByTestId(`item-status-${shirtItem.id}`).waitFor();
    expect(await page.getByTestId(`item-status-${shirtItem.id}`).innerText()).to.equal('환불 완료');
    expect(await page.locator('body').innerText()).to.include('35,000원').and.include('부분 환불');
    await page.close();
  });

  it('check-in page: live counts, search by name and by scanned QR, check-in and undo (audited)', async () => {
    await resetDb();
    const desk = await makeStaff('manager', { email: 'frontdesk@example.com' });
    const cat = await makeCategory('티켓', '컨퍼런스 1일차');
    const ticket = await makeProduct({ nameKo: '1일차 입장권', price: 30000 }, cat);
    const orders = [];
    for (const [name, email] of [['최입장', 'choi@example.com'], ['정대기', 'jung@example.com']] as const) {
      const o = await makeOrder(await makeUser({ email }), [{ product: ticket }]);
      await CustomerInfo.create({ orderId: o.id, name, phone: '010-5555-6666', email, organization: '' });
      orders.push(o);
    }
    const { OrderProductRelation } = await import('../../src/models/index.js');
    const items = await Promise.all(orders.map((o) => OrderProductRelation.findOne({ where: { orderId: o.id } })));

    const page = await signIn(desk.email);
    await page.setViewportSize({ width: 1400, height: 1200 });
    await page.goto(`${base}/admin/pages/checkin`);
    await page.getByTestId('checkin-page').waitFor();
    await page.getByTestId('count-target').waitFor();
    expect(await page.getByTestId('count-target').innerText()).to.equal('2');
    expect(await page.getByTestId('count-waiting').innerText()).to.equal('2');

    // by name, then check in
    await page.locator('input[name=q]').fill('최입장');
    await page.keyboard.press('Enter');
    await page.getByTestId(`checkin-do-${items[0]!.id}`).click();
    await page.getByTestId(`checkin-undo-${items[0]!.id}`).waitFor();
    expect(await page.getByTestId(`checkin-status-${items[0]!.id}`).innerText()).to.equal('체크인 완료');
    await page.waitForFunction(() => document.querySelector('[data-testid="count-checked"]')?.textContent === '1');
    expect(await page.getByTestId('count-waiting').innerText()).to.equal('1');
    await page.screenshot({ path: `${ARTIFACTS}admin-checkin-done.png`, fullPage: true });

    // a scanned ticket QR (the scanner types the code and Enter), check in, then undo
    const qr = signScancodeToken('opr', items[1]!.id, testConfig.scancodeSalts);
    await page.locator('input[name=q]').fill(qr);
    await page.keyboard.press('Enter');
    await page.getByTestId(`checkin-do-${items[1]!.id}`).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="count-checked"]')?.textContent === '2');
    await page.getByTestId(`checkin-undo-${items[1]!.id}`).click();
    await page.getByTestId(`checkin-do-${items[1]!.id}`).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="count-checked"]')?.textContent === '1');
    await page.screenshot({ path: `${ARTIFACTS}admin-checkin-undo.png`, fullPage: true });

    expect((await OrderProductRelation.findByPk(items[0]!.id))!.status).to.equal('used');
    expect((await OrderProductRelation.findByPk(items[1]!.id))!.status).to.equal('paid');
    const audit = await AuditLog.findAll({ where: { tableName: 'order_product_relations' }, order: [['createdAt', 'ASC'], ['id', 'ASC']] });
    expect(audit.filter((a) => a.action.startsWith('desk.')).map((a) => [a.recordId, a.action, a.actorUserId])).to.deep.equal([
      [items[0]!.id, 'desk.check_in', desk.id],
      [items[1]!.id, 'desk.check_in', desk.id],
      [items[1]!.id, 'desk.check_in_undone', desk.id],
    ]);
    await page.close();
  });

  it('무료 발급 (comp order): the form from a user, a closed product with its option, submitted; the order shows it; viewers have no button', async () => {
    await resetDb();
    const ops = await makeStaff('manager', { email: 'comp-ops@example.com' });
    const speaker = await makeUser({ email: 'speaker@example.com', nicknameKo: '김연사' });
    const past = new Date(Date.now() - 24 * 3600 * 1000);
    const ticket = await makeProduct({ nameKo: '연사 티켓', price: 70000, stock: 5, orderableEndsAt: past }, await makeCategory('티켓', '연사', true));
    const size = await makeGroup(ticket, { nameKo: '티셔츠', minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    const l = await makeOption(size, { nameKo: 'L' });
    const page = await signIn(ops.email);
    await page.goto(`${base}/admin/resources/users/records/${speaker.id}/show`);
    await page.getByText('speaker@example.com').first().waitFor();
    await page.screenshot({ path: `${ARTIFACTS}admin-comp-user.png`, fullPage: true });
    await page.getByText('무료 발급', { exact: true }).first().click();
    await page.getByTestId('comp-order').waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid="comp-email"]') as HTMLInputElement | null)?.value === 'speaker@example.com');
    expect(await page.getByTestId('comp-name').inputValue()).to.equal('김연사');
    await page.getByTestId('comp-reason').fill('2027 키노트 연사');
    await page.getByTestId('comp-phone').fill('010-2222-3333');
    await page.getByTestId('comp-line-0').locator('select').first().selectOption(ticket.id);
    expect(await page.getByTestId('comp-line-0').innerText()).to.include('판매 기간 아님');
    await page.getByTestId('comp-line-0').locator('select').nth(1).selectOption(l.id);
    expect(await page.getByTestId('comp-submit').innerText()).to.include('70,000원');
    await page.screenshot({ path: `${ARTIFACTS}admin-comp-order.png`, fullPage: true });
    await page.getByTestId('comp-submit').click();
    await page.getByTestId('comp-order-link').waitFor();
    await page.getByTestId('comp-order-link').click();
    await page.getByTestId('order-items').waitFor();
    expect(await page.locator('body').innerText()).to.include('2027 키노트 연사');
    await page.screenshot({ path: `${ARTIFACTS}admin-comp-order-done.png`, fullPage: true });

    expect(await page.locator('[data-testid="action-comp"]').count()).to.be.greaterThan(0); // the managers' button above the list
    await page.close();

    const viewer = await makeStaff('viewer', { email: 'comp-viewer@example.com' });
    const vpage = await signIn(viewer.email);
    await vpage.goto(`${base}/admin/resources/orders`);
    await vpage.locator('[data-testid="action-export"]').first().waitFor();
    expect(await vpage.locator('[data-testid="action-comp"]').count()).to.equal(0);
    await vpage.close();
  });
  it('per-ticket Notify on the item list: the scope in tickets first; to every ticket only after the confirmation', async () => {
    await resetDb();
    const manager = await makeStaff('manager', { email: 'ticket-notify@example.com' });
    await NotificationTemplate.create({ code: 'ticket', language: 'ko', name: '티켓 안내', subject: '{{ product_name }}', body: '{{ participant_name }}님 {{ scancode_url }}' });
    const product = await makeProduct({ nameKo: '워크숍 티켓', price: 10000 });
    const orders = [];
    for (const [name, email, n] of [['김하나', 'one@example.com', 2], ['이둘', 'two@example.com', 1]] as const) {
      const o = await makeOrder(await makeUser({ email }), Array.from({ length: n }, () => ({ product })));
      await CustomerInfo.create({ orderId: o.id, name, phone: '010-0000-0000', email, organization: '' });
      orders.push(o);
    }
    const page = await signIn(manager.email);
    await page.setViewportSize({ width: 1400, height: 1200 });
    await page.goto(`${base}/admin/resources/order_product_relations?filters.orderId=${orders[0]!.id}`);
    await page.locator('[data-testid="action-notify"]').first().click();
    await page.getByTestId('notify-view').waitFor();
    await page.getByTestId('scope-filters').waitFor();
    expect(await page.getByTestId('order-scope').innerText()).to.include('티켓 2장 (주문 1건)');
    expect(await page.getByTestId('scope-filters').innerText()).to.include('주문 ID');
    await page.getByTestId('notify-template').selectOption({ label: '[email] ticket (ko) 티켓 안내' });
    await page.getByTestId('notify-preview').click();
    await page.getByText('one@example.com', { exact: true }).first().waitFor();
    await page.screenshot({ path: `${ARTIFACTS}admin-ticket-notify-filtered.png`, fullPage: true });
    await page.getByTestId('notify-send').click();
    await page.getByText('2명에게 발송을 예약했습니다.').first().waitFor();

    await page.goto(`${base}/admin/resources/order_product_relations`);
    await page.locator('[data-testid="action-notify"]').first().click();
    await page.getByTestId('order-scope').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="order-scope"]')?.textContent?.includes('티켓 3장'));
    expect(await page.getByTestId('order-scope').innerText()).to.include('목록 필터 없음').and.include('티켓 3장 (주문 2건)');
    await page.getByTestId('notify-template').selectOption({ label: '[email] ticket (ko) 티켓 안내' });
    await page.getByTestId('notify-preview').click();
    await page.getByText('two@example.com', { exact: true }).first().waitFor();
    expect(await page.getByTestId('notify-send').isDisabled()).to.equal(true);
    await page.screenshot({ path: `${ARTIFACTS}admin-ticket-notify-everyone.png`, fullPage: true });
    await page.getByText('필터 없이 모든 티켓 3장 (주문 2건)의 참가자에게 보내는 것을 확인합니다.').click();
    await page.waitForFunction(() => !(document.querySelector('[data-testid="notify-send"]') as HTMLButtonElement | null)?.disabled);
    await page.getByTestId('notify-send').click();
    await page.getByText('3명에게 발송을 예약했습니다.').first().waitFor();
    expect(await NotificationRecipient.count()).to.equal(5);
    await page.close();
  });

  it('changes a paid item\'s T-shirt size from the order\'s item table: stock per option, a confirmation, then the change (audited)', async () => {
    await resetDb();
    const manager = await makeStaff('manager', { email: 'support@example.com' });
    const ticket = await makeProduct({ nameKo: '티셔츠 포함 티켓', price: 30000 });
    const size = await makeGroup(ticket, { nameKo: '사이즈', minQuantityPerProduct: 1, maxQuantityPerProduct: 1 });
    const s = await makeOption(size, { nameKo: 'S', stock: 10, priority: 1 });
    const l = await makeOption(size, { nameKo: 'L', stock: 3, priority: 2 });
    await makeOption(size, { nameKo: 'XL', stock: 3, additionalPrice: 5000, priority: 3 });
    const order = await makeOrder(await makeUser(), [{ product: ticket, options: [{ group: size, option: s }] }]);
    const { OrderProductRelation, OrderProductOptionRelation } = await import('../../src/models/index.js');
    const item = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
    const answer = (await OrderProductOptionRelation.findOne({ where: { orderProductRelationId: item.id } }))!;

    const page = await signIn(manager.email);
    await page.setViewportSize({ width: 1400, height: 1200 });
    await page.goto(`${base}/admin/resources/orders/records/${order.id}/show`);
    await page.getByTestId('order-items').waitFor();
    await page.getByText('옵션 변경', { exact: true }).click();
    const select = page.getByTestId(`change-option-select-${answer.id}`);
    await select.waitFor();
    expect(await page.getByTestId(`change-option-current-${answer.id}`).innerText()).to.include('S');
    const labels = await select.locator('option').allInnerTexts();
    expect(labels.find((t) => t.startsWith('L'))).to.include('남은 수량 3');
    expect(labels.find((t) => t.startsWith('XL'))).to.include('선택 불가'); // +5,000원: the price would change
    await select.selectOption(l.id);
    await page.getByTestId('change-option-review').click();
    expect(await page.getByTestId('change-option-confirm').innerText()).to.include('사이즈: S → L');
    await page.locator('input[name=reason]').fill('현장 교환');
    await page.screenshot({ path: `${ARTIFACTS}admin-change-option-confirm.png`, fullPage: true });
    await page.getByTestId('change-option-submit').click();
    await page.getByTestId('change-option-done').waitFor();
    expect(await page.getByTestId('change-option-done').innerText()).to.include('사이즈: S → L');
    await page.waitForFunction((id) => document.querySelector(`[data-testid="change-option-current-${id}"]`)?.textContent?.startsWith('L'), answer.id);
    await page.screenshot({ path: `${ARTIFACTS}admin-change-option-done.png`, fullPage: true });

    expect((await answer.reload()).productOptionId).to.equal(l.id);
    const audit = await AuditLog.findOne({ where: { recordId: order.id, action: 'shop.order.item_options_changed' } });
    expect(audit).to.deep.include({ actorUserId: manager.id, reason: '현장 교환' });
    await page.close();

    // a viewer sees the order with its new size, and no link to change it
    const viewer = await makeStaff('viewer', { email: 'looker@example.com' });
    const ro = await signIn(viewer.email);
    await ro.goto(`${base}/admin/resources/orders/records/${order.id}/show`);
    await ro.getByTestId('order-items').waitFor();
    expect(await ro.getByTestId('order-items').innerText()).to.include('사이즈: L').and.not.include('옵션 변경');
    await ro.close();
  });
});

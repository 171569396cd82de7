import { expect } from 'chai';
import { generateKeyPairSync, createVerify } from 'node:crypto';
import request from 'supertest';
import { resetDb, testDb, testEnv } from '../helpers/db.js';
import { portoneSim, portoneClient } from '../helpers/app.js';
import { asBuyer } from '../helpers/buyer.js';
import { makeProduct, makeUser, makeOrder } from '../helpers/fixtures.js';
import { createApp } from '../../src/http/app.js';
import { parseConfig } from '../../src/config.js';
import { kcpSearchData, kstStamp } from '../../src/services/receipt.js';
import { PaymentHistory } from '../../src/models/index.js';

const INFO = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };

describe('card receipt GET /v1/shop/orders/{id}/receipt/', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'kcp-pass' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  beforeEach(resetDb);

  it('signs the KCP form for the owner; 404 for others and for orders without a PortOne payment', async () => {
    const config = parseConfig({ ...testEnv, NHN_KCP_PG_API_CERT: 'CERT-123', NHN_KCP_PG_API_PRIVATE_KEY: privateKey, NHN_KCP_PG_API_PASSWORD: 'kcp-pass' });
    const app = createApp({ config, sequelize: await testDb(), portone: await portoneClient() });
    const sim = await portoneSim();
    sim.reset();
    const user = await makeUser();
    const p = await makeProduct({ price: 12000 });
    const spc = (await asBuyer(app, user).post('/v1/shop/orders/single/', { product: p.id, options: [], customer_info: INFO }).expect(201)).body;
    const { payment } = await sim.pay({ merchant_uid: spc.merchant_uid, notify: false });
    await request(app).post('/v1/shop/payment-histories/').send({ imp_uid: payment.imp_uid, merchant_uid: spc.merchant_uid, status: 'paid' }).expect(200);

    const res = await asBuyer(app, user).get(`/v1/shop/orders/${spc.id}/receipt/`).expect(200).expect('content-type', /html/);
    expect(res.text).to.contain('action="https://admin8.kcp.co.kr/assist/bill.BillActionNew.do"');
    expect(res.text).to.contain('name="cert_info" value="CERT-123"');
    const searchData = /name="search_data" value="([^"]+)"/.exec(res.text)![1]!;
    const sign = /name="sign_data" value="([^"]+)"/.exec(res.text)![1]!;
    expect(searchData).to.match(new RegExp(`^cmd=card_bill\\^order_no=${payment.imp_uid}\\^tno=[^^]*\\^trade_mony=12000\\^req_dt=\\d{14}$`));
    const v = createVerify('RSA-SHA256');
    v.update(searchData);
    expect(v.verify(publicKey, sign, 'base64')).to.equal(true);

    await asBuyer(app, await makeUser()).get(`/v1/shop/orders/${spc.id}/receipt/`).expect(404);
    const imported = await makeOrder(user, [{ product: p }]);
    await PaymentHistory.update({ impId: null }, { where: { orderId: imported.id } });
    const none = await asBuyer(app, user).get(`/v1/shop/orders/${imported.id}/receipt/`).expect(404);
    expect(none.text).to.contain('본 주문은 영수증을 조회할 수 없습니다.');
    sim.failNext('payments', 'http500', 1);
    const later = await asBuyer(app, user).get(`/v1/shop/orders/${spc.id}/receipt/`).expect(500);
    expect(later.text).to.contain('지금은 영수증을 조회할 수 없습니다');
  });

  it('formats the request time in Asia/Seoul and joins the fields in KCP order', () => {
    const t = new Date('2026-05-12T15:30:05Z'); // 00:30:05 next day in Seoul
    expect(kstStamp(t)).to.equal('20260513003005');
    expect(kcpSearchData('imp_1', 'tid_9', 15000.0, t)).to.equal('cmd=card_bill^order_no=imp_1^tno=tid_9^trade_mony=15000^req_dt=20260513003005');
  });
});

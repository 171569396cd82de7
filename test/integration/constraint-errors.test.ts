import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { resetDb } from '../helpers/db.js';
import { ah, errorHandler } from '../../src/http/errors.js';
import { makeCategory } from '../helpers/fixtures.js';

/** Database constraint violations that slip past the checks are the client's data: 409 / 400, never a 500. */
describe('database constraint violations → 409 conflict / 400', () => {
  it('a unique violation answers 409 `conflict`, a check violation 400, both in the error shape', async () => {
    const sequelize = await resetDb();
    const category = await makeCategory('굿즈', '굿즈');
    const app = express();
    app.post('/unique', ah(async () => {
      await sequelize.query(`INSERT INTO category_groups (name) VALUES ('같은 이름')`);
      await sequelize.query(`INSERT INTO category_groups (name) VALUES ('같은 이름')`);
    }));
    app.post('/check', ah(async () => {
      await sequelize.query(`INSERT INTO products (category_id, name_ko, price) VALUES (:c, '음수', -1)`, { replacements: { c: category.id } });
    }));
    app.use(errorHandler);
    const unique = await request(app).post('/unique').expect(409);
    expect(unique.body).to.deep.equal({ type: 'client_error', errors: [{ code: 'conflict', detail: '이미 있는 데이터와 충돌합니다.', attr: null }] });
    const check = await request(app).post('/check').expect(400);
    expect(check.body).to.deep.equal({ type: 'client_error', errors: [{ code: 'check_violation', detail: '입력값이 데이터 제약 조건을 위반했습니다.', attr: null }] });
  });
});

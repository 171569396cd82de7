// §3.4 CustomerInfo validation and the §5.6 order name.
import { expect } from 'chai';
import { FieldMessages, isValidEmail, validateCustomerInfo } from '../../src/domain/cart/customer-info.js';
import { orderName, singleOrderName } from '../../src/domain/cart/order-name.js';

const valid = { name: '홍길동', phone: '010-1234-5678', email: 'gildong@example.com', organization: '' };
const only = (input: Record<string, unknown>, prefix?: string) => validateCustomerInfo(input, prefix).errors;
const err = (attr: string, m: { code: string; text: string }) => ({ code: m.code, detail: m.text, attr });

describe('domain/cart/customer-info — §3.4', () => {
  it('a valid body passes and is returned trimmed', () => {
    const r = validateCustomerInfo({ ...valid, name: '  홍길동 ', organization: ' PyCon ' });
    expect(r.errors).to.deep.equal([]);
    expect(r.value).to.deep.equal({ ...valid, organization: 'PyCon' });
  });

  it('missing keys → required (in field order name, phone, email, organization)', () => {
    const r = validateCustomerInfo({});
    expect(r.value).to.equal(null);
    expect(r.errors).to.deep.equal([
      err('name', FieldMessages.REQUIRED),
      err('phone', FieldMessages.REQUIRED),
      err('email', FieldMessages.REQUIRED),
      err('organization', FieldMessages.REQUIRED),
    ]);
  });

  it('null → null for name/phone/email; organization null (the contract types it string|null) = blank', () => {
    expect(only({ ...valid, name: null })).to.deep.equal([err('name', FieldMessages.NULL)]);
    expect(only({ ...valid, organization: null })).to.deep.equal([]);
    expect(validateCustomerInfo({ ...valid, organization: null }).value?.organization).to.equal('');
  });

  it('blank or whitespace-only name / phone / email → blank; organization may be blank', () => {
    expect(only({ ...valid, name: '   ' })).to.deep.equal([err('name', FieldMessages.BLANK)]);
    expect(only({ ...valid, phone: '' })).to.deep.equal([err('phone', FieldMessages.BLANK)]);
    expect(only({ ...valid, email: '' })).to.deep.equal([err('email', FieldMessages.BLANK)]);
    expect(only({ ...valid, organization: '   ' })).to.deep.equal([]);
  });

  it('name: any single-line text; a line break inside → invalid', () => {
    expect(only({ ...valid, name: 'Kim, Gil-dong (길동) 🐍' })).to.deep.equal([]);
    expect(only({ ...valid, name: '홍\n길동' })).to.deep.equal([err('name', FieldMessages.INVALID_PATTERN)]);
  });

  it('phone: 000-000(0)-0000 or +9..14 digits', () => {
    for (const ok of ['010-1234-5678', '020-123-4567', '010-123-4567', '+821012345678', '+123456789', '+12345678901234']) {
      expect(only({ ...valid, phone: ok }), ok).to.deep.equal([]);
    }
    for (const bad of ['01012345678', '010-12-5678', '010-12345-5678', '+12345678', '+123456789012345', '010 1234 5678', '010-1234-5678x', '+82-10-1234-5678']) {
      expect(only({ ...valid, phone: bad }), bad).to.deep.equal([err('phone', FieldMessages.INVALID_PATTERN)]);
    }
  });

  it('email: standard validation', () => {
    for (const ok of ['a@b.co', 'first.last+tag@sub.example.org', 'user@localhost', 'x@[127.0.0.1]', 'x@한국.kr']) {
      expect(isValidEmail(ok), ok).to.equal(true);
    }
    for (const bad of ['plain', 'a@b', '@example.com', 'a@.com', 'a..b@example.com', 'a@example-.com', 'a@[999.1.1.1]', 'a b@example.com']) {
      expect(isValidEmail(bad), bad).to.equal(false);
    }
    expect(only({ ...valid, email: 'nope' })).to.deep.equal([err('email', FieldMessages.INVALID_EMAIL)]);
  });

  it('non-string values → invalid; numbers are accepted as text', () => {
    expect(only({ ...valid, name: true })).to.deep.equal([err('name', FieldMessages.INVALID_STRING)]);
    expect(only({ ...valid, organization: { a: 1 } })).to.deep.equal([err('organization', FieldMessages.INVALID_STRING)]);
    expect(validateCustomerInfo({ ...valid, name: 42 }).value?.name).to.equal('42');
  });

  it('attrs can be prefixed for nested payloads (customer_info.*)', () => {
    expect(only({ ...valid, phone: 'x' }, 'customer_info.')).to.deep.equal([err('customer_info.phone', FieldMessages.INVALID_PATTERN)]);
  });
});

describe('domain/cart/order-name — §5.6 step 4', () => {
  it('one item: the product name alone in both languages', () => {
    expect(orderName([{ price: 1000, productNameKo: '티켓', productNameEn: 'Ticket' }])).to.deep.equal({ ko: '티켓', en: 'Ticket' });
  });
  it('several items: the most expensive item + " 외 N개" / " and N more"', () => {
    const name = orderName([
      { price: 1000, productNameKo: '스티커', productNameEn: 'Sticker' },
      { price: 50_000, productNameKo: '티켓', productNameEn: 'Ticket' },
      { price: 20_000, productNameKo: '티셔츠', productNameEn: 'T-shirt' },
    ]);
    expect(name).to.deep.equal({ ko: '티켓 외 2개', en: 'Ticket and 2 more' });
  });
  it('ties keep the first item in cart order; a missing English name falls back to Korean', () => {
    const name = orderName([
      { price: 5000, productNameKo: '가', productNameEn: null },
      { price: 5000, productNameKo: '나', productNameEn: 'Na' },
    ]);
    expect(name).to.deep.equal({ ko: '가 외 1개', en: '가 and 1 more' });
    expect(singleOrderName('티켓', '')).to.deep.equal({ ko: '티켓', en: '티켓' });
  });
  it('an empty cart is a programming error', () => {
    expect(() => orderName([])).to.throw();
  });
});

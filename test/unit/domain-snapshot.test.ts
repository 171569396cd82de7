// §4.2 payment preparation: snapshot, canonical JSON, hash, merchant_uid, preparation match.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  buildCartSnapshot,
  canonicalJson,
  cartHash,
  matchesPreparation,
  merchantUid,
  parseMerchantUid,
  preparePayment,
  pythonIsoformat,
  type SnapshotItemInput,
} from '../../src/domain/checkout/snapshot.js';
import { encodeShortUuid } from '../../src/domain/scancode/shortuuid.js';

const SECRET = 'django-secret';
const ORDER_ID = '12345678-1234-5678-1234-567812345678';
const ATTEMPT = { id: 'aaaaaaaa-0000-4000-8000-000000000001', prepared_at: '2026-05-25T12:00:00+09:00' };
const items: SnapshotItemInput[] = [
  {
    id: '11111111-0000-4000-8000-000000000001',
    productId: '22222222-0000-4000-8000-000000000001',
    price: 50_000,
    donationPrice: 1000,
    options: [
      {
        id: '33333333-0000-4000-8000-000000000001',
        productOptionGroupId: '44444444-0000-4000-8000-000000000001',
        productOptionId: null,
        customResponse: '홍길동 "q" \\ é 😀\n\x7f',
      },
    ],
  },
];

describe('domain/checkout/snapshot — §4.2', () => {
  it('canonical JSON = Python json.dumps(sort_keys, separators (",", ":"), ensure_ascii) — byte for byte', () => {
    // Expected string produced by CPython 3 json.dumps(snapshot, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
    const expected =
      '{"attempt":{"id":"aaaaaaaa-0000-4000-8000-000000000001","prepared_at":"2026-05-25T12:00:00+09:00"},"price":51000,' +
      '"products":[{"donation_price":1000,"id":"11111111-0000-4000-8000-000000000001","options":[{"custom_response":' +
      '"\\ud64d\\uae38\\ub3d9 \\"q\\" \\\\ \\u00e9 \\ud83d\\ude00\\n\\u007f","id":"33333333-0000-4000-8000-000000000001",' +
      '"product_option":null,"product_option_group":"44444444-0000-4000-8000-000000000001"}],"price":50000,' +
      '"product":"22222222-0000-4000-8000-000000000001"}]}';
    expect(canonicalJson(buildCartSnapshot(ATTEMPT, items))).to.equal(expected);
  });

  it('hash = base64url_nopad(HMAC_SHA256(secret, canonical)[0:12]) — 16 chars, matches the Python value', () => {
    const hash = cartHash(SECRET, buildCartSnapshot(ATTEMPT, items));
    expect(hash).to.equal('S30gOYgKFua7hKAf'); // computed with CPython hmac/hashlib/base64 on the string above
    expect(hash).to.have.length(16);
    expect(cartHash('other-secret', buildCartSnapshot(ATTEMPT, items))).to.not.equal(hash);
  });

  it('canonical JSON sorts keys recursively and is independent of insertion order', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' } })).to.equal('{"a":{"c":"x","d":[true,null]},"b":1}');
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null))), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).to.equal(canonicalJson(obj));
        const out = canonicalJson(obj);
        expect(/^[\x20-\x7e]*$/.test(out), 'ASCII only').to.equal(true);
        expect(JSON.parse(out)).to.deep.equal(obj);
      }),
    );
  });

  it('snapshot: items and options sorted by id, price = Σ price + donation', () => {
    const snap = buildCartSnapshot(ATTEMPT, [
      { id: 'b', productId: 'p', price: 10, donationPrice: 1, options: [] },
      {
        id: 'a',
        productId: 'p',
        price: 20,
        donationPrice: 0,
        options: [
          { id: 'z', productOptionGroupId: 'g', productOptionId: 'o', customResponse: null },
          { id: 'y', productOptionGroupId: 'g', productOptionId: null, customResponse: 'hi' },
        ],
      },
    ]);
    expect(snap.price).to.equal(31);
    expect(snap.products.map((p) => p.id)).to.deep.equal(['a', 'b']);
    expect(snap.products[0]!.options.map((o) => o.id)).to.deep.equal(['y', 'z']);
    expect(snap.attempt).to.deep.equal(ATTEMPT);
  });

  it('merchant_uid = shortuuid(id) + "." + hash; parse splits at the first "."', () => {
    const uid = merchantUid(ORDER_ID, 'S30gOYgKFua7hKAf');
    expect(uid).to.equal('5FdNqEYASQvT6ZhBtUuVoV.S30gOYgKFua7hKAf');
    expect(uid.length).to.be.at.most(40);
    expect(parseMerchantUid(uid)).to.deep.equal({ id: ORDER_ID, hash: 'S30gOYgKFua7hKAf' });
    expect(parseMerchantUid(`${encodeShortUuid(ORDER_ID)}.a.b`)).to.deep.equal({ id: ORDER_ID, hash: 'a.b' });
    for (const bad of [ORDER_ID, 'no-dot', '0OIl.abc', '.abc', `${encodeShortUuid(ORDER_ID)}.`, 1234, null]) {
      expect(parseMerchantUid(bad), String(bad)).to.equal(null);
    }
  });

  describe('matchesPreparation', () => {
    const prep = preparePayment(ORDER_ID, ATTEMPT, items, SECRET);
    // what the DB gives back: JSON round trip (key order may change)
    const stored = JSON.parse(JSON.stringify(prep.snapshot)) as unknown;
    const base = { id: ORDER_ID, storedSnapshot: stored, storedHash: prep.hash, merchantUid: prep.merchantUid, amount: 51_000, currentItems: items, secret: SECRET };

    it('the untouched cart with the prepared amount matches', () => {
      expect(prep.amount).to.equal(51_000);
      expect(matchesPreparation(base)).to.equal(true);
      expect(matchesPreparation({ ...base, amount: 51_000.0 })).to.equal(true);
    });
    it('a modified cart (price, donation, answer, removed item) no longer matches', () => {
      const changed = (f: (i: SnapshotItemInput) => SnapshotItemInput) => matchesPreparation({ ...base, currentItems: items.map(f) });
      expect(changed((i) => ({ ...i, donationPrice: 0 }))).to.equal(false);
      expect(changed((i) => ({ ...i, options: [{ ...i.options[0]!, customResponse: 'other' }] }))).to.equal(false);
      expect(matchesPreparation({ ...base, currentItems: [] })).to.equal(false);
    });
    it('wrong amount, fractional amount, non-number amount, other merchant_uid, no snapshot → false', () => {
      expect(matchesPreparation({ ...base, amount: 51_001 })).to.equal(false);
      expect(matchesPreparation({ ...base, amount: 51_000.5 })).to.equal(false);
      expect(matchesPreparation({ ...base, amount: '51000' })).to.equal(false);
      expect(matchesPreparation({ ...base, merchantUid: merchantUid(ORDER_ID, 'AAAAAAAAAAAAAAAA') })).to.equal(false);
      expect(matchesPreparation({ ...base, storedSnapshot: null })).to.equal(false);
      expect(matchesPreparation({ ...base, storedSnapshot: { ...(stored as object), attempt: 'x' } })).to.equal(false);
      expect(matchesPreparation({ ...base, secret: 'rotated' })).to.equal(false);
    });
    it('a new attempt gives a new merchant_uid for the same cart', () => {
      const again = preparePayment(ORDER_ID, { ...ATTEMPT, id: 'aaaaaaaa-0000-4000-8000-000000000002' }, items, SECRET);
      expect(again.merchantUid).to.not.equal(prep.merchantUid);
    });
  });

  it('pythonIsoformat: Asia/Seoul offset, microseconds only when non-zero', () => {
    expect(pythonIsoformat(new Date('2026-05-25T03:00:00Z'))).to.equal('2026-05-25T12:00:00+09:00');
    expect(pythonIsoformat(new Date('2026-05-25T15:30:00.123Z'))).to.equal('2026-05-26T00:30:00.123000+09:00');
    expect(pythonIsoformat(new Date('2026-05-25T03:00:00Z'), 0)).to.equal('2026-05-25T03:00:00+00:00');
  });
});

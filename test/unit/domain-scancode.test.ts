// §7 scancode: shortuuid 1.0.x and signed tokens.
import { expect } from 'chai';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import {
  SHORTUUID_ALPHABET,
  decodeShortUuid,
  encodeShortUuid,
  uuidBytes,
} from '../../src/domain/scancode/shortuuid.js';
import {
  isValidScancodeSalt,
  parseScancodeToken,
  scancodeSalt,
  scancodeUrl,
  signScancodeToken,
  verifyScancodeToken,
} from '../../src/domain/scancode/token.js';

/** Independent reference: digits of n in base 57, most significant first (BigInt long division). */
function reference(uuid: string): string {
  let n = BigInt('0x' + uuid.replace(/-/g, ''));
  const digits: string[] = [];
  do {
    digits.unshift(SHORTUUID_ALPHABET[Number(n % 57n)]!);
    n /= 57n;
  } while (n > 0n);
  return digits.join('').padStart(22, '2');
}

describe('domain/scancode — §7', () => {
  describe('shortuuid', () => {
    it('nil UUID → 22 × "2"', () => {
      expect(encodeShortUuid('00000000-0000-0000-0000-000000000000')).to.equal('2'.repeat(22));
      expect(decodeShortUuid('2'.repeat(22))).to.equal('00000000-0000-0000-0000-000000000000');
    });
    it('known vectors (computed with CPython int divmod, as shortuuid 1.0.x does)', () => {
      const vectors: Array<[string, string]> = [
        ['00000000-0000-0000-0000-000000000001', '2222222222222222222223'],
        // 0x39 = 57 → digits "10" → "32"
        ['00000000-0000-0000-0000-000000000039', '2222222222222222222232'],
        ['ffffffff-ffff-ffff-ffff-ffffffffffff', 'oZEq7ovRbLq6UnGMPwc8B5'],
        ['12345678-1234-5678-1234-567812345678', '5FdNqEYASQvT6ZhBtUuVoV'],
        ['3b1f8b40-8a5e-4c1f-9b36-2f1d5f8e7a10', 'CXc85detrBUkqdmZJDDLWz'],
      ];
      for (const [uuid, short] of vectors) {
        expect(encodeShortUuid(uuid), uuid).to.equal(short);
        expect(reference(uuid), uuid).to.equal(short);
        expect(decodeShortUuid(short), short).to.equal(uuid);
      }
    });
    it('max UUID: decoding the 22-char value back through BigInt gives 2^128 − 1', () => {
      const s = encodeShortUuid('ffffffff-ffff-ffff-ffff-ffffffffffff');
      let n = 0n;
      for (const c of s) n = n * 57n + BigInt(SHORTUUID_ALPHABET.indexOf(c));
      expect(n).to.equal((1n << 128n) - 1n);
    });
    it('invalid input → null: characters outside the alphabet (0 O I l 1), ≥ 2^128, empty', () => {
      for (const bad of ['', '0222222222222222222222', '222222222222222222222O', 'I', 'l', '1', '2222-22']) {
        expect(decodeShortUuid(bad), JSON.stringify(bad)).to.equal(null);
      }
      expect(decodeShortUuid('oZEq7ovRbLq6UnGMPwc8B6'), '2^128').to.equal(null);
      expect(decodeShortUuid('z'.repeat(22))).to.equal(null);
      expect(decodeShortUuid('3'), 'short strings decode like shortuuid (no length check)').to.equal('00000000-0000-0000-0000-000000000001');
    });
    it('encode accepts upper case / unhyphenated input and rejects garbage', () => {
      expect(encodeShortUuid('12345678123456781234567812345678')).to.equal('5FdNqEYASQvT6ZhBtUuVoV');
      expect(encodeShortUuid('12345678-1234-5678-1234-567812345678'.toUpperCase())).to.equal('5FdNqEYASQvT6ZhBtUuVoV');
      expect(() => encodeShortUuid('not-a-uuid')).to.throw(TypeError);
    });
    it('property: decode(encode(u)) === u and length is always 22 (random and arbitrary UUIDs)', () => {
      fc.assert(
        fc.property(fc.uuid(), (u) => {
          const s = encodeShortUuid(u);
          expect(s).to.have.length(22);
          expect(decodeShortUuid(s)).to.equal(u.toLowerCase());
          expect(s).to.equal(reference(u));
        }),
        { numRuns: 500 },
      );
      for (let i = 0; i < 200; i++) {
        const u = randomUUID();
        expect(decodeShortUuid(encodeShortUuid(u))).to.equal(u);
      }
    });
    it('uuidBytes = the 16 big-endian bytes', () => {
      expect(uuidBytes('00010203-0405-0607-0809-0a0b0c0d0e0f').toString('hex')).to.equal('000102030405060708090a0b0c0d0e0f');
    });
  });

  describe('tokens', () => {
    const U = '12345678-1234-5678-1234-567812345678';
    it('salt = base64url_nopad(HMAC_SHA256(salt utf-8, uuid bytes)) — 43 chars, matches the Python value', () => {
      const salt = scancodeSalt(U, 'local_order_scancode_salt');
      expect(salt).to.equal('8RRu1AaoRqWtYChPveKHCNT3o8G479Zp5_hX8ZzHLDM'); // CPython hmac + urlsafe_b64encode
      expect(salt).to.have.length(43);
    });
    it('sign with the first salt; verify with any; other prefix / tampered parts rejected', () => {
      const token = signScancodeToken('order', U, ['new', 'old']);
      expect(token).to.equal(`order:5FdNqEYASQvT6ZhBtUuVoV:${scancodeSalt(U, 'new')}`);
      expect(verifyScancodeToken(token, ['new', 'old'], 'order')).to.deep.include({ prefix: 'order', id: U });
      const oldToken = signScancodeToken('order', U, ['old']);
      expect(verifyScancodeToken(oldToken, ['new', 'old'])?.id, 'rotation: old tokens still verify').to.equal(U);
      expect(verifyScancodeToken(oldToken, ['new'])).to.equal(null);
      expect(verifyScancodeToken(token, ['new'], 'opr')).to.equal(null);
      expect(verifyScancodeToken(token.replace(/^order/, 'opr'), ['new'])?.id, 'salt is per UUID, not per prefix').to.equal(U);
      expect(verifyScancodeToken(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'), ['new'])).to.equal(null);
      expect(isValidScancodeSalt(U, scancodeSalt(U, 'old'), ['new', 'old'])).to.equal(true);
      expect(isValidScancodeSalt(U, 'short', 'new')).to.equal(false);
    });
    it('parse: the §7.3 regex and a decodable short id', () => {
      expect(parseScancodeToken('user:5FdNqEYASQvT6ZhBtUuVoV:abc_-')).to.deep.equal({
        prefix: 'user',
        shortId: '5FdNqEYASQvT6ZhBtUuVoV',
        salt: 'abc_-',
        id: U,
      });
      for (const bad of ['', 'admin:5FdNqEYASQvT6ZhBtUuVoV:abc', 'user:5FdN:', 'user::abc', 'user:5Fd-N:abc', 'user:5FdN:abc:def', 'user:0000:abc', 'user:5FdN:a=b']) {
        expect(parseScancodeToken(bad), bad).to.equal(null);
      }
    });
    it('URL = BACKEND_DOMAIN + /v1/shop/orders/scancode/?token=<token> (":" kept)', () => {
      expect(scancodeUrl('https://rest-api.pycon.kr', 'opr:abc:def')).to.equal('https://rest-api.pycon.kr/v1/shop/orders/scancode/?token=opr:abc:def');
      expect(scancodeUrl('http://localhost:8000/', 'x:y:z')).to.equal('http://localhost:8000/v1/shop/orders/scancode/?token=x:y:z');
    });
  });
});

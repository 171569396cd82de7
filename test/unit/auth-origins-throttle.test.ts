import { expect } from 'chai';
import { originMatcher, safeRedirectUrl, invalidOriginEntries } from '../../src/http/auth/origins.js';
import { isCsrfExempt, newCsrfToken } from '../../src/http/auth/csrf.js';
import { PROFILE_MAPPERS } from '../../src/http/auth/passport.js';

describe('auth units', () => {
  describe('origin lists', () => {
    const m = originMatcher(['http://localhost:3000', 'https://*.pycon.kr', 'http://127.0.0.1:*', 'https://pycon.kr:443']);

    it('matches exact origins, subdomain and port wildcards, default ports', () => {
      for (const ok of ['http://localhost:3000', 'https://2026.pycon.kr', 'https://a.b.pycon.kr', 'http://127.0.0.1:5173', 'http://127.0.0.1', 'https://pycon.kr', 'https://PYCON.KR']) {
        expect(m(ok), ok).to.equal(true);
      }
    });

    it('refuses look-alikes, other schemes and garbage', () => {
      for (const bad of [
        'http://localhost:3001',
        'https://localhost:3000',
        'http://localhost:3000.evil.example',
        'https://evilpycon.kr',
        'https://pycon.kr.evil.example',
        'http://2026.pycon.kr',
        'ftp://pycon.kr',
        'null',
        '',
        undefined,
        'http://user@localhost:3000',
      ]) {
        expect(m(bad), String(bad)).to.equal(false);
      }
    });

    it('safeRedirectUrl: absolute allowed URLs only', () => {
      expect(safeRedirectUrl('http://localhost:3000/a?b=c#d', m)).to.equal('http://localhost:3000/a?b=c#d');
      for (const bad of ['//evil.example', '/path', 'https://evil.example', 'javascript:alert(1)', 'http://evil.example\\@localhost:3000', ' http://localhost:3000/', 42, null]) {
        expect(safeRedirectUrl(bad, m), String(bad)).to.equal(null);
      }
    });

    it('reports malformed entries', () => {
      expect(invalidOriginEntries(['http://ok.example', 'ok.example', 'https://*.x.kr/', 'http://a.b/c'])).to.deep.equal(['ok.example', 'http://a.b/c']);
    });
  });

  describe('CSRF helpers', () => {
    it('tokens are 32 alphanumerics and differ; the webhook is exempt with or without its slash', () => {
      const a = newCsrfToken();
      expect(a).to.match(/^[A-Za-z0-9]{32}$/);
      expect(newCsrfToken()).to.not.equal(a);
      expect(isCsrfExempt('POST', '/v1/shop/payment-histories/')).to.equal(true);
      expect(isCsrfExempt('post', '/v1/shop/payment-histories')).to.equal(true);
      expect(isCsrfExempt('DELETE', '/v1/shop/payment-histories/')).to.equal(false);
      expect(isCsrfExempt('POST', '/v1/shop/orders/')).to.equal(false);
    });
  });

  describe('provider profiles', () => {
    it('map Google, Naver and Kakao userinfo; verified flags are read strictly', () => {
      expect(PROFILE_MAPPERS.google({ sub: '1', email: 'a@b.kr', email_verified: true, name: 'A' })).to.deep.equal({
        provider: 'google',
        uid: '1',
        email: 'a@b.kr',
        emailVerified: true,
        name: 'A',
      });
      expect(PROFILE_MAPPERS.google({ sub: '1', email: 'a@b.kr', email_verified: 'false' })!.emailVerified).to.equal(false);
      expect(PROFILE_MAPPERS.google({ email: 'a@b.kr' })).to.equal(null);
      expect(PROFILE_MAPPERS.naver({ resultcode: '00', response: { id: 'n1', email: 'n@naver.com', nickname: 'N' } })).to.include({ uid: 'n1', emailVerified: true, name: 'N' });
      expect(PROFILE_MAPPERS.naver({ resultcode: '024', response: { id: 'n1' } })).to.equal(null);
      expect(PROFILE_MAPPERS.kakao({ id: 42, kakao_account: { email: 'k@kakao.com', is_email_valid: true, is_email_verified: false } })).to.include({
        uid: '42',
        emailVerified: false,
      });
      expect(PROFILE_MAPPERS.kakao({ kakao_account: 'x' })).to.equal(null);
    });
  });
});

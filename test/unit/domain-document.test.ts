// Participation certificates: pure rules (numbers, dates, verify tokens, status).
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import {
  certificateStatus,
  documentFilename,
  documentNumber,
  eventDateText,
  issuedAtMinute,
  issuedAtText,
  koreanDate,
  signDocumentToken,
  verifyDocumentToken,
  verifyUrl,
} from '../../src/domain/document/certificate.js';
import { encodeShortUuid } from '../../src/domain/scancode/shortuuid.js';
import { signScancodeToken } from '../../src/domain/scancode/token.js';
import { renderTemplate } from '../../src/domain/notification/template.js';

describe('domain/document — certificates', () => {
  it('Korean dates with the weekday; one day or a range', () => {
    expect(koreanDate('2027-08-14')).to.equal('2027년 8월 14일(토)');
    expect(koreanDate('2026-12-06')).to.equal('2026년 12월 6일(일)');
    expect(eventDateText('2027-08-14', '2027-08-14')).to.equal('2027년 8월 14일(토)');
    expect(eventDateText('2027-08-14', '2027-08-15')).to.equal('2027년 8월 14일(토) ~ 2027년 8월 15일(일)');
    expect(() => koreanDate('2027-8-1')).to.throw(RangeError);
  });

  it('issue date and document number use the Seoul calendar', () => {
    const lateUtc = new Date('2026-12-31T16:30:00Z'); // 2027-01-01 01:30 KST
    expect(issuedAtText(lateUtc)).to.equal('2027년 01월 01일');
    expect(issuedAtMinute(lateUtc)).to.equal('2027-01-01 01:30');
    const id = randomUUID();
    expect(documentNumber('confirmation_of_participation', id, lateUtc)).to.equal(`COP-2027-${encodeShortUuid(id)}`);
    expect(documentFilename('confirmation_of_participation', 'COP-2027-x')).to.equal('참가확인서_COP-2027-x.pdf');
  });

  it('verify token: cert:{short id}:{HMAC}; the first key signs, any verifies; other prefixes and keys fail', () => {
    const id = randomUUID();
    const token = signDocumentToken(id, ['k1', 'k0']);
    expect(token).to.match(/^cert:[A-Za-z0-9]{22}:[A-Za-z0-9_-]{43}$/);
    expect(verifyDocumentToken(token, ['k1'])).to.equal(id);
    expect(verifyDocumentToken(token, ['k2', 'k1'])).to.equal(id);
    expect(verifyDocumentToken(token, ['k0'])).to.equal(null);
    expect(verifyDocumentToken(signScancodeToken('opr', id, ['k1']), ['k1'])).to.equal(null); // a QR token is not a document token
    const [, , salt] = token.split(':');
    expect(verifyDocumentToken(`cert:${encodeShortUuid(randomUUID())}:${salt}`, ['k1'])).to.equal(null); // another id with this salt
    expect(verifyDocumentToken(undefined, ['k1'])).to.equal(null);
    expect(verifyUrl('https://api.example.com/some/path', token)).to.equal(`https://api.example.com/v1/document/verify/${token}/`);
  });

  it('status: not_issuable unless used + ticket + event; then issuable / issued / revoked', () => {
    const ok = { itemStatus: 'used', isTicket: true, hasEvent: true };
    expect(certificateStatus({ ...ok, document: null })).to.equal('issuable');
    expect(certificateStatus({ ...ok, document: { revokedAt: null } })).to.equal('issued');
    expect(certificateStatus({ ...ok, document: { revokedAt: new Date() } })).to.equal('revoked');
    expect(certificateStatus({ ...ok, itemStatus: 'paid', document: null })).to.equal('not_issuable');
    expect(certificateStatus({ ...ok, itemStatus: 'refunded', document: { revokedAt: null } })).to.equal('not_issuable');
    expect(certificateStatus({ ...ok, isTicket: false, document: null })).to.equal('not_issuable');
    expect(certificateStatus({ ...ok, hasEvent: false, document: null })).to.equal('not_issuable');
  });

  it('HTML templates escape every value', () => {
    expect(renderTemplate('<p>{{ participant_name }}</p>', { participant_name: '<b>"김"&</b>' }, { html: true })).to.equal('<p>&lt;b&gt;&quot;김&quot;&amp;&lt;/b&gt;</p>');
  });
});

import { expect } from 'chai';
import {
  normalizeEmail,
  planUserMapping,
  parseUserMap,
  importedPasswordHash,
  defaultIdOffset,
  UserMappingError,
  type DjangoUser,
  type OurUser,
} from '../../src/domain/django-import/users.js';
import { compareLedgers, compareSold, compareCounts } from '../../src/domain/django-import/verify.js';
import { attributeName, SHOP_TABLES } from '../../src/domain/django-import/tables.js';

const dj = (id: number, email: string, username: string, over: Partial<DjangoUser> = {}): DjangoUser => ({
  id,
  email,
  username,
  password: 'pbkdf2_sha256$1$s$aGFzaA==',
  isActive: true,
  isStaff: false,
  isSuperuser: false,
  lastLogin: null,
  dateJoined: new Date('2026-01-01T00:00:00Z'),
  uniqueId: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
  ...over,
});
const our = (id: number, email: string, username: string, over: Partial<OurUser> = {}): OurUser => ({
  id,
  email,
  username,
  uniqueId: `11111111-0000-4000-8000-${String(id).padStart(12, '0')}`,
  deleted: false,
  ...over,
});

describe('Django import rules (pure)', () => {
  it('normalizes e-mails: case, spaces, @pycon.kr = @python.or.kr', () => {
    expect(normalizeEmail(' Kim@PyCon.KR ')).to.equal('kim@python.or.kr');
    expect(normalizeEmail('a@python.or.kr')).to.equal('a@python.or.kr');
    expect(normalizeEmail('a@notpycon.kr')).to.equal('a@notpycon.kr');
    expect(normalizeEmail(null)).to.equal('');
  });

  it('maps in priority order: previous, e-mail, username, map file, shifted', () => {
    const plan = planUserMapping({
      django: [dj(1, 'A@x.com', 'zz'), dj(2, 'b@x.com', 'bee'), dj(3, 'c@x.com', 'cee'), dj(4, 'd@x.com', 'dee'), dj(5, 'e@x.com', 'eee')],
      ours: [our(1, 'a@x.com', 'a'), our(2, 'other@x.com', 'bee'), our(3, 'c-other@x.com', 'c-other')],
      previous: new Map([[5, { userId: 3, mode: 'manual' as const }]]),
      manual: new Map([[3, 3], [2, 3]]),
      offset: 100,
    });
    expect(plan.mappings).to.deep.equal([
      { djangoId: 1, userId: 1, mode: 'auto_email' },
      { djangoId: 2, userId: 2, mode: 'auto_username' }, // the username wins over the map file
      { djangoId: 3, userId: 3, mode: 'manual' },
      { djangoId: 4, userId: 104, mode: 'shifted' },
    ]);
    expect(plan.counts).to.deep.equal({ previous: 1, auto_email: 1, auto_username: 1, manual: 1, shifted: 1 });
    expect(plan.create.map((c) => c.id)).to.deep.equal([104]);
    expect(plan.uniqueIds.map((u) => u.userId)).to.deep.equal([1, 2, 3]);
  });

  it('never matches a soft-deleted account, and a taken shifted id takes the next free one', () => {
    const plan = planUserMapping({
      django: [dj(1, 'a@x.com', 'a'), dj(2, 'b@x.com', 'b')],
      ours: [our(11, 'a@x.com', 'a', { deleted: true }), our(50, 'q@x.com', 'q')],
      previous: new Map(),
      manual: new Map(),
      offset: 10,
    });
    expect(plan.mappings).to.deep.equal([
      { djangoId: 1, userId: 51, mode: 'shifted' },
      { djangoId: 2, userId: 12, mode: 'shifted' },
    ]);
    expect(plan.review.join('\n')).to.include('id 11 is taken here, created as 51');
  });

  it('one account for duplicate e-mails in Django; the first keeps its unique_id', () => {
    const plan = planUserMapping({ django: [dj(7, 'Dup@X.com', 'd1'), dj(8, 'dup@x.com', 'd2')], ours: [], previous: new Map(), manual: new Map(), offset: 1000 });
    expect(plan.create).to.have.length(1);
    expect(plan.create[0]).to.include({ id: 1007, email: 'Dup@X.com', uniqueId: dj(7, '', '').uniqueId });
    expect(plan.mappings[1]).to.deep.equal({ djangoId: 8, userId: 1007, mode: 'auto_email' });
    expect(plan.review.join('\n')).to.include('shares the e-mail of Django user 7');
  });

  it('a unique_id already used here is not overwritten (the account keeps its own, reviewed)', () => {
    const d = dj(1, 'a@x.com', 'a');
    const plan = planUserMapping({ django: [d], ours: [our(1, 'a@x.com', 'a'), our(2, 'b@x.com', 'b', { uniqueId: d.uniqueId })], previous: new Map(), manual: new Map(), offset: 10 });
    expect(plan.uniqueIds).to.deep.equal([]);
    expect(plan.review.join('\n')).to.include("already account 2's");
  });

  it('a map-file target that does not exist is an error', () => {
    expect(() => planUserMapping({ django: [dj(1, 'a@x.com', 'a')], ours: [], previous: new Map(), manual: new Map([[1, 99]]), offset: 10 })).to.throw(UserMappingError, 'account 99');
  });

  it('parses the map file (header optional) and refuses malformed or repeated lines', () => {
    expect([...parseUserMap([['django_user_id', 'user_id'], ['5', '7'], ['1135', '7']])]).to.deep.equal([[5, 7], [1135, 7]]);
    expect([...parseUserMap([['5', '7']])]).to.deep.equal([[5, 7]]);
    expect(() => parseUserMap([['5', 'x']])).to.throw(UserMappingError, 'line 1');
    expect(() => parseUserMap([['5', '1'], ['5', '2']])).to.throw(UserMappingError, 'twice');
  });

  it('unusable Django passwords import as none; the default offset is above our ids', () => {
    expect(importedPasswordHash('!abc')).to.equal(null);
    expect(importedPasswordHash('')).to.equal(null);
    expect(importedPasswordHash('pbkdf2_sha256$1$a$b')).to.equal('pbkdf2_sha256$1$a$b');
    expect(defaultIdOffset(0)).to.equal(1000);
    expect(defaultIdOffset(175)).to.equal(1000);
    expect(defaultIdOffset(1000)).to.equal(2000);
  });

  it('compares ledgers, sold counts and row counts', () => {
    const a = new Map([['o1', { paid: 100, refunded: 0, balance: 100 }], ['o2', { paid: 50, refunded: 50, balance: 0 }]]);
    const b = new Map([['o1', { paid: 100, refunded: 0, balance: 100 }], ['o3', { paid: 1, refunded: 0, balance: 1 }]]);
    expect(compareLedgers(a, b).map((d) => [d.key, d.django, d.ours])).to.deep.equal([
      ['order o2', 'paid 50 / refunded 50 / balance 0', 'missing'],
      ['order o3', 'missing', 'paid 1 / refunded 0 / balance 1'],
    ]);
    expect(compareSold(new Map([['p', 2]]), new Map([['p', 2], ['q', 1]]), ['p', 'q', 'r']).map((d) => d.key)).to.deep.equal(['product q']);
    expect(compareCounts([{ table: 'x', target: 'y', source: 2, present: 1, inserted: 1, updated: 0 }])).to.have.length(1);
  });

  it('every shop table maps its id and base columns; attribute names are our model names', () => {
    for (const m of SHOP_TABLES) expect(m.targetColumns.map((c) => c.column), m.source).to.include.members(['id', 'created_at', 'deleted_at', 'created_by_id']);
    expect(attributeName('order_product_relation_id')).to.equal('orderProductRelationId');
    expect(attributeName('name_ko')).to.equal('nameKo');
  });
});

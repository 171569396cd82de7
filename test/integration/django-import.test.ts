/**
 * `npm run import:django` against a Django-shaped database built by our own fixture script
 * (test/fixtures/django-backend.ts) in its own database on the test server: user mapping, money and sold
 * counts verified, history → audit rows, idempotency, a staged second run, the dry run, a failing
 * verification, sign-in with a Django password hash, and the CLI.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import bcrypt from 'bcryptjs';
import { QueryTypes, type Sequelize } from 'sequelize';
import { resetDb, testConfig } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { signIn } from '../helpers/auth.js';
import { importFromDjango, DjangoImportFailed, type DjangoImportResult } from '../../src/services/django-import.js';
import { importDjangoCommand } from '../../src/cli/import-django.js';
import { soldCounts } from '../../src/services/stock.js';
import { createDjangoDatabase, dropDjangoDatabase, generateEdgeCases, mdUuid, CHOI_PASSWORD } from '../fixtures/django-backend.js';

const DJANGO_URL = (() => {
  const u = new URL(testConfig.testDatabaseUrl);
  u.pathname = `/django_src_${process.pid}`;
  return u.toString();
})();

async function rows<T = Record<string, unknown>>(s: Sequelize, sql: string, replacements: Record<string, unknown> = {}): Promise<T[]> {
  return (await s.query(sql, { type: QueryTypes.SELECT, replacements })) as T[];
}

async function tableCounts(s: Sequelize): Promise<Record<string, number>> {
  const tables = ['users', 'social_accounts', 'category_groups', 'categories', 'tags', 'products', 'product_tag_relations', 'option_groups', 'options',
    'orders', 'order_product_relations', 'single_product_carts', 'order_product_option_relations', 'customer_infos', 'payment_histories', 'audit_logs',
    'django_user_map', 'django_import_runs'];
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = (await rows<{ n: number }>(s, `SELECT count(*)::int AS n FROM ${t}`))[0]!.n;
  return out;
}

const count = (r: DjangoImportResult, target: string) => r.counts.find((c) => c.target === target)!;

/** Block the event loop (socket events queue up meanwhile). */
function spinUntil(t: number): void {
  while (Date.now() < t) {
    /* busy */
  }
}

/** The audit rows the edge-case fixture's history became with the first (row-by-row subquery) implementation. */
const HISTORY_AUDIT = JSON.parse(readFileSync(new URL('../fixtures/django-history-audit.json', import.meta.url), 'utf8')) as Array<Record<string, unknown> & { import_key: string; created_at: string }>;

describe('import:django (cut-over from the Django backend)', function () {
  this.timeout(60_000);
  let s: Sequelize;
  let dj: pg.Client;

  beforeEach(async () => {
    s = await resetDb();
    dj = await createDjangoDatabase(DJANGO_URL);
    await generateEdgeCases(dj);
    // our own accounts before the cut-over
    await s.query(`INSERT INTO users (id, email, username, password_hash) VALUES
      (1, 'Kim@Example.com', 'kim', NULL), (2, 'lee@python.or.kr', 'lee', NULL), (3, 'park@example.com', 'parkjh', NULL),
      (4, 'organizer@example.com', 'organizer', NULL);
      SELECT setval(pg_get_serial_sequence('users', 'id'), 4);`);
  });
  afterEach(async () => {
    await dj.end();
  });
  after(async () => {
    await dropDjangoDatabase(DJANGO_URL);
  });

  it('maps users by e-mail (case, @pycon.kr), username, the map file, else creates them with shifted ids and keeps unique_id', async () => {
    const r = await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]) });
    expect(r.committed).to.equal(true);
    expect(r.idOffset).to.equal(1000);
    const map = new Map((await rows<{ django_user_id: string; user_id: number; mode: string }>(s, 'SELECT * FROM django_user_map')).map((m) => [Number(m.django_user_id), m]));
    expect(map.get(1)).to.include({ user_id: 1, mode: 'auto_email' }); // kim@ vs Kim@
    expect(map.get(2)).to.include({ user_id: 2, mode: 'auto_email' }); // lee@pycon.kr = lee@python.or.kr
    expect(map.get(3)).to.include({ user_id: 3, mode: 'auto_username' });
    expect(map.get(4)).to.include({ user_id: 1004, mode: 'shifted' });
    expect(map.get(5)).to.include({ user_id: 1005, mode: 'shifted' });
    expect(map.get(6)).to.include({ user_id: 1005, mode: 'auto_email' }); // Dup@ and dup@: one account
    expect(map.get(7)).to.include({ user_id: 4, mode: 'manual' });
    expect(r.users).to.include({ source: 10, auto_email: 3, auto_username: 1, manual: 1, shifted: 5, created: 5 });
    expect(r.review.some((l) => l.includes('Django user 3 (parkjh') && l.includes('username only'))).to.equal(true);
    expect(r.review.some((l) => l.includes('Django user 6') && l.includes('shares the e-mail'))).to.equal(true);

    const users = new Map((await rows<{ id: number; unique_id: string; email: string; username: string; password_hash: string | null; is_staff: boolean; is_superuser: boolean; is_active: boolean; nickname_ko: string }>(
      s, 'SELECT * FROM users')).map((u) => [u.id, u]));
    // matched accounts take the Django unique_id (its printed QR codes keep working); created ones keep theirs
    expect(users.get(1)!.unique_id).to.equal(mdUuid('u1'));
    expect(users.get(2)!.unique_id).to.equal(mdUuid('u2'));
    expect(users.get(4)!.unique_id).to.equal(mdUuid('u7'));
    expect(users.get(1004)).to.include({ unique_id: mdUuid('u4'), email: 'choi@example.com', username: 'choi', nickname_ko: 'choi' });
    expect(users.get(1004)!.password_hash).to.match(/^pbkdf2_sha256\$/);
    expect(users.get(1008)).to.include({ username: 'staff_dj', is_staff: false, is_superuser: false }); // no admin rights carried over
    expect(users.get(1009)).to.include({ email: 'django-user-9@import.invalid', is_active: false, password_hash: null });
    expect(users.get(1010)!.password_hash).to.equal(null); // Django "!" = unusable
    // the sequence continues above the shifted ids
    const [next] = await rows<{ id: number }>(s, `INSERT INTO users (email, username) VALUES ('new@example.com', 'new') RETURNING id`);
    expect(next!.id).to.equal(1011);
    // social account linked to the created account, with the e-mail from extra_data
    expect(await rows(s, 'SELECT user_id, provider, uid, email FROM social_accounts')).to.deep.equal([{ user_id: 1010, provider: 'google', uid: 'g-123', email: 'social@example.com' }]);
    // the unique_id change of an existing account is audited
    const [audit] = await rows<{ before: { uniqueId: string }; after: { uniqueId: string } }>(s, `SELECT before, after FROM audit_logs WHERE table_name = 'users' AND record_id = '1' AND action = 'update'`);
    expect(audit!.after.uniqueId).to.equal(mdUuid('u1'));
  });

  it('imports every shop row with owners remapped and proves the money and sold counts equal', async () => {
    const r = await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]) });
    expect(r.differences).to.deep.equal([]);
    for (const c of r.counts) expect(c.present, c.table).to.equal(c.source);
    expect(count(r, 'orders')).to.include({ source: 6, inserted: 6 });
    expect(count(r, 'order_product_relations')).to.include({ source: 11, inserted: 11 });
    expect(count(r, 'payment_histories')).to.include({ source: 7, inserted: 7 });
    expect(r.ordersVerified).to.equal(4);
    expect(r.productsVerified).to.equal(4);

    // owners: Django user 4 (choi) → 1004, user 1 (kim) → 1; product creator (staff 8) → 1008
    const orders = new Map((await rows<{ id: string; user_id: number; name_ko: string; deleted_at: Date | null }>(s, 'SELECT id, user_id, name_ko, deleted_at FROM orders')).map((o) => [o.id, o]));
    expect(orders.get(mdUuid('O1'))).to.include({ user_id: 1, name_ko: '컨퍼런스 티켓 외 2건' });
    expect(orders.get(mdUuid('O2'))!.user_id).to.equal(1004);
    expect(orders.get(mdUuid('O5'))!.deleted_at).to.be.an.instanceOf(Date); // soft-deleted cart stays soft-deleted
    const [p1] = await rows<{ created_by_id: number; name_en: string; image: string }>(s, `SELECT created_by_id, name_en, image FROM products WHERE id = :id`, { id: mdUuid('P1') });
    expect(p1).to.deep.equal({ created_by_id: 1008, name_en: 'Conference ticket', image: 'https://example.com/t.png' });
    // a hidden Django product gets an empty visibility window
    const [p4] = await rows<{ visible_ends_at: Date; deleted_at: Date }>(s, `SELECT visible_ends_at, deleted_at FROM products WHERE id = :id`, { id: mdUuid('P4') });
    expect(p4!.visible_ends_at.getUTCFullYear()).to.be.lessThan(2);
    expect(p4!.deleted_at).to.be.an.instanceOf(Date);
    // the later columns and the ticket holders
    expect(r.skipped).to.deep.equal([]);
    expect(count(r, 'ticket_infos')).to.include({ source: 4, present: 4, inserted: 4 });
    const [ti] = await rows(s, `SELECT name, organization, contribution_message FROM ticket_infos WHERE order_product_relation_id = :id`, { id: mdUuid('OPR1a') });
    expect(ti).to.deep.equal({ name: '김파이', organization: '파이썬사용자모임', contribution_message: '화이팅' });
    expect(await rows(s, `SELECT name, is_ticket FROM categories ORDER BY name`)).to.deep.equal([{ name: '컨퍼런스 티켓', is_ticket: true }, { name: '티셔츠', is_ticket: false }]);
    const [og2] = await rows(s, `SELECT placeholder_mode, max_quantity_per_user FROM option_groups WHERE id = :id`, { id: mdUuid('OG2') });
    expect(og2).to.deep.equal({ placeholder_mode: 'required', max_quantity_per_user: 2 });
    // buy-now cart and its customer info
    expect(await rows(s, 'SELECT id, user_id, order_product_relation_id FROM single_product_carts')).to.deep.equal([{ id: mdUuid('SPC1'), user_id: 1010, order_product_relation_id: mdUuid('OPR6') }]);

    // our own stock service sees what Django sold: P1 = O1, O3, O7 (O2 refunded, the buy-now cart pending)
    const sold = await soldCounts(s, { productIds: [mdUuid('P1'), mdUuid('P2'), mdUuid('P3')], tagIds: [mdUuid('T1')], optionIds: [mdUuid('OXL'), mdUuid('OS')] });
    expect(sold.product.get(mdUuid('P1'))).to.equal(3);
    expect(sold.product.get(mdUuid('P2'))).to.equal(1);
    expect(sold.tag.get(mdUuid('T1'))).to.equal(3);
    expect(sold.option.get(mdUuid('OXL'))).to.equal(1);
    expect(sold.option.get(mdUuid('OS')) ?? 0).to.equal(0); // its item was refunded
    // the ledger of the partially refunded order: paid 70,000, refunded 20,000, balance 50,000 (the soft-deleted row ignored)
    const [o3] = await rows<{ status: string; price: number }>(s, `SELECT status, price FROM payment_histories WHERE order_id = :id AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 1`, { id: mdUuid('O3') });
    expect(o3).to.deep.equal({ status: 'partial_refunded', price: 50000 });

    // the run is stored with its verification
    const [run] = await rows<{ status: string; counts: unknown[]; summary: { ordersVerified: number } }>(s, 'SELECT status, counts, summary FROM django_import_runs');
    expect(run!.status).to.equal('committed');
    expect(run!.counts.length).to.equal(r.counts.length);
    expect(run!.summary.ordersVerified).to.equal(4);
  });

  it('turns simple-history rows into audit rows in order, orphans included', async () => {
    await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]) });
    const audit = await rows<{ table_name: string; record_id: string; action: string; actor_user_id: number | null; actor_label: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null; created_at: Date }>(
      s, `SELECT table_name, record_id, action, actor_user_id, actor_label, before, after, created_at FROM audit_logs WHERE import_key IS NOT NULL ORDER BY id`);
    // oldest first
    const times = audit.map((a) => a.created_at.getTime());
    expect(times).to.deep.equal([...times].sort((a, b) => a - b));
    const of = (id: string) => audit.filter((a) => a.record_id === mdUuid(id));
    // OPR1a: created pending by Django user 1 (= our 1), then paid (only the changed attribute)
    expect(of('OPR1a').map((a) => a.action)).to.deep.equal(['create', 'update']);
    expect(of('OPR1a')[0]).to.include({ table_name: 'order_product_relations', actor_user_id: 1, actor_label: 'django_user:1' });
    expect(of('OPR1a')[1]!.before).to.deep.equal({ status: 'pending', updatedAt: '2026-05-01T10:00:00.000Z' });
    expect(of('OPR1a')[1]!.after).to.deep.equal({ status: 'paid', updatedAt: '2026-05-01T12:00:00.000Z' });
    // a soft delete is a delete
    expect(of('OPR1d').map((a) => a.action)).to.deep.equal(['create', 'delete']);
    // the product's price change, by the Django staff user (our 1008)
    expect(of('P1')[1]).to.deep.include({ action: 'update', actor_user_id: 1008, before: { price: 45000 }, after: { price: 50000 } });
    // the promoted buy-now cart exists only in history: created and deleted
    expect(of('O7').filter((a) => a.table_name === 'single_product_carts').map((a) => a.action)).to.deep.equal(['create', 'delete']);
    // ticket-holder history
    expect(of('TI1a')[0]).to.deep.include({ table_name: 'ticket_infos', action: 'create', actor_user_id: 1 });
    expect(of('TI1a')[0]!.after).to.include({ name: '김파이', orderProductRelationId: mdUuid('OPR1a') });
    // an order Django no longer has, changed by a user it never had
    expect(of('order-gone')[0]).to.include({ table_name: 'orders', action: 'create', actor_user_id: null, actor_label: 'django_user:9999' });
  });

  it('history audit rows: the same rows as the first implementation wrote, equal times ordered by history id then table', async () => {
    await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]) });
    const audit = (await rows<{ import_key: string; created_at: Date }>(
      s, `SELECT import_key, table_name, record_id, action, actor_user_id, actor_label, reason, before, after, created_at FROM audit_logs WHERE import_key IS NOT NULL ORDER BY id`,
    )).map((a) => ({ ...a, created_at: a.created_at.toISOString() }));
    // same attributes, same before/after diffs, same actors
    expect([...audit].sort((a, b) => a.import_key.localeCompare(b.import_key))).to.deep.equal(HISTORY_AUDIT);
    // written oldest first; rows of one instant by history id, then by historical table (before: whatever the plan gave)
    const key = (a: { import_key: string; created_at: string }) => {
      const [, hist, hid] = a.import_key.split(':');
      return [a.created_at, Number(hid), hist!] as const;
    };
    const expected = [...HISTORY_AUDIT].sort((a, b) => {
      const [ta, ia, ha] = key(a);
      const [tb, ib, hb] = key(b);
      return ta.localeCompare(tb) || ia - ib || (ha < hb ? -1 : ha > hb ? 1 : 0);
    });
    expect(audit.map((a) => a.import_key)).to.deep.equal(expected.map((a) => a.import_key));
    // O1 and its first item were created at the same instant, both history id 1: the order first
    expect(audit.map((a) => a.import_key).slice(3, 5)).to.deep.equal(['django:order_historicalorder:1', 'django:order_historicalorderproductrelation:1']);
  });

  it('a later history row diffs against the state imported by an earlier run', async () => {
    await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]) });
    const at = `timestamptz '2026-06-01T00:00:00Z'`;
    await dj.query(`
      UPDATE order_orderproductrelation SET status = 'refunded', updated_at = ${at} WHERE id = md5('OPR1a')::uuid;
      INSERT INTO order_historicalorderproductrelation (id, created_at, updated_at, history_date, history_type, history_user_id, order_id, product_id, status, price, donation_price)
        VALUES (md5('OPR1a')::uuid, timestamptz '2026-05-01T10:00:00Z', ${at}, ${at}, '~', 4, md5('O1')::uuid, md5('P1')::uuid, 'refunded', 50000, 0);
      INSERT INTO payment_history_paymenthistory (id, created_at, updated_at, order_id, imp_id, status, price)
        VALUES (md5('PH1x')::uuid, ${at}, ${at}, md5('O1')::uuid, 'imp_1', 'partial_refunded', 37000);`);
    const second = await importFromDjango(s, { from: DJANGO_URL });
    expect(second.counts.find((c) => c.table === 'order_historicalorderproductrelation')).to.include({ inserted: 1 });
    const audit = await rows<{ action: string; actor_user_id: number; before: unknown; after: unknown }>(
      s, `SELECT action, actor_user_id, before, after FROM audit_logs WHERE import_key IS NOT NULL AND record_id = :id ORDER BY id`, { id: mdUuid('OPR1a') });
    expect(audit.map((a) => a.action)).to.deep.equal(['create', 'update', 'update']);
    // only what changed since the previous (already imported) history row, by Django user 4 (our 1004)
    expect(audit[2]).to.deep.equal({
      action: 'update',
      actor_user_id: 1004,
      before: { status: 'paid', updatedAt: '2026-05-01T12:00:00.000Z' },
      after: { status: 'refunded', updatedAt: '2026-06-01T00:00:00.000Z' },
    });
  });

  it('is idempotent, and a later run imports only what Django added or changed', async () => {
    const first = await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]) });
    const before = await tableCounts(s);
    const SHOP = ['orders', 'order_product_relations', 'order_product_option_relations', 'customer_infos', 'payment_histories', 'ticket_infos', 'products', 'options'];
    const xmaxes = async () => Object.fromEntries(await Promise.all(SHOP.map(async (t) => [t, await rows(s, `SELECT id, xmax::text AS xmax FROM ${t} ORDER BY id`)])));
    const locksBefore = await xmaxes();
    const second = await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]) });
    expect(second.differences).to.deep.equal([]);
    for (const c of second.counts) expect([c.table, c.inserted, c.updated]).to.deep.equal([c.table, 0, 0]);
    expect(second.users).to.include({ previous: 10, created: 0, shifted: 0 });
    expect(second.idOffset).to.equal(first.idOffset);
    const after = await tableCounts(s);
    expect({ ...after, django_import_runs: 0, audit_logs: 0 }).to.deep.equal({ ...before, django_import_runs: 0, audit_logs: 0 });
    expect(after.audit_logs).to.equal(before.audit_logs + 1); // only the run's own audit row
    // nothing written at all, not even a row lock (an ON CONFLICT … DO UPDATE whose WHERE skips the row
    // still locks it: a new xmax on every row and every page rewritten)
    expect(await xmaxes()).to.deep.equal(locksBefore);
    expect(second.phases.map((p) => p.phase)).to.include.members(['stage (COPY from Django)', 'users', 'upsert orders', 'history → audit rows', 'verify (ledgers, sold units)', 'commit']);

    // meanwhile in Django: a new user buys, O1's donation item is refunded, and the buy-now cart is paid
    const at = `timestamptz '2026-06-01T00:00:00Z'`;
    await dj.query(`
      INSERT INTO user_userext (id, password, is_superuser, username, email, is_staff, is_active, date_joined, unique_id)
        VALUES (11, '!', false, 'late', 'late@example.com', false, true, ${at}, md5('u11')::uuid);
      INSERT INTO order_order (id, created_at, updated_at, user_id, name) VALUES (md5('O8')::uuid, ${at}, ${at}, 11, '티셔츠');
      INSERT INTO order_orderproductrelation (id, created_at, updated_at, order_id, product_id, status, price) VALUES (md5('OPR8')::uuid, ${at}, ${at}, md5('O8')::uuid, md5('P2')::uuid, 'paid', 20000);
      INSERT INTO payment_history_paymenthistory (id, created_at, updated_at, order_id, imp_id, status, price) VALUES (md5('PH8')::uuid, ${at}, ${at}, md5('O8')::uuid, 'imp_8', 'completed', 20000);
      UPDATE order_orderproductrelation SET status = 'refunded', updated_at = ${at} WHERE id = md5('OPR1c')::uuid;
      INSERT INTO payment_history_paymenthistory (id, created_at, updated_at, order_id, imp_id, status, price) VALUES (md5('PH1r')::uuid, ${at}, ${at}, md5('O1')::uuid, 'imp_1', 'partial_refunded', 72000);
      INSERT INTO order_order (id, created_at, updated_at, user_id, name) VALUES (md5('SPC1')::uuid, ${at}, ${at}, 10, '컨퍼런스 티켓');
      UPDATE order_orderproductrelation SET order_id = md5('SPC1')::uuid, status = 'paid', updated_at = ${at} WHERE id = md5('OPR6')::uuid;
      UPDATE order_customerinfo SET order_id = md5('SPC1')::uuid, single_product_cart_id = NULL, updated_at = ${at} WHERE id = md5('CI6')::uuid;
      DELETE FROM order_singleproductcart WHERE id = md5('SPC1')::uuid;
      INSERT INTO payment_history_paymenthistory (id, created_at, updated_at, order_id, imp_id, status, price) VALUES (md5('PH6')::uuid, ${at}, ${at}, md5('SPC1')::uuid, 'imp_6', 'completed', 50000);
      INSERT INTO order_historicalorderproductrelation (id, created_at, updated_at, history_date, history_type, history_user_id, order_id, product_id, status, price, donation_price)
        VALUES (md5('OPR1c')::uuid, ${at}, ${at}, ${at}, '~', NULL, md5('O1')::uuid, md5('P3')::uuid, 'refunded', 10000, 5000);
    `);
    const third = await importFromDjango(s, { from: DJANGO_URL });
    expect(third.differences).to.deep.equal([]);
    expect(count(third, 'users')).to.include({ inserted: 1 });
    expect(third.users).to.include({ previous: 10, shifted: 1 });
    expect(count(third, 'orders')).to.include({ inserted: 2, updated: 0 });
    expect(count(third, 'order_product_relations')).to.include({ inserted: 1, updated: 2 });
    expect(count(third, 'payment_histories')).to.include({ inserted: 3, updated: 0 });
    expect(count(third, 'customer_infos')).to.include({ inserted: 0, updated: 1 });
    expect(third.counts.find((c) => c.table === 'order_historicalorderproductrelation')).to.include({ inserted: 1 });
    // the promoted buy-now cart is gone here too; its item is paid in the new order
    expect(await rows(s, 'SELECT id FROM single_product_carts')).to.deep.equal([]);
    const [late] = await rows<{ user_id: number }>(s, `SELECT user_id FROM django_user_map WHERE django_user_id = 11`);
    expect(late!.user_id).to.equal(1011);
    const sold = await soldCounts(s, { productIds: [mdUuid('P1'), mdUuid('P2'), mdUuid('P3')], tagIds: [], optionIds: [] });
    expect([sold.product.get(mdUuid('P1')), sold.product.get(mdUuid('P2')), sold.product.get(mdUuid('P3')) ?? 0]).to.deep.equal([4, 2, 0]);
  });

  it('a dry run verifies and prints but writes nothing', async () => {
    const before = await tableCounts(s);
    const r = await importFromDjango(s, { from: DJANGO_URL, dryRun: true, userMap: new Map([[7, 4]]) });
    expect(r.dryRun).to.equal(true);
    expect(r.committed).to.equal(false);
    expect(r.differences).to.deep.equal([]);
    expect(count(r, 'orders')).to.include({ source: 6, present: 6, inserted: 6 });
    expect(await tableCounts(s)).to.deep.equal(before);
  });

  it('any difference fails the run: nothing committed, the list printed and stored', async () => {
    await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]) });
    // our side changed after the import: a refund row here that Django does not have
    await s.query(`INSERT INTO payment_histories (order_id, imp_id, status, price, created_at) VALUES (:id, 'imp_7', 'partial_refunded', 10000, now())`, { replacements: { id: mdUuid('O7') } });
    await dj.query(`INSERT INTO user_userext (id, password, is_superuser, username, email, is_staff, is_active, date_joined, unique_id)
                    VALUES (12, '!', false, 'newer', 'newer@example.com', false, true, now(), gen_random_uuid())`);
    const before = await tableCounts(s);
    let failed: DjangoImportFailed | null = null;
    try {
      await importFromDjango(s, { from: DJANGO_URL });
    } catch (e) {
      failed = e as DjangoImportFailed;
    }
    expect(failed).to.be.an.instanceOf(DjangoImportFailed);
    expect(failed!.result.differences).to.deep.equal([
      { kind: 'ledger', key: `order ${mdUuid('O7')}`, django: 'paid 50000 / refunded 0 / balance 50000', ours: 'paid 50000 / refunded 40000 / balance 10000' },
    ]);
    const after = await tableCounts(s);
    expect(after).to.deep.equal({ ...before, django_import_runs: before.django_import_runs! + 1 }); // the new Django user was not imported
    const [run] = await rows<{ status: string; differences: unknown[] }>(s, `SELECT status, differences FROM django_import_runs WHERE status = 'failed'`);
    expect(run!.differences).to.have.length(1);
  });

  it('the Django database going away mid-run fails the run cleanly (no crash, nothing written)', async () => {
    const before = await tableCounts(s);
    let terminated = 0;
    const progress = {
      start() {},
      advance(_rows: number, step: string) {
        if (step !== 'read user_userext') return;
        // synchronously, so the import's source connection is idle between two COPYs when the server ends it
        // (57P01, as a DROP DATABASE … WITH (FORCE) or an operator's pg_terminate_backend would)
        terminated = Number(
          execFileSync(process.execPath, ['-e', `
            const pg = require('pg');
            const c = new pg.Client({ connectionString: process.argv[1] });
            c.connect()
              .then(() => c.query("SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'conference-shop import:django' AND datname = current_database()"))
              .then((r) => { process.stdout.write(String(r.rows[0].n)); return c.end(); });`, DJANGO_URL], { encoding: 'utf8' }),
        );
        spinUntil(Date.now() + 200); // the termination notice arrives while nothing is being read
      },
      stop() {},
    };
    let error: Error | null = null;
    try {
      await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]), progress });
    } catch (e) {
      error = e as Error;
    }
    expect(terminated).to.equal(1);
    expect(error, 'the run fails').to.be.an.instanceOf(Error);
    expect(error!.message).to.match(/connection to the Django database was lost/).and.match(/terminating connection due to administrator command/);
    expect(await tableCounts(s)).to.deep.equal(before);
  });

  it('a conflict with our own catalogue fails the run with the constraint named', async () => {
    await s.query(`INSERT INTO category_groups (name) VALUES ('티켓')`);
    let failed: DjangoImportFailed | null = null;
    try {
      await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]) });
    } catch (e) {
      failed = e as DjangoImportFailed;
    }
    expect(failed, 'the run fails').to.be.an.instanceOf(DjangoImportFailed);
    expect(failed!.result.differences[0]).to.include({ kind: 'constraint' });
    expect(String(failed!.result.differences[0]!.django)).to.include('티켓');
    expect((await rows<{ n: number }>(s, 'SELECT count(*)::int AS n FROM django_user_map'))[0]!.n).to.equal(0);
  });

  it('an older Django database (before is_ticket, placeholder_mode, ticket info) imports with the defaults', async () => {
    await dj.end();
    dj = await createDjangoDatabase(DJANGO_URL, { later: false });
    await generateEdgeCases(dj, { later: false });
    const r = await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]) });
    expect(r.differences).to.deep.equal([]);
    expect(r.skipped.join('\n')).to.include('order_ticketinfo → ticket_infos: not in the Django database');
    // a category named "…티켓…" is a ticket category (the original's own backfill rule)
    expect(await rows(s, `SELECT name, is_ticket FROM categories ORDER BY name`)).to.deep.equal([{ name: '컨퍼런스 티켓', is_ticket: true }, { name: '티셔츠', is_ticket: false }]);
    const [og2] = await rows(s, `SELECT placeholder_mode, max_quantity_per_user, orderable_ends_at FROM option_groups WHERE id = :id`, { id: mdUuid('OG2') });
    expect(og2).to.deep.equal({ placeholder_mode: 'hidden', max_quantity_per_user: 0, orderable_ends_at: null });
  });

  it('a Django password hash signs in and is upgraded to ours', async () => {
    await importFromDjango(s, { from: DJANGO_URL, userMap: new Map([[7, 4]]) });
    const app = await makeApp();
    await signIn(app, 'choi@example.com', CHOI_PASSWORD);
    const [u] = await rows<{ password_hash: string }>(s, `SELECT password_hash FROM users WHERE id = 1004`);
    expect(u!.password_hash).to.match(/^\$2/);
    expect(await bcrypt.compare(CHOI_PASSWORD, u!.password_hash)).to.equal(true);
    // a wrong password does not sign in with a Django hash either
    const [dup] = await rows<{ password_hash: string }>(s, `SELECT password_hash FROM users WHERE id = 1005`);
    expect(dup!.password_hash).to.match(/^pbkdf2_sha256\$/);
    const { agent, csrf } = await (await import('../helpers/auth.js')).anonymousBrowser(app);
    const res = await agent.post('/authn/social/browser/v1/auth/login').set('x-csrftoken', csrf).send({ email: 'dup@example.com', password: 'dup-pass-wrong' });
    expect(res.status).to.equal(400);
    await signIn(app, 'dup@example.com', 'dup-pass-123');
  });

  it('the CLI: --dry-run, --user-map, --id-offset, usage errors and exit codes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-django-'));
    const mapFile = join(dir, 'map.csv');
    writeFileSync(mapFile, 'django_user_id,user_id\n7,4\n');
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    expect(await importDjangoCommand([], s, io)).to.equal(2);
    expect(err.join('\n')).to.include('usage: npm run import:django');
    expect(await importDjangoCommand(['--from', DJANGO_URL, '--dry-run', '--user-map', mapFile, '--id-offset', '5000'], s, io)).to.equal(0);
    expect(out.join('\n')).to.include('DRY RUN').and.include('order_order').and.include('by the map file');
    expect((await rows<{ n: number }>(s, 'SELECT count(*)::int AS n FROM orders'))[0]!.n).to.equal(0);
    out.length = 0;
    expect(await importDjangoCommand(['--from', DJANGO_URL, '--user-map', mapFile, '--id-offset', '5000'], s, io)).to.equal(0);
    expect(out.join('\n')).to.include('committed').and.include('for review');
    expect((await rows<{ user_id: number }>(s, 'SELECT user_id FROM django_user_map WHERE django_user_id = 4'))[0]!.user_id).to.equal(5004);
    writeFileSync(mapFile, '7,not-a-number\n');
    expect(await importDjangoCommand(['--from', DJANGO_URL, '--user-map', mapFile], s, io)).to.equal(2);
    expect(err.at(-1)).to.include('--user-map line 1');
  });
});

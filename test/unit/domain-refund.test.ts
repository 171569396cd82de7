// §3.6 refund reasons (in order) and refund math, with a property over random refund sequences.
import { expect } from 'chai';
import fc from 'fast-check';
import { Messages } from '../../src/domain/messages.js';
import {
  notFullyRefundableReason,
  notRefundableReason,
  planFullRefund,
  planItemRefund,
  type RefundItemFacts,
  type RefundOrderFacts,
} from '../../src/domain/refund/reasons.js';
import { canTransition, type PaymentStatus } from '../../src/domain/payment/status.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const FUTURE = new Date('2026-12-31T00:00:00Z');
const PAST = new Date('2026-05-31T23:59:59.999Z');
const NR = Messages.NotRefundable;

const item = (over: Partial<RefundItemFacts> = {}): RefundItemFacts => ({
  id: 'i1',
  status: 'paid',
  price: 30_000,
  donationPrice: 0,
  refundableEndsAt: FUTURE,
  ...over,
});
const order = (items: RefundItemFacts[], over: Partial<RefundOrderFacts> = {}): RefundOrderFacts => ({
  latestImpId: 'imp_1',
  currentStatus: 'completed',
  currentPaidPrice: items.filter((i) => i.status === 'paid' || i.status === 'used').reduce((s, i) => s + i.price + i.donationPrice, 0),
  items,
  ...over,
});

describe('domain/refund/reasons — §3.6', () => {
  describe('per item (first hit wins)', () => {
    it('refundable → null', () => {
      const i = item();
      expect(notRefundableReason(i, order([i]), NOW)).to.equal(null);
    });
    it('1. no order or no imp id → ORDER_NOT_REFUNDABLE (before anything else)', () => {
      const i = item({ status: 'used', refundableEndsAt: PAST });
      expect(notRefundableReason(i, null, NOW)).to.equal(NR.ORDER_NOT_REFUNDABLE);
      expect(notRefundableReason(i, order([i], { latestImpId: null, currentStatus: 'refunded' }), NOW)).to.equal(NR.ORDER_NOT_REFUNDABLE);
    });
    it('2. order status not completed/partial_refunded → ORDER_NOT_REFUNDABLE_STATUS', () => {
      const i = item({ status: 'used' });
      for (const s of ['pending', 'refunded'] as PaymentStatus[]) {
        expect(notRefundableReason(i, order([i], { currentStatus: s }), NOW)).to.equal(NR.ORDER_NOT_REFUNDABLE_STATUS);
      }
      expect(notRefundableReason(item(), order([item()], { currentStatus: 'partial_refunded' }), NOW)).to.equal(null);
    });
    it('3. item not paid → PRODUCT_STATUS_IS_NOT_PAID', () => {
      for (const status of ['pending', 'used', 'refunded'] as const) {
        const i = item({ status, refundableEndsAt: PAST, price: 0 });
        expect(notRefundableReason(i, order([i]), NOW), status).to.equal(NR.PRODUCT_STATUS_IS_NOT_PAID);
      }
    });
    it('4. refundable_ends_at < now → PRODUCT_REFUND_TIME_EXPIRED (boundary inclusive; admin ignores it)', () => {
      const expired = item({ refundableEndsAt: PAST, price: 0 });
      expect(notRefundableReason(expired, order([expired]), NOW)).to.equal(NR.PRODUCT_REFUND_TIME_EXPIRED);
      const atNow = item({ refundableEndsAt: NOW });
      expect(notRefundableReason(atNow, order([atNow]), NOW)).to.equal(null);
      const paidExpired = item({ refundableEndsAt: PAST });
      expect(notRefundableReason(paidExpired, order([paidExpired]), NOW, { ignoreWindow: true })).to.equal(null);
    });
    it('5. price + donation == 0 → PRODUCT_PRICE_IS_ZERO (a donation alone is refundable)', () => {
      const zero = item({ price: 0, donationPrice: 0 });
      expect(notRefundableReason(zero, order([zero]), NOW)).to.equal(NR.PRODUCT_PRICE_IS_ZERO);
      const donationOnly = item({ price: 0, donationPrice: 1000 });
      expect(notRefundableReason(donationOnly, order([donationOnly]), NOW)).to.equal(null);
    });
  });

  describe('whole order (first hit wins)', () => {
    const paid = (id: string, price: number, over: Partial<RefundItemFacts> = {}) => item({ id, price, ...over });
    it('fully refundable → null', () => {
      expect(notFullyRefundableReason(order([paid('a', 1000), paid('b', 2000, { donationPrice: 500 })]), NOW)).to.equal(null);
    });
    it('1. no imp id → ORDER_IMP_ID_NOT_EXIST (CSV import), before the status check', () => {
      expect(notFullyRefundableReason(order([paid('a', 1)], { latestImpId: null, currentStatus: 'refunded' }), NOW)).to.equal(NR.ORDER_IMP_ID_NOT_EXIST);
    });
    it('2. status → ORDER_NOT_REFUNDABLE_STATUS', () => {
      expect(notFullyRefundableReason(order([paid('a', 1)], { currentStatus: 'refunded' }), NOW)).to.equal(NR.ORDER_NOT_REFUNDABLE_STATUS);
      expect(notFullyRefundableReason(order([paid('a', 1)], { currentStatus: 'pending' }), NOW)).to.equal(NR.ORDER_NOT_REFUNDABLE_STATUS);
    });
    it('3. any pending or used item → ONE_OF_PRODUCT_IS_USED_TRY_AFTER_CHANGING_STATUS', () => {
      for (const status of ['pending', 'used'] as const) {
        expect(notFullyRefundableReason(order([paid('a', 1000), paid('b', 1000, { status })]), NOW)).to.equal(
          NR.ONE_OF_PRODUCT_IS_USED_TRY_AFTER_CHANGING_STATUS,
        );
      }
    });
    it('4. no paid item → ORDER_REFUNDABLE_PRODUCT_NOT_FOUND', () => {
      expect(notFullyRefundableReason(order([paid('a', 1000, { status: 'refunded' })], { currentStatus: 'partial_refunded', currentPaidPrice: 0 }), NOW)).to.equal(
        NR.ORDER_REFUNDABLE_PRODUCT_NOT_FOUND,
      );
    });
    it('5. expected == 0 → ORDER_REFUNDABLE_PRICE_NOT_FOUND', () => {
      expect(notFullyRefundableReason(order([paid('a', 0)]), NOW)).to.equal(NR.ORDER_REFUNDABLE_PRICE_NOT_FOUND);
    });
    it('6. current_paid_price ≠ expected → ORDER_REFUND_TARGET_PRICE_IS_MISMATCH (before the window)', () => {
      const o = order([paid('a', 1000, { refundableEndsAt: PAST })], { currentPaidPrice: 999 });
      expect(notFullyRefundableReason(o, NOW)).to.equal(NR.ORDER_REFUND_TARGET_PRICE_IS_MISMATCH);
    });
    it('7. a paid item past its window → ONE_OF_PRODUCT_REFUND_TIME_EXPIRED; ignoreWindow (admin/desk) bypasses only this', () => {
      const o = order([paid('a', 1000), paid('b', 1000, { refundableEndsAt: PAST })]);
      expect(notFullyRefundableReason(o, NOW)).to.equal(NR.ONE_OF_PRODUCT_REFUND_TIME_EXPIRED);
      expect(notFullyRefundableReason(o, NOW, { ignoreWindow: true })).to.equal(null);
      expect(notFullyRefundableReason({ ...o, currentPaidPrice: 1 }, NOW, { ignoreWindow: true })).to.equal(NR.ORDER_REFUND_TARGET_PRICE_IS_MISMATCH);
    });
  });

  describe('refund math', () => {
    it('per item: refund = price + donation, checksum = before, after = before − refund', () => {
      const a = item({ id: 'a', price: 10_000, donationPrice: 2000 });
      const b = item({ id: 'b', price: 5000 });
      const plan = planItemRefund(a, order([a, b]));
      expect(plan).to.deep.equal({ refund: 12_000, checksum: 17_000, after: 5000, nextStatus: 'partial_refunded', impId: 'imp_1' });
    });
    it('per item: refunded when no OTHER active item is still paid|used; a used one keeps it partial', () => {
      const a = item({ id: 'a', price: 1000 });
      expect(planItemRefund(a, order([a, item({ id: 'b', status: 'refunded' })])).nextStatus).to.equal('refunded');
      expect(planItemRefund(a, order([a, item({ id: 'b', status: 'used' })])).nextStatus).to.equal('partial_refunded');
    });
    it('full: amount = checksum = expected, status refunded, price 0, all paid items', () => {
      const o = order([item({ id: 'a', price: 1000, donationPrice: 100 }), item({ id: 'b', price: 2000 }), item({ id: 'c', status: 'refunded', price: 7 })]);
      expect(planFullRefund(o)).to.deep.equal({
        amount: 3100,
        checksum: 3100,
        nextStatus: 'refunded',
        price: 0,
        impId: 'imp_1',
        itemIds: ['a', 'b'],
      });
    });

    it('property: over random sequences of refunds and desk changes, Σ refunds ≤ paid, the checksum always equals the remaining balance, statuses stay legal', () => {
      type Op = { kind: 'item'; i: number; admin: boolean } | { kind: 'full'; admin: boolean } | { kind: 'desk'; i: number };
      const opArb: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ kind: fc.constant('item' as const), i: fc.nat(7), admin: fc.boolean() }),
        fc.record({ kind: fc.constant('full' as const), admin: fc.boolean() }),
        fc.record({ kind: fc.constant('desk' as const), i: fc.nat(7) }),
      );
      const itemArb = fc.record({
        price: fc.integer({ min: 0, max: 300_000 }),
        donationPrice: fc.integer({ min: 0, max: 50_000 }),
        expired: fc.boolean(),
      });
      fc.assert(
        fc.property(fc.array(itemArb, { minLength: 1, maxLength: 8 }), fc.array(opArb, { maxLength: 25 }), (specs, ops) => {
          let items: RefundItemFacts[] = specs.map((s, n) => ({
            id: `i${n}`,
            status: 'paid',
            price: s.price,
            donationPrice: s.donationPrice,
            refundableEndsAt: s.expired ? PAST : FUTURE,
          }));
          const paidTotal = items.reduce((s, i) => s + i.price + i.donationPrice, 0);
          let status: PaymentStatus = 'completed';
          let balance = paidTotal; // PortOne's view
          let refunded = 0;
          const held = () => items.filter((i) => i.status === 'paid' || i.status === 'used').reduce((s, i) => s + i.price + i.donationPrice, 0);
          const facts = (): RefundOrderFacts => ({ latestImpId: 'imp', currentStatus: status, currentPaidPrice: balance, items });

          for (const op of ops) {
            if (op.kind === 'desk') {
              const target = items[op.i % items.length]!;
              if (target.status === 'paid' || target.status === 'used') {
                const to = target.status === 'paid' ? 'used' : 'paid';
                items = items.map((i) => (i === target ? { ...i, status: to } : i));
              }
              continue;
            }
            if (op.kind === 'item') {
              const target = items[op.i % items.length]!;
              if (notRefundableReason(target, facts(), NOW, { ignoreWindow: op.admin }) !== null) continue;
              const plan = planItemRefund(target, facts());
              expect(plan.checksum, 'checksum = balance').to.equal(balance);
              expect(plan.after).to.be.at.least(0);
              expect(canTransition(status, plan.nextStatus), `${status} → ${plan.nextStatus}`).to.equal(true);
              balance -= plan.refund;
              refunded += plan.refund;
              status = plan.nextStatus;
              items = items.map((i) => (i === target ? { ...i, status: 'refunded' } : i));
            } else {
              if (notFullyRefundableReason(facts(), NOW, { ignoreWindow: op.admin }) !== null) continue;
              const plan = planFullRefund(facts());
              expect(plan.checksum).to.equal(balance);
              expect(plan.amount).to.equal(balance);
              expect(canTransition(status, 'refunded')).to.equal(true);
              balance -= plan.amount;
              refunded += plan.amount;
              status = 'refunded';
              items = items.map((i) => (plan.itemIds.includes(i.id) ? { ...i, status: 'refunded' } : i));
            }
            // invariants after every refund
            expect(refunded).to.be.at.most(paidTotal);
            expect(balance).to.equal(paidTotal - refunded);
            expect(balance, 'the remaining balance = what the still-held items are worth').to.equal(held());
            if (status === 'refunded') {
              expect(balance).to.equal(0);
              expect(items.some((i) => i.status === 'paid' || i.status === 'used')).to.equal(false);
            }
          }
          if (status === 'refunded') {
            for (const i of items) expect(notRefundableReason(i, facts(), NOW, { ignoreWindow: true })).to.not.equal(null);
            expect(notFullyRefundableReason(facts(), NOW, { ignoreWindow: true })).to.not.equal(null);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});

/**
 * Issue #9 reliability: property-based tests (fast-check, bounded runs) of the pure domain rules —
 * stock arithmetic, time windows, refund amounts over a real ledger, and the ledger state machine.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  leftover,
  isSoldOut,
  limitLeft,
  leftoverStockPerUser,
  isGroupStockAvailable,
  optionLeftoverStockInfo,
  optionGroupLeftoverStockInfo,
} from '../../src/domain/catalog/stock.js';
import {
  isWithinWindow,
  effectiveGroupWindows,
  isGroupVisible,
  isGroupOrderable,
  isGroupOpenForOrder,
  isProductVisible,
  productCurrentStatus,
  isRefundWindowOpen,
  answerEditability,
} from '../../src/domain/catalog/windows.js';
import { notFullyRefundableReason, notRefundableReason, planFullRefund, planItemRefund, type RefundItemFacts } from '../../src/domain/refund/reasons.js';
import {
  canTransition,
  deriveOrderPayment,
  canTransitionOpr,
  PAYMENT_STATUSES,
  OPR_STATUSES,
  type PaymentHistoryFacts,
  type PaymentStatus,
  type OprStatus,
} from '../../src/domain/payment/status.js';

const RUNS = { numRuns: 300 };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const instant = fc.integer({ min: -10_000, max: 10_000 }).map((s) => new Date(T0 + s * 1000));
const maybeInstant = fc.option(instant, { nil: null });

describe('reliability: domain properties (fast-check)', () => {
  describe('stock arithmetic', () => {
    it('leftover is null exactly when unlimited, else stock − sold; sold out exactly when limited and ≤ 0', () => {
      fc.assert(
        fc.property(fc.integer({ min: -5, max: 1000 }), fc.nat(2000), (stock, sold) => {
          const left = leftover(stock, sold);
          expect(left === null).to.equal(stock === 0);
          if (left !== null) expect(left).to.equal(stock - sold);
          expect(isSoldOut(stock, sold)).to.equal(stock !== 0 && stock - sold <= 0);
        }),
        RUNS,
      );
    });

    it('selling one unit at a time while not sold out never sells more than the stock (no oversell)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 200 }), fc.array(fc.nat(5), { maxLength: 300 }), (stock, demand) => {
          let sold = 0;
          for (const want of demand) {
            for (let i = 0; i < want; i++) if (!isSoldOut(stock, sold)) sold++;
            expect(leftover(stock, sold)!).to.be.at.least(0);
          }
          expect(sold).to.be.at.most(stock);
        }),
        RUNS,
      );
    });

    it('per-user limits: limitLeft ∈ [0, limit] (null = no limit), and leftover_stock_per_user is the minimum of the known values but the product cap', () => {
      const facts = fc.record({ stock: fc.integer({ min: -3, max: 50 }), sold: fc.nat(60), maxQuantityPerUser: fc.nat(5) });
      fc.assert(
        fc.property(facts, fc.nat(5), facts, fc.nat(8), fc.nat(8), fc.nat(8), (product, groupLimit, option, tp, tg, to) => {
          const info = optionLeftoverStockInfo(product, { maxQuantityPerUser: groupLimit }, option, { product: tp, group: tg, option: to });
          const { product_max_quantity_per_user: _productCap, ...rest } = info; // shown, but not a cap of the option
          const values = Object.values(rest).filter((v): v is number => v !== null);
          expect(leftoverStockPerUser(info)).to.equal(values.length ? Math.min(...values) : null);
          for (const [limit, taken] of [[product.maxQuantityPerUser, tp], [groupLimit, tg], [option.maxQuantityPerUser, to]] as const) {
            const l = limitLeft(limit, taken);
            if (limit === 0) expect(l).to.equal(null);
            else expect(l).to.be.within(0, limit);
          }
          // the option's info extends its group's info
          expect(info).to.include(optionGroupLeftoverStockInfo(product, { maxQuantityPerUser: groupLimit }, { product: tp, group: tg }));
        }),
        RUNS,
      );
    });

    it('a required option group is available iff an option is unlimited or Σ leftovers covers the minimum', () => {
      fc.assert(
        fc.property(
          fc.boolean(),
          fc.nat(3),
          fc.array(fc.record({ stock: fc.integer({ min: -2, max: 5 }), sold: fc.nat(6) }), { maxLength: 5 }),
          (custom, min, options) => {
            const available = isGroupStockAvailable({ isCustomResponse: custom, minQuantityPerProduct: min, options });
            if (custom || min === 0) {
              expect(available).to.equal(true);
              return;
            }
            const unlimited = options.some((o) => o.stock === 0);
            const total = options.reduce((s, o) => s + (o.stock === 0 ? 0 : o.stock - o.sold), 0);
            expect(available).to.equal(unlimited || min <= total);
          },
        ),
        RUNS,
      );
    });
  });

  describe('time windows', () => {
    it('inclusive at both ends, null bounds unbounded', () => {
      fc.assert(
        fc.property(instant, maybeInstant, maybeInstant, (now, start, end) => {
          const expected = (start === null || start.getTime() <= now.getTime()) && (end === null || now.getTime() <= end.getTime());
          expect(isWithinWindow(now, start, end)).to.equal(expected);
          if (start) expect(isWithinWindow(start, start, end)).to.equal(end === null || start.getTime() <= end.getTime());
        }),
        RUNS,
      );
    });

    it('an option group inherits each missing bound from its product; open for order ⇔ visible ∧ orderable; never visible when its product is not and it inherits both bounds', () => {
      const product = fc.record({ visibleStartsAt: instant, visibleEndsAt: instant, orderableStartsAt: instant, orderableEndsAt: instant });
      const group = fc.record({ visibleStartsAt: maybeInstant, visibleEndsAt: maybeInstant, orderableStartsAt: maybeInstant, orderableEndsAt: maybeInstant });
      fc.assert(
        fc.property(product, group, instant, (p, g, now) => {
          const w = effectiveGroupWindows(g, p);
          expect(w.visible.startsAt).to.equal(g.visibleStartsAt ?? p.visibleStartsAt);
          expect(w.orderable.endsAt).to.equal(g.orderableEndsAt ?? p.orderableEndsAt);
          expect(isGroupOpenForOrder(g, p, now)).to.equal(isGroupVisible(g, p, now) && isGroupOrderable(g, p, now));
          if (g.visibleStartsAt === null && g.visibleEndsAt === null) expect(isGroupVisible(g, p, now)).to.equal(isProductVisible(p, now));
          const status = productCurrentStatus(p, now);
          expect(status === 'out_of_visible_period').to.equal(!isProductVisible(p, now));
        }),
        RUNS,
      );
    });

    it('refund window and answer edits: open up to and including the deadline, closed 1 ms after', () => {
      fc.assert(
        fc.property(instant, (deadline) => {
          expect(isRefundWindowOpen(deadline, deadline)).to.equal(true);
          expect(isRefundWindowOpen(deadline, new Date(deadline.getTime() + 1))).to.equal(false);
          expect(answerEditability(deadline, deadline)).to.equal('editable');
          expect(answerEditability(deadline, new Date(deadline.getTime() + 1))).to.equal('expired');
          expect(answerEditability(null, deadline)).to.equal('never');
        }),
        RUNS,
      );
    });
  });

  describe('refunds over the ledger', () => {
    // The order's values are always DERIVED from its append-only ledger (as the services do), never tracked.
    it('Σ refunds ≤ paid; each cancel checksum = the ledger balance before it (a chain); the ledger ends consistent with the items', () => {
      const itemArb = fc.record({ price: fc.integer({ min: 0, max: 200_000 }), donationPrice: fc.integer({ min: 0, max: 30_000 }) });
      const op = fc.oneof(fc.record({ kind: fc.constant('item' as const), i: fc.nat(9) }), fc.record({ kind: fc.constant('full' as const) }), fc.record({ kind: fc.constant('desk' as const), i: fc.nat(9) }));
      fc.assert(
        fc.property(fc.array(itemArb, { minLength: 1, maxLength: 6 }), fc.array(op, { maxLength: 20 }), (specs, ops) => {
          const FAR = new Date(T0 + 365 * 86_400_000);
          const now = new Date(T0);
          let items: RefundItemFacts[] = specs.map((s, n) => ({ id: `i${n}`, status: 'paid' as OprStatus, ...s, refundableEndsAt: FAR }));
          const paid = items.reduce((s, i) => s + i.price + i.donationPrice, 0);
          let clock = T0;
          const ledger: PaymentHistoryFacts[] = [{ status: 'completed', price: paid, impId: 'imp_1', createdAt: new Date(clock) }];
          const cancels: Array<{ amount: number; checksum: number }> = [];
          const facts = () => {
            const d = deriveOrderPayment(ledger);
            return { latestImpId: d.latestImpId, currentStatus: d.currentStatus, currentPaidPrice: d.currentPaidPrice, items };
          };
          const append = (status: PaymentStatus, price: number) => {
            const before = deriveOrderPayment(ledger).currentStatus;
            expect(canTransition(before, status), `${before} → ${status}`).to.equal(true);
            ledger.push({ status, price, impId: 'imp_1', createdAt: new Date(++clock) });
          };
          for (const o of ops) {
            if (o.kind === 'desk') {
              const t = items[o.i % items.length]!;
              if (t.status === 'paid' || t.status === 'used') {
                const to: OprStatus = t.status === 'paid' ? 'used' : 'paid';
                expect(canTransitionOpr(t.status, to, 'desk')).to.equal(true);
                items = items.map((x) => (x === t ? { ...x, status: to } : x));
              }
            } else if (o.kind === 'item') {
              const t = items[o.i % items.length]!;
              if (notRefundableReason(t, facts(), now)) continue;
              const plan = planItemRefund(t, facts());
              cancels.push({ amount: plan.refund, checksum: plan.checksum });
              expect(canTransitionOpr(t.status, 'refunded', 'refund')).to.equal(true);
              items = items.map((x) => (x === t ? { ...x, status: 'refunded' } : x));
              append(plan.nextStatus, plan.after);
            } else {
              if (notFullyRefundableReason(facts(), now)) continue;
              const plan = planFullRefund(facts());
              cancels.push({ amount: plan.amount, checksum: plan.checksum });
              items = items.map((x) => (plan.itemIds.includes(x.id) ? { ...x, status: 'refunded' } : x));
              append('refunded', 0);
            }
          }
          // the checksum chain: each cancel's checksum is what PortOne still holds = paid − earlier cancels
          let held = paid;
          for (const c of cancels) {
            expect(c.checksum).to.equal(held);
            expect(c.amount).to.be.within(0, held);
            held -= c.amount;
          }
          const refunded = cancels.reduce((s, c) => s + c.amount, 0);
          expect(refunded).to.be.at.most(paid);
          const d = deriveOrderPayment(ledger);
          expect(d.currentPaidPrice).to.equal(paid - refunded);
          // what the ledger still holds is exactly the items not refunded
          expect(d.currentPaidPrice).to.equal(items.filter((i) => i.status !== 'refunded').reduce((s, i) => s + i.price + i.donationPrice, 0));
          if (d.currentStatus === 'refunded') expect(items.filter((i) => i.status === 'paid' || i.status === 'used')).to.deep.equal([]);
        }),
        RUNS,
      );
    });
  });

  describe('ledger state machine', () => {
    it('no sequence of attempted events reaches an illegal state: one completed row at most, nothing after refunded, never back to pending', () => {
      const event = fc.oneof(
        fc.constant({ kind: 'webhook' as const }), // a (possibly duplicate) payment notification
        fc.constantFrom(...PAYMENT_STATUSES).map((to) => ({ kind: 'append' as const, to })), // any attempted ledger row
      );
      fc.assert(
        fc.property(fc.array(event, { maxLength: 40 }), (events) => {
          const ledger: PaymentHistoryFacts[] = [];
          let clock = T0;
          for (const e of events) {
            const current = deriveOrderPayment(ledger).currentStatus;
            const to: PaymentStatus = e.kind === 'webhook' ? 'completed' : e.to;
            // the services append a row only for a legal transition (the webhook: only from pending)
            if (!canTransition(current, to)) continue;
            ledger.push({ status: to, price: 0, impId: 'imp', createdAt: new Date(++clock) });
          }
          const statuses = ledger.map((h) => h.status);
          expect(statuses.filter((s) => s === 'completed').length).to.be.at.most(1);
          expect(statuses).to.not.include('pending');
          if (statuses.length) expect(statuses[0]).to.equal('completed');
          const r = statuses.indexOf('refunded');
          if (r >= 0) expect(r).to.equal(statuses.length - 1);
          for (let i = 1; i < statuses.length; i++) expect(canTransition(statuses[i - 1]!, statuses[i]!)).to.equal(true);
        }),
        RUNS,
      );
    });

    it('item statuses: only the listed transitions exist, refunded is terminal, pending is never re-entered', () => {
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...OPR_STATUSES), { maxLength: 30 }), (attempts) => {
          let s = 'pending' as OprStatus;
          const seen: OprStatus[] = [s];
          for (const to of attempts) if (canTransitionOpr(s, to)) seen.push((s = to));
          expect(seen.slice(1)).to.not.include('pending');
          const r = seen.indexOf('refunded');
          if (r >= 0) expect(r).to.equal(seen.length - 1);
        }),
        RUNS,
      );
    });
  });
});

// §2.1 order status machine, derived order values, §2.2 OPR transitions.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  ORDER_STATUS_TRANSITIONS,
  PAYMENT_STATUSES,
  canDeskChangeOprStatus,
  canTransition,
  canTransitionOpr,
  deriveOrderPayment,
  firstPaidPrice,
  type OprStatus,
  type PaymentStatus,
} from '../../src/domain/payment/status.js';

const at = (min: number) => new Date(Date.UTC(2026, 4, 1, 0, min));

describe('domain/payment/status — §2', () => {
  describe('order status machine', () => {
    it('the exact transition table', () => {
      const allowed: Array<[PaymentStatus, PaymentStatus]> = [];
      for (const f of PAYMENT_STATUSES) for (const t of PAYMENT_STATUSES) if (canTransition(f, t)) allowed.push([f, t]);
      expect(allowed).to.deep.equal([
        ['pending', 'completed'],
        ['completed', 'partial_refunded'],
        ['completed', 'refunded'],
        ['partial_refunded', 'partial_refunded'],
        ['partial_refunded', 'refunded'],
      ]);
    });
    it('a duplicate paid webhook (completed → completed) is illegal; refunded is terminal', () => {
      expect(canTransition('completed', 'completed')).to.equal(false);
      expect(ORDER_STATUS_TRANSITIONS.refunded).to.deep.equal([]);
      expect(canTransition('refunded', 'completed')).to.equal(false);
      expect(canTransition('pending', 'refunded')).to.equal(false);
    });
    it('property: following only legal transitions, no path leaves the machine or revives a refunded order', () => {
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...PAYMENT_STATUSES), { maxLength: 30 }), (attempts) => {
          let status: PaymentStatus = 'pending';
          const seen: PaymentStatus[] = [status];
          for (const next of attempts) {
            if (canTransition(status, next)) {
              status = next;
              seen.push(status);
            }
          }
          // pending only at the start; completed at most once and only right after pending; nothing after refunded
          expect(seen.slice(1)).to.not.include('pending');
          expect(seen.filter((s) => s === 'completed').length).to.be.at.most(1);
          if (seen.length > 1) expect(seen[1]).to.equal('completed');
          const r = seen.indexOf('refunded');
          if (r >= 0) expect(r).to.equal(seen.length - 1);
        }),
      );
    });
  });

  describe('derived order values', () => {
    it('no history → pending cart, price 0, no imp id, no first payment', () => {
      expect(deriveOrderPayment([])).to.deep.include({
        currentStatus: 'pending',
        currentPaidPrice: 0,
        latestImpId: null,
        firstPaidAt: null,
        isCart: true,
        hasPaymentHistory: false,
      });
    });
    it('newest active history defines status / price / imp id; oldest gives first_paid_at; deleted rows ignored', () => {
      const d = deriveOrderPayment([
        { status: 'partial_refunded', price: 30_000, impId: 'imp_2', createdAt: at(10) },
        { status: 'completed', price: 50_000, impId: 'imp_1', createdAt: at(1) },
        { status: 'refunded', price: 0, impId: 'imp_3', createdAt: at(20), deletedAt: at(21) },
      ]);
      expect(d.currentStatus).to.equal('partial_refunded');
      expect(d.currentPaidPrice).to.equal(30_000);
      expect(d.latestImpId).to.equal('imp_2');
      expect(d.firstPaidAt).to.deep.equal(at(1));
      expect(d.isCart).to.equal(false);
    });
    it('first_paid_price = Σ active items price + donation', () => {
      expect(
        firstPaidPrice([
          { price: 1000, donationPrice: 500 },
          { price: 2000, donationPrice: 0 },
          { price: 9999, donationPrice: 1, deletedAt: at(1) },
        ]),
      ).to.equal(3500);
    });
  });

  describe('OPR status', () => {
    it('pending → paid (webhook), paid ↔ used (desk), paid → refunded (refund); refunded is terminal', () => {
      expect(canTransitionOpr('pending', 'paid', 'webhook')).to.equal(true);
      expect(canTransitionOpr('pending', 'paid', 'desk')).to.equal(false);
      expect(canTransitionOpr('paid', 'used')).to.equal(true);
      expect(canTransitionOpr('used', 'paid', 'desk')).to.equal(true);
      expect(canTransitionOpr('paid', 'refunded', 'refund')).to.equal(true);
      expect(canTransitionOpr('used', 'refunded')).to.equal(false);
      for (const to of ['pending', 'paid', 'used'] as OprStatus[]) expect(canTransitionOpr('refunded', to)).to.equal(false);
    });
    it('desk: only paid ↔ used, same status accepted as a no-op; pending / refunded untouchable', () => {
      expect(canDeskChangeOprStatus('paid', 'used')).to.equal(true);
      expect(canDeskChangeOprStatus('used', 'paid')).to.equal(true);
      expect(canDeskChangeOprStatus('paid', 'paid')).to.equal(true);
      expect(canDeskChangeOprStatus('used', 'used')).to.equal(true);
      expect(canDeskChangeOprStatus('pending', 'paid')).to.equal(false);
      expect(canDeskChangeOprStatus('refunded', 'paid')).to.equal(false);
      expect(canDeskChangeOprStatus('paid', 'refunded')).to.equal(false);
      expect(canDeskChangeOprStatus('pending', 'pending')).to.equal(false);
    });
  });
});

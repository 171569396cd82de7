// §3.2 windows: inclusive bounds, option-group effective windows, refund and answer-edit windows.
import { expect } from 'chai';
import { Messages } from '../../src/domain/messages.js';
import {
  answerEditability,
  answerNotEditableReason,
  effectiveGroupWindows,
  isAnswerEditable,
  isGroupOpenForOrder,
  isGroupOrderable,
  isGroupVisible,
  isProductOrderable,
  isProductVisible,
  isRefundWindowOpen,
  isWithinWindow,
  productCurrentStatus,
} from '../../src/domain/catalog/windows.js';

const T = (s: string) => new Date(s);
const A = T('2026-03-01T00:00:00Z');
const B = T('2026-03-31T00:00:00Z');
const before = (d: Date) => new Date(d.getTime() - 1);
const after = (d: Date) => new Date(d.getTime() + 1);

const product = {
  visibleStartsAt: T('2026-01-01T00:00:00Z'),
  visibleEndsAt: T('2026-12-31T00:00:00Z'),
  orderableStartsAt: A,
  orderableEndsAt: B,
};
const noGroupWindow = { visibleStartsAt: null, visibleEndsAt: null, orderableStartsAt: null, orderableEndsAt: null };

describe('domain/catalog/windows — §3.2', () => {
  it('isWithinWindow is inclusive at both bounds; null bounds are unbounded', () => {
    expect(isWithinWindow(A, A, B)).to.equal(true);
    expect(isWithinWindow(B, A, B)).to.equal(true);
    expect(isWithinWindow(before(A), A, B)).to.equal(false);
    expect(isWithinWindow(after(B), A, B)).to.equal(false);
    expect(isWithinWindow(T('1900-01-01T00:00:00Z'), null, B)).to.equal(true);
    expect(isWithinWindow(T('9999-01-01T00:00:00Z'), A, null)).to.equal(true);
  });

  it('product visible / orderable windows and current_status', () => {
    expect(isProductOrderable(product, A)).to.equal(true);
    expect(isProductOrderable(product, after(B))).to.equal(false);
    expect(isProductVisible(product, after(B))).to.equal(true);
    expect(productCurrentStatus(product, A)).to.equal('active');
    expect(productCurrentStatus(product, after(B))).to.equal('out_of_orderable_period');
    expect(productCurrentStatus(product, T('2027-01-01T00:00:00Z'))).to.equal('out_of_visible_period');
  });

  it('[Δ] group effective window = group value ?? product value, bound by bound', () => {
    const g = { ...noGroupWindow, orderableEndsAt: T('2026-03-15T00:00:00Z') };
    const eff = effectiveGroupWindows(g, product);
    expect(eff.orderable).to.deep.equal({ startsAt: A, endsAt: T('2026-03-15T00:00:00Z') });
    expect(eff.visible).to.deep.equal({ startsAt: product.visibleStartsAt, endsAt: product.visibleEndsAt });
    expect(isGroupOrderable(g, product, T('2026-03-15T00:00:00Z'))).to.equal(true);
    expect(isGroupOrderable(g, product, after(T('2026-03-15T00:00:00Z')))).to.equal(false);
    expect(isGroupOrderable(noGroupWindow, product, before(A))).to.equal(false);
    expect(isGroupVisible({ ...noGroupWindow, visibleStartsAt: after(A) }, product, A)).to.equal(false);
    expect(isGroupOpenForOrder({ ...noGroupWindow, visibleStartsAt: after(A) }, product, A)).to.equal(false);
    expect(isGroupOpenForOrder(noGroupWindow, product, A)).to.equal(true);
  });

  it('refund window: refused only when refundable_ends_at < now (the instant itself is allowed)', () => {
    expect(isRefundWindowOpen(B, B)).to.equal(true);
    expect(isRefundWindowOpen(B, before(B))).to.equal(true);
    expect(isRefundWindowOpen(B, after(B))).to.equal(false);
  });

  it('answer editability: null → never, past → expired, else editable (inclusive)', () => {
    expect(answerEditability(null, A)).to.equal('never');
    expect(answerEditability(A, after(A))).to.equal('expired');
    expect(answerEditability(A, A)).to.equal('editable');
    expect(isAnswerEditable(A, before(A))).to.equal(true);
    expect(isAnswerEditable(null, A)).to.equal(false);
    expect(answerNotEditableReason(null, A)).to.equal(Messages.NotModifiable.RESPONSE_NOT_MODIFIABLE);
    expect(answerNotEditableReason(A, after(A))).to.equal(Messages.NotModifiable.RESPONSE_MODIFIABLE_ENDS_AT);
    expect(answerNotEditableReason(A, A)).to.equal(null);
  });
});

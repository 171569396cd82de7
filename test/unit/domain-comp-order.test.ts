// Comp orders (pure rules): windows opened for operators, stock and caps kept, units counted against the
// units after them, the reason required.
import { expect } from 'chai';
import { checkCompOrder, compReasonErrors, withWindowsOpen, COMP_MAX_UNITS } from '../../src/domain/cart/comp-order.js';
import { checkOrderability, type OptionGroupFacts, type ProductFacts } from '../../src/domain/cart/orderability.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const PAST = new Date('2026-01-01T00:00:00Z');

function group(over: Partial<OptionGroupFacts> = {}): OptionGroupFacts {
  return {
    id: 'g1', name: '사이즈', minQuantityPerProduct: 1, maxQuantityPerProduct: 1, maxQuantityPerUser: 0, isCustomResponse: false, customResponsePattern: null,
    responseModifiableEndsAt: null, visibleStartsAt: null, visibleEndsAt: PAST, orderableStartsAt: null, orderableEndsAt: PAST,
    options: [{ id: 'o1', groupId: 'g1', name: 'M', additionalPrice: 3000, stock: 2, maxQuantityPerUser: 0, sold: 0 }],
    ...over,
  };
}

function product(over: Partial<ProductFacts> = {}): ProductFacts {
  return {
    id: 'p1', name: '티켓', price: 50000, stock: 0, sold: 0, maxQuantityPerUser: 0,
    // sales closed and hidden since PAST
    orderableStartsAt: new Date('2025-01-01T00:00:00Z'), orderableEndsAt: PAST, visibleStartsAt: new Date('2025-01-01T00:00:00Z'), visibleEndsAt: PAST,
    refundableEndsAt: null, donationAllowed: false, donationMinPrice: 0, donationMaxPrice: 0, tags: [], optionGroups: [group()],
    ...over,
  };
}

const req = { product: 'p1', options: [{ product_option_group: 'g1', product_option: 'o1', custom_response: null }] };
const codes = (errors: Array<{ code: string; attr: string | null }>) => errors.map((e) => `${e.attr}:${e.code}`);

describe('comp orders (domain)', () => {
  it('opens the sales and visibility windows of the product and its groups, nothing else', () => {
    const facts = { product: product() };
    expect(checkOrderability({ mode: 'SINGLE', request: req, facts, taken: {}, now: NOW }).errors.map((e) => e.code)).to.deep.equal(['PRODUCT_NOT_ORDERABLE_TIME']);
    const open = withWindowsOpen(facts);
    const r = checkOrderability({ mode: 'SINGLE', request: req, facts: open, taken: {}, now: NOW });
    expect(r.ok).to.equal(true);
    expect(r.price).to.equal(53000); // the list price
    expect(open.product).to.deep.include({ stock: 0, price: 50000, maxQuantityPerUser: 0 });
    expect(open.product!.optionGroups[0]).to.deep.include({ orderableEndsAt: null, visibleEndsAt: null, minQuantityPerProduct: 1 });
  });

  it('each unit counts against stock (product, option, tag) and the caps for the units after it', () => {
    const run = (p: ProductFacts, quantity: number, taken = {}) =>
      checkCompOrder({ lines: [{ request: req, quantity }], factsFor: () => ({ product: p }), taken, now: NOW, defaultHolder: null });
    const anyOption = [group({ options: [{ id: 'o1', groupId: 'g1', name: 'M', additionalPrice: 3000, stock: 0, maxQuantityPerUser: 0, sold: 0 }] })];
    expect(run(product({ stock: 3, sold: 1, optionGroups: anyOption }), 2).errors).to.deep.equal([]);
    expect(codes(run(product({ stock: 3, sold: 1, optionGroups: anyOption }), 3).errors)).to.deep.equal(['items.0.product:PRODUCT_SOLDOUT']);
    expect(codes(run(product(), 3).errors)).to.deep.equal([ // option stock 2: the third unit finds it sold out
      'items.0.options.0.product_option_group:OPTION_GROUP_SOLDOUT',
      'items.0.options.0.product_option:OPTION_SOLDOUT',
    ]);
    expect(codes(run(product({ maxQuantityPerUser: 2 }), 2, { product: new Map([['p1', { cart: 5, purchased: 1 }]]) }).errors)).to.deep.equal([
      'items.0.product:PRODUCT_ALREADY_ORDERED_TOO_MUCH', // purchased 1 + 2 > 2 (the cart does not count)
    ]);
    const tagged = product({ tags: [{ id: 't1', name: '티켓류', stock: 5, sold: 4, maxQuantityPerUser: 0 }] });
    expect(codes(run(tagged, 2).errors)).to.deep.equal(['items.0.product:TAG_SOLDOUT']);
    const units = run(product({ stock: 5 }), 2).units;
    expect(units.map((u) => [u.line, u.productId, u.result.price])).to.deep.equal([[0, 'p1', 53000], [0, 'p1', 53000]]);
  });

  it('a ticket without a holder gets the default holder; at most COMP_MAX_UNITS units', () => {
    const holder = { name: '김연사', phone: '010-1111-2222', email: 'a@example.com', organization: '', contributionMessage: null };
    const r = checkCompOrder({ lines: [{ request: req, quantity: 1 }], factsFor: () => ({ product: product({ isTicket: true }) }), taken: {}, now: NOW, defaultHolder: holder });
    expect(r.errors).to.deep.equal([]);
    expect(r.units[0]!.result.ticketInfo).to.deep.include({ name: '김연사', email: 'a@example.com' });
    const none = checkCompOrder({ lines: [{ request: req, quantity: 1 }], factsFor: () => ({ product: product({ isTicket: true }) }), taken: {}, now: NOW, defaultHolder: null });
    expect(codes(none.errors)).to.deep.equal(['items.0.ticket_info:TICKET_INFO_REQUIRED']);
    const many = checkCompOrder({ lines: [{ request: req, quantity: COMP_MAX_UNITS + 1 }], factsFor: () => ({ product: product() }), taken: {}, now: NOW, defaultHolder: null });
    expect(codes(many.errors)).to.deep.equal(['items:max_value']);
  });

  it('the reason is required (trimmed, at most 500 characters)', () => {
    expect(compReasonErrors('연사')).to.deep.equal([]);
    for (const bad of [undefined, null, '', '   ', 3]) expect(codes(compReasonErrors(bad))).to.deep.equal(['reason:reason_required']);
    expect(codes(compReasonErrors('x'.repeat(501)))).to.deep.equal(['reason:max_length']);
  });
});

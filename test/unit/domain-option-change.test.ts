// Changing a purchased item's options (operators): the pure rules of src/domain/order-change/option-change.ts.
import { expect } from 'chai';
import { Messages, format } from '../../src/domain/messages.js';
import type { OptionFacts, OptionGroupFacts, ProductFacts } from '../../src/domain/cart/orderability.js';
import { checkOptionChange, OptionChangeMessages, type AnswerFacts, type OptionChangeInput } from '../../src/domain/order-change/option-change.js';

const NOW = new Date('2027-06-01T00:00:00Z');

const opt = (id: string, over: Partial<OptionFacts> = {}): OptionFacts => ({ id, groupId: 'size', name: id.toUpperCase(), additionalPrice: 0, stock: 0, maxQuantityPerUser: 0, sold: 0, ...over });

function size(options: OptionFacts[], over: Partial<OptionGroupFacts> = {}): OptionGroupFacts {
  return {
    id: 'size',
    name: '사이즈',
    minQuantityPerProduct: 1,
    maxQuantityPerProduct: 1,
    maxQuantityPerUser: 0,
    isCustomResponse: false,
    customResponsePattern: null,
    responseModifiableEndsAt: null,
    visibleStartsAt: null,
    visibleEndsAt: null,
    orderableStartsAt: null,
    orderableEndsAt: null,
    options,
    ...over,
  };
}

const badge: OptionGroupFacts = { ...size([]), id: 'badge', name: '배지 이름', isCustomResponse: true, customResponsePattern: '.*', minQuantityPerProduct: 0 };

function product(groups: OptionGroupFacts[]): ProductFacts {
  return {
    id: 'p',
    name: '티켓',
    price: 30000,
    stock: 0,
    sold: 0,
    maxQuantityPerUser: 0,
    orderableStartsAt: new Date('2027-01-01T00:00:00Z'),
    orderableEndsAt: new Date('2027-12-31T00:00:00Z'),
    visibleStartsAt: new Date('2027-01-01T00:00:00Z'),
    visibleEndsAt: new Date('2027-12-31T00:00:00Z'),
    refundableEndsAt: null,
    donationAllowed: false,
    donationMinPrice: 0,
    donationMaxPrice: 0,
    tags: [],
    optionGroups: groups,
  };
}

const held = (o: OptionFacts) => [o.id, { id: o.id, name: o.name, additionalPrice: o.additionalPrice }] as const;

function input(p: ProductFacts, answers: AnswerFacts[], changes: OptionChangeInput['changes'], over: Partial<OptionChangeInput> = {}): OptionChangeInput {
  const all = p.optionGroups.flatMap((g) => g.options);
  return { orderStatus: 'completed', itemStatus: 'paid', product: p, answers, heldOptions: new Map(all.map(held)), taken: {}, changes, now: NOW, ...over };
}

const answer = (id: string, optionId: string | null, groupId = 'size'): AnswerFacts => ({ id, groupId, optionId, customResponse: null });

describe('domain: change a purchased item\'s options', () => {
  it('plans only the answers whose option changes, and keeps the price (equal additional prices)', () => {
    const [s, m, l] = [opt('s', { stock: 10, sold: 3 }), opt('m'), opt('l', { additionalPrice: 2000 })];
    const r = checkOptionChange(input(product([size([s, m, l])]), [answer('a1', 's')], [{ answer: 'a1', option: 'm' }]));
    expect(r).to.deep.equal({ ok: true, changes: [{ answerId: 'a1', groupId: 'size', groupName: '사이즈', from: { id: 's', name: 'S', additionalPrice: 0 }, to: { id: 'm', name: 'M', additionalPrice: 0 } }] });
    const same = checkOptionChange(input(product([size([s, m, l])]), [answer('a1', 's')], [{ answer: 'a1', option: 's' }]));
    expect(same).to.deep.include({ ok: false, status: 400 });
    expect(!same.ok && same.errors[0]!.code).to.equal('no_change');
  });

  it('refuses a change of the additional prices\' sum (option_price_differs), but not a swap that keeps the sum', () => {
    const [s, l] = [opt('s'), opt('l', { additionalPrice: 2000 })];
    const r = checkOptionChange(input(product([size([s, l])]), [answer('a1', 's')], [{ answer: 'a1', option: 'l' }]));
    expect(r.ok).to.equal(false);
    expect(!r.ok && r.errors[0]).to.deep.include({ code: 'option_price_differs', detail: format(OptionChangeMessages.OPTION_PRICE_DIFFERS.text, '0', '2,000') });
    // two groups: +2,000 in one, −2,000 in the other — the item's price is unchanged
    const color = size([opt('red', { groupId: 'color', additionalPrice: 2000 }), opt('blue', { groupId: 'color' })], { id: 'color', name: '색상' });
    const both = checkOptionChange(
      input(product([size([s, l]), color]), [answer('a1', 's'), answer('a2', 'red', 'color')], [{ answer: 'a1', option: 'l' }, { answer: 'a2', option: 'blue' }]),
    );
    expect(both.ok).to.equal(true);
  });

  it('stock: the item\'s own units never count against it; others\' units (and live holds, in `sold`) do', () => {
    // M: stock 2, sold 1 — and that one unit is this item's own other answer (a group of two picks)
    const two = (m: OptionFacts) => product([size([opt('s'), m], { maxQuantityPerProduct: 2, minQuantityPerProduct: 0 })]);
    const mine = [answer('a1', 'm'), answer('a2', 's')];
    expect(checkOptionChange(input(two(opt('m', { stock: 2, sold: 1 })), mine, [{ answer: 'a2', option: 'm' }])).ok).to.equal(true);
    // stock 1: only one M exists, and this item holds it already → a second M is refused
    const r = checkOptionChange(input(two(opt('m', { stock: 1, sold: 1 })), mine, [{ answer: 'a2', option: 'm' }]));
    expect(!r.ok && r.errors[0]).to.deep.include({ code: Messages.Option.SOLDOUT.code, attr: 'non_field_errors' });
    // sold by someone else
    const other = checkOptionChange(input(product([size([opt('s'), opt('m', { stock: 1, sold: 1 })])]), [answer('a1', 's')], [{ answer: 'a1', option: 'm' }]));
    expect(!other.ok && other.errors[0]!.code).to.equal(Messages.Option.SOLDOUT.code);
    // giving up a sold-out option is always possible
    const away = checkOptionChange(input(product([size([opt('s'), opt('m', { stock: 1, sold: 5 })])]), [answer('a1', 'm')], [{ answer: 'a1', option: 's' }]));
    expect(away.ok).to.equal(true);
  });

  it('per-buyer option cap: the buyer\'s purchased units, without this item\'s own', () => {
    const l = opt('l', { maxQuantityPerUser: 1 });
    const p = product([size([opt('s'), l])]);
    const taken = { option: new Map([['l', { cart: 0, purchased: 1 }], ['s', { cart: 0, purchased: 1 }]]) };
    const r = checkOptionChange(input(p, [answer('a1', 's')], [{ answer: 'a1', option: 'l' }], { taken }));
    expect(!r.ok && r.errors[0]).to.deep.include({ code: Messages.Option.ALREADY_ORDERED_TOO_MUCH.code });
    // the buyer's cart is not theirs yet (as at buy-now and the payment re-check)
    const cartOnly = { option: new Map([['l', { cart: 3, purchased: 0 }]]) };
    expect(checkOptionChange(input(p, [answer('a1', 's')], [{ answer: 'a1', option: 'l' }], { taken: cartOnly })).ok).to.equal(true);
  });

  it('the chosen group\'s own sales window applies; the product\'s closed sale does not (a paid buyer swaps after it)', () => {
    const closed = size([opt('s'), opt('m')], { orderableEndsAt: new Date('2027-05-01T00:00:00Z') });
    const r = checkOptionChange(input(product([closed]), [answer('a1', 's')], [{ answer: 'a1', option: 'm' }]));
    expect(!r.ok && r.errors[0]).to.deep.include({ code: Messages.OptionGroup.NOT_ORDERABLE_TIME.code });
    const hidden = size([opt('s'), opt('m')], { visibleEndsAt: new Date('2027-05-01T00:00:00Z') });
    expect(checkOptionChange(input(product([hidden]), [answer('a1', 's')], [{ answer: 'a1', option: 'm' }])).ok).to.equal(false);
    const p = { ...product([size([opt('s'), opt('m')])]), orderableEndsAt: new Date('2027-05-01T00:00:00Z'), visibleEndsAt: new Date('2027-05-01T00:00:00Z') };
    expect(checkOptionChange(input(p, [answer('a1', 's')], [{ answer: 'a1', option: 'm' }])).ok).to.equal(true);
  });

  it('refuses: unpaid order, refunded / pending item, deleted product (409); foreign answers, free-text answers, other groups\' options, no option where one is required (400)', () => {
    const p = product([size([opt('s'), opt('m')]), badge]);
    const ans = [answer('a1', 's'), { id: 'a2', groupId: 'badge', optionId: null, customResponse: '@파이' }];
    const code = (over: Partial<OptionChangeInput>, changes: OptionChangeInput['changes'] = [{ answer: 'a1', option: 'm' }]) => {
      const r = checkOptionChange(input(p, ans, changes, over));
      return r.ok ? 'ok' : `${r.status} ${r.errors.map((e) => `${e.code}@${e.attr}`).join(',')}`;
    };
    expect(code({ orderStatus: 'pending' })).to.equal('409 order_not_paid@null');
    expect(code({ orderStatus: 'refunded' })).to.equal('409 order_not_paid@null');
    expect(code({ itemStatus: 'refunded' })).to.equal('409 item_not_changeable@null');
    expect(code({ itemStatus: 'pending' })).to.equal('409 item_not_changeable@null');
    expect(code({ itemStatus: 'used' })).to.equal('ok');
    expect(code({ orderStatus: 'partial_refunded' })).to.equal('ok');
    expect(code({ product: null })).to.equal('409 product_not_available@null');
    expect(code({}, [])).to.equal('400 no_change@changes');
    expect(code({}, [{ answer: 'nope', option: 'm' }, { answer: 'a2', option: null }, { answer: 'a1', option: 'zzz' }])).to.equal(
      '400 answer_not_found@changes.0.answer,custom_response_not_changeable@changes.1.answer,option_not_in_group@changes.2.option',
    );
    expect(code({}, [{ answer: 'a1', option: 'm' }, { answer: 'a1', option: 's' }])).to.equal('400 duplicate_answer@changes.1.answer');
    expect(code({}, [{ answer: 'a1', option: null }])).to.equal(`400 ${Messages.OptionGroup.OPTION_NOT_SELECTED.code}@changes.0.option`);
    // a deleted group's answer
    expect(code({ product: product([size([opt('s'), opt('m')], { id: 'other' })]) })).to.equal('400 option_group_not_available@changes.0.answer');
  });

  it('an optional group (placeholder `optional`) may be set to no option, and from none to one', () => {
    const p = product([size([opt('s'), opt('m')], { placeholderMode: 'optional', minQuantityPerProduct: 0 })]);
    expect(checkOptionChange(input(p, [answer('a1', 's')], [{ answer: 'a1', option: null }])).ok).to.equal(true);
    expect(checkOptionChange(input(p, [answer('a1', null)], [{ answer: 'a1', option: 'm' }])).ok).to.equal(true);
  });
});

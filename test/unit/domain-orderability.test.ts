// §3.3 orderability (contract era [Δ c15d377]) — every rule and message, in each of the three modes.
import { expect } from 'chai';
import fc from 'fast-check';
import { Messages, format, type FieldError } from '../../src/domain/messages.js';
import { FieldMessages } from '../../src/domain/cart/customer-info.js';
import {
  checkCartOrderable,
  checkOrderability,
  compileCustomResponsePattern,
  matchesCustomResponse,
  prefixErrors,
  sortForCartCheck,
  type ForeignOptionGroupFacts,
  type ItemRequest,
  type OptionFacts,
  type OptionGroupFacts,
  type OrderabilityFacts,
  type OrderabilityMode,
  type OrderabilityResult,
  type ProductFacts,
  type TagFacts,
  type UserTakenCounts,
} from '../../src/domain/cart/orderability.js';

const MODES: OrderabilityMode[] = ['ADD', 'SINGLE', 'CART'];
const NOW = new Date('2026-06-01T00:00:00Z');
const EARLY = new Date('2026-01-01T00:00:00Z');
const LATE = new Date('2026-12-31T00:00:00Z');
const ms = (d: Date, delta: number): Date => new Date(d.getTime() + delta);

function option(over: Partial<OptionFacts> = {}): OptionFacts {
  return { id: 'o1', groupId: 'g1', name: 'M', additionalPrice: 0, stock: 0, maxQuantityPerUser: 0, sold: 0, ...over };
}

function group(over: Partial<OptionGroupFacts> = {}): OptionGroupFacts {
  return {
    id: 'g1',
    name: '사이즈',
    minQuantityPerProduct: 0,
    maxQuantityPerProduct: 0,
    maxQuantityPerUser: 0,
    isCustomResponse: false,
    customResponsePattern: null,
    responseModifiableEndsAt: null,
    visibleStartsAt: null,
    visibleEndsAt: null,
    orderableStartsAt: null,
    orderableEndsAt: null,
    options: [option()],
    ...over,
  };
}

function tag(over: Partial<TagFacts> = {}): TagFacts {
  return { id: 't1', name: '티켓류', stock: 0, maxQuantityPerUser: 0, sold: 0, ...over };
}

function product(over: Partial<ProductFacts> = {}): ProductFacts {
  return {
    id: 'p1',
    name: '컨퍼런스 티켓',
    price: 50_000,
    stock: 0,
    sold: 0,
    maxQuantityPerUser: 0,
    orderableStartsAt: EARLY,
    orderableEndsAt: LATE,
    visibleStartsAt: EARLY,
    visibleEndsAt: LATE,
    refundableEndsAt: LATE,
    donationAllowed: false,
    donationMinPrice: 0,
    donationMaxPrice: 0,
    tags: [],
    optionGroups: [],
    ...over,
  };
}

interface RunOpts {
  mode?: OrderabilityMode;
  request?: ItemRequest;
  taken?: UserTakenCounts;
  now?: Date;
  facts?: Partial<OrderabilityFacts>;
  signedIn?: boolean;
}

function run(p: ProductFacts | null, o: RunOpts = {}): OrderabilityResult {
  return checkOrderability({
    mode: o.mode ?? 'ADD',
    request: o.request ?? { product: 'p1', options: [] },
    facts: { product: p, ...o.facts },
    taken: o.taken ?? {},
    now: o.now ?? NOW,
    signedIn: o.signedIn,
  });
}

const entry = (g: string, opt: string | null, resp: string | null = null) => ({
  product_option_group: g,
  product_option: opt,
  custom_response: resp,
});

/** The single expected error (code, detail, attr). */
function expectOnly(res: OrderabilityResult, expected: FieldError): void {
  expect(res.ok).to.equal(false);
  expect(res.errors).to.deep.equal([expected]);
}
const e = (msg: { code: string; text: string }, attr: string | null, ...args: Array<string | number>): FieldError => ({
  code: msg.code,
  detail: format(msg.text, ...args),
  attr,
});
const codes = (res: OrderabilityResult): string[] => res.errors.map((x) => x.code);

describe('domain/cart/orderability — §3.3', () => {
  describe('happy path and result shape', () => {
    for (const mode of MODES) {
      it(`${mode}: a plain orderable product passes with price = product.price`, () => {
        const res = run(product(), { mode });
        expect(res.ok).to.equal(true);
        expect(res.errors).to.deep.equal([]);
        expect(res.price).to.equal(50_000);
        expect(res.donationPrice).to.equal(0);
        expect(res.total).to.equal(50_000);
      });
    }

    it('price = product.price + Σ additional prices (duplicates counted), donation excluded; total adds it', () => {
      const g = group({
        maxQuantityPerProduct: 3,
        options: [option({ id: 'o1', additionalPrice: 1000 }), option({ id: 'o2', additionalPrice: 500 })],
      });
      const res = run(product({ optionGroups: [g], donationAllowed: true, donationMinPrice: 0, donationMaxPrice: 10_000 }), {
        request: { product: 'p1', options: [entry('g1', 'o1'), entry('g1', 'o1'), entry('g1', 'o2')], donation_price: 3000 },
      });
      expect(res.errors).to.deep.equal([]);
      expect(res.price).to.equal(50_000 + 1000 + 1000 + 500);
      expect(res.donationPrice).to.equal(3000);
      expect(res.total).to.equal(52_500 + 3000);
      expect(res.options).to.deep.equal([entry('g1', 'o1'), entry('g1', 'o1'), entry('g1', 'o2')]);
    });

    it('ids are matched case-insensitively (like uuids) and normalized to the facts ids', () => {
      const res = run(product({ optionGroups: [group()] }), { request: { product: 'P1', options: [entry('G1', 'O1')] } });
      expect(res.errors).to.deep.equal([]);
      expect(res.options).to.deep.equal([entry('g1', 'o1')]);
    });

    it('accepts Map-based counts (the services shape) as well as records', () => {
      const p = product({ maxQuantityPerUser: 1 });
      const viaMap = run(p, { taken: { product: new Map([['p1', { cart: 1, purchased: 0 }]]) } });
      const viaRecord = run(p, { taken: { product: { p1: { cart: 1, purchased: 0 } } } });
      expect(codes(viaMap)).to.deep.equal([Messages.Product.ALREADY_ORDERED_TOO_MUCH.code]);
      expect(viaRecord.errors).to.deep.equal(viaMap.errors);
    });
  });

  describe('sign-in and the product field', () => {
    it('an anonymous caller gets only `product: 로그인 후 이용해주세요.`', () => {
      expectOnly(run(product({ stock: 1, sold: 1 }), { signedIn: false }), e(Messages.SignIn.USER_NOT_SIGNED_IN, 'product'));
    });
    it('missing product → required; null → null; unknown → does_not_exist', () => {
      expectOnly(run(product(), { request: { options: [] } }), e(FieldMessages.REQUIRED, 'product'));
      expectOnly(run(product(), { request: { product: null, options: [] } }), e(FieldMessages.NULL, 'product'));
      expectOnly(run(null, { request: { product: 'nope', options: [] } }), e(FieldMessages.DOES_NOT_EXIST, 'product', 'nope'));
    });
    it('missing options → required; null → null', () => {
      expectOnly(run(product(), { request: { product: 'p1' } }), e(FieldMessages.REQUIRED, 'options'));
      expectOnly(run(product(), { request: { product: 'p1', options: null } }), e(FieldMessages.NULL, 'options'));
    });
  });

  describe('1. product orderable window (inclusive)', () => {
    for (const mode of MODES) {
      it(`${mode}: before start / after end → NOT_ORDERABLE_TIME; exactly at either bound → ok`, () => {
        const p = product({ orderableStartsAt: NOW, orderableEndsAt: ms(NOW, 1000) });
        const nt = e(Messages.Product.NOT_ORDERABLE_TIME, 'product', '컨퍼런스 티켓');
        expectOnly(run(p, { mode, now: ms(NOW, -1) }), nt);
        expectOnly(run(p, { mode, now: ms(NOW, 1001) }), nt);
        expect(run(p, { mode, now: NOW }).ok).to.equal(true);
        expect(run(p, { mode, now: ms(NOW, 1000) }).ok).to.equal(true);
      });
    }
    it('visibility is NOT checked when ordering (an invisible but orderable product passes)', () => {
      expect(run(product({ visibleStartsAt: ms(NOW, 1), visibleEndsAt: LATE })).ok).to.equal(true);
    });
    it('the window check wins over stock (first hit on the product field)', () => {
      const res = run(product({ orderableEndsAt: ms(NOW, -1), stock: 1, sold: 1, maxQuantityPerUser: 1 }));
      expect(codes(res)).to.deep.equal([Messages.Product.NOT_ORDERABLE_TIME.code]);
    });
  });

  describe('2. product stock', () => {
    for (const mode of MODES) {
      it(`${mode}: leftover ≤ 0 → SOLDOUT (incl. negative stock); stock 0 is unlimited`, () => {
        const so = e(Messages.Product.SOLDOUT, 'product', '컨퍼런스 티켓');
        expectOnly(run(product({ stock: 5, sold: 5 }), { mode }), so);
        expectOnly(run(product({ stock: -1, sold: 0 }), { mode }), so);
        expect(run(product({ stock: 0, sold: 1000 }), { mode }).ok).to.equal(true);
        expect(run(product({ stock: 5, sold: 4 }), { mode }).ok).to.equal(true);
      });
    }

    const cart = (n: number): UserTakenCounts => ({ product: { p1: { cart: n, purchased: 99 } } });
    const tooMuch = e(Messages.Product.TOO_MUCH_CART_PRODUCT, 'product', '컨퍼런스 티켓');
    const p = product({ stock: 5, sold: 3 }); // leftover 2

    it('ADD: cart + 1 > leftover → TOO_MUCH_CART_PRODUCT (purchased not counted)', () => {
      expect(run(p, { mode: 'ADD', taken: cart(1) }).ok).to.equal(true);
      expectOnly(run(p, { mode: 'ADD', taken: cart(2) }), tooMuch);
    });
    it('SINGLE: the cart is not compared with the leftover at all', () => {
      expect(run(p, { mode: 'SINGLE', taken: cart(50) }).ok).to.equal(true);
    });
    it('CART: cart (already including the item) > leftover → TOO_MUCH_CART_PRODUCT', () => {
      expect(run(p, { mode: 'CART', taken: cart(2) }).ok).to.equal(true);
      expectOnly(run(p, { mode: 'CART', taken: cart(3) }), tooMuch);
    });
  });

  describe('3. product per-user cap', () => {
    const p = product({ maxQuantityPerUser: 2 });
    const t = (cart: number, purchased: number): UserTakenCounts => ({ product: { p1: { cart, purchased } } });
    const capped = e(Messages.Product.ALREADY_ORDERED_TOO_MUCH, 'product', '컨퍼런스 티켓');

    it('ADD: cart + purchased + 1 > max', () => {
      expect(run(p, { mode: 'ADD', taken: t(1, 0) }).ok).to.equal(true);
      expectOnly(run(p, { mode: 'ADD', taken: t(1, 1) }), capped);
    });
    it('SINGLE: purchased + 1 > max (the cart is ignored)', () => {
      expect(run(p, { mode: 'SINGLE', taken: t(10, 1) }).ok).to.equal(true);
      expectOnly(run(p, { mode: 'SINGLE', taken: t(0, 2) }), capped);
    });
    it('CART: cart + purchased > max (no +1)', () => {
      expect(run(p, { mode: 'CART', taken: t(1, 1) }).ok).to.equal(true);
      expectOnly(run(p, { mode: 'CART', taken: t(2, 1) }), capped);
    });
    it('max 0 = unlimited', () => {
      expect(run(product(), { taken: t(100, 100) }).ok).to.equal(true);
    });
  });

  describe('4. tags', () => {
    for (const mode of MODES) {
      it(`${mode}: tag leftover ≤ 0 → Tag.SOLDOUT (attr product)`, () => {
        expectOnly(
          run(product({ tags: [tag({ stock: 3, sold: 3 })] }), { mode }),
          e(Messages.Tag.SOLDOUT, 'product', '티켓류'),
        );
      });
    }
    const capTag = tag({ maxQuantityPerUser: 1 });
    const t = (cart: number, purchased: number): UserTakenCounts => ({ tag: { t1: { cart, purchased } } });
    const capped = e(Messages.Tag.ALREADY_ORDERED_TOO_MUCH_RELATED_PRODUCTS, 'product', '티켓류');
    it('per-user: ADD cart+purchased+1, SINGLE purchased+1, CART cart+purchased', () => {
      const p = product({ tags: [capTag] });
      expectOnly(run(p, { mode: 'ADD', taken: t(1, 0) }), capped);
      expect(run(p, { mode: 'ADD', taken: t(0, 0) }).ok).to.equal(true);
      expect(run(p, { mode: 'SINGLE', taken: t(5, 0) }).ok).to.equal(true);
      expectOnly(run(p, { mode: 'SINGLE', taken: t(0, 1) }), capped);
      expect(run(p, { mode: 'CART', taken: t(1, 0) }).ok).to.equal(true);
      expectOnly(run(p, { mode: 'CART', taken: t(1, 1) }), capped);
    });
    it('no "cart vs leftover" check for tags', () => {
      const p = product({ tags: [tag({ stock: 5, sold: 3 })] });
      expect(run(p, { mode: 'ADD', taken: t(50, 0) }).ok).to.equal(true);
    });
    it('one error per failing tag; tags are not checked when a product check already failed', () => {
      const p = product({ tags: [tag({ id: 't1', name: 'A', stock: 1, sold: 1 }), tag({ id: 't2', name: 'B', stock: -1 })] });
      expect(run(p).errors).to.deep.equal([e(Messages.Tag.SOLDOUT, 'product', 'A'), e(Messages.Tag.SOLDOUT, 'product', 'B')]);
      expect(codes(run({ ...p, stock: 1, sold: 1 }))).to.deep.equal([Messages.Product.SOLDOUT.code]);
    });
  });

  describe('5. option entries (field level)', () => {
    it('group: missing → required, null → null, unknown → does_not_exist', () => {
      const p = product({ optionGroups: [group()] });
      expectOnly(
        run(p, { request: { product: 'p1', options: [{ product_option: 'o1', custom_response: null }] } }),
        e(FieldMessages.REQUIRED, 'options.0.product_option_group'),
      );
      expectOnly(run(p, { request: { product: 'p1', options: [entry(null as unknown as string, 'o1')] } }), e(FieldMessages.NULL, 'options.0.product_option_group'));
      expectOnly(
        run(p, { request: { product: 'p1', options: [entry('gX', 'o1')] } }),
        e(FieldMessages.DOES_NOT_EXIST, 'options.0.product_option_group', 'gX'),
      );
    });
    it('option: missing key → required; unknown id → does_not_exist; custom_response missing → required', () => {
      const p = product({ optionGroups: [group()] });
      expectOnly(
        run(p, { request: { product: 'p1', options: [{ product_option_group: 'g1', custom_response: null }] } }),
        e(FieldMessages.REQUIRED, 'options.0.product_option'),
      );
      expectOnly(
        run(p, { request: { product: 'p1', options: [entry('g1', 'oX')] } }),
        e(FieldMessages.DOES_NOT_EXIST, 'options.0.product_option', 'oX'),
      );
      expectOnly(
        run(p, { request: { product: 'p1', options: [{ product_option_group: 'g1', product_option: 'o1' }] } }),
        e(FieldMessages.REQUIRED, 'options.0.custom_response'),
      );
    });

    for (const mode of MODES) {
      it(`${mode}: a required group whose options cannot cover min → OptionGroup.SOLDOUT (attr group)`, () => {
        const g = group({ minQuantityPerProduct: 1, options: [option({ stock: 2, sold: 2 })] });
        const res = run(product({ optionGroups: [g] }), { mode, request: { product: 'p1', options: [entry('g1', 'o1')] } });
        expect(res.errors[0]).to.deep.equal(e(Messages.OptionGroup.SOLDOUT, 'options.0.product_option_group', '컨퍼런스 티켓', '사이즈'));
      });
      it(`${mode}: option leftover ≤ 0 → Option.SOLDOUT (attr option)`, () => {
        const g = group({ options: [option({ stock: 1, sold: 1 })] });
        expectOnly(
          run(product({ optionGroups: [g] }), { mode, request: { product: 'p1', options: [entry('g1', 'o1')] } }),
          e(Messages.Option.SOLDOUT, 'options.0.product_option', '컨퍼런스 티켓', 'M'),
        );
      });
      it(`${mode}: null option in a regular group → OPTION_NOT_SELECTED`, () => {
        expectOnly(
          run(product({ optionGroups: [group()] }), { mode, request: { product: 'p1', options: [entry('g1', null)] } }),
          e(Messages.OptionGroup.OPTION_NOT_SELECTED, 'options.0.product_option'),
        );
      });
    }

    it('an optional group (min 0) is never group-SOLDOUT even when all options are sold out', () => {
      const g = group({ options: [option({ stock: 1, sold: 1 })] });
      const res = run(product({ optionGroups: [g] }), { request: { product: 'p1', options: [entry('g1', 'o1')] } });
      expect(codes(res)).to.deep.equal([Messages.Option.SOLDOUT.code]);
    });

    it('an option of another group (same product or foreign, existing) → OPTION_NOT_SELECTED', () => {
      const g1 = group({ id: 'g1', options: [option({ id: 'o1', groupId: 'g1' })] });
      const g2 = group({ id: 'g2', name: '색상', options: [option({ id: 'o2', groupId: 'g2' })] });
      const p = product({ optionGroups: [g1, g2] });
      expectOnly(
        run(p, { request: { product: 'p1', options: [entry('g1', 'o2')] } }),
        e(Messages.OptionGroup.OPTION_NOT_SELECTED, 'options.0.product_option'),
      );
      expectOnly(
        run(p, { request: { product: 'p1', options: [entry('g1', 'oForeign')] }, facts: { existingOptionIds: ['oForeign'] } }),
        e(Messages.OptionGroup.OPTION_NOT_SELECTED, 'options.0.product_option'),
      );
    });

    it('custom-response group: regex anchored at the start only (Python re.match)', () => {
      const mk = (pattern: string | null) =>
        product({ optionGroups: [group({ isCustomResponse: true, customResponsePattern: pattern, options: [] })] });
      const answer = (pattern: string | null, text: string | null) =>
        run(mk(pattern), { request: { product: 'p1', options: [entry('g1', null, text)] } });
      const mismatch = e(Messages.OptionGroup.CUSTOM_RESPONSE_PATTERN_MISMATCH, 'options.0.custom_response');

      expect(answer('[0-9]+', '12ab').ok, 'prefix match is enough').to.equal(true);
      expectOnly(answer('[0-9]+', 'ab12'), mismatch);
      expectOnly(answer('[0-9]+$', '12ab'), mismatch);
      expect(answer('[0-9]+$', '1234').ok).to.equal(true);
      expect(answer('.*', null).ok, '.* allows an empty answer').to.equal(true);
      expectOnly(answer('.+', null), mismatch);
      expectOnly(answer('.+', '   '), mismatch); // trimmed like a DRF CharField
      expect(answer('', 'anything').ok, 'empty pattern = no check').to.equal(true);
      expect(answer(null, null).ok, 'absent pattern = no check').to.equal(true);
    });

    it('normalization: custom groups force option null; regular groups force custom_response null; answers trimmed', () => {
      const custom = group({ id: 'gc', name: '메모', isCustomResponse: true, customResponsePattern: '.*', options: [] });
      const regular = group({ id: 'g1', options: [option({ id: 'o1', groupId: 'g1' })] });
      const res = run(product({ optionGroups: [regular, custom] }), {
        request: { product: 'p1', options: [entry('g1', 'o1', 'ignored'), entry('gc', 'o1', '  hello  ')] },
      });
      expect(res.errors).to.deep.equal([]);
      expect(res.options).to.deep.equal([entry('g1', 'o1', null), entry('gc', null, 'hello')]);
    });

    it('field errors of all fields are collected together (product, options.<i>.*, donation_price)', () => {
      const p = product({ stock: 1, sold: 1, optionGroups: [group()] });
      const res = run(p, {
        request: { product: 'p1', options: [entry('g1', null), entry('gX', 'o1')], donation_price: -5 },
      });
      expect(res.errors.map((x) => x.attr)).to.deep.equal([
        'product',
        'options.0.product_option',
        'options.1.product_option_group',
        'donation_price',
      ]);
      expect(codes(res)).to.deep.equal([
        Messages.Product.SOLDOUT.code,
        Messages.OptionGroup.OPTION_NOT_SELECTED.code,
        'does_not_exist',
        'min_value',
      ]);
    });

    it('donation_price: null → null, non-integer → invalid, negative → min_value; absent → 0', () => {
      expectOnly(run(product(), { request: { product: 'p1', options: [], donation_price: null } }), e(FieldMessages.NULL, 'donation_price'));
      expectOnly(run(product(), { request: { product: 'p1', options: [], donation_price: 1.5 } }), e(FieldMessages.INVALID_INTEGER, 'donation_price'));
      expectOnly(run(product(), { request: { product: 'p1', options: [], donation_price: 'abc' } }), e(FieldMessages.INVALID_INTEGER, 'donation_price'));
      expectOnly(run(product(), { request: { product: 'p1', options: [], donation_price: -1 } }), e(FieldMessages.MIN_VALUE, 'donation_price', 0));
      expect(run(product(), { request: { product: 'p1', options: [] } }).donationPrice).to.equal(0);
    });
  });

  describe('6. object level (only when all fields passed; first hit; non_field_errors)', () => {
    it('object checks do not run when a field failed', () => {
      // would be PRICE_TOO_LOW (price 0) — but the product is sold out: only the field error appears
      const res = run(product({ price: 0, stock: 1, sold: 1 }));
      expect(codes(res)).to.deep.equal([Messages.Product.SOLDOUT.code]);
    });

    it('6a. a group of another product → OPTION_NOT_MATCH_PRODUCT', () => {
      const foreign: ForeignOptionGroupFacts = {
        ...group({ id: 'gF', name: '남의 그룹', options: [option({ id: 'oF', groupId: 'gF' })] }),
        productId: 'p2',
        productName: '다른 상품',
      };
      expectOnly(
        run(product(), { request: { product: 'p1', options: [entry('gF', 'oF')] }, facts: { foreignOptionGroups: [foreign] } }),
        e(Messages.OptionGroup.OPTION_NOT_MATCH_PRODUCT, 'non_field_errors', '컨퍼런스 티켓'),
      );
    });

    describe('6b. per group of the product', () => {
      for (const mode of MODES) {
        it(`${mode}: a selected group outside its own orderable or visible window → OptionGroup.NOT_ORDERABLE_TIME`, () => {
          const closed = e(Messages.OptionGroup.NOT_ORDERABLE_TIME, 'non_field_errors', '컨퍼런스 티켓', '사이즈');
          const req = { product: 'p1', options: [entry('g1', 'o1')] };
          expectOnly(run(product({ optionGroups: [group({ orderableEndsAt: ms(NOW, -1) })] }), { mode, request: req }), closed);
          expectOnly(run(product({ optionGroups: [group({ orderableStartsAt: ms(NOW, 1) })] }), { mode, request: req }), closed);
          expectOnly(run(product({ optionGroups: [group({ visibleEndsAt: ms(NOW, -1) })] }), { mode, request: req }), closed);
          // inclusive bounds
          expect(run(product({ optionGroups: [group({ orderableStartsAt: NOW, orderableEndsAt: NOW })] }), { mode, request: req }).ok).to.equal(true);
        });
      }
      it('a closed group that is not selected (k = 0) is fine; null bounds inherit the product', () => {
        expect(run(product({ optionGroups: [group({ orderableEndsAt: ms(NOW, -1) })] })).ok).to.equal(true);
        // the product visible window is closed: an inheriting group is closed too (though the product orders)
        const p = product({ visibleEndsAt: ms(NOW, -1), optionGroups: [group()] });
        expect(codes(run(p, { request: { product: 'p1', options: [entry('g1', 'o1')] } }))).to.deep.equal([
          Messages.OptionGroup.NOT_ORDERABLE_TIME.code,
        ]);
      });
      for (const mode of MODES) {
        it(`${mode}: k < min → NOT_ENOUGH_OPTION; k > max → TOO_MUCH_OPTION`, () => {
          const opts = [option({ id: 'o1' }), option({ id: 'o2', name: 'L' })];
          const needTwo = product({ optionGroups: [group({ minQuantityPerProduct: 2, options: opts })] });
          expectOnly(
            run(needTwo, { mode, request: { product: 'p1', options: [entry('g1', 'o1')] } }),
            e(Messages.OptionGroup.NOT_ENOUGH_OPTION, 'non_field_errors', '컨퍼런스 티켓', '사이즈'),
          );
          expectOnly(run(needTwo, { mode }), e(Messages.OptionGroup.NOT_ENOUGH_OPTION, 'non_field_errors', '컨퍼런스 티켓', '사이즈'));
          const maxOne = product({ optionGroups: [group({ maxQuantityPerProduct: 1, options: opts })] });
          expectOnly(
            run(maxOne, { mode, request: { product: 'p1', options: [entry('g1', 'o1'), entry('g1', 'o2')] } }),
            e(Messages.OptionGroup.TOO_MUCH_OPTION, 'non_field_errors', '컨퍼런스 티켓', '사이즈'),
          );
          expect(run(maxOne, { mode, request: { product: 'p1', options: [entry('g1', 'o2')] } }).ok).to.equal(true);
        });
      }
      it('group per-user cap (k > 0): ADD taken(cart+purchased)+k, SINGLE taken(purchased)+k, CART taken(cart+purchased)', () => {
        const p = product({ optionGroups: [group({ maxQuantityPerUser: 2, maxQuantityPerProduct: 2 })] });
        const req1 = { product: 'p1', options: [entry('g1', 'o1')] };
        const req2 = { product: 'p1', options: [entry('g1', 'o1'), entry('g1', 'o1')] };
        const t = (cart: number, purchased: number): UserTakenCounts => ({ group: { g1: { cart, purchased } } });
        const capped = e(Messages.OptionGroup.ALREADY_ORDERED_TOO_MUCH, 'non_field_errors', '컨퍼런스 티켓', '사이즈');
        expect(run(p, { mode: 'ADD', request: req1, taken: t(1, 0) }).ok).to.equal(true);
        expectOnly(run(p, { mode: 'ADD', request: req1, taken: t(1, 1) }), capped);
        expectOnly(run(p, { mode: 'ADD', request: req2, taken: t(1, 0) }), capped);
        expect(run(p, { mode: 'SINGLE', request: req2, taken: t(9, 0) }).ok).to.equal(true);
        expectOnly(run(p, { mode: 'SINGLE', request: req2, taken: t(0, 1) }), capped);
        expect(run(p, { mode: 'CART', request: req2, taken: t(2, 0) }).ok).to.equal(true);
        expectOnly(run(p, { mode: 'CART', request: req1, taken: t(2, 1) }), capped);
        // not selected (k = 0) → not checked even when over the cap
        expect(run(p, { mode: 'ADD', taken: t(5, 5) }).ok).to.equal(true);
      });
    });

    it('6c. the same option may repeat (counts k times)', () => {
      const p = product({ optionGroups: [group({ minQuantityPerProduct: 2, maxQuantityPerProduct: 2, options: [option({ additionalPrice: 10 })] })] });
      const res = run(p, { request: { product: 'p1', options: [entry('g1', 'o1'), entry('g1', 'o1')] } });
      expect(res.ok).to.equal(true);
      expect(res.price).to.equal(50_020);
    });

    describe('6d. aggregated per-option stock and per-user caps (N = count of the option in this item)', () => {
      const twice = { product: 'p1', options: [entry('g1', 'o1'), entry('g1', 'o1')] };
      const once = { product: 'p1', options: [entry('g1', 'o1')] };
      const mk = (o: Partial<OptionFacts>) => product({ optionGroups: [group({ maxQuantityPerProduct: 5, options: [option(o)] })] });
      const t = (cart: number, purchased: number): UserTakenCounts => ({ option: { o1: { cart, purchased } } });

      it('stock: ADD cart+N, SINGLE N, CART cart — compared with leftover', () => {
        const p = mk({ stock: 3, sold: 1 }); // leftover 2
        const tooMuch = e(Messages.Option.TOO_MUCH_CART_OPTION, 'non_field_errors', '컨퍼런스 티켓', 'M');
        expect(run(p, { mode: 'ADD', request: twice, taken: t(0, 7) }).ok).to.equal(true);
        expectOnly(run(p, { mode: 'ADD', request: twice, taken: t(1, 0) }), tooMuch);
        expect(run(p, { mode: 'SINGLE', request: twice, taken: t(9, 9) }).ok).to.equal(true);
        expectOnly(run(p, { mode: 'SINGLE', request: { product: 'p1', options: [entry('g1', 'o1'), entry('g1', 'o1'), entry('g1', 'o1')] } }), tooMuch);
        expect(run(p, { mode: 'CART', request: twice, taken: t(2, 9) }).ok).to.equal(true);
        expectOnly(run(p, { mode: 'CART', request: once, taken: t(3, 0) }), tooMuch);
      });
      it('per-user: ADD cart+purchased+N, SINGLE purchased+N, CART cart+purchased', () => {
        const p = mk({ maxQuantityPerUser: 2 });
        const capped = e(Messages.Option.ALREADY_ORDERED_TOO_MUCH, 'non_field_errors', '컨퍼런스 티켓', 'M');
        expect(run(p, { mode: 'ADD', request: twice, taken: t(0, 0) }).ok).to.equal(true);
        expectOnly(run(p, { mode: 'ADD', request: twice, taken: t(0, 1) }), capped);
        expect(run(p, { mode: 'SINGLE', request: twice, taken: t(5, 0) }).ok).to.equal(true);
        expectOnly(run(p, { mode: 'SINGLE', request: twice, taken: t(0, 1) }), capped);
        expect(run(p, { mode: 'CART', request: twice, taken: t(2, 0) }).ok).to.equal(true);
        expectOnly(run(p, { mode: 'CART', request: twice, taken: t(2, 1) }), capped);
      });
      it('group checks come before option checks; stock before per-user', () => {
        const p = product({
          optionGroups: [group({ maxQuantityPerProduct: 1, options: [option({ stock: 1, sold: 0, maxQuantityPerUser: 1 })] })],
        });
        expect(codes(run(p, { request: twice }))).to.deep.equal([Messages.OptionGroup.TOO_MUCH_OPTION.code]);
        const q = mk({ stock: 1, sold: 0, maxQuantityPerUser: 1 });
        expect(codes(run(q, { request: twice }))).to.deep.equal([Messages.Option.TOO_MUCH_CART_OPTION.code]);
      });
    });

    describe('6e. donation', () => {
      for (const mode of MODES) {
        it(`${mode}: non-zero donation on a non-donation product → DONATION_NOT_ALLOWED`, () => {
          expectOnly(
            run(product(), { mode, request: { product: 'p1', options: [], donation_price: 1000 } }),
            e(Messages.Product.DONATION_NOT_ALLOWED, 'non_field_errors', '컨퍼런스 티켓'),
          );
          expect(run(product(), { mode, request: { product: 'p1', options: [], donation_price: 0 } }).ok).to.equal(true);
        });
        it(`${mode}: range [min, max] is inclusive`, () => {
          const p = product({ donationAllowed: true, donationMinPrice: 1000, donationMaxPrice: 5000 });
          const out = e(Messages.Product.DONATION_PRICE_OUT_OF_RANGE, 'non_field_errors', '컨퍼런스 티켓', 1000, 5000);
          const d = (n: number) => run(p, { mode, request: { product: 'p1', options: [], donation_price: n } });
          expect(d(1000).ok).to.equal(true);
          expect(d(5000).ok).to.equal(true);
          expectOnly(d(999), out);
          expectOnly(d(5001), out);
          expect(d(0).ok, 'zero donation skips the rules').to.equal(true);
        });
      }
      it('with the defaults min = max = 0 any non-zero donation is out of range', () => {
        const p = product({ donationAllowed: true });
        expect(codes(run(p, { request: { product: 'p1', options: [], donation_price: 1 } }))).to.deep.equal([
          Messages.Product.DONATION_PRICE_OUT_OF_RANGE.code,
        ]);
      });
    });

    describe('6f. price bounds: 0 ≤ total < 1,000,000 (donation included; 0-won items complete without payment)', () => {
      for (const mode of MODES) {
        it(`${mode}: −1 → PRICE_TOO_LOW, 0, 1 and 999,999 ok, 1,000,000 → PRICE_TOO_HIGH`, () => {
          expectOnly(run(product({ price: -1 }), { mode }), e(Messages.Product.PRICE_TOO_LOW, 'non_field_errors'));
          expect(run(product({ price: 0 }), { mode }).ok).to.equal(true);
          expect(run(product({ price: 1 }), { mode }).ok).to.equal(true);
          expect(run(product({ price: 999_999 }), { mode }).ok).to.equal(true);
          expectOnly(run(product({ price: 1_000_000 }), { mode }), e(Messages.Product.PRICE_TOO_HIGH, 'non_field_errors'));
        });
      }
      it('the donation and option prices count toward the bounds', () => {
        const p = product({ price: 999_000, donationAllowed: true, donationMinPrice: 0, donationMaxPrice: 10_000 });
        expect(run(p, { request: { product: 'p1', options: [], donation_price: 999 } }).ok).to.equal(true);
        expect(codes(run(p, { request: { product: 'p1', options: [], donation_price: 1000 } }))).to.deep.equal([
          Messages.Product.PRICE_TOO_HIGH.code,
        ]);
        const free = product({ price: 0, donationAllowed: true, donationMinPrice: 0, donationMaxPrice: 10_000 });
        expect(run(free, { request: { product: 'p1', options: [], donation_price: 1000 } }).ok, 'a 0-won product with a donation').to.equal(true);
        const withOption = product({ price: 0, optionGroups: [group({ options: [option({ additionalPrice: 5 })] })] });
        expect(run(withOption, { request: { product: 'p1', options: [entry('g1', 'o1')] } }).ok).to.equal(true);
      });
      it('the donation check comes before the price check', () => {
        const p = product({ price: 0 });
        expect(codes(run(p, { request: { product: 'p1', options: [], donation_price: 5 } }))).to.deep.equal([
          Messages.Product.DONATION_NOT_ALLOWED.code,
        ]);
      });
    });

    it('property: the result is ok iff there are no errors, and total = price + donation', () => {
      fc.assert(
        fc.property(
          fc.constantFrom<OrderabilityMode>('ADD', 'SINGLE', 'CART'),
          fc.integer({ min: -2, max: 5 }),
          fc.integer({ min: 0, max: 5 }),
          fc.integer({ min: 0, max: 3 }),
          fc.integer({ min: 0, max: 3 }),
          fc.integer({ min: 0, max: 1_200_000 }),
          (mode, stock, sold, cart, purchased, price) => {
            const res = run(product({ stock, sold, price, maxQuantityPerUser: 2 }), {
              mode,
              taken: { product: { p1: { cart, purchased } } },
            });
            expect(res.ok).to.equal(res.errors.length === 0);
            expect(res.total).to.equal(res.price + res.donationPrice);
            const left = stock === 0 ? null : stock - sold;
            if (left !== null && left <= 0) expect(codes(res)).to.deep.equal([Messages.Product.SOLDOUT.code]);
            if (res.ok) expect(price).to.be.within(0, 999_999); // 0-won items are orderable (free tickets)
          },
        ),
      );
    });
  });

  describe('cart level (CART mode)', () => {
    const items = (...xs: Array<[string, number, number]>) =>
      xs.map(([status, price, donationPrice]) => ({ status: status as 'pending', price, donationPrice }));
    const cart = (over: Partial<Parameters<typeof checkCartOrderable>[0] & object> = {}) => ({
      id: 'c1',
      currentStatus: 'pending' as const,
      hasPaymentHistory: false,
      items: items(['pending', 1000, 0]),
      ...over,
    });
    const NF = 'non_field_errors';

    it('no cart → cart does_not_exist', () => {
      expect(checkCartOrderable(null, 'c9')).to.deep.equal([e(FieldMessages.DOES_NOT_EXIST, 'cart', 'c9')]);
    });
    it('a valid cart passes', () => {
      expect(checkCartOrderable(cart())).to.deep.equal([]);
    });
    it('status ≠ pending or a payment history → Cart.ALREADY_ORDERED', () => {
      expect(checkCartOrderable(cart({ currentStatus: 'completed' }))).to.deep.equal([e(Messages.Cart.ALREADY_ORDERED, NF)]);
      expect(checkCartOrderable(cart({ hasPaymentHistory: true }))).to.deep.equal([e(Messages.Cart.ALREADY_ORDERED, NF)]);
    });
    it('an active item not pending → CONTAINS_PAID_PRODUCT', () => {
      expect(checkCartOrderable(cart({ items: items(['pending', 1000, 0], ['paid', 1000, 0]) }))).to.deep.equal([
        e(Messages.Cart.CONTAINS_PAID_PRODUCT, NF),
      ]);
    });
    it('Σ price + donation: < 0 → CART_PRICE_TOO_LOW; 0 and 999,999 ok; ≥ 1,000,000 → CART_PRICE_TOO_HIGH', () => {
      expect(checkCartOrderable(cart({ items: items(['pending', -1, 0]) }))).to.deep.equal([e(Messages.Cart.CART_PRICE_TOO_LOW, NF)]);
      expect(checkCartOrderable(cart({ items: items(['pending', 0, 0]) }))).to.deep.equal([]);
      expect(checkCartOrderable(cart({ items: items(['pending', 500_000, 0], ['pending', 499_999, 0]) }))).to.deep.equal([]);
      expect(checkCartOrderable(cart({ items: items(['pending', 500_000, 0], ['pending', 499_999, 1]) }))).to.deep.equal([
        e(Messages.Cart.CART_PRICE_TOO_HIGH, NF),
      ]);
    });
    it('sortForCartCheck: descending price, stable on ties; prefixErrors prefixes attrs', () => {
      const sorted = sortForCartCheck([
        { id: 'a', price: 10 },
        { id: 'b', price: 30 },
        { id: 'c', price: 10 },
        { id: 'd', price: 20 },
      ]);
      expect(sorted.map((x) => x.id)).to.deep.equal(['b', 'd', 'a', 'c']);
      const errs = prefixErrors([e(Messages.Product.SOLDOUT, 'product', 'x'), { code: 'c', detail: 'd', attr: null }], '1.');
      expect(errs.map((x) => x.attr)).to.deep.equal(['1.product', null]);
    });
  });

  describe('custom-response pattern compilation (admin)', () => {
    it('valid, empty and null patterns → null', () => {
      expect(compileCustomResponsePattern('^[0-9]{3}$')).to.equal(null);
      expect(compileCustomResponsePattern('.+')).to.equal(null);
      expect(compileCustomResponsePattern('')).to.equal(null);
      expect(compileCustomResponsePattern(null)).to.equal(null);
    });
    it('patterns that do not compile in JS → the Korean message with the reason', () => {
      for (const bad of ['(', '[a-', '(?P<name>a)', 'a)|(b']) {
        const msg = compileCustomResponsePattern(bad);
        expect(msg, bad).to.be.a('string');
        expect(msg!.startsWith('유효하지 않은 정규표현식입니다: '), bad).to.equal(true);
      }
    });
    it('matching uses re.match semantics and never lets an alternation escape the anchor', () => {
      expect(matchesCustomResponse('a|b', 'xb')).to.equal(false);
      expect(matchesCustomResponse('a|b', 'bx')).to.equal(true);
      expect(matchesCustomResponse('a)|(b', 'xb'), 'uncompilable never matches').to.equal(false);
      expect(matchesCustomResponse('\\p{L}+', '한글')).to.equal(true);
    });
  });
});

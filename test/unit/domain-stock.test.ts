// §3.1 stock arithmetic and [Δ c15d377] per-user leftovers.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  isGroupStockAvailable,
  isSoldOut,
  leftover,
  leftoverStockPerUser,
  limitLeft,
  optionGroupLeftoverStockInfo,
  optionLeftoverStockInfo,
} from '../../src/domain/catalog/stock.js';

describe('domain/catalog/stock — §3.1', () => {
  describe('leftover / isSoldOut', () => {
    it('stock 0 = unlimited → null, whatever was sold', () => {
      expect(leftover(0, 0)).to.equal(null);
      expect(leftover(0, 500)).to.equal(null);
      expect(isSoldOut(0, 500)).to.equal(false);
    });
    it('limited stock: stock − sold, may go ≤ 0; negative stock is limited and sold out', () => {
      expect(leftover(10, 3)).to.equal(7);
      expect(leftover(3, 3)).to.equal(0);
      expect(leftover(3, 5)).to.equal(-2);
      expect(leftover(-1, 0)).to.equal(-1);
      expect(isSoldOut(3, 3)).to.equal(true);
      expect(isSoldOut(-1, 0)).to.equal(true);
      expect(isSoldOut(3, 2)).to.equal(false);
    });
    it('property: leftover is null iff stock is 0, else stock − sold; sold out iff leftover ≤ 0', () => {
      fc.assert(
        fc.property(fc.integer({ min: -1000, max: 1000 }), fc.nat(2000), (stock, sold) => {
          const l = leftover(stock, sold);
          if (stock === 0) expect(l).to.equal(null);
          else expect(l).to.equal(stock - sold);
          expect(isSoldOut(stock, sold)).to.equal(l !== null && l <= 0);
          // selling one more never increases the leftover
          const next = leftover(stock, sold + 1);
          if (l !== null) expect(next).to.equal(l - 1);
        }),
      );
    });
  });

  describe('limitLeft', () => {
    it('limit 0 = no limit → null; else max(0, limit − taken)', () => {
      expect(limitLeft(0, 5)).to.equal(null);
      expect(limitLeft(3, 1)).to.equal(2);
      expect(limitLeft(3, 3)).to.equal(0);
      expect(limitLeft(3, 9)).to.equal(0);
    });
    it('property: 0 ≤ limitLeft ≤ limit, and limitLeft + taken ≥ limit when positive', () => {
      fc.assert(
        fc.property(fc.integer({ min: -5, max: 100 }), fc.nat(200), (limit, taken) => {
          const left = limitLeft(limit, taken);
          if (limit <= 0) {
            expect(left).to.equal(null);
            return;
          }
          expect(left).to.be.within(0, limit);
          if (left! > 0) expect(left! + taken).to.equal(limit);
        }),
      );
    });
  });

  describe('isGroupStockAvailable', () => {
    const opt = (stock: number, sold: number) => ({ stock, sold });
    it('custom-response and optional (min 0) groups are always available', () => {
      expect(isGroupStockAvailable({ isCustomResponse: true, minQuantityPerProduct: 3, options: [] })).to.equal(true);
      expect(isGroupStockAvailable({ isCustomResponse: false, minQuantityPerProduct: 0, options: [opt(1, 1)] })).to.equal(true);
    });
    it('any unlimited option makes a required group available', () => {
      expect(isGroupStockAvailable({ isCustomResponse: false, minQuantityPerProduct: 5, options: [opt(1, 1), opt(0, 99)] })).to.equal(true);
    });
    it('otherwise min ≤ Σ leftovers (raw, negatives included); no option → unavailable', () => {
      expect(isGroupStockAvailable({ isCustomResponse: false, minQuantityPerProduct: 2, options: [opt(1, 0), opt(1, 0)] })).to.equal(true);
      expect(isGroupStockAvailable({ isCustomResponse: false, minQuantityPerProduct: 3, options: [opt(1, 0), opt(1, 0)] })).to.equal(false);
      expect(isGroupStockAvailable({ isCustomResponse: false, minQuantityPerProduct: 1, options: [opt(2, 0), opt(1, 3)] })).to.equal(false);
      expect(isGroupStockAvailable({ isCustomResponse: false, minQuantityPerProduct: 1, options: [] })).to.equal(false);
    });
  });

  describe('[Δ] leftover_stock_info / leftover_stock_per_user', () => {
    const product = { stock: 100, sold: 40, maxQuantityPerUser: 2 };
    it('option group info = {product per-user left, product leftover, group per-user left}', () => {
      const info = optionGroupLeftoverStockInfo(product, { maxQuantityPerUser: 5 }, { product: 1, group: 2 });
      expect(info).to.deep.equal({
        product_max_quantity_per_user: 1,
        product_leftover_stock: 60,
        option_group_max_quantity_per_user: 3,
      });
      // the product's own per-user cap is shown but does not cap the group (after PR #43)
      expect(leftoverStockPerUser(info)).to.equal(3);
    });
    it('option info = group info ∪ {option per-user left, option leftover}', () => {
      const info = optionLeftoverStockInfo(
        { stock: 0, sold: 9, maxQuantityPerUser: 0 },
        { maxQuantityPerUser: 0 },
        { stock: 10, sold: 10, maxQuantityPerUser: 4 },
        { product: 0, group: 0, option: 1 },
      );
      expect(info).to.deep.equal({
        product_max_quantity_per_user: null,
        product_leftover_stock: null,
        option_group_max_quantity_per_user: null,
        option_max_quantity_per_user: 3,
        option_leftover_stock: 0,
      });
      expect(leftoverStockPerUser(info)).to.equal(0);
    });
    it('all null → null (anonymous caller, unlimited everything)', () => {
      const info = optionGroupLeftoverStockInfo({ stock: 0, sold: 0, maxQuantityPerUser: 0 }, { maxQuantityPerUser: 0 }, { product: 0, group: 0 });
      expect(leftoverStockPerUser(info)).to.equal(null);
    });
    it('a negative leftover is reported as is and wins the min', () => {
      const info = optionGroupLeftoverStockInfo({ stock: 2, sold: 5, maxQuantityPerUser: 1 }, { maxQuantityPerUser: 0 }, { product: 0, group: 0 });
      expect(info.product_leftover_stock).to.equal(-3);
      expect(leftoverStockPerUser(info)).to.equal(-3);
    });
    it('property: per-user leftover = min of the non-null values except the product per-user cap', () => {
      const v = fc.option(fc.integer({ min: -10, max: 100 }), { nil: null });
      fc.assert(
        fc.property(v, v, v, v, v, (a, b, c, d, e) => {
          const info = {
            product_max_quantity_per_user: a,
            product_leftover_stock: b,
            option_group_max_quantity_per_user: c,
            option_max_quantity_per_user: d,
            option_leftover_stock: e,
          };
          const vals = [b, c, d, e].filter((x): x is number => x !== null);
          expect(leftoverStockPerUser(info)).to.equal(vals.length ? Math.min(...vals) : null);
        }),
      );
    });
  });
});

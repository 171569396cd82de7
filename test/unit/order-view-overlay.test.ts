/**
 * `overlayWritten` (src/services/order-view.ts): a view row read before a write, with the written rows laid
 * over it as the writing statement's own `viewSql` would show them.
 */
import { expect } from 'chai';
import { overlayWritten, type ViewRow } from '../../src/services/order-view.js';

const empty: ViewRow = {
  orders: null, items: null, histories: null, infos: null, options: null, ticket_infos: null,
  products: null, categories: null, groups: null, option_rows: null,
};

describe('overlayWritten: written rows over a view read before the write', () => {
  it('replaces rows by id in place (the list keeps its order), adds new ones, leaves the other lists', () => {
    const before: ViewRow = {
      ...empty,
      orders: [{ id: 'o1', name_ko: '' }],
      items: [{ id: 'i1', price: 100 }, { id: 'i2', price: 200 }, { id: 'i3', price: 300 }],
      infos: null,
      products: [{ id: 'p1' }],
    };
    const after = overlayWritten(before, {
      orders: [{ id: 'o1', name_ko: '상품 외 2건' }],
      items: [{ id: 'i2', price: 250 }],
      infos: [{ id: 'c1', name: '홍길동' }],
    });
    expect(after.orders).to.deep.equal([{ id: 'o1', name_ko: '상품 외 2건' }]);
    expect(after.items).to.deep.equal([{ id: 'i1', price: 100 }, { id: 'i2', price: 250 }, { id: 'i3', price: 300 }]);
    expect(after.infos).to.deep.equal([{ id: 'c1', name: '홍길동' }]);
    expect(after.products).to.equal(before.products);
    expect(before.items![1]).to.deep.equal({ id: 'i2', price: 200 }); // the row read is not changed
  });

  it('nothing written: the view as read', () => {
    const before: ViewRow = { ...empty, orders: [{ id: 'o1' }], items: [{ id: 'i1' }] };
    expect(overlayWritten(before, {})).to.deep.equal(before);
  });
});

/**
 * ReDoS: custom-response patterns run on a linear-time engine (RE2), with the answer length and the
 * pattern size bounded, so no buyer's answer can block the event loop (> 50 ms) whatever pattern an
 * operator saved; patterns RE2 cannot run in linear time (backreferences, lookaround) or that are too large
 * are refused when saved.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { compileCustomResponsePattern, matchesCustomResponse } from '../../src/domain/cart/orderability.js';
import { MAX_ANSWER_LENGTH } from '../../src/domain/cart/answer-pattern.js';
import { resetDb } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { signedInBuyer } from '../helpers/auth.js';
import { makeGroup, makeProduct } from '../helpers/fixtures.js';

const EVIL = ['([a-zA-Z]+ ?)*$', '(a+)+$', '(a|aa)+$', '(.*a){12}$', '(\\w+\\s?)*$', '^(([a-z])+.)+[A-Z]([a-z])+$'];

/** The median of 5 runs (the machine running the tests is shared: one run can be descheduled). */
function medianMs(fn: () => unknown): number {
  const ts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return ts.sort((a, b) => a - b)[2]!;
}

describe('security: ReDoS-proof custom-response patterns', function () {
  this.timeout(60_000);

  it('classic catastrophic patterns are usable and answer in linear time (30 chars and the longest answer)', () => {
    for (const p of EVIL) {
      expect(compileCustomResponsePattern(p), p).to.equal(null);
      for (const answer of ['a'.repeat(29) + '!', 'aaaa '.repeat(MAX_ANSWER_LENGTH / 5 - 1) + '!!!!!']) {
        let matched: boolean | undefined;
        const ms = medianMs(() => (matched = matchesCustomResponse(p, answer)));
        expect(matched, p).to.equal(false);
        expect(ms, `${p} on ${answer.length} chars: ${ms.toFixed(1)} ms`).to.be.below(50);
      }
    }
    // re.match semantics are kept
    expect(matchesCustomResponse('([a-zA-Z]+ ?)*$', 'Gildong Hong')).to.equal(true);
    expect(matchesCustomResponse('^[a-z]{3,10}$', 'alice')).to.equal(true);
    expect(matchesCustomResponse('[0-9]+', '12abc')).to.equal(true);
    expect(matchesCustomResponse('[0-9]+', 'abc12')).to.equal(false);
  });

  it('an answer longer than the limit never matches (the engine does not even run)', () => {
    expect(matchesCustomResponse('.*', 'a'.repeat(MAX_ANSWER_LENGTH))).to.equal(true);
    expect(matchesCustomResponse('.*', 'a'.repeat(MAX_ANSWER_LENGTH + 1))).to.equal(false);
  });

  it('patterns needing backtracking (backreferences, lookaround) or too large are refused when saved, and never match', () => {
    for (const p of ['(a)\\1', '(?=a)a', '(?!b)a', '(?<=a)b', '(.*a){100}', '[a-z]{1,1000}', 'a'.repeat(501)]) {
      const msg = compileCustomResponsePattern(p);
      expect(msg, p).to.be.a('string');
      expect(msg!.startsWith('유효하지 않은 정규표현식입니다: '), p).to.equal(true);
      expect(matchesCustomResponse(p, 'a'), p).to.equal(false);
    }
  });

  describe('over HTTP', () => {
    let app: Express;
    before(async () => {
      await resetDb();
      app = await makeApp();
    });

    it('a buyer\'s evil answer to an evil pattern does not block the process (add to cart, 400 at once)', async () => {
      const product = await makeProduct({ price: 10000, stock: 10 });
      const group = await makeGroup(product, { isCustomResponse: true, customResponsePattern: '([a-zA-Z]+ ?)*$' });
      const buyer = await signedInBuyer(app);
      const h = monitorEventLoopDelay({ resolution: 10 });
      h.enable();
      const res = await buyer.agent
        .post('/v1/shop/orders/cart/products/')
        .set('x-csrftoken', buyer.csrf)
        .send({ product: product.id, options: [{ product_option_group: group.id, product_option: null, custom_response: 'a'.repeat(29) + '!' }] });
      h.disable();
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(res.body.type).to.equal('validation_error');
      // (the backtracking engine took seconds here; the shared test machine adds its own noise)
      expect(h.max / 1e6, 'longest event-loop stall (ms)').to.be.below(1000);
    });
  });
});

import { expect } from 'chai';
import type { Response } from 'supertest';

/** A 4xx in the contract's error shape `{type, errors: [{code, detail, attr}]}`. */
export function expectContractError(res: Response, what: string): void {
  expect(res.status, `${what}: ${res.status} ${res.text.slice(0, 300)}`).to.be.within(400, 499);
  expect(res.body.type, what).to.be.oneOf(['validation_error', 'client_error']);
  expect(res.body.errors, what).to.be.an('array').that.is.not.empty;
  for (const e of res.body.errors as Array<Record<string, unknown>>) {
    expect(e, what).to.have.keys(['code', 'detail', 'attr']);
    expect(e.code, what).to.be.a('string');
    expect(e.detail, what).to.be.a('string');
    expect(e.attr === null || typeof e.attr === 'string', `${what}: attr`).to.equal(true);
  }
}

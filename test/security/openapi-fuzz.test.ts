/**
 * Property-based fuzzing of every operation in `/openapi.json` (read at run time, so new routes are covered
 * as they are documented): path parameters, query parameters and JSON bodies get generated bad values —
 * malformed and unknown ids, NUL bytes, lone surrogates, huge / overflowing / fractional numbers (`1e400`
 * written as a JSON literal), wrong types, deep nesting, extra keys — next to valid fixture ids so requests
 * also reach the deeper validation. Property: never a 5xx; every 4xx is in the contract's error shape.
 *
 * Bounded in time: each operation gets FUZZ_RUNS runs (default 12) and at most its share of
 * FUZZ_BUDGET_MS (default 60 s) for all operations. FUZZ_SEED replays a failure (fast-check prints the seed).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { Express } from 'express';
import request from 'supertest';
import { resetDb } from '../helpers/db.js';
import { makeApp } from '../helpers/app.js';
import { signedInBuyer, type Agent } from '../helpers/auth.js';
import { makeGroup, makeOption, makeOrder, makeProduct } from '../helpers/fixtures.js';
import { createApiKey } from '../../src/services/auth.js';
import { OrderProductOptionRelation, OrderProductRelation } from '../../src/models/index.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 60_000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

type Schema = { $ref?: string; type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[]; enum?: unknown[] };
type Operation = { parameters?: Array<{ name: string; in: string; required?: boolean }>; requestBody?: { content?: Record<string, { schema?: Schema }> } };
type Doc = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };

/** Tokens replaced in the serialized body by JSON number literals JavaScript cannot produce. */
const RAW_NUMBERS: Record<string, string> = { __N1__: '1e400', __N2__: '-1e400', __N3__: '123456789012345678901234567890', __N4__: '1e-400', __N5__: '-0' };

const badString = fc.oneof(
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', '\u202eevil', '😀', 'null', 'undefined', 'NaN', '-1', '0x10', '1e400', "' OR '1'='1", '../../etc/passwd', '%00', '<script>', 'a'.repeat(5000), 'ㄱ'.repeat(1000)),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const badNumber = fc.oneof(fc.constantFrom(-1, 0, 0.5, -0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 1e308, -1e308, Number.MAX_SAFE_INTEGER), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(...Object.keys(RAW_NUMBERS)));
const badScalar = fc.oneof(badString, badNumber, fc.constantFrom(null, true, false));
const badValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: badScalar },
  { weight: 1, arbitrary: fc.array(badScalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), badScalar, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

describe('security: fuzzing every /openapi.json operation with bad values (never a 5xx)', function () {
  this.timeout(BUDGET_MS + 120_000);
  let app: Express;
  let buyer: { agent: Agent; csrf: string };
  let key: { key: string; secret: string };
  let valid: string[];
  let doc: Doc;

  before(async () => {
    await resetDb();
    app = await makeApp();
    // refund windows closed: a fuzzed refund of the fixture order stops at the window, before PortOne
    const product = await makeProduct({ price: 20000, stock: 100, refundableEndsAt: new Date(Date.now() - 86_400_000) });
    const answer = await makeGroup(product, { isCustomResponse: true, customResponsePattern: '.*', responseModifiableEndsAt: new Date(Date.now() + 86_400_000) });
    const sizes = await makeGroup(product, { nameKo: '크기', minQuantityPerProduct: 0, maxQuantityPerProduct: 1 });
    const option = await makeOption(sizes, { stock: 5 });
    const signed = await signedInBuyer(app);
    buyer = signed;
    const order = await makeOrder(signed.user, [{ product, options: [{ group: answer, customResponse: 'alice' }] }]);
    const opr = (await OrderProductRelation.findOne({ where: { orderId: order.id } }))!;
    const opor = (await OrderProductOptionRelation.findOne({ where: { orderProductRelationId: opr.id } }))!;
    valid = [product.id, answer.id, sizes.id, option.id, order.id, opr.id, opor.id, signed.user.uniqueId];
    const k = await createApiKey({ name: 'fuzz_desk', scopes: ['desk'] });
    key = { key: k.apiKey.key, secret: k.secret };
    doc = (await request(app).get('/openapi.json').expect(200)).body as Doc;
  });

  const resolve = (s: Schema | undefined, depth = 0): Schema | undefined => {
    if (!s || depth > 10) return s;
    if (s.$ref) return resolve(doc.components?.schemas?.[s.$ref.split('/').pop()!], depth + 1);
    const alt = s.allOf?.[0] ?? s.anyOf?.[0] ?? s.oneOf?.[0];
    return alt && !s.properties ? resolve(alt, depth + 1) : s;
  };

  /** A body shaped like the schema (its keys, valid ids where ids go) with generated bad values mixed in. */
  const bodyFor = (schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> => {
    const s = resolve(schema);
    const anyId = fc.constantFrom(...valid);
    if (!s || depth > 3) return badValue;
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (s.properties) {
      const entries = Object.entries(s.properties).map(([k, v]) => [k, fc.oneof({ weight: 2, arbitrary: bodyFor(v, depth + 1) }, { weight: 1, arbitrary: badValue })] as const);
      return fc.oneof(
        { weight: 6, arbitrary: fc.record(Object.fromEntries(entries), { requiredKeys: [] }).chain((o) => fc.dictionary(fc.string({ maxLength: 6 }), badScalar, { maxKeys: 1 }).map((extra) => ({ ...extra, ...o }))) },
        { weight: 1, arbitrary: badValue },
      );
    }
    if (types.includes('array')) return fc.oneof({ weight: 3, arbitrary: fc.array(bodyFor(s.items, depth + 1), { maxLength: 3 }) }, { weight: 1, arbitrary: badValue });
    if (s.enum) return fc.oneof(fc.constantFrom(...s.enum), badValue);
    if (types.includes('string')) return fc.oneof(anyId, badString, badValue);
    return badValue;
  };

  const serialize = (body: unknown): string => {
    let text = JSON.stringify(body) ?? 'null';
    for (const [token, literal] of Object.entries(RAW_NUMBERS)) text = text.split(`"${token}"`).join(literal);
    return text;
  };

  const encode = (v: string) => {
    try {
      return encodeURIComponent(v);
    } catch {
      return '%ED%A0%80'; // a lone surrogate: its invalid UTF-8 bytes
    }
  };

  it('every documented operation answers bad input with a 4xx in the error shape, never a 5xx', async () => {
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m)).map(([method, op]) => ({ path, method, op })));
    expect(ops.length).to.be.greaterThan(10);
    const perOp = Math.max(1000, Math.floor(BUDGET_MS / ops.length));
    const seen: string[] = [];
    for (const { path, method, op } of ops) {
      const params = op.parameters ?? [];
      const pathParams = params.filter((p) => p.in === 'path').map((p) => p.name);
      const queryParams = params.filter((p) => p.in === 'query').map((p) => p.name);
      const schema = op.requestBody?.content?.['application/json']?.schema;
      // A valid order id on the receipt page reaches NHN KCP's configuration / PortOne (an upstream
      // answer, not input): there the path ids are fuzzed values only.
      const upstream = path.endsWith('/receipt/');
      const idArb = upstream ? badString : fc.oneof(fc.constantFrom(...valid), badString);
      const arb = fc.record({
        path: fc.tuple(...pathParams.map(() => idArb)),
        query: fc.array(fc.tuple(fc.constantFrom(...(queryParams.length ? queryParams : ['x'])), badString), { maxLength: 4 }),
        body: schema ? bodyFor(schema) : fc.option(badValue, { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(arb, async ({ path: ids, query, body }) => {
          let url = path;
          pathParams.forEach((name, i) => (url = url.replace(`{${name}}`, encode(String(ids[i])))));
          if (query.length) url += `?${query.map(([k, v]) => `${k}=${encode(v)}`).join('&')}`;
          let req = (buyer.agent as unknown as Record<string, (u: string) => request.Test>)[method]!(url).set('x-csrftoken', buyer.csrf);
          if (path.startsWith('/v1/internal-api/')) req = request(app)[method as 'get'](url).set('x-api-key', key.key).set('x-api-secret', key.secret);
          const res = body === undefined ? await req : await req.set('content-type', 'application/json').send(serialize(body));
          const what = `${method.toUpperCase()} ${url.slice(0, 200)} ${serialize(body).slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`;
          expect(res.status, what).to.be.below(500);
          if (res.status >= 400 && /json/.test(String(res.headers['content-type']))) {
            expect(res.body.type, what).to.be.oneOf(['validation_error', 'client_error']);
            expect(res.body.errors, what).to.be.an('array').that.is.not.empty;
            for (const e of res.body.errors) expect(e, what).to.have.keys(['code', 'detail', 'attr']);
          }
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: perOp, seed: SEED, endOnFailure: true },
      );
      seen.push(`${method} ${path}`);
    }
    expect(seen).to.have.length(ops.length);
  });
});

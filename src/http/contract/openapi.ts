/** The OpenAPI 3.1 document of the shop API and the desk API, generated from the zod contract schemas. */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import * as S from './schemas.js';

let cached: unknown;

export function openApiDocument(): unknown {
  if (cached) return cached;
  const r = new OpenAPIRegistry();
  const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
  const err = json(S.ErrorResponse, 'error ({type, errors:[{code, detail, attr}]})');
  const id = (name: string) => z.object({ [name]: z.string().uuid() });
  const errors = { 400: err, 401: err, 404: err };

  r.registerPath({ method: 'get', path: '/v1/shop/products/', tags: ['상품'], request: { query: z.object({ category_group: z.string().optional(), category: z.string().optional() }) }, responses: { 200: json(z.array(S.Product), 'visible products') } });
  r.registerPath({ method: 'get', path: '/v1/shop/products/{id}/', tags: ['상품'], request: { params: id('id') }, responses: { 200: json(S.Product, 'a product'), 404: err } });
  r.registerPath({ method: 'get', path: '/v1/shop/orders/cart/', tags: ['장바구니'], responses: { 200: json(z.union([S.Order, z.object({}).strict()]), 'the cart, or {}') } });
  r.registerPath({ method: 'post', path: '/v1/shop/orders/cart/products/', tags: ['장바구니'], request: { body: { content: { 'application/json': { schema: S.CartItemAppendRequest } } } }, responses: { 201: json(S.Order, 'the cart'), ...errors } });
  r.registerPath({ method: 'delete', path: '/v1/shop/orders/cart/products/{id}/', tags: ['장바구니'], request: { params: id('id') }, responses: { 200: json(S.Order, 'the cart'), ...errors } });
  r.registerPath({ method: 'post', path: '/v1/shop/orders/single/', tags: ['주문'], request: { body: { content: { 'application/json': { schema: S.OneItemOrderRequest } } } }, responses: { 201: json(S.Order, 'the prepared buy-now cart (merchant_uid set; pay it through PortOne), or — when the amount is 0 — the completed Order (no payment)'), 502: err, ...errors } });
  r.registerPath({ method: 'post', path: '/v1/shop/orders/', tags: ['주문'], request: { body: { content: { 'application/json': { schema: S.CustomerInfo } } } }, responses: { 201: json(S.Order, 'the prepared cart (merchant_uid set; pay it through PortOne), or — when the amount is 0 — the completed Order (no payment)'), 502: err, ...errors } });
  r.registerPath({ method: 'get', path: '/v1/shop/orders/', tags: ['주문'], responses: { 200: json(z.array(S.Order), 'purchased orders, newest first') } });
  r.registerPath({ method: 'get', path: '/v1/shop/orders/{id}/', tags: ['주문'], request: { params: id('id') }, responses: { 200: json(S.Order, 'an order'), ...errors } });
  r.registerPath({ method: 'delete', path: '/v1/shop/orders/{id}/', tags: ['환불'], request: { params: id('id') }, responses: { 204: { description: 'refunded' }, 502: err, ...errors } });
  r.registerPath({ method: 'delete', path: '/v1/shop/orders/{id}/products/{item}/', tags: ['환불'], request: { params: id('id').extend({ item: z.string().uuid() }) }, responses: { 204: { description: 'item refunded' }, 502: err, ...errors } });
  r.registerPath({ method: 'patch', path: '/v1/shop/orders/{id}/products/{item}/', tags: ['주문'], request: { params: id('id').extend({ item: z.string().uuid() }), body: { content: { 'application/json': { schema: S.OrderItemPatchRequest } } } }, responses: { 204: { description: 'saved (answers and holder together); paid items of the buyer only, else 404' }, ...errors } });
  r.registerPath({ method: 'patch', path: '/v1/shop/orders/{id}/products/{item}/options/', deprecated: true, description: 'the old client\'s call: use PATCH …/products/{item}/', tags: ['주문'], request: { params: id('id').extend({ item: z.string().uuid() }), body: { content: { 'application/json': { schema: S.OptionsPatchRequest } } } }, responses: { 200: json(S.Order, 'the order'), ...errors } });
  r.registerPath({ method: 'get', path: '/v1/shop/orders/{id}/receipt/', tags: ['주문'], request: { params: id('id') }, responses: { 200: { description: 'HTML: auto-submitting NHN KCP receipt form' }, 404: { description: 'HTML' }, 500: { description: 'HTML' } } });
  r.registerPath({ method: 'get', path: '/v1/shop/patron/', tags: ['개인 후원자'], request: { query: z.object({ year: z.coerce.number().int().optional() }) }, responses: { 200: json(z.array(S.Patron), 'patrons of the year') } });
  r.registerPath({ method: 'post', path: '/v1/shop/payment-histories/', tags: ['PortOne 결제 Webhook'], request: { body: { content: { 'application/json': { schema: S.WebhookRequest }, 'application/x-www-form-urlencoded': { schema: S.WebhookRequest } } } }, responses: { 200: json(z.object({ status: z.literal('success'), message: z.string() }), 'recorded (or already recorded)'), 400: err, 403: err } });
  // participation certificates (errors in the standard shape; download and verify answer HTML pages on errors)
  const item = id('id').extend({ item: z.string().uuid() });
  r.registerPath({ method: 'post', path: '/v1/shop/orders/{id}/products/{item}/certificate/', tags: ['참가확인서'], request: { params: item }, responses: { 200: json(S.CertificateIssueResponse, 'the item\'s certificate (issued now or before)'), 401: err, 404: err, 410: err, 503: err } });
  r.registerPath({ method: 'get', path: '/v1/document/download/{id}/', tags: ['참가확인서'], request: { params: id('id') }, responses: { 200: { description: 'application/pdf attachment 참가확인서_{number}.pdf (the order owner\'s session only)' }, 404: { description: 'HTML' }, 410: { description: 'HTML: revoked or no longer valid' }, 503: { description: 'HTML' } } });
  r.registerPath({ method: 'get', path: '/v1/document/verify/{token}/', tags: ['참가확인서'], request: { params: z.object({ token: z.string() }) }, responses: { 200: { description: 'HTML: the verified document' }, 400: { description: 'HTML: no longer valid' }, 404: { description: 'HTML' }, 410: { description: 'HTML: revoked' } } });

  // the registration desk (API key with scope `desk`: headers x-api-key + x-api-secret)
  const desk = { 401: err, 403: err };
  r.registerPath({ method: 'get', path: '/v1/internal-api/desk-support/', tags: ['현장 등록 데스크'], request: { query: S.DeskSearchQuery }, responses: { 200: json(z.array(S.DeskRow), 'orders with a payment history, newest first'), 400: err, ...desk } });
  r.registerPath({ method: 'patch', path: '/v1/internal-api/desk-support/{id}/', tags: ['현장 등록 데스크'], request: { params: id('id'), body: { content: { 'application/json': { schema: S.DeskPatchRequest } } } }, responses: { 200: json(S.DeskRow.extend({ notices: z.array(S.DeskNotice) }), 'the order after the change (notices: items already checked in)'), 400: err, 404: err, ...desk } });
  r.registerPath({ method: 'delete', path: '/v1/internal-api/desk-support/{id}/', tags: ['현장 등록 데스크'], request: { params: id('id'), query: S.DeskRefundQuery }, responses: { 204: { description: 'refunded in full (refund window ignored)' }, 400: err, 404: err, 502: err, ...desk } });

  // the session desk of today's desk client (signed-in staff session + X-CSRFToken; GET /.well-known/rosa)
  const rd = '/v1/internal-api/registration-desk';
  const rdTag = ['등록 데스크 (세션)'];
  const rdErr = { 401: err, 403: err };
  const deskItem = S.DeskRow.shape.products.element;
  r.registerPath({ method: 'get', path: `${rd}/session/`, tags: rdTag, responses: { 200: json(S.DeskSession, "who, today's date and configuration"), ...rdErr } });
  r.registerPath({ method: 'get', path: `${rd}/configuration/`, tags: rdTag, responses: { 200: json(S.DeskConfiguration, "today's configuration"), ...rdErr } });
  r.registerPath({ method: 'get', path: `${rd}/statistics/`, tags: rdTag, responses: { 200: json(S.DeskStatistics, "today's categories: target / registered / waiting"), ...rdErr } });
  r.registerPath({ method: 'get', path: `${rd}/orders/`, tags: rdTag, request: { query: S.DeskSearchQuery }, responses: { 200: json(z.array(S.DeskRow), 'orders (one of keywords, order_id, order_product_relation_id, user_unique_id required)'), 400: err, ...rdErr } });
  r.registerPath({ method: 'patch', path: `${rd}/orders/{id}/`, tags: rdTag, request: { params: id('id'), body: { content: { 'application/json': { schema: S.DeskPatchRequest } } } }, responses: { 200: json(S.DeskRow.extend({ notices: z.array(S.DeskNotice) }), "the order after the change (today's categories only)"), 400: err, 404: err, ...rdErr } });
  r.registerPath({ method: 'delete', path: `${rd}/orders/{id}/refund/`, tags: rdTag, request: { params: id('id'), query: S.DeskRefundQuery }, responses: { 204: { description: 'refunded in full' }, 400: err, 404: err, 502: err, ...rdErr } });
  r.registerPath({ method: 'get', path: `${rd}/order-products/`, tags: rdTag, request: { query: S.DeskOrderProductQuery }, responses: { 200: json(z.object({ order: S.DeskRow, product: deskItem }).strict(), 'the item and its order'), 400: err, 404: err, ...rdErr } });
  r.registerPath({ method: 'delete', path: `${rd}/order-products/{id}/refund/`, tags: rdTag, request: { params: id('id'), query: S.DeskRefundQuery }, responses: { 204: { description: 'item refunded' }, 400: err, 404: err, 502: err, ...rdErr } });

  cached = new OpenApiGeneratorV31(r.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Conference shop API', version: '1.0.0', description: 'The shop API served to the conference frontend (PortOne v1 payments).' },
  });
  return cached;
}

/**
 * The frontend contract (`shared/contract/shop-api.md`) as zod schemas: one definition gives the TypeScript
 * types, the OpenAPI document (`GET /openapi.json`) and the contract tests, which parse real responses
 * with these (strict) schemas. Request bodies are validated field by field by the domain rules (they
 * produce the original's error codes and Korean messages); these schemas document their shape.
 */
import { z } from 'zod';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';

extendZodWithOpenApi(z);

const uuid = z.string().uuid();
const iso = z.string().datetime({ offset: true });
const money = z.number().int();

export const ErrorResponse = z
  .object({
    type: z.enum(['validation_error', 'client_error', 'server_error']),
    errors: z.array(z.object({ code: z.string(), detail: z.string(), attr: z.string().nullable() }).strict()).min(1),
  })
  .openapi('ErrorResponse');

const StockInfoBase = {
  product_max_quantity_per_user: z.number().int().nullable(),
  product_leftover_stock: z.number().int().nullable(),
  option_group_max_quantity_per_user: z.number().int().nullable(),
};
export const OptionGroupLeftoverStockInfo = z.object(StockInfoBase).strict().openapi('OptionGroupLeftoverStockInfo');
export const OptionLeftoverStockInfo = z
  .object({ ...StockInfoBase, option_max_quantity_per_user: z.number().int().nullable(), option_leftover_stock: z.number().int().nullable() })
  .strict()
  .openapi('OptionLeftoverStockInfo');

export const Option = z
  .object({
    id: uuid,
    name: z.string(),
    additional_price: money,
    max_quantity_per_user: z.number().int(),
    leftover_stock: z.number().int().nullable(),
    leftover_stock_per_user: z.number().int().nullable(),
    leftover_stock_info: OptionLeftoverStockInfo,
  })
  .strict()
  .openapi('Option');

export const PlaceholderMode = z
  .enum(['hidden', 'optional', 'required'])
  .openapi('PlaceholderMode', {
    description: 'hidden: no "선택해주세요" entry (first option preselected); optional: shown, no choice accepted; required: shown, a choice is required',
  });

const OptionGroupBase = {
  id: uuid,
  name: z.string(),
  min_quantity_per_product: z.number().int(),
  max_quantity_per_product: z.number().int(),
  max_quantity_per_user: z.number().int(),
  visible_starts_at: iso.nullable(),
  visible_ends_at: iso.nullable(),
  orderable_starts_at: iso.nullable(),
  orderable_ends_at: iso.nullable(),
  placeholder_mode: PlaceholderMode,
  leftover_stock_per_user: z.number().int().nullable(),
  leftover_stock_info: OptionGroupLeftoverStockInfo,
  options: z.array(Option),
};
export const OptionGroup = z
  .union([
    z.object({ ...OptionGroupBase, is_custom_response: z.literal(false), custom_response_pattern: z.null() }).strict(),
    z.object({ ...OptionGroupBase, is_custom_response: z.literal(true), custom_response_pattern: z.string() }).strict(),
  ])
  .openapi('OptionGroup');

export const Product = z
  .object({
    id: uuid,
    name: z.string(),
    description: z.string().nullable(),
    image: z.string().nullable(),
    price: money,
    orderable_starts_at: iso,
    orderable_ends_at: iso,
    refundable_ends_at: iso.nullable().openapi({ description: 'null = not refundable by the buyer' }),
    category_group: z.string(),
    category: z.string(),
    is_ticket: z.boolean(),
    donation_allowed: z.boolean(),
    donation_min_price: money.nullable(),
    donation_max_price: money.nullable(),
    option_groups: z.array(OptionGroup),
    leftover_stock: z.number().int().nullable(),
    tag_names: z.array(z.string()),
  })
  .strict()
  .openapi('Product');

export const CustomerInfo = z
  .object({
    name: z.string(),
    phone: z.string().regex(/^([\d]{3}-[\d]{3,4}-[\d]{4}|\+[\d]{9,14})$/),
    email: z.string().email(),
    organization: z.string().nullable(),
  })
  .strict()
  .openapi('CustomerInfo');

export const PaymentHistoryStatus = z.enum(['pending', 'completed', 'partial_refunded', 'refunded']).openapi('PaymentHistoryStatus');

const OrderOptionGroupRef = {
  id: uuid,
  name: z.string(),
  response_modifiable_ends_at: iso.nullable(),
  placeholder_mode: PlaceholderMode,
};
export const OrderProductOption = z
  .union([
    z
      .object({
        id: uuid,
        product_option_group: z.object({ ...OrderOptionGroupRef, is_custom_response: z.literal(false), custom_response_pattern: z.null() }).strict(),
        product_option: z
          .object({ id: uuid, name: z.string(), additional_price: money })
          .strict()
          .nullable()
          .openapi({ description: 'null only in a placeholder_mode "optional" group left unselected' }),
        custom_response: z.null(),
      })
      .strict(),
    z
      .object({
        id: uuid,
        product_option_group: z.object({ ...OrderOptionGroupRef, is_custom_response: z.literal(true), custom_response_pattern: z.string() }).strict(),
        product_option: z.null(),
        custom_response: z.string(),
      })
      .strict(),
  ])
  .openapi('OrderProductOption');

export const TicketInfo = z
  .object({
    name: z.string().min(1),
    phone: z.string().regex(/^([\d]{3}-[\d]{3,4}-[\d]{4}|\+[\d]{9,14})$/),
    email: z.string().email(),
    organization: z.string().nullable(),
    contribution_message: z.string().nullable(),
  })
  .strict()
  .openapi('TicketInfo', { description: 'the holder (participant) of one ticket item' });

export const TicketInfoRequest = z
  .object({
    name: z.string().min(1),
    phone: z.string().regex(/^([\d]{3}-[\d]{3,4}-[\d]{4}|\+[\d]{9,14})$/),
    email: z.string().email(),
    organization: z.string().openapi({ description: 'required key; may be empty' }),
    contribution_message: z.string().nullable().optional().openapi({ description: 'donation-allowed products only' }),
  })
  .openapi('TicketInfoRequest');

export const CertificateStatus = z.enum(['not_issuable', 'issuable', 'issued', 'revoked']).openapi('CertificateStatus');

export const OrderProductItem = z
  .object({
    id: uuid,
    status: z.enum(['pending', 'paid', 'used', 'refunded']),
    price: money,
    donation_price: money,
    not_refundable_reason: z.string().nullable(),
    scancode_url: z.string().url().nullable().openapi({ description: 'ticket items only' }),
    is_ticket: z.boolean(),
    ticket_info: TicketInfo.nullable(),
    certificate_status: CertificateStatus,
    product: z.object({ id: uuid, name: z.string(), price: money, image: z.string().nullable(), donation_allowed: z.boolean() }).strict(),
    options: z.array(OrderProductOption),
  })
  .strict()
  .openapi('OrderProductItem');

export const Order = z
  .object({
    id: uuid,
    name: z.string(),
    merchant_uid: z.string().nullable(),
    first_paid_price: money,
    current_paid_price: money,
    current_status: PaymentHistoryStatus,
    not_fully_refundable_reason: z.string().nullable(),
    created_at: iso,
    first_paid_at: iso.nullable(),
    scancode_url: z.string().url().nullable(),
    payment_histories: z.array(z.object({ price: money, status: PaymentHistoryStatus }).strict()),
    products: z.array(OrderProductItem),
    customer_info: CustomerInfo.nullable(),
  })
  .strict()
  .openapi('Order');

export const CartItemAppendRequest = z
  .object({
    product: uuid,
    options: z.array(z.object({ product_option_group: uuid, product_option: uuid.nullable(), custom_response: z.string().nullable() })),
    donation_price: money.min(0).optional(),
    ticket_info: TicketInfoRequest.nullable().optional().openapi({ description: 'required for ticket products, refused for others' }),
  })
  .openapi('CartItemAppendRequest');

export const OneItemOrderRequest = CartItemAppendRequest.extend({ customer_info: CustomerInfo }).openapi('OneItemOrderRequest');

export const OptionsPatchRequest = z
  .array(z.object({ order_product_option_relation: uuid, custom_response: z.string().min(1) }))
  .openapi('OptionsPatchRequest');

export const OrderItemPatchRequest = z
  .object({
    options: OptionsPatchRequest.optional().openapi({ description: 'free-text answers (until their group\'s response_modifiable_ends_at)' }),
    ticket_info: TicketInfoRequest.partial().optional().openapi({ description: 'the holder: created when missing (all fields), else the given keys updated; no deadline' }),
  })
  .openapi('OrderItemPatchRequest');

export const Patron = z.object({ name: z.string().nullable(), contribution_message: z.string() }).strict().openapi('Patron');

export const WebhookRequest = z
  .object({
    imp_uid: z.string(),
    merchant_uid: z.string(),
    status: z.enum(['paid', 'ready', 'failed', 'cancelled']),
    cancellation_id: z.string().optional(),
  })
  .openapi('PortOneWebhook');

// ---------------------------------------------------------------------------------------------------------
// The registration desk's API (spec §8.2; API key with scope `desk`). Not part of the frontend contract; the
// desk app reads the same document. The desk tests parse real responses with these (strict) schemas.

const OprStatus = z.enum(['pending', 'paid', 'used', 'refunded']);

export const DeskRow = z
  .object({
    id: uuid,
    name: z.string(),
    first_paid_price: money,
    first_paid_at: iso.nullable(),
    current_paid_price: money,
    current_status: PaymentHistoryStatus,
    payment_histories: z.array(z.object({ status: PaymentHistoryStatus, price: money, created_at: iso }).strict()),
    products: z.array(
      z
        .object({
          id: uuid,
          scancode_token: z.string().openapi({ description: "the item's full QR token (opr:…)" }),
          category_id: uuid.nullable(),
          tags: z.array(z.object({ code: z.string(), name: z.string(), priority: z.number().int() }).strict()).openapi({ description: 'order-item tags, by priority then code' }),
          is_ticket: z.boolean(),
          ticket_info: z.object({ name: z.string(), phone: z.string(), email: z.string(), organization: z.string().nullable() }).strict().nullable().openapi({ description: 'the ticket holder' }),
          price: money,
          donation_price: money,
          status: OprStatus,
          used_at: iso.nullable().openapi({ description: 'check-in time (null unless used)' }),
          used_by: z.string().nullable().openapi({ description: 'the API key (or, at the session desk, the staff e-mail) that checked the item in' }),
          product: z.object({ id: uuid, name: z.string(), price: money }).strict(),
          options: z.array(
            z
              .object({
                id: uuid,
                product_option_group: z.object({ id: uuid, name: z.string(), is_custom_response: z.boolean(), custom_response_pattern: z.string().nullable() }).strict(),
                product_option: z.object({ id: uuid, name: z.string(), additional_price: money }).strict().nullable(),
                custom_response: z.string().nullable(),
              })
              .strict(),
          ),
        })
        .strict(),
    ),
    user: z.object({ id: z.number().int(), username: z.string(), email: z.string(), unique_id: uuid }).strict().nullable(),
    customer_info: CustomerInfo.nullable(),
  })
  .strict()
  .openapi('DeskRow');

export const DeskNotice = z
  .object({ product_id: uuid, code: z.literal('ALREADY_USED'), detail: z.string(), used_at: iso.nullable(), used_by: z.string().nullable() })
  .strict()
  .openapi('DeskNotice');

export const DeskSearchQuery = z.object({
  category_groups: z.string().optional().openapi({ description: 'comma-separated exact names' }),
  categories: z.string().optional().openapi({ description: 'comma-separated exact names' }),
  keywords: z.string().optional().openapi({ description: 'comma-separated: answers, customer name/e-mail/phone/organization, account username/e-mail (contains)' }),
  user_unique_id: uuid.optional().openapi({ description: 'from a scanned user QR token' }),
  order_id: uuid.optional(),
  order_product_relation_id: uuid.optional(),
});

export const DeskPatchRequest = z
  .object({
    products: z.array(
      z.object({
        id: uuid,
        status: z.enum(['paid', 'used']).optional().openapi({ description: 'paid → used checks the item in; used → paid undoes it' }),
        options: z.array(z.object({ id: uuid, custom_response: z.string() })).optional(),
        ticket_info: z
          .object({ name: z.string(), phone: z.string(), email: z.string(), organization: z.string() })
          .partial()
          .optional()
          .openapi({ description: 'the ticket holder (paid or used items of ticket products; partial when there is one)' }),
      }),
    ),
  })
  .openapi('DeskPatchRequest');

export const DeskRefundQuery = z.object({
  otp: z.string().regex(/^\d{6}$/).openapi({ description: "the authorizer's current TOTP code" }),
  authorizer: z.string().openapi({ description: "the authorizing staff member's e-mail or unique_id" }),
  reason: z.string().max(200).optional(),
});

/** `POST v1/shop/orders/{id}/products/{oprId}/certificate/` → the participation certificate's download link */
export const CertificateIssueResponse = z.object({ download_url: z.string().url() }).openapi('CertificateIssueResponse');

// The session desk of today's desk client (`/v1/internal-api/registration-desk/`, staff session).
export const DeskConfiguration = z
  .object({
    id: uuid,
    name: z.string(),
    event: z.object({ name: z.string() }).strict(),
    start_date: z.string().openapi({ description: 'YYYY-MM-DD (Asia/Seoul)' }),
    end_date: z.string().openapi({ description: 'YYYY-MM-DD, inclusive' }),
    categories: z.array(z.object({ id: uuid, name: z.string(), group: z.string().nullable() }).strict()),
  })
  .strict()
  .openapi('DeskConfiguration');

export const DeskStatistics = z.object({ target: z.number().int(), registered: z.number().int(), waiting: z.number().int() }).strict().openapi('DeskStatistics');

export const DeskSession = z
  .object({
    user: z.object({ id: z.number().int(), email: z.string(), username: z.string(), is_superuser: z.boolean(), admin_role: z.string().nullable() }).strict(),
    today: z.string(),
    configuration: DeskConfiguration.nullable(),
  })
  .strict()
  .openapi('DeskSession');

export const DeskOrderProductQuery = z.object({
  scancode: z.string().optional().openapi({ description: "the item's full QR token (opr:short_id:salt)" }),
  order_product_relation_id: uuid.optional(),
});

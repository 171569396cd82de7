/**
 * The error-message catalogue of the shop (spec §3.8). The Korean text is user-facing data: the frontend
 * shows `detail` as it is. Each entry has a stable machine `code` (what clients and tests match on) and a
 * `text` with positional `{}` placeholders. Keep messages here, never inline, so an English set can be added.
 */
export interface MessageDef {
  readonly code: string;
  readonly text: string;
}

const m = (code: string, text: string): MessageDef => ({ code, text });

export const Messages = {
  SignIn: {
    USER_NOT_SIGNED_IN: m('not_authenticated', '로그인 후 이용해주세요.'),
  },
  Critical: {
    INVALID_LOGIC: m('INVALID_LOGIC', '발생하면 안 되는 오류가 발생했습니다. PyCon 한국 준비 위원회에 문의해주세요.\n{}'),
  },
  Permission: {
    INVALID_API_KEY: m('INVALID_API_KEY', 'API Key가 올바르지 않습니다.'),
    INVALID_OTP_CODE: m('INVALID_OTP_CODE', 'OTP 코드가 올바르지 않습니다.'),
    OTP_REQUIRED: m('OTP_REQUIRED', '환불 승인자의 OTP 코드가 필요합니다.'),
    AUTHORIZER_REQUIRED: m('AUTHORIZER_REQUIRED', '환불 승인자(이메일 또는 unique_id)를 입력해주세요.'),
  },
  Product: {
    ALREADY_ORDERED: m('PRODUCT_ALREADY_ORDERED', '이미 결제한 상품입니다. 다시 장바구니에 담아주세요.'),
    NOT_ORDERABLE_TIME: m('PRODUCT_NOT_ORDERABLE_TIME', '{} 상품은 현재 구매하실 수 없습니다.'),
    SOLDOUT: m('PRODUCT_SOLDOUT', '{} 상품은 매진되었습니다.'),
    ALREADY_ORDERED_TOO_MUCH: m('PRODUCT_ALREADY_ORDERED_TOO_MUCH', '{} 상품의 인당 최대 구매 수량 초과로 구매하실 수 없습니다.'),
    TOO_MUCH_CART_PRODUCT: m('PRODUCT_TOO_MUCH_CART_PRODUCT', '{} 상품의 재고 수량을 초과하여 구매하실 수 없습니다. 장바구니에 담은 수량을 확인해주세요.'),
    PRICE_IS_MINUS: m('PRODUCT_PRICE_IS_MINUS', '결제 금액이 너무 낮습니다, PyCon 한국 준비 위원회에 문의해주세요.'),
    PRICE_TOO_LOW: m('PRODUCT_PRICE_TOO_LOW', '결제 금액이 너무 낮습니다, 최소한 0원 이상으로 구매해주세요.'),
    PRICE_TOO_HIGH: m('PRODUCT_PRICE_TOO_HIGH', '결제 금액이 너무 높습니다, 후원 금액 등을 줄여 100만원 미만으로 구매해주세요.'),
    DONATION_NOT_ALLOWED: m('PRODUCT_DONATION_NOT_ALLOWED', '{} 상품은 후원이 불가능한 상품입니다.'),
    DONATION_PRICE_OUT_OF_RANGE: m('PRODUCT_DONATION_PRICE_OUT_OF_RANGE', '{} 상품의 후원 금액이 범위를 벗어났습니다. {}원 이상 {}원 이하로 입력해주세요.'),
  },
  Tag: {
    SOLDOUT: m('TAG_SOLDOUT', '{} 상품군은 매진되었습니다.'),
    ALREADY_ORDERED_TOO_MUCH_RELATED_PRODUCTS: m('TAG_ALREADY_ORDERED_TOO_MUCH_RELATED_PRODUCTS', '{} 상품군의 인당 최대 구매 수량 초과로 구매하실 수 없습니다.'),
  },
  OptionGroup: {
    CUSTOM_RESPONSE_PATTERN_MISMATCH: m('OPTION_GROUP_CUSTOM_RESPONSE_PATTERN_MISMATCH', '옵션의 추가 정보를 올바른 형식으로 입력해주세요.'),
    OPTION_NOT_MATCH_PRODUCT: m('OPTION_GROUP_OPTION_NOT_MATCH_PRODUCT', '{} 상품의 옵션이 아닌 옵션이 포함되어 있습니다.'),
    OPTION_NOT_SELECTED: m('OPTION_GROUP_OPTION_NOT_SELECTED', '옵션을 선택해주세요.'),
    SOLDOUT: m('OPTION_GROUP_SOLDOUT', "{} 상품의 필수 구매 옵션인 '{}' 옵션이 매진되어 상품을 구매하실 수 없습니다."),
    NOT_ENOUGH_OPTION: m('OPTION_GROUP_NOT_ENOUGH_OPTION', "{} 상품의 필수 구매 옵션인 '{}' 옵션을 선택해주세요."),
    TOO_MUCH_OPTION: m('OPTION_GROUP_TOO_MUCH_OPTION', "{} 상품의 '{}' 옵션을 너무 많이 선택하셨습니다."),
    ALREADY_ORDERED_TOO_MUCH: m('OPTION_GROUP_ALREADY_ORDERED_TOO_MUCH', "{} 상품 '{}' 옵션 그룹의 인당 최대 선택 수량 초과로 구매하실 수 없습니다."),
    NOT_ORDERABLE_TIME: m('OPTION_GROUP_NOT_ORDERABLE_TIME', "{} 상품의 '{}' 옵션 그룹은 현재 구매하실 수 없습니다."),
  },
  Option: {
    SOLDOUT: m('OPTION_SOLDOUT', "{} 상품의 '{}' 옵션은 매진되었습니다."),
    ALREADY_ORDERED_TOO_MUCH: m('OPTION_ALREADY_ORDERED_TOO_MUCH', "{} 상품 '{}' 옵션의 인당 최대 구매 수량 초과로 구매하실 수 없습니다."),
    TOO_MUCH_CART_OPTION: m('OPTION_TOO_MUCH_CART_OPTION', "{} 상품의 '{}' 옵션을 너무 많이 선택하셨습니다. 장바구니에 담은 수량을 확인해주세요."),
  },
  Cart: {
    ALREADY_ORDERED: m('CART_ALREADY_ORDERED', '이미 결제한 장바구니입니다.'),
    CONTAINS_PAID_PRODUCT: m('CART_CONTAINS_PAID_PRODUCT', '결제한 상품이 포함되어 있습니다. PyCon 한국 준비 위원회에 문의해주세요.'),
    EMPTY: m('CART_EMPTY', '장바구니가 비어있습니다, 먼저 상품을 담아주세요.'),
    CART_PRICE_TOO_LOW: m('CART_PRICE_TOO_LOW', '장바구니의 금액이 너무 낮습니다. 최소한 0원 이상으로 구매해주세요.'),
    CART_PRICE_TOO_HIGH: m('CART_PRICE_TOO_HIGH', '장바구니의 금액이 너무 높습니다. 일부 상품을 제거하여 100만원 미만으로 구매해주세요.'),
    TICKET_INFO_REQUIRED: m('CART_TICKET_INFO_REQUIRED', '참가자 정보가 입력되지 않은 티켓이 있습니다. 모든 티켓의 참가자 정보를 입력해주세요.'),
  },
  TicketInfo: {
    NOT_ALLOWED: m('TICKET_INFO_NOT_ALLOWED', '{} 상품은 티켓이 아니므로 참가자 정보를 입력할 수 없습니다.'),
    CONTRIBUTION_MESSAGE_NOT_ALLOWED: m('CONTRIBUTION_MESSAGE_NOT_ALLOWED', '{} 상품은 후원 가능 상품이 아니므로 후원자 한마디를 입력할 수 없습니다.'),
    REQUIRED: m('TICKET_INFO_REQUIRED', '{} 상품(티켓)은 참가자 정보 입력이 필요합니다.'),
    DESK_NOT_EDITABLE_STATUS: m('TICKET_INFO_NOT_EDITABLE_STATUS', '결제 완료 또는 사용 상태에서만 참가자 정보를 수정할 수 있습니다.'),
  },
  FreeCheckout: {
    PRICE_NOT_ZERO: m('PRICE_NOT_ZERO', '무료 주문은 결제 준비 금액이 0원이어야 합니다.'),
    TARGET_NOT_FOUND: m('TARGET_NOT_FOUND', '무료 주문 대상을 찾을 수 없습니다.'),
    ILLEGAL_STATUS_TRANSITION: m('ILLEGAL_STATUS_TRANSITION', '이미 처리된 주문이거나 무료 완료로 전환할 수 없습니다.'),
  },
  Comp: {
    REASON_REQUIRED: m('reason_required', '무료 발급 사유를 입력해주세요.'),
    USER_NOT_FOUND: m('user_not_found', '사용자를 찾을 수 없습니다: {}'),
    NOT_COMP_ORDER: m('not_comp_order', '무료 발급 주문이 아닙니다.'),
    ITEM_NOT_CANCELLABLE: m('comp_item_not_cancellable', '결제 완료 상태의 무료 발급 상품만 취소할 수 있습니다 (체크인한 상품은 체크인을 먼저 취소하세요).'),
  },
  NotRefundable: {
    COMP_ORDER_NOT_REFUNDABLE: m('COMP_ORDER_NOT_REFUNDABLE', '무료 발급 주문은 환불할 수 없습니다 (환불할 금액이 없습니다). 발급을 되돌리려면 주문 상품의 "무료 발급 취소"를 사용하세요.'),
    ONE_OF_PRODUCT_IS_USED: m('ONE_OF_PRODUCT_IS_USED', '주문 중 이미 사용한 상품이 존재합니다. 개별 환불을 진행해주세요.'),
    ONE_OF_PRODUCT_IS_USED_TRY_AFTER_CHANGING_STATUS: m('ONE_OF_PRODUCT_IS_USED_TRY_AFTER_CHANGING_STATUS', '주문 중 사용한 상품이 존재합니다. 상태를 변경한 후 다시 시도해주세요.'),
    ONE_OF_PRODUCT_REFUND_TIME_EXPIRED: m('ONE_OF_PRODUCT_REFUND_TIME_EXPIRED', '주문 중 환불 가능 기간이 지난 상품이 존재합니다. 개별 환불을 진행해주세요.'),
    PRODUCT_IS_NOT_REFUNDABLE: m('PRODUCT_IS_NOT_REFUNDABLE', '해당 상품은 환불할 수 없습니다. PyCon 한국 준비 위원회에 문의해주세요.'),
    ONE_OF_PRODUCT_IS_NOT_REFUNDABLE: m('ONE_OF_PRODUCT_IS_NOT_REFUNDABLE', '주문 중 환불할 수 없는 상품이 존재합니다. 개별 환불을 진행해주세요.'),
    PRODUCT_REFUND_TIME_EXPIRED: m('PRODUCT_REFUND_TIME_EXPIRED', '상품의 환불 가능 기간이 지났습니다. PyCon 한국 준비 위원회에 문의해주세요.'),
    PRODUCT_PRICE_IS_ZERO: m('PRODUCT_PRICE_IS_ZERO', '환불 가능한 상품이 아닙니다. (환불할 금액이 없습니다.)'),
    PRODUCT_STATUS_IS_NOT_PAID: m('PRODUCT_STATUS_IS_NOT_PAID', '결제하지 않았거나, 이미 사용했거나 환불한 상품입니다. PyCon 한국 준비 위원회에 문의해주세요.'),
    ORDER_NOT_REFUNDABLE: m('ORDER_NOT_REFUNDABLE', '결제 내역 문제로 환불이 불가능한 주문입니다. PyCon 한국 준비 위원회에 문의해주세요.'),
    ORDER_NOT_REFUNDABLE_STATUS: m('ORDER_NOT_REFUNDABLE_STATUS', '환불이 불가능한 주문 상태입니다. PyCon 한국 준비 위원회에 문의해주세요.'),
    ORDER_REFUNDABLE_PRODUCT_NOT_FOUND: m('ORDER_REFUNDABLE_PRODUCT_NOT_FOUND', '환불 가능한 상품이 없습니다.'),
    ORDER_REFUNDABLE_PRICE_NOT_FOUND: m('ORDER_REFUNDABLE_PRICE_NOT_FOUND', '환불 가능한 금액이 없습니다.'),
    ORDER_REFUND_TARGET_PRICE_IS_MISMATCH: m('ORDER_REFUND_TARGET_PRICE_IS_MISMATCH', '환불할 금액이 남은 결제 금액과 일치하지 않습니다. PyCon 한국 준비 위원회에 문의해주세요.'),
    ORDER_REFUND_TARGET_PRICE_IS_NEGATIVE: m('ORDER_REFUND_TARGET_PRICE_IS_NEGATIVE', '환불할 금액이 이상합니다. PyCon 한국 준비 위원회에 문의해주세요.'),
    ORDER_IMP_ID_NOT_EXIST: m('ORDER_IMP_ID_NOT_EXIST', '환불이 불가능한 주문입니다. PyCon 한국 준비 위원회에 문의해주세요.'),
  },
  NotModifiable: {
    ORDER_PRODUCT_OPTION_RELATION_MISMATCH: m('ORDER_PRODUCT_OPTION_RELATION_MISMATCH', '해당 옵션을 찾을 수 없습니다.'),
    CUSTOM_RESPONSE_PATTERN_MISMATCH: m('CUSTOM_RESPONSE_PATTERN_MISMATCH', '옵션의 추가 정보를 올바른 형식으로 입력해주세요.'),
    RESPONSE_MODIFIABLE_ENDS_AT: m('RESPONSE_MODIFIABLE_ENDS_AT', '옵션의 추가 정보 수정 기간이 지났습니다.'),
    RESPONSE_NOT_MODIFIABLE: m('RESPONSE_NOT_MODIFIABLE', '해당 옵션은 수정할 수 없습니다. PyCon 한국 준비 위원회에 문의해주세요.'),
  },
  Webhook: {
    ORDER_NOT_FOUND: m('ORDER_NOT_FOUND', '주문 정보가 존재하지 않습니다.'),
    PURCHASE_FAILED: m('PURCHASE_FAILED', '결제에 실패했습니다.'),
    VIRTUAL_ACCOUNT_NOT_SUPPORTED: m('VIRTUAL_ACCOUNT_NOT_SUPPORTED', '가상계좌 결제는 지원하지 않습니다.'),
    UNEXPECTED_RETRIEVED_ORDER_STATUS: m('UNEXPECTED_RETRIEVED_ORDER_STATUS', '예상한 결제 상태가 아닙니다.'),
    UNEXPECTED_RETRIEVED_ORDER_ID: m('UNEXPECTED_RETRIEVED_ORDER_ID', '결제 ID가 일치하지 않습니다.'),
    ORDER_NOT_ORDERABLE: m('ORDER_NOT_ORDERABLE', '주문 가능한 상태가 아니거나 재고가 부족합니다.'),
    UNEXPECTED_PAID_PRICE: m('UNEXPECTED_PAID_PRICE', '결제 금액이 일치하지 않습니다.'),
    UNSUPPORTED_CURRENCY: m('UNSUPPORTED_CURRENCY', '지원하지 않는 통화입니다.'),
    ILLEGAL_STATUS_TRANSITION: m('illegal_transition', '이미 처리된 결제이거나 허용되지 않는 상태 전환입니다.'),
    CANCELLED_NOT_SUPPORTED: m('CANCELLED_NOT_SUPPORTED', '관리자 콘솔에서 결제 취소된 webhook 의 자동 처리는 아직 지원하지 않습니다.'),
  },
} as const;

/** Fill the positional `{}` placeholders of a catalogue text, left to right. */
export function format(text: string, ...args: Array<string | number>): string {
  let i = 0;
  return text.replace(/\{\}/g, () => (i < args.length ? String(args[i++]) : '{}'));
}

/** One field error of the contract's error body: `{code, detail, attr}`. */
export interface FieldError {
  code: string;
  detail: string;
  attr: string | null;
}

export function fieldError(msg: MessageDef, attr: string | null, ...args: Array<string | number>): FieldError {
  return { code: msg.code, detail: format(msg.text, ...args), attr };
}

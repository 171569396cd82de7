/**
 * The last check before a notification goes out from the order list or, per ticket, the item list (pure). A send with no list filter
 * reaches every paid buyer — the mis-send operators reported ("필터 없음: 전체") — so it needs the explicit
 * `confirmEveryone=true` the panel sends only after the operator ticked "send to everyone". When the
 * panel says how many orders it previewed (`expectedOrders`), a different count now (orders paid or
 * refunded meanwhile, or filters changed) refuses the send until the operator previews again.
 */
import type { ItemScope, OrderScope } from '../src/services/admin-order-scope.js';

export function sendGuard(scope: OrderScope | ItemScope, payload: Record<string, unknown>): string | null {
  if ('tickets' in scope) return ticketSendGuard(scope, payload);
  if (scope.everyone && payload.confirmEveryone !== 'true') {
    return `목록 필터가 없어 모든 결제 주문(${scope.orders}건)에 보내게 됩니다. "전체에게 보내기"를 확인해야 보낼 수 있습니다.`;
  }
  const expected = payload.expectedOrders;
  if (expected !== undefined && expected !== '' && Number(expected) !== scope.orders) {
    return `미리보기 뒤 대상 주문 수가 바뀌었습니다 (${String(expected)}건 → ${scope.orders}건). 다시 미리보기 해주세요.`;
  }
  return null;
}

/**
 * The same two rules for a per-ticket notification from the item list: no filter = every ticket sold needs
 * `confirmEveryone=true`; a ticket count different from the previewed one (`expectedTickets`) needs a new
 * preview.
 */
export function ticketSendGuard(scope: ItemScope, payload: Record<string, unknown>): string | null {
  if (scope.everyone && payload.confirmEveryone !== 'true') {
    return `목록 필터가 없어 모든 티켓(${scope.tickets}장, 주문 ${scope.orders}건)의 참가자에게 보내게 됩니다. "전체에게 보내기"를 확인해야 보낼 수 있습니다.`;
  }
  const expected = payload.expectedTickets;
  if (expected !== undefined && expected !== '' && Number(expected) !== scope.tickets) {
    return `미리보기 뒤 대상 티켓 수가 바뀌었습니다 (${String(expected)}장 → ${scope.tickets}장). 다시 미리보기 해주세요.`;
  }
  return null;
}

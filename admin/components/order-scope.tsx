/**
 * What a bulk action on the order list will act on: the list's filters as the server reads them and the
 * number of orders — or, for the per-ticket notification on the item list, the number of tickets (and of
 * their orders). Shared by the export and notification drawers (bundled with them by AdminJS).
 */
import React from 'react';
import { Box, MessageBox, Text } from '@adminjs/design-system';

export interface Scope {
  everyone: boolean;
  orders: number;
  /** per-ticket scopes: the number of tickets (items) */
  tickets?: number;
  filters: Array<{ label: string; value: string }>;
}

/** "주문 3건" or "티켓 5장 (주문 3건)". */
export const scopeCount = (scope: Scope): string =>
  scope.tickets !== undefined
    ? `티켓 ${scope.tickets.toLocaleString('ko-KR')}장 (주문 ${scope.orders.toLocaleString('ko-KR')}건)`
    : `주문 ${scope.orders.toLocaleString('ko-KR')}건`;

/** The list's `filters.*` query parameters (AdminJS carries them into drawer actions). */
export function listFilterParams(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(window.location.search).entries()) if (k.startsWith('filters.')) out[k] = v;
  return out;
}

export const ScopeBox: React.FC<{ scope: Scope | null; what: string }> = ({ scope, what }) => {
  if (!scope) return <Text mb="lg">대상 확인 중…</Text>;
  return (
    <Box mb="lg" data-testid="order-scope">
      {scope.everyone ? (
        <MessageBox
          variant="danger"
          message={scope.tickets !== undefined ? `목록 필터 없음: 모든 ${scopeCount(scope)}에 ${what}` : `목록 필터 없음: 모든 결제 주문 ${scope.orders.toLocaleString('ko-KR')}건에 ${what}`}
        />
      ) : (
        <MessageBox variant="info" message={`목록 필터에 맞는 ${scopeCount(scope)}에 ${what}`}>
          <ul style={{ margin: '8px 0 0 16px' }} data-testid="scope-filters">
            {scope.filters.map((f) => (
              <li key={f.label}>
                {f.label}: <b>{f.value}</b>
              </li>
            ))}
          </ul>
        </MessageBox>
      )}
    </Box>
  );
};

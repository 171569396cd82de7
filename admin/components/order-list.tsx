/**
 * The order list with a search box above it (not hidden in the filter drawer): one text for an order id,
 * the QR page's short id, a scanned QR code, merchant_uid, imp_uid, user_unique_id, a name, phone or e-mail.
 * It sets the list's `filters.q` (kept with the other filters), so Export and Notify see it too.
 */
import React, { useState } from 'react';
import { List, type ActionProps } from 'adminjs';
import { useLocation, useNavigate } from 'react-router';
import { Box, Button, Input } from '@adminjs/design-system';

const OrderList: React.FC<ActionProps> = (props) => {
  const location = useLocation();
  const navigate = useNavigate();
  const [q, setQ] = useState(() => new URLSearchParams(location.search).get('filters.q') ?? '');
  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    const params = new URLSearchParams(location.search);
    if (q.trim()) params.set('filters.q', q.trim());
    else params.delete('filters.q');
    params.set('page', '1');
    navigate({ pathname: location.pathname, search: params.toString() });
  };
  return (
    <Box>
      <Box as="form" onSubmit={submit} flex flexDirection="row" mb="lg" style={{ gap: 8 }} data-testid="order-search">
        <Input
          name="q"
          value={q}
          width="100%"
          placeholder="주문번호 · QR · 이름 · 전화번호 · 이메일 · user_unique_id · PortOne ID"
          onChange={(e: React.ChangeEvent<HTMLInputElement>) => setQ(e.target.value)}
        />
        <Button type="submit" style={{ whiteSpace: 'nowrap' }}>
          검색
        </Button>
      </Box>
      <List {...props} />
    </Box>
  );
};

export default OrderList;

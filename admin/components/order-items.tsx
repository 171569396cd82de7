/**
 * The items of an order on its show page: product, options, the ticket holder (read-only), price, status, and
 * — for operators who may refund this order (the server lists its `refund` action in the record's actions
 * only then) — a refund link per paid item, and for managers on a paid order an option-change link per paid /
 * used item with choice options. Viewers see no write links. Links navigate inside the panel.
 */
import React from 'react';
import { useCurrentAdmin, type ShowPropertyProps } from 'adminjs';
import { Link } from 'react-router-dom';
import { Box, Label, Table, TableBody, TableCell, TableHead, TableRow } from '@adminjs/design-system';

interface Item {
  id: string;
  status: string;
  price: number;
  donation_price: number;
  not_refundable_reason: string | null;
  product: { id: string; name: string };
  options: Array<{ product_option_group: { name: string; is_custom_response: boolean }; product_option: { name: string } | null; custom_response: string | null }>;
  is_ticket?: boolean;
  ticket_info?: { name: string; phone: string; email: string; organization: string | null; contribution_message: string | null } | null;
}

const STATUS: Record<string, string> = { pending: '결제 대기', paid: '결제 완료', used: '사용 완료', refunded: '환불 완료' };

const OrderItems: React.FC<ShowPropertyProps> = ({ record }) => {
  const canRefund = (record?.recordActions ?? []).some((a) => a.name === 'refund');
  // Option changes: managers (as roles.ts `canWrite`) on a paid order, comp orders included (they have no
  // refund action, so the refund link cannot tell). Only which links to show: the item action checks again
  // on the server.
  const [admin] = useCurrentAdmin();
  const me = admin as { role?: string; isSuperuser?: boolean } | null;
  const canChange =
    !!me && (me.role === 'manager' || !!me.isSuperuser) && ['completed', 'partial_refunded'].includes(String(record?.params?.currentStatus ?? ''));
  let items: Item[] = [];
  try {
    items = JSON.parse(String(record?.params?.itemsJson ?? '[]')) as Item[];
  } catch {
    items = [];
  }
  return (
    <Box mb="xl" data-testid="order-items">
      <Label>주문 상품</Label>
      <Table>
        <TableHead>
          <TableRow>
            <TableCell>상품</TableCell>
            <TableCell>옵션</TableCell>
            <TableCell>참가자</TableCell>
            <TableCell>금액</TableCell>
            <TableCell>상태</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {items.map((i) => (
            <TableRow key={i.id}>
              <TableCell>
                <Link to={`/admin/resources/products/records/${i.product.id}/show`}>{i.product.name}</Link>
              </TableCell>
              <TableCell>
                {i.options.map((o, n) => (
                  <div key={n}>
                    {o.product_option_group.name}: {o.product_option_group.is_custom_response ? o.custom_response ?? '' : o.product_option?.name ?? ''}
                  </div>
                ))}
              </TableCell>
              <TableCell data-testid="ticket-holder">
                {i.ticket_info ? (
                  <>
                    <div>{i.ticket_info.name}{i.ticket_info.organization ? ` (${i.ticket_info.organization})` : ''}</div>
                    <div>{i.ticket_info.email} · {i.ticket_info.phone}</div>
                    {i.ticket_info.contribution_message && <div>“{i.ticket_info.contribution_message}”</div>}
                  </>
                ) : i.is_ticket ? (
                  '참가자 정보 없음'
                ) : (
                  '-'
                )}
              </TableCell>
              <TableCell>
                {(i.price + i.donation_price).toLocaleString('ko-KR')}원{i.donation_price ? ` (후원 ${i.donation_price.toLocaleString('ko-KR')}원)` : ''}
              </TableCell>
              <TableCell data-testid={`item-status-${i.id}`}>{STATUS[i.status] ?? i.status}</TableCell>
              <TableCell>
                <Link to={`/admin/resources/order_product_relations/records/${i.id}/show`}>상세</Link>
                {canRefund && i.status === 'paid' && (
                  <>
                    {' · '}
                    <Link to={`/admin/resources/order_product_relations/records/${i.id}/refund`}>부분 환불</Link>
                  </>
                )}
                {canChange && (i.status === 'paid' || i.status === 'used') && i.options.some((o) => !o.product_option_group.is_custom_response) && (
                  <>
                    {' · '}
                    <Link to={`/admin/resources/order_product_relations/records/${i.id}/changeOption`}>옵션 변경</Link>
                  </>
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
};

export default OrderItems;

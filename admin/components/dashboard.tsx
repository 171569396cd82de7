/** Sales today / in total, paid orders, refunds, and stock left per product. */
import React, { useEffect, useState } from 'react';
import { ApiClient } from 'adminjs';
import { Box, H2, H4, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';

interface Totals {
  sales: number;
  paidOrders: number;
  refunds: number;
  refundAmount: number;
  net?: number;
}
interface Data {
  generatedAt: string;
  today: Totals;
  total: Totals;
  stock: Array<{ productId: string; name: string; category: string | null; stock: number; sold: number; left: number | null }>;
}

const won = (n: number) => `${n.toLocaleString('ko-KR')}원`;

const Card: React.FC<{ title: string; value: string; sub?: string }> = ({ title, value, sub }) => (
  <Box variant="card" p="lg" m="default" style={{ minWidth: 200, background: 'white' }}>
    <Text color="grey60">{title}</Text>
    <H2 mt="sm">{value}</H2>
    {sub && <Text color="grey60">{sub}</Text>}
  </Box>
);

const Dashboard: React.FC = () => {
  const [d, setD] = useState<Data | null>(null);
  useEffect(() => {
    new ApiClient().getDashboard().then((r) => setD(r.data as Data));
  }, []);
  if (!d) return <Box p="xl">…</Box>;
  return (
    <Box p="xl" data-testid="dashboard">
      <H4>오늘</H4>
      <Box flex flexWrap="wrap">
        <Card title="오늘 매출" value={won(d.today.sales)} sub={`결제 ${d.today.paidOrders}건`} />
        <Card title="오늘 환불" value={won(d.today.refundAmount)} sub={`${d.today.refunds}건`} />
      </Box>
      <H4 mt="xl">전체</H4>
      <Box flex flexWrap="wrap">
        <Card title="총 매출" value={won(d.total.sales)} sub={`결제 주문 ${d.total.paidOrders}건`} />
        <Card title="총 환불" value={won(d.total.refundAmount)} sub={`${d.total.refunds}건`} />
        <Card title="순매출 (보유 금액)" value={won(d.total.net ?? 0)} />
      </Box>
      <H4 mt="xl">상품별 남은 재고</H4>
      <Table>
        <TableHead>
          <TableRow>
            <TableCell>상품</TableCell>
            <TableCell>카테고리</TableCell>
            <TableCell>재고</TableCell>
            <TableCell>판매(+결제 대기)</TableCell>
            <TableCell>남음</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {d.stock.map((s) => (
            <TableRow key={s.productId}>
              <TableCell>
                <a href={`/admin/resources/products/records/${s.productId}/show`}>{s.name}</a>
              </TableCell>
              <TableCell>{s.category ?? '-'}</TableCell>
              <TableCell>{s.stock === 0 ? '무제한' : s.stock}</TableCell>
              <TableCell>{s.sold}</TableCell>
              <TableCell>{s.left === null ? '-' : s.left}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
};

export default Dashboard;

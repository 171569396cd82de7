/**
 * Check-in desk in the panel: pick a category and a day, watch the live counts (target / checked in /
 * waiting, refreshed every few seconds), search by name, e-mail, order number or a scanned QR code (a
 * scanner types the code and Enter into the focused box), then check an item in or undo it.
 */
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { ApiClient, useNotice } from 'adminjs';
import { Badge, Box, Button, H3, Input, Label, MessageBox, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';

interface Category {
  id: string;
  name: string;
  group: string;
}
interface Counts {
  target: number;
  checkedIn: number;
  waiting: number;
  checkedInOnDay: number;
}
interface Item {
  id: string;
  status: string;
  used_at: string | null;
  used_by: string | null;
  product: { id: string; name: string };
  category_id: string | null;
}
interface Row {
  id: string;
  name: string;
  current_status: string;
  products: Item[];
  user: { email: string } | null;
  customer_info: { name: string; email: string; phone: string; organization: string | null } | null;
}
interface Answer {
  categories?: Category[];
  counts?: Counts | null;
  rows?: Row[];
  row?: Row;
  today?: string;
  canWrite?: boolean;
  notice?: { message: string; type: string };
}

const api = new ApiClient();
const STATUS: Record<string, string> = { paid: '대기', used: '체크인 완료', refunded: '환불됨', pending: '결제 대기' };
const FORMAT = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const seoul = (iso: string | null) => (iso ? FORMAT.format(new Date(iso)).replace(',', '') : '');

const CheckinPage: React.FC = () => {
  const [categories, setCategories] = useState<Category[]>([]);
  const [categoryId, setCategoryId] = useState('');
  const [day, setDay] = useState('');
  const [counts, setCounts] = useState<Counts | null>(null);
  const [canWrite, setCanWrite] = useState(false);
  const [q, setQ] = useState('');
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLInputElement | null>(null);
  const addNotice = useNotice();

  const call = useCallback(
    async (fields: Record<string, string>): Promise<Answer> => {
      const form = new FormData();
      for (const [k, v] of Object.entries({ categoryId, day, ...fields })) form.set(k, v);
      const r = await api.getPage({ pageName: 'checkin', data: form, method: 'post' });
      return r.data as Answer;
    },
    [categoryId, day],
  );

  useEffect(() => {
    api.getPage({ pageName: 'checkin' }).then((r) => {
      const d = r.data as Answer;
      setCategories(d.categories ?? []);
      setCategoryId((c) => c || d.categories?.[0]?.id || '');
      setDay((x) => x || d.today || '');
      setCanWrite(!!d.canWrite);
    });
  }, []);

  // live counts: now and every 5 s
  useEffect(() => {
    if (!categoryId || !day) return undefined;
    let stop = false;
    const tick = () =>
      call({ step: 'counts' }).then((d) => {
        if (!stop && d.counts) setCounts(d.counts);
      });
    void tick();
    const timer = setInterval(tick, 5000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [categoryId, day, call]);

  const search = async (event?: React.FormEvent) => {
    event?.preventDefault();
    setError(null);
    const d = await call({ step: 'search', q });
    if (d.notice?.type === 'error') setError(d.notice.message);
    setRows(d.rows ?? []);
    if (d.counts) setCounts(d.counts);
    box.current?.select();
  };

  const set = async (row: Row, item: Item, checkin: boolean) => {
    setError(null);
    const d = await call({ step: checkin ? 'checkin' : 'undo', orderId: row.id, itemId: item.id });
    if (d.notice) addNotice({ message: d.notice.message, type: (d.notice.type === 'error' ? 'error' : 'success') as 'success' | 'error' });
    if (d.notice?.type === 'error') setError(d.notice.message);
    if (d.row) setRows((rs) => (rs ?? []).map((r) => (r.id === d.row!.id ? d.row! : r)));
    if (d.counts) setCounts(d.counts);
    box.current?.focus();
  };

  /** the chosen category's items (an order found by QR or name may also hold other things) */
  const inCategory = (item: Item) => !categoryId || item.category_id === categoryId;

  return (
    <Box variant="container" data-testid="checkin-page">
      <H3>체크인</H3>
      <Box flex flexDirection="row" mb="lg" style={{ gap: 16 }}>
        <Box>
          <Label>카테고리</Label>
          <select data-testid="checkin-category" value={categoryId} onChange={(e) => setCategoryId(e.target.value)} style={{ padding: 8 }}>
            {categories.map((c) => (
              <option key={c.id} value={c.id}>
                {c.group ? `${c.group} / ` : ''}
                {c.name}
              </option>
            ))}
          </select>
        </Box>
        <Box>
          <Label>날짜 (KST)</Label>
          <input type="date" data-testid="checkin-day" value={day} onChange={(e) => setDay(e.target.value)} style={{ padding: 6 }} />
        </Box>
      </Box>
      {counts && (
        <Box flex flexDirection="row" mb="xl" style={{ gap: 24 }} data-testid="checkin-counts">
          <Text>
            대상 <b data-testid="count-target">{counts.target}</b>
          </Text>
          <Text>
            체크인 <b data-testid="count-checked">{counts.checkedIn}</b>
          </Text>
          <Text>
            대기 <b data-testid="count-waiting">{counts.waiting}</b>
          </Text>
          <Text>
            {day} 체크인 <b data-testid="count-day">{counts.checkedInOnDay}</b>
          </Text>
        </Box>
      )}
      <form onSubmit={search}>
        <Label>이름 · 이메일 · 주문번호 · QR 스캔</Label>
        <Box flex flexDirection="row" style={{ gap: 8 }}>
          <Input ref={box} autoFocus name="q" data-testid="checkin-q" value={q} width="100%" onChange={(e: React.ChangeEvent<HTMLInputElement>) => setQ(e.target.value)} />
          <Button type="submit" data-testid="checkin-search" style={{ whiteSpace: 'nowrap' }}>
            찾기
          </Button>
        </Box>
      </form>
      {error && <MessageBox my="lg" variant="danger" message={error} />}
      {rows && rows.length === 0 && <Text mt="lg">찾은 주문이 없습니다.</Text>}
      {rows && rows.length > 0 && (
        <Table mt="lg" data-testid="checkin-results">
          <TableHead>
            <TableRow>
              <TableCell>구매자</TableCell>
              <TableCell>주문</TableCell>
              <TableCell>상품</TableCell>
              <TableCell>상태</TableCell>
              <TableCell />
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.flatMap((r) =>
              r.products.filter(inCategory).map((i) => (
                <TableRow key={i.id} data-testid={`checkin-item-${i.id}`}>
                  <TableCell>
                    <b>{r.customer_info?.name ?? '-'}</b>
                    <div style={{ fontSize: 12 }}>{r.customer_info?.email ?? r.user?.email ?? ''}</div>
                  </TableCell>
                  <TableCell style={{ fontSize: 12 }}>
                    <a href={`/admin/resources/orders/records/${r.id}/show`}>{r.name}</a>
                  </TableCell>
                  <TableCell>{i.product.name}</TableCell>
                  <TableCell>
                    <Badge variant={i.status === 'used' ? 'success' : i.status === 'paid' ? 'info' : 'light'} data-testid={`checkin-status-${i.id}`}>
                      {STATUS[i.status] ?? i.status}
                    </Badge>
                    {i.used_at && (
                      <div style={{ fontSize: 12 }}>
                        {seoul(i.used_at)} · {i.used_by}
                      </div>
                    )}
                  </TableCell>
                  <TableCell>
                    {canWrite && i.status === 'paid' && (
                      <Button size="sm" variant="contained" data-testid={`checkin-do-${i.id}`} onClick={() => set(r, i, true)}>
                        체크인
                      </Button>
                    )}
                    {canWrite && i.status === 'used' && (
                      <Button size="sm" variant="outlined" data-testid={`checkin-undo-${i.id}`} onClick={() => set(r, i, false)}>
                        체크인 취소
                      </Button>
                    )}
                  </TableCell>
                </TableRow>
              )),
            )}
          </TableBody>
        </Table>
      )}
    </Box>
  );
};

export default CheckinPage;

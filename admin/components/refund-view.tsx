/**
 * Refund of an order (full) or of one item (partial): shows the refund preview (amount, per-item reasons,
 * resulting status; the item(s) to be refunded are marked) and asks for the operator's current OTP code.
 * Without an enrolled OTP: a link to enroll. Errors stay inline (no toast that outlives them); after the
 * refund the item table is reloaded, so it shows the new statuses, and stale error toasts are dropped.
 */
import React, { useCallback, useEffect, useState } from 'react';
import { ApiClient, useNotice, type ActionProps } from 'adminjs';
import { Badge, Box, Button, H3, Input, Label, MessageBox, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';
import { Link } from 'react-router-dom';
import { useDropErrorNotices } from './notices.tsx';

interface Preview {
  orderId: string;
  kind: 'full' | 'item';
  amount: number;
  resultingStatus: string;
  refundable: boolean;
  reason: string | null;
  items: Array<{ id: string; productName: string; status: string; amount: number; notRefundableReason: string | null }>;
}

const api = new ApiClient();
const won = (n: number) => `${n.toLocaleString('ko-KR')}원`;
const STATUS: Record<string, string> = {
  pending: '결제 대기',
  paid: '결제 완료',
  used: '사용 완료',
  refunded: '환불 완료',
  completed: '결제 완료',
  partial_refunded: '부분 환불',
};
const status = (s: string) => STATUS[s] ?? s;

const RefundView: React.FC<ActionProps> = ({ resource, record }) => {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [enrolled, setEnrolled] = useState<boolean>(true);
  const [error, setError] = useState<string | null>(null);
  const [totp, setTotp] = useState('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const addNotice = useNotice();

  const dropErrors = useDropErrorNotices();

  const load = useCallback(
    () =>
      api
        .recordAction({ resourceId: resource.id, recordId: String(record?.id), actionName: 'refund' })
        .then((r) => {
          const d = r.data as { preview?: Preview; totpEnrolled?: boolean; notice?: { message: string } };
          if (d.preview) setPreview(d.preview);
          setEnrolled(d.totpEnrolled !== false);
          if (d.notice && !d.preview) setError(d.notice.message);
        })
        .catch((e: unknown) => setError(String(e))),
    [resource.id, record?.id],
  );
  useEffect(() => {
    void load();
  }, [load]);

  /** The item(s) this refund returns: the chosen item, or every refundable item of a full refund. */
  const isTarget = (i: Preview['items'][number]) => (preview?.kind === 'item' ? i.id === String(record?.id) : !i.notRefundableReason && i.status !== 'refunded');

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const form = new FormData();
    form.set('totp', totp);
    form.set('reason', reason);
    try {
      const r = await api.recordAction({ resourceId: resource.id, recordId: String(record?.id), actionName: 'refund', data: form, method: 'post' });
      const d = r.data as { notice?: { message: string; type: string }; outcome?: { refunded: number; status: string }; redirectUrl?: string };
      if (d.outcome) {
        dropErrors();
        if (d.notice) addNotice({ message: d.notice.message, type: 'success' });
        setDone(`${won(d.outcome.refunded)} 환불 완료 — 주문 상태: ${status(d.outcome.status)}`);
        await load(); // the item table shows the new statuses
      } else setError(d.notice?.message ?? '환불하지 못했습니다.');
    } catch (e) {
      setError(String(e));
    } finally {
      setBusy(false);
      setTotp('');
    }
  };

  return (
    <Box variant="container" data-testid="refund-view">
      <H3>{preview?.kind === 'item' ? '주문 상품 환불 (부분 환불)' : '주문 전체 환불'}</H3>
      {error && <MessageBox my="lg" variant="danger" message={error} data-testid="refund-error" />}
      {done && (
        <MessageBox my="lg" variant="success" message={done} data-testid="refund-done">
          <Link to={`/admin/resources/orders/records/${preview?.orderId ?? ''}/show`}>주문으로 돌아가기</Link>
        </MessageBox>
      )}
      {preview && (
        <Box mb="xl">
          <Text mb="default">
            환불 금액: <b data-testid="refund-amount">{won(preview.amount)}</b> · 환불 후 주문 상태: <b>{status(preview.resultingStatus)}</b>
          </Text>
          {!preview.refundable && <MessageBox my="default" variant="danger" message={`환불할 수 없습니다: ${preview.reason ?? ''}`} />}
          <Table>
            <TableHead>
              <TableRow>
                <TableCell>상품</TableCell>
                <TableCell>상태</TableCell>
                <TableCell>금액</TableCell>
                <TableCell>환불 불가 사유</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {preview.items.map((i) => (
                <TableRow key={i.id} data-testid={!done && isTarget(i) ? 'refund-target' : `refund-item-${i.id}`} style={!done && isTarget(i) ? { background: '#fff4e5' } : undefined}>
                  <TableCell>
                    {i.productName}
                    {!done && isTarget(i) && (
                      <Badge variant="danger" ml="default" size="sm">
                        환불 대상
                      </Badge>
                    )}
                  </TableCell>
                  <TableCell data-testid={`refund-item-status-${i.id}`}>{status(i.status)}</TableCell>
                  <TableCell>{won(i.amount)}</TableCell>
                  <TableCell>{i.notRefundableReason ?? '-'}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
      {!enrolled && (
        <MessageBox my="lg" variant="info" message="환불 승인용 OTP가 등록되어 있지 않습니다. 먼저 OTP를 등록해주세요.">
          <a href="/admin/pages/totp">OTP 등록하기</a>
        </MessageBox>
      )}
      {preview?.refundable && !done && (
        <form onSubmit={submit}>
          <Box mb="lg">
            <Label required>OTP 코드 (인증 앱의 현재 6자리)</Label>
            <Input name="totp" value={totp} inputMode="numeric" autoComplete="one-time-code" maxLength={6} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setTotp(e.target.value)} />
          </Box>
          <Box mb="lg">
            <Label>사유 (선택)</Label>
            <Input name="reason" value={reason} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setReason(e.target.value)} />
          </Box>
          <Button variant="danger" type="submit" disabled={busy || totp.length !== 6} data-testid="refund-submit">
            {won(preview.amount)} 환불하기
          </Button>
        </form>
      )}
    </Box>
  );
};

export default RefundView;

/**
 * *옵션 변경* of an order item: the item's answers with their current option, a select of the other options of
 * each choice group (stock left for this item; options that cannot be chosen now are disabled with the
 * reason), then a confirmation listing "group: old → new" before anything is written. On success the new
 * options are shown (the form reloads from the server's answer). Errors stay inline, a success drops stale
 * error toasts.
 */
import React, { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiClient, useNotice, type ActionProps } from 'adminjs';
import { Box, Button, H3, Input, Label, MessageBox, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';
import { Link } from 'react-router-dom';
import { useDropErrorNotices } from './notices.tsx';

interface Held {
  id: string;
  name: string;
  additionalPrice: number;
}
interface Choice extends Held {
  leftover: number | null;
  current: boolean;
  refusal: string | null;
}
interface Answer {
  id: string;
  groupName: string;
  isCustomResponse: boolean;
  allowsNone: boolean;
  current: Held | null;
  customResponse: string | null;
  refusal: string | null;
  choices: Choice[];
}
interface Preview {
  orderId: string;
  itemId: string;
  productName: string;
  itemStatus: string;
  orderStatus: string;
  price: number;
  refusal: string | null;
  answers: Answer[];
}
interface Reply {
  preview?: Preview;
  outcome?: { changes: Array<{ group: string; from: Held | null; to: Held | null }> };
  notice?: { message: string; type: string };
  errors?: Array<{ code: string; detail: string; attr: string | null }>;
}

const api = new ApiClient();
const won = (n: number) => `${n.toLocaleString('ko-KR')}원`;
const STATUS: Record<string, string> = { pending: '결제 대기', paid: '결제 완료', used: '사용 완료', refunded: '환불 완료' };
/** the select's value for "no option" (optional groups) */
const NONE = '';

const label = (c: Choice) =>
  `${c.name} (+${won(c.additionalPrice)}) · 남은 수량 ${c.leftover === null ? '제한 없음' : Math.max(0, c.leftover)}${c.current ? ' · 현재' : c.refusal ? ` · 선택 불가: ${c.refusal}` : ''}`;

/** The answer of a 4xx reply (AdminJS's client throws on it; the body carries the error). */
function replyOf(e: unknown): Reply | null {
  const data = (e as { response?: { data?: unknown } })?.response?.data;
  return data && typeof data === 'object' ? (data as Reply) : null;
}

const ChangeOptionView: React.FC<ActionProps> = ({ resource, record }) => {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [chosen, setChosen] = useState<Record<string, string>>({});
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const addNotice = useNotice();
  const dropErrors = useDropErrorNotices();

  const show = (p: Preview) => {
    setPreview(p);
    setChosen(Object.fromEntries(p.answers.map((a) => [a.id, a.current?.id ?? NONE])));
    setConfirming(false);
  };
  const load = useCallback(
    () =>
      api
        .recordAction({ resourceId: resource.id, recordId: String(record?.id), actionName: 'changeOption' })
        .then((r) => {
          const d = r.data as Reply;
          if (d.preview) show(d.preview);
          else if (d.notice) setError(d.notice.message);
        })
        .catch((e: unknown) => setError(replyOf(e)?.notice?.message ?? String(e))),
    [resource.id, record?.id],
  );
  useEffect(() => {
    void load();
  }, [load]);

  /** The answers whose select differs from their current option: what will be sent. */
  const changes = useMemo(
    () => (preview?.answers ?? []).filter((a) => a.refusal === null && (chosen[a.id] ?? NONE) !== (a.current?.id ?? NONE)),
    [preview, chosen],
  );
  const nameOf = (a: Answer, id: string) => (id === NONE ? '선택 안 함' : a.choices.find((c) => c.id === id)?.name ?? id);
  const priceOf = (a: Answer, id: string) => (id === NONE ? 0 : a.choices.find((c) => c.id === id)?.additionalPrice ?? 0);
  const priceDelta = changes.reduce((s, a) => s + priceOf(a, chosen[a.id] ?? NONE) - (a.current?.additionalPrice ?? 0), 0);

  const submit = async () => {
    setBusy(true);
    setError(null);
    const form = new FormData();
    form.set('changes', JSON.stringify(changes.map((a) => ({ answer: a.id, option: chosen[a.id] === NONE ? null : chosen[a.id] }))));
    if (reason.trim()) form.set('reason', reason.trim());
    try {
      const r = await api.recordAction({ resourceId: resource.id, recordId: String(record?.id), actionName: 'changeOption', data: form, method: 'post' });
      const d = r.data as Reply;
      if (d.outcome) {
        dropErrors();
        if (d.notice) addNotice({ message: d.notice.message, type: 'success' });
        setDone(d.outcome.changes.map((c) => `${c.group}: ${c.from?.name ?? '없음'} → ${c.to?.name ?? '없음'}`).join(', '));
        setReason('');
        if (d.preview) show(d.preview);
      } else setError(d.notice?.message ?? '옵션을 변경하지 못했습니다.');
    } catch (e) {
      const d = replyOf(e);
      setError(d?.errors?.map((x) => `${x.detail} (${x.code})`).join(' / ') ?? d?.notice?.message ?? String(e));
      setConfirming(false);
      void load(); // the stock shown may be out of date: that is often why it failed
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box variant="container" data-testid="change-option-view">
      <H3>주문 상품 옵션 변경</H3>
      {error && <MessageBox my="lg" variant="danger" message={error} data-testid="change-option-error" />}
      {done && (
        <MessageBox my="lg" variant="success" message={`변경 완료: ${done}`} data-testid="change-option-done">
          <Link to={`/admin/resources/orders/records/${preview?.orderId ?? ''}/show`}>주문으로 돌아가기</Link>
        </MessageBox>
      )}
      {preview && (
        <Box mb="xl">
          <Text mb="default">
            {preview.productName} · {STATUS[preview.itemStatus] ?? preview.itemStatus} · 결제 금액 {won(preview.price)} (변경 후에도 같습니다: 추가 금액이 같은 옵션으로만 바꿀 수 있습니다)
          </Text>
          {preview.refusal && <MessageBox my="default" variant="danger" message={`변경할 수 없습니다: ${preview.refusal}`} data-testid="change-option-refusal" />}
          <Table>
            <TableHead>
              <TableRow>
                <TableCell>옵션 그룹</TableCell>
                <TableCell>현재</TableCell>
                <TableCell>변경할 옵션</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {preview.answers.map((a) => (
                <TableRow key={a.id} data-testid={`change-option-answer-${a.id}`}>
                  <TableCell style={{ whiteSpace: 'nowrap' }}>{a.groupName}</TableCell>
                  <TableCell data-testid={`change-option-current-${a.id}`} style={{ whiteSpace: 'nowrap' }}>
                    {a.isCustomResponse ? a.customResponse ?? '' : a.current ? `${a.current.name} (+${won(a.current.additionalPrice)})` : '선택 안 함'}
                  </TableCell>
                  <TableCell>
                    {a.refusal !== null ? (
                      <Text color="grey60">{a.refusal}</Text>
                    ) : (
                      <select
                        data-testid={`change-option-select-${a.id}`}
                        value={chosen[a.id] ?? NONE}
                        disabled={confirming || busy}
                        onChange={(e) => setChosen({ ...chosen, [a.id]: e.target.value })}
                        style={{ padding: 8, width: '100%', maxWidth: 520 }}
                      >
                        {(a.allowsNone || !a.current) && <option value={NONE}>선택 안 함</option>}
                        {a.choices.map((c) => (
                          <option key={c.id} value={c.id} disabled={!c.current && c.refusal !== null}>
                            {label(c)}
                          </option>
                        ))}
                      </select>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
      {preview && !preview.refusal && !confirming && (
        <Button variant="primary" type="button" disabled={changes.length === 0} onClick={() => setConfirming(true)} data-testid="change-option-review">
          변경 내용 확인
        </Button>
      )}
      {preview && confirming && (
        <Box mb="lg" data-testid="change-option-confirm">
          <Label>다음과 같이 바꿉니다</Label>
          <ul>
            {changes.map((a) => (
              <li key={a.id}>
                {a.groupName}: {a.current?.name ?? '선택 안 함'} → <b>{nameOf(a, chosen[a.id] ?? NONE)}</b>
              </li>
            ))}
          </ul>
          {priceDelta !== 0 && <MessageBox my="default" variant="danger" message={`추가 금액이 ${won(Math.abs(priceDelta))} ${priceDelta > 0 ? '늘어납니다' : '줄어듭니다'}: 금액이 달라지는 변경은 할 수 없습니다.`} />}
          <Box my="lg">
            <Label>사유 (선택, 변경 이력에 남습니다)</Label>
            <Input name="reason" value={reason} maxLength={200} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setReason(e.target.value)} />
          </Box>
          <Button variant="primary" type="button" mr="default" disabled={busy || priceDelta !== 0} onClick={() => void submit()} data-testid="change-option-submit">
            변경하기
          </Button>
          <Button variant="text" type="button" disabled={busy} onClick={() => setConfirming(false)}>
            취소
          </Button>
        </Box>
      )}
    </Box>
  );
};

export default ChangeOptionView;

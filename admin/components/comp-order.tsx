/**
 * 무료 발급 (comp order): a paid 0-won order for an existing user (a speaker, a volunteer). The operator picks
 * the user (e-mail or id; pre-filled when opened from the users list), writes the reason (required), the
 * customer info (pre-filled from the account; the paid e-mail with the QR links goes there), and the lines:
 * product, quantity, and the product's options / answers. Hidden and closed products are offered (operators
 * may comp them); stock and per-person limits still apply — the server checks everything as the checkout does
 * and answers every problem at once, shown under the form with the line it belongs to.
 */
import React, { useEffect, useMemo, useState } from 'react';
import { ApiClient, useNotice, type ActionProps } from 'adminjs';
import { Box, Button, H3, Input, Label, MessageBox, Text, TextArea } from '@adminjs/design-system';
import type { CompCatalogueProduct } from '../../src/services/comp-orders.js';

// the service's shape of the form's catalogue (a type-only import: erased from the browser bundle)
type Product = CompCatalogueProduct;
type Group = Product['optionGroups'][number];
interface Line {
  product: string;
  quantity: number;
  /** group id → option id (choice groups) or the answer (custom-response groups) */
  answers: Record<string, string>;
}
interface FieldError {
  code: string;
  detail: string;
  attr: string | null;
}

const api = new ApiClient();
const won = (n: number) => `${n.toLocaleString('ko-KR')}원`;
const SALE: Record<string, string> = { active: '판매 중', out_of_orderable_period: '판매 기간 아님', out_of_visible_period: '숨김' };

const CompOrder: React.FC<ActionProps> = ({ resource }) => {
  const [catalogue, setCatalogue] = useState<Product[]>([]);
  const [user, setUser] = useState('');
  const [reason, setReason] = useState('');
  const [info, setInfo] = useState({ name: '', phone: '', email: '', organization: '' });
  const [lines, setLines] = useState<Line[]>([{ product: '', quantity: 1, answers: {} }]);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [done, setDone] = useState<{ url: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const addNotice = useNotice();
  const byId = useMemo(() => new Map(catalogue.map((p) => [p.id, p])), [catalogue]);

  useEffect(() => {
    const ref = new URLSearchParams(window.location.search).get('user');
    api.resourceAction({ resourceId: resource.id, actionName: 'comp', params: ref ? { user: ref } : {} }).then((r) => {
      const d = r.data as { catalogue?: Product[]; user?: { id: number; email: string; name: string } | null };
      setCatalogue(d.catalogue ?? []);
      if (d.user) {
        setUser(d.user.email);
        setInfo((i) => ({ ...i, name: i.name || d.user!.name, email: i.email || d.user!.email }));
      }
    });
  }, [resource.id]);

  const setLine = (i: number, change: Partial<Line>) => setLines(lines.map((l, k) => (k === i ? { ...l, ...change } : l)));
  const request = () => ({
    user: /^\d+$/.test(user.trim()) ? Number(user.trim()) : user.trim(),
    reason,
    customer_info: info,
    items: lines.map((l) => {
      const p = byId.get(l.product);
      const options = (p?.optionGroups ?? [])
        .filter((g) => (l.answers[g.id] ?? '') !== '')
        .map((g) =>
          g.isCustomResponse
            ? { product_option_group: g.id, product_option: null, custom_response: l.answers[g.id] }
            : { product_option_group: g.id, product_option: l.answers[g.id], custom_response: null },
        );
      return { product: l.product, quantity: l.quantity, options };
    }),
  });
  const submit = async () => {
    setBusy(true);
    setErrors([]);
    setDone(null);
    try {
      const form = new FormData();
      form.set('data', JSON.stringify(request()));
      const r = await api.resourceAction({ resourceId: resource.id, actionName: 'comp', data: form, method: 'post' });
      const d = r.data as { error?: { errors: FieldError[] }; orderUrl?: string; notice?: { message: string; type: string } };
      if (d.notice) addNotice({ message: d.notice.message, type: d.notice.type as 'success' | 'error' });
      if (d.error) setErrors(d.error.errors);
      if (d.orderUrl) setDone({ url: d.orderUrl, message: d.notice?.message ?? '' });
    } finally {
      setBusy(false);
    }
  };
  const lineErrors = (i: number) => errors.filter((e) => e.attr === `items.${i}` || (e.attr ?? '').startsWith(`items.${i}.`));
  const otherErrors = errors.filter((e) => !/^items\.\d+/.test(e.attr ?? ''));
  const listTotal = lines.reduce((s, l) => {
    const p = byId.get(l.product);
    if (!p) return s;
    const extra = p.optionGroups.reduce((x, g) => x + (g.options.find((o) => o.id === l.answers[g.id])?.additionalPrice ?? 0), 0);
    return s + (p.price + extra) * l.quantity;
  }, 0);

  return (
    <Box variant="container" data-testid="comp-order">
      <H3>무료 발급 (comp order)</H3>
      <Text mb="lg">
        연사·자원봉사자 등에게 0원 결제 완료 주문을 만듭니다. 판매 기간이 끝났거나 숨긴 상품도 발급할 수 있지만, 재고와 1인당 구매 제한은 결제와 똑같이 적용됩니다.
        무료 발급 주문은 환불할 수 없습니다 (주문 상품의 "무료 발급 취소"로 되돌립니다).
      </Text>
      <Label required>사용자 (이메일 또는 ID)</Label>
      <Input data-testid="comp-user" width="100%" value={user} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setUser(e.target.value)} />
      <Label required mt="default">
        사유
      </Label>
      <TextArea data-testid="comp-reason" width="100%" rows={2} value={reason} onChange={(e: React.ChangeEvent<HTMLTextAreaElement>) => setReason(e.target.value)} />
      <Box mt="lg" flex flexDirection="row" style={{ gap: 8, flexWrap: 'wrap' }}>
        {(['name', 'phone', 'email', 'organization'] as const).map((k) => (
          <Box key={k} style={{ minWidth: 180, flex: 1 }}>
            <Label required={k !== 'organization'}>{{ name: '고객명', phone: '전화번호 (010-1234-5678)', email: '이메일', organization: '소속' }[k]}</Label>
            <Input data-testid={`comp-${k}`} width="100%" value={info[k]} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setInfo({ ...info, [k]: e.target.value })} />
          </Box>
        ))}
      </Box>
      {lines.map((l, i) => {
        const p = byId.get(l.product);
        return (
          <Box key={i} mt="lg" p="default" style={{ border: '1px solid #ddd', borderRadius: 4 }} data-testid={`comp-line-${i}`}>
            <Label required>상품</Label>
            <select value={l.product} onChange={(e) => setLine(i, { product: e.target.value, answers: {} })} style={{ padding: 8, width: '100%' }}>
              <option value="">상품 선택…</option>
              {catalogue.map((c) => (
                <option key={c.id} value={c.id}>
                  [{c.category}] {c.name} — {won(c.price)} · 남은 재고 {c.leftover === null ? '제한 없음' : c.leftover} · {SALE[c.saleStatus] ?? c.saleStatus}
                </option>
              ))}
            </select>
            <Label mt="default">수량</Label>
            <Input type="number" min={1} max={20} value={l.quantity} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setLine(i, { quantity: Math.max(1, Number(e.target.value) || 1) })} />
            {p?.optionGroups.map((g) => (
              <Box key={g.id} mt="default">
                <Label required={g.minQuantityPerProduct > 0}>{g.name}</Label>
                {g.isCustomResponse ? (
                  <Input width="100%" placeholder={g.customResponsePattern ?? ''} value={l.answers[g.id] ?? ''} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setLine(i, { answers: { ...l.answers, [g.id]: e.target.value } })} />
                ) : (
                  <select value={l.answers[g.id] ?? ''} onChange={(e) => setLine(i, { answers: { ...l.answers, [g.id]: e.target.value } })} style={{ padding: 8 }}>
                    <option value="">선택 안 함</option>
                    {g.options.map((o) => (
                      <option key={o.id} value={o.id}>
                        {o.name}
                        {o.additionalPrice ? ` (+${won(o.additionalPrice)})` : ''}
                      </option>
                    ))}
                  </select>
                )}
              </Box>
            ))}
            {p?.isTicket && <Text mt="default">티켓: 참가자(홀더)는 위 고객 정보로 등록됩니다. 참가자는 구매자가 나중에 바꿀 수 있습니다.</Text>}
            {lineErrors(i).map((e, k) => (
              <MessageBox key={k} mt="default" variant="danger" message={`${e.attr}: ${e.detail}`} />
            ))}
            {lines.length > 1 && (
              <Button mt="default" size="sm" onClick={() => setLines(lines.filter((_, k) => k !== i))}>
                이 줄 삭제
              </Button>
            )}
          </Box>
        );
      })}
      <Box mt="lg">
        <Button mr="default" onClick={() => setLines([...lines, { product: '', quantity: 1, answers: {} }])}>
          상품 추가
        </Button>
        <Button variant="contained" data-testid="comp-submit" disabled={busy || !user.trim() || !reason.trim() || lines.some((l) => !l.product)} onClick={submit}>
          무료 발급 (정가 {won(listTotal)} → 0원)
        </Button>
      </Box>
      {otherErrors.length > 0 && (
        <MessageBox mt="lg" variant="danger" message="입력값을 확인해주세요">
          <ul style={{ margin: '8px 0 0 16px' }}>
            {otherErrors.map((e, k) => (
              <li key={k}>
                {e.attr ?? ''}: {e.detail}
              </li>
            ))}
          </ul>
        </MessageBox>
      )}
      {done && (
        <MessageBox mt="lg" variant="success" message={done.message}>
          <a href={done.url} data-testid="comp-order-link">
            만든 주문 보기
          </a>
        </MessageBox>
      )}
    </Box>
  );
};

export default CompOrder;

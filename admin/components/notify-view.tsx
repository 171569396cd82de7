/**
 * Notification to the orders of the list filters (spec §6.6; the filters are carried into this drawer's
 * URL and shown in words with the number of orders): choose a template, preview (template variables,
 * recipients, missing variables), then send. The template decides the channel (e-mail, Kakao, SMS); one job
 * per recipient is queued after commit (one message per order); their delivery status is in "Notification
 * recipients". With no filter at all, sending needs the "send to everyone" box ticked; the server also
 * refuses when the number of orders changed since the preview. On the item list (per-ticket notification)
 * the same drawer counts tickets: one message per ticket to its participant, the same two rules.
 */
import React, { useEffect, useMemo, useState } from 'react';
import { ApiClient, useNotice, type ActionProps } from 'adminjs';
import { Box, Button, CheckBox, H3, Label, MessageBox, Table, TableBody, TableCell, TableHead, TableRow, Text, TextArea } from '@adminjs/design-system';
import { listFilterParams, scopeCount, ScopeBox, type Scope } from './order-scope.tsx';

interface Recipient {
  order_id: string;
  recipient: string;
  context: Record<string, unknown>;
  missing_variables: string[];
}

const api = new ApiClient();

const NotifyView: React.FC<ActionProps> = ({ resource }) => {
  const [templates, setTemplates] = useState<Array<{ id: string; label: string }>>([]);
  const [canSend, setCanSend] = useState(false);
  const [templateId, setTemplateId] = useState('');
  const [override, setOverride] = useState('{}');
  const [preview, setPreview] = useState<{ template_variables: string[]; recipients: Recipient[] } | null>(null);
  const [missing, setMissing] = useState<Recipient[] | null>(null);
  const [sent, setSent] = useState<{ url: string; count: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const addNotice = useNotice();
  // null: not known yet; undefined: the server states no scope
  const [scope, setScope] = useState<Scope | null | undefined>(null);
  // the per-ticket notification of the item list: one message per ticket to its participant
  const perTicket = resource.id === 'order_product_relations';
  const [previewed, setPreviewed] = useState<number | null>(null);
  const [confirmEveryone, setConfirmEveryone] = useState(false);
  const filters = useMemo(listFilterParams, []);
  const unflattened = useMemo(() => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(filters)) {
      const [field, bound] = k.slice(8).split('~~');
      if (bound) out[field!] = { ...((out[field!] as object) ?? {}), [bound]: v };
      else out[field!] = v;
    }
    return out;
  }, [filters]);
  useEffect(() => {
    api.resourceAction({ resourceId: resource.id, actionName: 'notify', params: filters }).then((r) => {
      const d = r.data as { templates?: Array<{ id: string; label: string }>; canSend?: boolean; scope?: Scope };
      setTemplates(d.templates ?? []);
      setCanSend(!!d.canSend);
      setScope(d.scope);
    });
  }, [resource.id, filters]);
  const post = async (step: 'preview' | 'send') => {
    setError(null);
    setMissing(null);
    const form = new FormData();
    form.set('step', step);
    form.set('templateId', templateId);
    form.set('contextOverride', override);
    form.set('filters', JSON.stringify(unflattened)); // (the per-ticket target reads the item list's filters from here)
    if (step === 'send') {
      if (previewed !== null) form.set(perTicket ? 'expectedTickets' : 'expectedOrders', String(previewed));
      if (confirmEveryone) form.set('confirmEveryone', 'true');
    }
    const r = await api.resourceAction({ resourceId: resource.id, actionName: 'notify', data: form, method: 'post', params: filters });
    const d = r.data as {
      preview?: typeof preview;
      orders?: number;
      scope?: Scope;
      missing?: Recipient[];
      history?: { recipients: unknown[] };
      historyUrl?: string;
      notice?: { message: string; type: string };
    };
    if (d.scope) setScope(d.scope);
    if (d.preview) setPreviewed(perTicket ? (d.scope?.tickets ?? null) : (d.orders ?? null));
    if (d.notice) addNotice({ message: d.notice.message, type: d.notice.type as 'success' | 'error' });
    if (d.notice?.type === 'error') setError(d.notice.message);
    if (d.preview) setPreview(d.preview);
    if (d.missing) setMissing(d.missing);
    if (d.history && d.historyUrl) setSent({ url: d.historyUrl, count: d.history.recipients.length });
  };
  return (
    <Box variant="container" data-testid="notify-view">
      <H3>{perTicket ? '티켓별 알림 보내기' : '주문 알림 보내기'} (이메일 / 카카오 알림톡 / SMS: 템플릿의 채널)</H3>
      {scope !== undefined && <ScopeBox scope={scope} what={perTicket ? '티켓마다 참가자에게 알림을 보냅니다.' : '알림을 보냅니다.'} />}
      <Label required>템플릿</Label>
      <select data-testid="notify-template" value={templateId} onChange={(e) => setTemplateId(e.target.value)} style={{ padding: 8, marginBottom: 16 }}>
        <option value="">템플릿 선택…</option>
        {templates.map((t) => (
          <option key={t.id} value={t.id}>
            {t.label}
          </option>
        ))}
      </select>
      <Label>추가 변수 (context_override, JSON 객체)</Label>
      <TextArea value={override} onChange={(e: React.ChangeEvent<HTMLTextAreaElement>) => setOverride(e.target.value)} rows={3} width="100%" />
      <Box mt="lg" mb="lg">
        <Button mr="default" data-testid="notify-preview" disabled={!templateId} onClick={() => post('preview')}>
          미리보기
        </Button>
        {canSend && (
          <Button
            variant="contained"
            data-testid="notify-send"
            disabled={!templateId || !preview || preview.recipients.length === 0 || (!!scope?.everyone && !confirmEveryone)}
            onClick={() => post('send')}
          >
            {scope?.everyone ? '전체에게 보내기' : `${preview?.recipients.length ?? 0}명에게 보내기`}
          </Button>
        )}
      </Box>
      {canSend && scope?.everyone && (
        <Box mb="lg" flex alignItems="center">
          <CheckBox id="confirm-everyone" data-testid="confirm-everyone" checked={confirmEveryone} onChange={() => setConfirmEveryone(!confirmEveryone)} />
          <Label inline htmlFor="confirm-everyone" ml="default">
            {perTicket
              ? `필터 없이 모든 ${scopeCount(scope)}의 참가자에게 보내는 것을 확인합니다.`
              : `필터 없이 모든 결제 주문(${scope.orders.toLocaleString('ko-KR')}건)의 구매자에게 보내는 것을 확인합니다.`}
          </Label>
        </Box>
      )}
      {error && <MessageBox my="lg" variant="danger" message={error} />}
      {sent && (
        <MessageBox my="lg" variant="success" message={`${sent.count}명에게 발송을 예약했습니다.`}>
          <a href={sent.url}>수신자별 상태 보기</a>
        </MessageBox>
      )}
      {preview && (
        <Box>
          <Text mb="default">템플릿 변수: {preview.template_variables.join(', ') || '-'}</Text>
          <Table>
            <TableHead>
              <TableRow>
                <TableCell>수신자</TableCell>
                <TableCell>없는 변수</TableCell>
                <TableCell>변수 값</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {(missing ?? preview.recipients).map((r) => (
                <TableRow key={r.recipient}>
                  <TableCell>{r.recipient}</TableCell>
                  <TableCell>{r.missing_variables.join(', ') || '-'}</TableCell>
                  <TableCell style={{ fontSize: 12 }}>
                    {preview.template_variables.map((v) => (
                      <div key={v}>
                        {v}: {String(r.context[v] ?? '')}
                      </div>
                    ))}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
      )}
    </Box>
  );
};

export default NotifyView;

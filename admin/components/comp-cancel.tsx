/**
 * 무료 발급 취소: take back one unit of a comp order (paid, not checked in). Its stock comes back; the order's
 * ledger gets a 0-won row; nothing goes to PortOne and no e-mail is sent. The reason is kept in the audit row.
 */
import React, { useState } from 'react';
import { ApiClient, useNotice, type ActionProps } from 'adminjs';
import { Box, Button, H3, Label, MessageBox, Text, TextArea } from '@adminjs/design-system';

const api = new ApiClient();

const CompCancel: React.FC<ActionProps> = ({ resource, record }) => {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [orderUrl, setOrderUrl] = useState<string | null>(null);
  const addNotice = useNotice();
  const listPrice = Number(record?.params.listPrice ?? 0);
  const submit = async () => {
    const form = new FormData();
    form.set('reason', reason);
    const r = await api.recordAction({ resourceId: resource.id, recordId: String(record!.id), actionName: 'cancelComp', data: form, method: 'post' });
    const d = r.data as { notice?: { message: string; type: string }; redirectUrl?: string };
    if (d.notice) addNotice({ message: d.notice.message, type: d.notice.type as 'success' | 'error' });
    setError(d.notice?.type === 'error' ? d.notice.message : null);
    if (d.redirectUrl) setOrderUrl(d.redirectUrl);
  };
  return (
    <Box variant="container" data-testid="comp-cancel">
      <H3>무료 발급 취소</H3>
      <Text mb="lg">이 무료 발급 상품(정가 {listPrice.toLocaleString('ko-KR')}원)을 취소합니다. 재고가 돌아오고, 결제·환불은 일어나지 않습니다. 체크인한 상품은 체크인을 먼저 취소해야 합니다.</Text>
      <Label>사유</Label>
      <TextArea width="100%" rows={2} value={reason} onChange={(e: React.ChangeEvent<HTMLTextAreaElement>) => setReason(e.target.value)} />
      <Box mt="lg">
        <Button variant="contained" data-testid="comp-cancel-submit" disabled={!!orderUrl} onClick={submit}>
          무료 발급 취소
        </Button>
      </Box>
      {error && <MessageBox mt="lg" variant="danger" message={error} />}
      {orderUrl && (
        <MessageBox mt="lg" variant="success" message="취소했습니다.">
          <a href={orderUrl}>주문 보기</a>
        </MessageBox>
      )}
    </Box>
  );
};

export default CompCancel;

/**
 * Assign / unassign an order-item tag to the items of the list's current filters (status, product, order,
 * item id). At least one filter is required (the server refuses "every item"). Shows how many items changed.
 */
import React, { useEffect, useMemo, useState } from 'react';
import { ApiClient, useNotice, type ActionProps } from 'adminjs';
import { Box, Button, H3, Label, Text } from '@adminjs/design-system';

const api = new ApiClient();

const TagAssign: React.FC<ActionProps> = ({ resource }) => {
  const [tags, setTags] = useState<Array<{ id: string; label: string }>>([]);
  const [canWrite, setCanWrite] = useState(false);
  const [tagId, setTagId] = useState('');
  const [result, setResult] = useState<string | null>(null);
  const addNotice = useNotice();
  const filters = useMemo(() => {
    const out: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(window.location.search).entries()) if (k.startsWith('filters.')) out[k.slice(8)] = v;
    return out;
  }, []);
  useEffect(() => {
    api.resourceAction({ resourceId: resource.id, actionName: 'tags' }).then((r) => {
      const d = r.data as { tags?: Array<{ id: string; label: string }>; canWrite?: boolean };
      setTags(d.tags ?? []);
      setCanWrite(!!d.canWrite);
    });
  }, [resource.id]);
  const post = async (step: 'assign' | 'unassign') => {
    const form = new FormData();
    form.set('step', step);
    form.set('tagId', tagId);
    form.set('filters', JSON.stringify(filters));
    const r = await api.resourceAction({ resourceId: resource.id, actionName: 'tags', data: form, method: 'post' });
    const d = r.data as { affected?: number; notice?: { message: string; type: string } };
    if (d.notice) addNotice({ message: d.notice.message, type: d.notice.type as 'success' | 'error' });
    if (typeof d.affected === 'number') setResult(`${d.affected}건 변경`);
  };
  return (
    <Box variant="container" data-testid="tag-assign">
      <H3>주문 상품 태그 지정 / 해제</H3>
      <Text mb="lg">대상: 목록 필터에 맞는 주문 상품 {Object.keys(filters).length ? JSON.stringify(filters) : '(필터 없음: 필터를 먼저 지정하세요)'}</Text>
      <Label required>태그</Label>
      <select value={tagId} onChange={(e) => setTagId(e.target.value)} style={{ padding: 8, marginBottom: 16 }}>
        <option value="">태그 선택…</option>
        {tags.map((t) => (
          <option key={t.id} value={t.id}>
            {t.label}
          </option>
        ))}
      </select>
      <Box mt="lg">
        <Button mr="default" disabled={!tagId || !canWrite} onClick={() => post('assign')}>
          지정
        </Button>
        <Button disabled={!tagId || !canWrite} onClick={() => post('unassign')}>
          해제
        </Button>
      </Box>
      {result ? <Text mt="lg">{result}</Text> : null}
    </Box>
  );
};

export default TagAssign;

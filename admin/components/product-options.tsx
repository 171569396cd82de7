/**
 * A product's option groups with their options, edited together (spec §6.5 nested sync): entries with an
 * id are updated, entries without one are created, entries removed from the list are deleted (soft).
 * Validation errors are shown per field (`groups.0.customResponsePattern`, …).
 */
import React, { useEffect, useState } from 'react';
import { ApiClient, useNotice, type ActionProps } from 'adminjs';
import { Box, Button, H3, MessageBox, Text, TextArea } from '@adminjs/design-system';

const api = new ApiClient();

const EXAMPLE = `[
  {
    "nameKo": "티셔츠 사이즈", "nameEn": "T-shirt size", "priority": 0,
    "minQuantityPerProduct": 1, "maxQuantityPerProduct": 1, "isCustomResponse": false,
    "options": [ { "nameKo": "M", "nameEn": "M", "additionalPrice": 0, "stock": 100 } ]
  },
  { "nameKo": "배지 이름", "isCustomResponse": true, "customResponsePattern": ".+" }
]`;

const ProductOptions: React.FC<ActionProps> = ({ resource, record }) => {
  const [text, setText] = useState('');
  const [canWrite, setCanWrite] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const addNotice = useNotice();
  const load = () =>
    api.recordAction({ resourceId: resource.id, recordId: String(record?.id), actionName: 'options' }).then((r) => {
      const d = r.data as { groups?: unknown[]; canWrite?: boolean };
      setText(JSON.stringify(d.groups ?? [], null, 2));
      setCanWrite(!!d.canWrite);
    });
  useEffect(() => {
    void load();
  }, [resource.id, record?.id]);
  const save = async () => {
    const form = new FormData();
    form.set('groups', text);
    const r = await api.recordAction({ resourceId: resource.id, recordId: String(record?.id), actionName: 'options', data: form, method: 'post' });
    const d = r.data as { errors?: Record<string, string>; groups?: unknown[]; notice?: { message: string; type: string } };
    if (d.notice) addNotice({ message: d.notice.message, type: d.notice.type as 'success' | 'error' });
    setErrors(d.errors ?? {});
    if (d.groups) setText(JSON.stringify(d.groups, null, 2));
  };
  return (
    <Box variant="container" data-testid="product-options">
      <H3>옵션 그룹과 옵션</H3>
      <Text mb="default">
        그룹: nameKo, nameEn, priority, minQuantityPerProduct, maxQuantityPerProduct, maxQuantityPerUser, isCustomResponse, customResponsePattern, responseModifiableEndsAt,
        visible/orderable Starts/EndsAt (비우면 상품 기간). 옵션: nameKo, nameEn, priority, additionalPrice, stock, maxQuantityPerUser. id가 없는 항목은 새로 만들고, 목록에서 뺀 항목은 삭제합니다.
      </Text>
      {Object.keys(errors).length > 0 && (
        <MessageBox my="lg" variant="danger" message="입력값을 확인해주세요.">
          {Object.entries(errors).map(([k, v]) => (
            <div key={k} data-testid="option-error">
              <b>{k}</b>: {v}
            </div>
          ))}
        </MessageBox>
      )}
      <TextArea value={text} onChange={(e: React.ChangeEvent<HTMLTextAreaElement>) => setText(e.target.value)} rows={24} width="100%" style={{ fontFamily: 'monospace' }} />
      {canWrite && (
        <Box mt="lg">
          <Button variant="contained" onClick={save}>
            저장
          </Button>
          <Button ml="default" onClick={() => setText(EXAMPLE)}>
            예시 넣기
          </Button>
        </Box>
      )}
    </Box>
  );
};

export default ProductOptions;

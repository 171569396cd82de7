/**
 * Export of orders: those of the list filters (carried into this drawer's URL, `filters.*`) or those
 * containing the chosen products (spec §6.3). Before the download the drawer shows what the server will
 * export: the filters in words and the number of orders. CSV (one row per item, UTF-8 with BOM) or XLSX.
 */
import React, { useEffect, useMemo, useState } from 'react';
import { ApiClient, type ActionProps } from 'adminjs';
import { Box, Button, CheckBox, H3, Label } from '@adminjs/design-system';
import { listFilterParams, ScopeBox, type Scope } from './order-scope.tsx';

const api = new ApiClient();

const ExportView: React.FC<ActionProps> = ({ resource }) => {
  const [products, setProducts] = useState<Array<{ id: string; title: string }>>([]);
  const [chosen, setChosen] = useState<string[]>([]);
  const [includeRefunded, setIncludeRefunded] = useState(false);
  const [scope, setScope] = useState<Scope | null>(null);
  const filters = useMemo(listFilterParams, []);
  useEffect(() => {
    api
      .resourceAction({ resourceId: 'products', actionName: 'list', params: { perPage: 500 } })
      .then((r) => setProducts(((r.data as { records?: Array<{ id: string; title: string }> }).records ?? []).map((x) => ({ id: String(x.id), title: x.title }))));
  }, []);
  const query = useMemo(() => {
    const q = new URLSearchParams(filters);
    if (chosen.length) q.set('productIds', chosen.join(','));
    if (includeRefunded) q.set('includeRefunded', 'true');
    return q;
  }, [filters, chosen, includeRefunded]);
  useEffect(() => {
    setScope(null);
    api
      .resourceAction({ resourceId: resource.id, actionName: 'export', params: Object.fromEntries(query.entries()) })
      .then((r) => setScope((r.data as { scope?: Scope }).scope ?? null));
  }, [resource.id, query]);
  const href = (format: 'csv' | 'xlsx') => {
    const q = new URLSearchParams(query);
    q.set('format', format);
    return `/admin/api/resources/${resource.id}/actions/export?${q.toString()}`;
  };
  const toggle = (id: string) => setChosen((c) => (c.includes(id) ? c.filter((x) => x !== id) : [...c, id]));
  return (
    <Box variant="container" data-testid="export-view">
      <H3>주문 내보내기</H3>
      <ScopeBox scope={scope} what="대한 파일을 내려받습니다." />
      <Label>상품으로 좁히기 (선택: 결제 완료·부분 환불 주문)</Label>
      <Box mb="lg" style={{ maxHeight: 240, overflow: 'auto' }}>
        {products.map((p) => (
          <Box key={p.id} mb="sm" flex alignItems="center">
            <CheckBox id={`p-${p.id}`} checked={chosen.includes(p.id)} onChange={() => toggle(p.id)} />
            <Label inline htmlFor={`p-${p.id}`} ml="default">
              {p.title}
            </Label>
          </Box>
        ))}
      </Box>
      <Box mb="lg" flex alignItems="center">
        <CheckBox id="include-refunded" checked={includeRefunded} onChange={() => setIncludeRefunded(!includeRefunded)} />
        <Label inline htmlFor="include-refunded" ml="default">
          환불 완료 주문 포함 (상품으로 고를 때)
        </Label>
      </Box>
      <Button as="a" href={href('csv')} variant="contained" mr="default" data-testid="export-csv">
        CSV 다운로드
      </Button>
      <Button as="a" href={href('xlsx')} data-testid="export-xlsx">
        XLSX 다운로드 (주문 / 주문상품)
      </Button>
    </Box>
  );
};

export default ExportView;

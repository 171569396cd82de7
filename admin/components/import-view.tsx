/**
 * CSV import of paid orders (spec §6.4): a template per product, a dry run with per-row results, then an
 * all-or-nothing apply. Importing the same file twice creates nothing the second time.
 */
import React, { useEffect, useState } from 'react';
import { ApiClient, useNotice, type ActionProps } from 'adminjs';
import { Box, Button, H3, Label, MessageBox, Table, TableBody, TableCell, TableHead, TableRow, Text } from '@adminjs/design-system';

interface RowResult {
  row: number;
  status: string;
  errors: Record<string, string[]>;
  email: string;
  productName: string | null;
  price: number | null;
  orderId: string | null;
}
interface Result {
  applied: boolean;
  ok: boolean;
  created: number;
  duplicates: number;
  rows: RowResult[];
}

const api = new ApiClient();

const ImportView: React.FC<ActionProps> = ({ resource }) => {
  const [products, setProducts] = useState<Array<{ id: string; title: string }>>([]);
  const [productId, setProductId] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<Result | null>(null);
  const [message, setMessage] = useState<{ text: string; ok: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const addNotice = useNotice();
  useEffect(() => {
    api
      .resourceAction({ resourceId: 'products', actionName: 'list', params: { perPage: 500 } })
      .then((r) => setProducts(((r.data as { records?: Array<{ id: string; title: string }> }).records ?? []).map((x) => ({ id: String(x.id), title: x.title }))));
  }, []);
  const run = async (apply: boolean) => {
    if (!file) return;
    setBusy(true);
    const form = new FormData();
    form.set('file', file);
    form.set('apply', apply ? 'true' : 'false');
    try {
      const r = await api.resourceAction({ resourceId: resource.id, actionName: 'import', data: form, method: 'post' });
      const d = r.data as { result?: Result; notice?: { message: string; type: string } };
      setResult(d.result ?? null);
      if (d.notice) {
        setMessage({ text: d.notice.message, ok: d.notice.type === 'success' });
        addNotice({ message: d.notice.message, type: d.notice.type as 'success' | 'error' });
      }
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box variant="container" data-testid="import-view">
      <H3>주문 가져오기 (CSV)</H3>
      <Text mb="lg">
        열: name, phone, email, organization, product_id, donation_price, 그리고 상품의 옵션 그룹 이름. 이메일은 이미 가입한 사용자여야 하고, 빈 칸은 "선택 안 함"입니다. 같은 파일을 다시 가져오면 새로 만들지
        않습니다.
      </Text>
      <Label>템플릿 내려받기</Label>
      <Box mb="xl" flex alignItems="center">
        <select value={productId} onChange={(e) => setProductId(e.target.value)} style={{ padding: 8, marginRight: 8 }}>
          <option value="">상품 선택…</option>
          {products.map((p) => (
            <option key={p.id} value={p.id}>
              {p.title}
            </option>
          ))}
        </select>
        {productId && <a href={`/admin/api/resources/${resource.id}/actions/import?template=${productId}`}>CSV 템플릿</a>}
      </Box>
      <Label required>CSV 파일 (UTF-8)</Label>
      <input type="file" accept=".csv,text/csv" name="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      <Box mt="lg" mb="lg">
        <Button mr="default" disabled={!file || busy} onClick={() => run(false)} data-testid="import-dry-run">
          확인 (dry run)
        </Button>
        <Button variant="contained" disabled={!file || busy || !result || !result.ok || result.applied} onClick={() => run(true)} data-testid="import-apply">
          가져오기 실행
        </Button>
      </Box>
      {message && <MessageBox my="lg" variant={message.ok ? 'success' : 'danger'} message={message.text} />}
      {result && (
        <Table>
          <TableHead>
            <TableRow>
              <TableCell>행</TableCell>
              <TableCell>결과</TableCell>
              <TableCell>이메일</TableCell>
              <TableCell>상품</TableCell>
              <TableCell>금액</TableCell>
              <TableCell>오류</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {result.rows.map((r) => (
              <TableRow key={r.row}>
                <TableCell>{r.row}</TableCell>
                <TableCell>
                  {r.status}
                  {r.orderId && (
                    <>
                      {' '}
                      <a href={`/admin/resources/orders/records/${r.orderId}/show`}>주문</a>
                    </>
                  )}
                </TableCell>
                <TableCell>{r.email}</TableCell>
                <TableCell>{r.productName ?? '-'}</TableCell>
                <TableCell>{r.price ?? '-'}</TableCell>
                <TableCell>
                  {Object.entries(r.errors).map(([k, v]) => (
                    <div key={k}>
                      <b>{k}</b>: {v.join(' ')}
                    </div>
                  ))}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  );
};

export default ImportView;
